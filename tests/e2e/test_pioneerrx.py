"""PioneerRx end to end: a test submission routed to the local PioneerRx sandbox, placed on hold in its test
database, answered with the rxTransactionID, and the submitted callback verified by the spec's Node code."""

import json
import uuid
from pathlib import Path

import httpx

from rxlocal.client import SignedClient
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.e2e.test_tracking import verified_by_spec_node_code
from tests.support import submission


def test_a_test_submission_goes_to_the_pioneerrx_test_database_and_the_callback_is_verified(
    stack: E2EStack, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    client = SignedClient(stack.url, stack.demo.api_key, stack.demo.api_secret)
    path = f'/cb/{uuid.uuid4()}'
    body = submission(
        sourceOrderId=f'e2e-pioneerrx-{uuid.uuid4()}',
        callbackUrl=receiver.url + path,
        routing={'patientState': 'TX', 'preferredPharmacy': 'pioneerrx-local'},
        test=True,
    )
    response = client.submit(body)
    assert response.status_code == 201, response.text
    created = response.json()
    sandbox_url = stack.state['sandboxes']['pioneerrx-local']
    orders = {o['order_id']: o for o in httpx.get(sandbox_url + '/_sandbox/orders', timeout=5).json()}
    order = orders[created['pharmacyOrderId']]
    assert (order['test'], order['sender_id'], order['status']) == (True, created['submissionId'], 'Waiting for Data Entry')
    assert created == {
        'submissionId': created['submissionId'],
        'pharmacy': 'pioneerrx-local',
        'status': 'submitted',
        'pharmacyOrderId': order['order_id'],
    }

    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    (callback,) = receiver.at(path)
    assert json.loads(callback.body) == {
        'submissionId': created['submissionId'],
        'sourceOrderId': body['sourceOrderId'],
        'pharmacy': 'pioneerrx-local',
        'status': 'submitted',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'error': None,
    }
    assert verified_by_spec_node_code(stack.demo.api_secret, callback, tmp_path)

    events = client.get(created['submissionId'], 'timeline').json()['events']
    sent = [e for e in events if e['kind'] == 'sent_to_pharmacy']
    assert [(e['actor'], e['test']) for e in sent] == [('pioneerrx-local', True)]

    # The sandbox moves the order on without a webhook (PioneerRx sends none): nothing reaches the router.
    shipped = stack.cli('sandbox', 'ship', created['submissionId'])
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)['fillState'] == 'Shipped'
    assert client.get(created['submissionId']).json()['status'] == 'submitted'

    # The router learns it by asking: `rxrouter submissions sync` applies the status query's answer, calls back.
    synced = stack.cli('submissions', 'sync', created['submissionId'])
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)['status'] == 'shipped'
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    update = receiver.at(path)[1]
    assert json.loads(update.body)['status'] == 'shipped'
    assert verified_by_spec_node_code(stack.demo.api_secret, update, tmp_path)
