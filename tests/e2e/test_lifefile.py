"""Belmar (LifeFile) on the local stack: submit with the generated hardcopy -> the sandbox's Data Push (HTTP Basic,
two fills sharing a tracking number) -> a verified `shipped` callback."""

import json
import uuid
from pathlib import Path

from rxlocal.client import SignedClient
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.e2e.test_tracking import verified_by_spec_node_code
from tests.lifefile import belmar_submission


def test_belmar_order_ships_through_data_push_and_the_client_gets_a_verified_callback(
    stack: E2EStack, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    client = SignedClient(stack.url, stack.demo.api_key, stack.demo.api_secret)
    path = f'/cb/{uuid.uuid4()}'
    body = belmar_submission(sourceOrderId=f'e2e-{uuid.uuid4()}', callbackUrl=receiver.url + path)
    response = client.submit(body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created['pharmacy'] == 'belmar'
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)

    shipped = stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132', '--fills', '2')
    assert shipped.returncode == 0, shipped.stderr
    answer = json.loads(shipped.stdout)
    assert answer['routerStatus'] == 200
    assert [f['trackingNumber'] for f in answer['webhook']] == ['794644790132', '794644790132']
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    initial, update = receiver.at(path)
    assert json.loads(update.body) | {'sourceOrderId': None} == {
        'submissionId': created['submissionId'],
        'sourceOrderId': None,
        'pharmacy': 'belmar',
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '794644790132',
        'carrier': 'FedEx',
    }
    assert verified_by_spec_node_code(stack.demo.api_secret, initial, tmp_path)
    assert verified_by_spec_node_code(stack.demo.api_secret, update, tmp_path)

    # "Delivered" is not a LifeFile word the router knows: recorded, nothing moves, no callback
    delivered = stack.cli('sandbox', 'deliver', created['submissionId'])
    assert json.loads(delivered.stdout)['routerStatus'] == 200
    record = client.get(created['submissionId']).json()
    assert (record['status'], record['pharmacyStatus']) == ('shipped', 'Shipping')
    assert len(receiver.at(path)) == 2
