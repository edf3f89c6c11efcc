"""The prescription boundary end to end on the local stack, over loopback HTTP: a gated order waits (no pharmacy
call) until the Beluga sandbox sends RX_WRITTEN, then goes to its pharmacy; an order at a pharmacy of Beluga's
network is delegated and tracked from Beluga's events; CONSULT_CANCELED cancels a waiting one. Every callback is
verified with the spec's Node code."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from rxlocal.client import SignedClient
from rxlocal.sandboxes.beluga import BelugaSandbox
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.e2e.test_tracking import verified_by_spec_node_code
from tests.support import submission

[NETWORK] = BelugaSandbox.local_seed()[0]


@pytest.fixture(scope='module')
def client(stack: E2EStack) -> SignedClient:
    return stack.client(stack.demo)


def gated(client: SignedClient, receiver: CallbackReceiver, master_id: str, **routing: str) -> tuple[dict[str, Any], str]:
    path = f'/cb/{uuid.uuid4()}'
    body = submission(
        sourceOrderId=f'e2e-gated-{uuid.uuid4()}',
        callbackUrl=receiver.url + path,
        routing={'patientState': 'WA', **routing},
        prescription={'provider': 'beluga', 'masterId': master_id},
    )
    response = client.submit(body)
    assert response.status_code == 202, response.text
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    assert json.loads(receiver.at(path)[0].body)['status'] == 'awaiting_prescription'
    return response.json(), path


def statuses(receiver: CallbackReceiver, path: str) -> list[str]:
    return [json.loads(c.body)['status'] for c in receiver.at(path)]


def test_a_gated_order_reaches_its_pharmacy_only_after_rx_written(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    master_id = f'BLG-{uuid.uuid4()}'
    created, path = gated(client, receiver, master_id)
    assert created['status'] == 'awaiting_prescription' and created['pharmacyOrderId'] is None
    assert client.get(created['submissionId']).json()['status'] == 'awaiting_prescription'

    written = stack.cli('sandbox', 'rx-written', master_id, '--med-id', 'semaglutide')
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    assert statuses(receiver, path) == ['awaiting_prescription', 'submitted']
    assert all(verified_by_spec_node_code(stack.demo.api_secret, c, tmp_path) for c in receiver.at(path))
    record = client.get(created['submissionId']).json()
    assert record['status'] == 'submitted' and record['pharmacyOrderId']
    assert record['prescriptionWritten']['event'] == 'RX_WRITTEN'


def test_a_mismatched_prescription_holds_the_order(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    master_id = f'BLG-{uuid.uuid4()}'
    created, path = gated(client, receiver, master_id)
    assert stack.cli('sandbox', 'rx-written', master_id, '--med-id', 'tirzepatide').returncode == 0
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    held = json.loads(receiver.at(path)[1].body)
    assert held['status'] == 'on_hold'
    assert 'does not include the ordered medication' in held['error']
    assert client.get(created['submissionId']).json()['heldFrom'] == 'awaiting_prescription'


def test_a_beluga_network_order_is_delegated_and_tracked_from_beluga_events(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    master_id = f'BLG-{uuid.uuid4()}'
    created, path = gated(client, receiver, master_id, preferredPharmacy=NETWORK.id)
    assert created['pharmacy'] == NETWORK.id
    assert stack.cli('sandbox', 'rx-written', master_id).returncode == 0
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    record = client.get(created['submissionId']).json()
    assert (record['status'], record['pharmacyOrderId']) == ('submitted', master_id)
    assert record['responsePayload']['outcome'] == 'delegated to Beluga'

    shipped = stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '1Z999AA10123456784')
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)['webhook']['event'] == 'PHARMACY_ORDER_SHIPPED'
    receiver.wait_for(lambda: len(receiver.at(path)) == 3)
    update = json.loads(receiver.at(path)[2].body)
    assert (update['status'], update['trackingNumber'], update['carrier']) == ('shipped', '1Z999AA10123456784', 'UPS')
    assert stack.cli('sandbox', 'deliver', created['submissionId']).returncode == 0
    receiver.wait_for(lambda: len(receiver.at(path)) == 4)
    assert statuses(receiver, path) == ['awaiting_prescription', 'submitted', 'shipped', 'delivered']
    assert all(verified_by_spec_node_code(stack.demo.api_secret, c, tmp_path) for c in receiver.at(path))


def test_consult_canceled_cancels_a_waiting_order(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    master_id = f'BLG-{uuid.uuid4()}'
    created, path = gated(client, receiver, master_id)
    assert stack.cli('sandbox', 'consult-canceled', master_id).returncode == 0
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    assert statuses(receiver, path) == ['awaiting_prescription', 'cancelled']
    assert client.get(created['submissionId']).json()['status'] == 'cancelled'
