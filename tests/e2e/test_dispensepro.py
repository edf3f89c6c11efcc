"""DispensePro end to end on the local stack: submit to its local instance -> the sandbox acts -> its native webhook
-> the router -> a verified callback; and the type's status / refill / void over real HTTP against the sandbox."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from rx_router.domain.statuses import Status
from rx_router.pharmacies.records import PharmacyInstance
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.pharmacy_types.dispensepro import DispensePro
from rx_router.validation.prescription import parse_submission
from rxlocal.client import SignedClient
from rxlocal.sandboxes.dispensepro import LOCAL_NDC, DispenseProSandbox
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.e2e.test_tracking import verified_by_spec_node_code
from tests.support import submission

[LOCAL] = DispenseProSandbox.local_seed()[0]
SEMAGLUTIDE = CatalogMatch('semaglutide', LOCAL_NDC['semaglutide'])


@pytest.fixture(scope='module')
def client(stack: E2EStack) -> SignedClient:
    return stack.client(stack.demo)


def submit(client: SignedClient, receiver: CallbackReceiver, **medication: Any) -> tuple[dict[str, Any], str]:
    path = f'/cb/{uuid.uuid4()}'
    body = submission(
        sourceOrderId=f'e2e-dp-{uuid.uuid4()}',
        callbackUrl=receiver.url + path,
        routing={'preferredPharmacy': LOCAL.id, 'patientState': 'WA'},
        medication={**submission()['medication'], **medication},
    )
    response = client.submit(body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created['pharmacy'] == LOCAL.id
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    return created, path


def test_submit_then_sandbox_ship_is_a_verified_shipped_callback(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    created, path = submit(client, receiver)
    assert created['pharmacyOrderId'].startswith('DP-')
    shipped = stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '9400111899223856123456')
    assert shipped.returncode == 0, shipped.stderr
    answer = json.loads(shipped.stdout)
    assert answer['routerStatus'] == 200
    assert answer['webhook']['orderId'] == created['pharmacyOrderId']
    assert answer['webhook']['externalId'] == created['submissionId']
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    initial, update = receiver.at(path)
    assert json.loads(update.body) | {'sourceOrderId': None} == {
        'submissionId': created['submissionId'],
        'sourceOrderId': None,
        'pharmacy': LOCAL.id,
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '9400111899223856123456',
        'carrier': 'USPS',
    }
    assert verified_by_spec_node_code(stack.demo.api_secret, initial, tmp_path)
    assert verified_by_spec_node_code(stack.demo.api_secret, update, tmp_path)
    record = client.get(created['submissionId']).json()
    assert (record['status'], record['pharmacyStatus'], record['carrier']) == ('shipped', 'shipped', 'USPS')
    # the pharmacy cannot void a shipped order: the sandbox refuses, no webhook, no callback
    voided = stack.cli('sandbox', 'cancel', created['submissionId'])
    assert voided.returncode != 0
    assert json.loads(voided.stdout)['error']['code'] == 'not_voidable'
    stack.cli('sandbox', 'deliver', created['submissionId'])
    receiver.wait_for(lambda: len(receiver.at(path)) == 3)
    assert [json.loads(r.body)['status'] for r in receiver.at(path)] == ['submitted', 'shipped', 'delivered']


def test_voided_by_the_pharmacy_before_filling(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    created, path = submit(client, receiver)
    voided = stack.cli('sandbox', 'cancel', created['submissionId'])
    assert voided.returncode == 0, voided.stderr
    assert json.loads(voided.stdout)['webhook']['status'] == 'voided'
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    assert json.loads(receiver.at(path)[1].body)['status'] == 'voided'
    assert client.get(created['submissionId']).json()['status'] == 'voided'


def bound_to_local_sandbox(stack: E2EStack) -> DispensePro:
    """The type bound as the router binds the local instance: its sandbox's URLs, its local credentials."""
    url = stack.state['sandboxes'][LOCAL.id]
    instance = PharmacyInstance.model_validate({**LOCAL.model_dump(), 'settings': DispenseProSandbox.url_settings(url)})
    return DispensePro(
        instance,
        DispensePro.settings_model.model_validate(instance.settings),
        DispensePro.credentials_model.model_validate(DispenseProSandbox.local_credentials(LOCAL.id)),
        httpx.Client(timeout=5),
    )


def test_status_refill_and_void_over_http(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    created, _ = submit(client, receiver, refills=1)
    pharmacy = bound_to_local_sandbox(stack)
    order_id = created['pharmacyOrderId']
    assert pharmacy.status(order_id, test=False).raw_status == 'authorized'
    assert stack.cli('sandbox', 'process', created['submissionId']).returncode == 0
    report = pharmacy.status(order_id, test=False)
    assert (report.raw_status, report.status) == ('filled', Status.PROCESSING)
    assert pharmacy.cancel(order_id, test=False).status is Status.PROCESSING  # too late to void
    refill = pharmacy.refill(order_id, refill_id='refill-1', test=False)
    assert refill.order_id != order_id
    assert pharmacy.cancel(refill.order_id, test=False).status is Status.VOIDED  # the new fill, before filling
    native = pharmacy.translate(str(uuid.uuid4()), parse_submission(submission()), SEMAGLUTIDE)
    assert pharmacy.send(native, test=True).order_id.startswith('DP-')  # the test environment, under /sandbox


def test_cancel_and_refill_through_the_api_call_back_verified(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    voided, voided_path = submit(client, receiver)
    response = client.act(voided['submissionId'], 'cancel')  # DispensePro voids before filling
    assert (response.status_code, response.json()['status']) == (200, 'voided'), response.text
    receiver.wait_for(lambda: len(receiver.at(voided_path)) == 2)
    assert json.loads(receiver.at(voided_path)[1].body)['status'] == 'voided'

    original, path = submit(client, receiver, refills=1)
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    assert client.act(original['submissionId'], 'refill', {'refillRequestId': 'too-early'}).status_code == 409
    assert stack.cli('sandbox', 'ship', original['submissionId']).returncode == 0
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    refill = client.act(original['submissionId'], 'refill', {'refillRequestId': 'refill-1'})
    assert refill.status_code == 201, refill.text
    created = refill.json()
    assert (created['refillOf'], created['refillNumber'], created['status']) == (original['submissionId'], 1, 'submitted')
    receiver.wait_for(lambda: len(receiver.at(path)) == 3)  # the refill calls back to the same callbackUrl
    callback = receiver.at(path)[2]
    assert json.loads(callback.body)['submissionId'] == created['submissionId']
    assert verified_by_spec_node_code(stack.demo.api_secret, callback, tmp_path)
    again = client.act(original['submissionId'], 'refill', {'refillRequestId': 'refill-2'})
    assert (again.status_code, again.json()['error']) == (409, 'No refills left: the prescription authorises 1, and all are used')
