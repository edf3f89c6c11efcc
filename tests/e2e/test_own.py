"""OWN end to end on the local stack: submit to the local clinic pharmacy (own-local) -> the sandbox verifies the
signed order -> it sends signed events to /rx/webhooks/pharmacy/own-local -> verified callbacks; a replayed event
and a badly signed one change nothing."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from rxlocal.client import SignedClient
from rxlocal.sandboxes.own import OwnSandbox
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.e2e.test_tracking import verified_by_spec_node_code
from tests.support import submission

[LOCAL] = OwnSandbox.local_seed()[0]


@pytest.fixture(scope='module')
def client(stack: E2EStack) -> SignedClient:
    return stack.client(stack.demo)


def submit(client: SignedClient, receiver: CallbackReceiver) -> tuple[dict[str, Any], str]:
    path = f'/cb/{uuid.uuid4()}'
    body = submission(
        sourceOrderId=f'e2e-own-{uuid.uuid4()}',
        callbackUrl=receiver.url + path,
        routing={'preferredPharmacy': LOCAL.id, 'patientState': 'WA'},
    )
    response = client.submit(body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created['pharmacy'] == LOCAL.id
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    return created, path


def sandbox(stack: E2EStack, *args: str) -> dict[str, Any]:
    out = stack.cli('sandbox', *args)
    assert out.returncode == 0, out.stderr + out.stdout
    answer: dict[str, Any] = json.loads(out.stdout)
    return answer


def test_signed_order_then_signed_events_are_verified_callbacks(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    created, path = submit(client, receiver)
    assert created['pharmacyOrderId'].startswith('OWN-')  # the sandbox answered only after verifying the signature
    shipped = sandbox(stack, 'ship', created['submissionId'], '--tracking', '1Z999AA10123456784')
    assert (shipped['routerStatus'], shipped['webhook']['type']) == (200, 'order.shipped')
    assert shipped['webhook']['pharmacyOrderId'] == created['pharmacyOrderId']
    assert shipped['webhook']['submissionId'] == created['submissionId']
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    initial, update = receiver.at(path)
    assert json.loads(update.body) | {'sourceOrderId': None} == {
        'submissionId': created['submissionId'],
        'sourceOrderId': None,
        'pharmacy': LOCAL.id,
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '1Z999AA10123456784',
        'carrier': 'USPS',
    }
    assert verified_by_spec_node_code(stack.demo.api_secret, initial, tmp_path)
    assert verified_by_spec_node_code(stack.demo.api_secret, update, tmp_path)

    # The same event again (same webhook-id): acknowledged, no effect. A badly signed one: refused.
    replayed = sandbox(stack, 'replay', created['submissionId'])
    assert (replayed['routerStatus'], replayed['webhookId']) == (200, shipped['webhookId'])
    forged = stack.cli('sandbox', 'deliver', created['submissionId'], '--bad-signature')
    assert json.loads(forged.stdout)['routerStatus'] == 401
    assert client.get(created['submissionId']).json()['status'] == 'shipped'

    assert sandbox(stack, 'deliver', created['submissionId'])['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(path)) == 3)
    assert [json.loads(r.body)['status'] for r in receiver.at(path)] == ['submitted', 'shipped', 'delivered']
    assert verified_by_spec_node_code(stack.demo.api_secret, receiver.at(path)[2], tmp_path)
    events = timeline(stack, created['submissionId'])
    accepted = [e for e in events if e['kind'] == 'webhook_accepted']
    assert [(e['pharmacyStatus'], e['outcome']) for e in accepted] == [('order.shipped', 'moved'), ('order.delivered', 'moved')]
    assert accepted[0]['trackingUrl'] == 'https://tracking.example/1Z999AA10123456784'
    assert [e['reason'] for e in events if e['kind'] == 'webhook_refused'] == ['invalid signature']


def test_out_for_delivery_and_cancelled(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    created, path = submit(client, receiver)
    assert sandbox(stack, 'cancel', created['submissionId'])['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    assert json.loads(receiver.at(path)[1].body)['status'] == 'cancelled'

    other, other_path = submit(client, receiver)
    assert sandbox(stack, 'ship', other['submissionId'], '--event', 'order.out_for_delivery')['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(other_path)) == 2)
    record = client.get(other['submissionId']).json()
    assert (record['status'], record['pharmacyStatus']) == ('shipped', 'order.out_for_delivery')


def timeline(stack: E2EStack, submission_id: str) -> list[dict[str, Any]]:
    out = stack.cli('submissions', 'timeline', submission_id)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    events: list[dict[str, Any]] = found['events'] if isinstance(found, dict) else found
    return events
