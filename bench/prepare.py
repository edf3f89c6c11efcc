"""Writes .bench/state.json, what every measured process answers from (bench/stub.py): the tables as the real
seed (rx_router.service.seed with tests.support.SEED_PARAMETERS) and the real API client code write them, the
two secrets, and a real Strive submit and Strive "shipped" webhook run through the handlers in this process, so
the submission item a webhook reads and the callback jobs the sender gets are the router's own.

Run by bench.py in a fresh process, with the bench environment.
"""

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stub  # noqa: E402

PHARMACY_CREDENTIALS = {
    'boothwyn': {'api_key': 'boothwyn-functions-key'},
    'gmp': {'api_key': 'gmp-functions-key'},
    'strive': {'client_id': 'strive-client', 'client_secret': 'strive-secret'},
}
WEBHOOK_SECRETS = {'boothwyn': ['boothwyn-hook-secret'], 'strive': ['strive-hook-old', 'strive-hook-new']}
WEBHOOK_BODY = {'trackingnumber': '1Z999AA10123456784', 'rxstatus': 'shipped', 'shippingcarrier': 'UPS'}


def table_schemas() -> tuple[dict[str, list[str]], dict[str, dict[str, dict[str, Any]]]]:
    """Key attributes of every table, and each table's indexes (keys, projection), from the pynamodb models."""
    from rx_router.store.models import ALL_MODELS

    keys: dict[str, list[str]] = {}
    indexes: dict[str, dict[str, dict[str, Any]]] = {}
    for model in ALL_MODELS:
        name = model.Meta.table_name
        keys[name] = list(stub.keys_of(model))
        for index_name, index in model._indexes.items():
            index_keys = [a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key or a.is_range_key]
            indexes.setdefault(name, {})[index_name] = {
                'keys': index_keys,
                'projection': index.Meta.projection.projection_type,
            }
    return keys, indexes


def main() -> int:
    import os

    store, _ = stub.install(None, keep_writes=True)
    store.keys, store.indexes = table_schemas()
    store.secrets = {
        os.environ['PHARMACY_CREDENTIALS_SECRET']: json.dumps(PHARMACY_CREDENTIALS),
        os.environ['WEBHOOK_SECRETS_SECRET']: json.dumps(WEBHOOK_SECRETS),
    }
    from rx_router.service.seed import seed
    from rx_router.store import clients
    from tests.support import SEED_PARAMETERS, load_event, submission

    seed(SEED_PARAMETERS)
    issued = clients.create_client('bench')
    state: dict[str, Any] = {
        'keys': store.keys,
        'indexes': store.indexes,
        'secrets': store.secrets,
        'api_key': issued.client.api_key,
        'api_secret': issued.api_secret,
        'submit_body': submission(callbackUrl=stub.CALLBACK_URL, sourceOrderId='bench-order-1'),
        'webhook_body': {'tracking_id': stub.STRIVE_ORDER_ID, **WEBHOOK_BODY},
        'events': {
            'submit': load_event('submit'),
            'webhook': load_event('strive_webhook'),
            'callback': load_event('callback_sqs'),
        },
    }
    state['tables'] = {name: store.items(name) for name in store.keys}  # seeded config and the API client

    from functions.rxvortex_webhook.app import lambda_handler as webhook
    from functions.submit.app import lambda_handler as submit

    stub.mock_http()
    context = stub.LambdaContext()
    response = submit(stub.submit_event(state), context)
    assert stub.accepted('submit', response), response
    assert json.loads(response['body'])['pharmacyOrderId'] == stub.STRIVE_ORDER_ID, response
    submitted_job = store.sent[-1]['MessageBody']
    response = webhook(stub.webhook_event(state), context)
    assert stub.accepted('webhook', response), response
    shipped_job = store.sent[-1]['MessageBody']
    submissions = os.environ['SUBMISSIONS_TABLE']
    # The submission as the submit left it (status submitted): the webhook's update is not applied by the stub.
    state['tables'][submissions] = store.items(submissions)
    state['jobs'] = {'submitted': submitted_job, 'shipped': shipped_job}
    stub.BENCH_DIR.mkdir(exist_ok=True)
    stub.STATE_FILE.write_text(json.dumps(state, indent=1))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
