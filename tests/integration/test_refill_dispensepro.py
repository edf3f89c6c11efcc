"""POST /rx/prescriptions/{id}/refill with a type that can refill (DispensePro, against its sandbox): linked
submissions with their own callbacks, idempotent on refillRequestId, never beyond the authorised refills."""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.dispensepro_webhook.app import lambda_handler as dispensepro_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.refill_prescription.app import lambda_handler as refill_handler
from functions.submit.app import lambda_handler as submit_handler
from rxlocal.sandboxes.dispensepro import DispenseProSandbox
from tests.dispensepro_support import INSTANCE, configure
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.support import (
    PATIENT_VALUES,
    Credentials,
    LambdaContext,
    action_event,
    get_event,
    load_event,
    response_json,
    submission,
    submit_event,
)


@pytest.fixture(autouse=True)
def sandbox(pharmacies: FakePharmacies) -> DispenseProSandbox:
    return configure(pharmacies)


def shipped_original(creds: Credentials, sandbox: DispenseProSandbox, refills: int) -> dict[str, Any]:
    body = submission(
        routing={'preferredPharmacy': INSTANCE.id, 'patientState': 'WA'},
        medication={**submission()['medication'], 'refills': refills},
    )
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    created: dict[str, Any] = response_json(response)
    order = sandbox.orders[created['pharmacyOrderId']]
    order.status = 'shipped'  # filled and shipped at the pharmacy; its webhook tells the router
    event = load_event('dispensepro_webhook')
    event['body'] = json.dumps({'orderId': created['pharmacyOrderId'], 'status': 'shipped', 'trackingNumber': '9400'})
    event['headers']['x-webhook-secret'] = 'dispensepro-hook-new'
    assert dispensepro_hook(event, LambdaContext())['statusCode'] == 200
    queued_jobs()
    return created


def refill(creds: Credentials, submission_id: str, request_id: str) -> dict[str, Any]:
    event = action_event(creds, 'refill', submission_id, {'refillRequestId': request_id})
    return dict(refill_handler(event, LambdaContext()))


def record(creds: Credentials, submission_id: str) -> dict[str, Any]:
    return dict(response_json(get_handler(get_event(creds, submission_id), LambdaContext())))


def refill_calls(pharmacies: FakePharmacies) -> list[Any]:
    return [c for c in pharmacies.calls if c.url.endswith('/refill')]


def test_a_refill_is_a_linked_submission_with_its_own_callback(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    original = shipped_original(creds, sandbox, refills=2)
    response = refill(creds, original['submissionId'], 'refill-a')
    assert response['statusCode'] == 201, response['body']
    created = response_json(response)
    assert created['refillOf'] == original['submissionId']
    assert created['refillNumber'] == 1
    assert (created['status'], created['pharmacy']) == ('submitted', INSTANCE.id)
    assert created['pharmacyOrderId'] != original['pharmacyOrderId']
    assert sandbox.orders[created['pharmacyOrderId']].refill_of == original['pharmacyOrderId']
    assert refill_calls(pharmacies)[-1].body == {'externalId': created['submissionId']}  # the pharmacy's idempotency key
    [job] = queued_jobs()
    assert (job['payload']['submissionId'], job['payload']['status']) == (created['submissionId'], 'submitted')
    view = record(creds, created['submissionId'])
    assert view['requestPayload'] == {'refillOf': original['submissionId'], 'refillRequestId': 'refill-a'}  # no PHI copy
    assert (view['refillOf'], view['refillNumber'], view['status']) == (original['submissionId'], 1, 'submitted')
    assert record(creds, original['submissionId'])['refillsUsed'] == 1


def test_the_same_refill_request_again_is_the_same_refill(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    original = shipped_original(creds, sandbox, refills=2)
    first = refill(creds, original['submissionId'], 'refill-a')
    again = refill(creds, original['submissionId'], 'refill-a')
    assert again['statusCode'] == 201
    assert again['headers']['idempotent-replayed'] == 'true'
    assert response_json(again) == response_json(first)
    assert len(refill_calls(pharmacies)) == 1
    assert len(queued_jobs()) == 1
    assert record(creds, original['submissionId'])['refillsUsed'] == 1


def test_never_beyond_the_authorised_refills_even_concurrently(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    original = shipped_original(creds, sandbox, refills=2)
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda n: refill(creds, original['submissionId'], f'race-{n}'), range(5)))
    statuses = sorted(a['statusCode'] for a in answers)
    assert statuses == [201, 201, 409, 409, 409]
    refused = [response_json(a)['error'] for a in answers if a['statusCode'] == 409]
    assert set(refused) == {'No refills left: the prescription authorises 2, and all are used'}
    assert sorted(response_json(a)['refillNumber'] for a in answers if a['statusCode'] == 201) == [1, 2]
    assert len(refill_calls(pharmacies)) == 2
    assert record(creds, original['submissionId'])['refillsUsed'] == 2


def test_a_definite_refusal_gives_the_refill_back(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    original = shipped_original(creds, sandbox, refills=1)
    pharmacies.fail_with = 422
    refused = refill(creds, original['submissionId'], 'refill-a')
    assert refused['statusCode'] == 502
    assert response_json(refused)['status'] == 'failed'
    assert record(creds, original['submissionId'])['refillsUsed'] == 0
    pharmacies.fail_with = None
    assert refill(creds, original['submissionId'], 'refill-b')['statusCode'] == 201


def test_an_uncertain_failure_keeps_the_refill_counted(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    original = shipped_original(creds, sandbox, refills=1)
    pharmacies.timeout = True
    uncertain = refill(creds, original['submissionId'], 'refill-a')
    pharmacies.timeout = False
    assert uncertain['statusCode'] == 502
    assert 'may have received' in response_json(uncertain)['error']
    assert record(creds, original['submissionId'])['refillsUsed'] == 1
    assert refill(creds, original['submissionId'], 'refill-b')['statusCode'] == 409  # the pharmacy may have filled it


def test_refill_before_the_first_fill_shipped_is_409(creds: Credentials, pharmacies: FakePharmacies) -> None:
    body = submission(routing={'preferredPharmacy': INSTANCE.id, 'patientState': 'WA'})
    created = response_json(submit_handler(submit_event(creds, body), LambdaContext()))
    response = refill(creds, created['submissionId'], 'refill-a')
    assert response['statusCode'] == 409
    assert response_json(response)['error'] == (
        'The submission is submitted: a refill needs the previous fill shipped or delivered'
    )
    assert refill_calls(pharmacies) == []


def test_a_refill_of_a_refill_names_the_original(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox, logs: Any
) -> None:
    original = shipped_original(creds, sandbox, refills=2)
    created = response_json(refill(creds, original['submissionId'], 'refill-a'))
    response = refill(creds, created['submissionId'], 'refill-b')
    assert response['statusCode'] == 409
    assert original['submissionId'] in response_json(response)['error']
    assert not any(value in logs.getvalue() for value in PATIENT_VALUES)
