"""Belmar (LifeFile) through the handlers: submit with the hardcopy, the controlled-line refusals, and the Data
Push webhook (HTTP Basic, several fills per body, shared tracking numbers, lookup by referenceId)."""

import base64
import io
import json
from typing import Any

import pytest

from functions.get_submission.app import lambda_handler as get_handler
from functions.lifefile_webhook.app import lambda_handler as lifefile_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.submission import Submission
from rx_router.store import config, secrets, submissions
from rx_router.store.timeline import events_of
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.lifefile import (
    BELMAR,
    BELMAR_CATALOG,
    BELMAR_CREDENTIALS,
    WEBHOOK_PAIRS,
    belmar_submission,
    controlled_submission,
    signed_pdf,
)
from tests.support import PATIENT_VALUES, Credentials, LambdaContext, get_event, load_event, response_json, submit_event


@pytest.fixture(autouse=True)
def belmar(pharmacies: FakePharmacies) -> None:
    config.add_pharmacy(BELMAR)
    for entry in BELMAR_CATALOG:
        config.put_catalog_entry(entry)
    secrets.put_pharmacy_credentials('belmar', BELMAR_CREDENTIALS)
    secrets.put_webhook_secrets('belmar', WEBHOOK_PAIRS)
    pharmacies.add(BELMAR, list(BELMAR_CATALOG), BELMAR_CREDENTIALS, 86_400)
    TtlCache.clear_all()


def submit(creds: Credentials, body: dict[str, Any]) -> dict[str, Any]:
    return submit_handler(submit_event(creds, body), LambdaContext())


def create(creds: Credentials, **overrides: Any) -> dict[str, Any]:
    response = submit(creds, belmar_submission(**overrides))
    assert response['statusCode'] == 201, response['body']
    return response_json(response)


def basic(pair: str) -> str:
    return 'Basic ' + base64.b64encode(pair.encode()).decode()


def push(fills: list[dict[str, Any]] | Any, authorization: str | None = basic(WEBHOOK_PAIRS[1])) -> dict[str, Any]:
    event = load_event('lifefile_webhook')
    event['body'] = json.dumps(fills)
    event['headers'].pop('authorization')
    if authorization is not None:
        event['headers']['authorization'] = authorization
    return lifefile_hook(event, LambdaContext())


def fill(order_id: str | None, status: str = 'Shipping', tracking: str | None = '794644790132', **extra: Any) -> dict[str, Any]:
    record = {
        'pharmacyLocation': 'Belmar',
        'fillId': '7001',
        'orderId': order_id,
        'referenceId': None,
        'rxStatus': status,
        'rxStatusDateTime': '2026-03-19T14:29:34',
        'trackingNumber': tracking,
        'shipCarrier': 'FedEx' if tracking else None,
        'shipAddressLine1': '123 Main St',
        'shipCity': 'Austin',
        'patientEmail': 'jane.smith@example.com',
    }
    return record | extra


def stored(submission_id: str) -> Submission:
    found = submissions.get(submission_id)
    assert found is not None
    return found


def events(submission_id: str, kind: EventKind) -> list[TimelineEvent]:
    return [e for e in events_of(stored(submission_id)) if e.kind is kind]


def view(creds: Credentials, submission_id: str) -> dict[str, Any]:
    result: dict[str, Any] = response_json(get_handler(get_event(creds, submission_id), LambdaContext()))
    return result


# --- submit -------------------------------------------------------------------------------------------------


def test_submit_to_belmar_sends_the_native_order_with_its_hardcopy(
    creds: Credentials, pharmacies: FakePharmacies, logs: io.StringIO
) -> None:
    created = create(creds)
    assert created['pharmacy'] == 'belmar' and created['pharmacyOrderId'].isdigit()
    [call] = pharmacies.orders()
    assert call.url == 'https://host47.lifefile.test:10165/lfapi/v1/order'
    assert call.body['order']['general']['referenceId'] == created['submissionId']
    assert base64.b64decode(call.body['order']['document']['pdfBase64']).startswith(b'%PDF-')
    record = view(creds, created['submissionId'])
    assert record['routingDecision']['nativeDrugId'] == '305157958'
    assert record['responsePayload'] == {'type': 'success', 'data': {'orderId': created['pharmacyOrderId']}}
    logged = logs.getvalue()
    for value in (*PATIENT_VALUES, 'Inject 0.25mL', 'BMI 32', 'Nolan', 'JVBERi0'):  # JVBERi0: base64 of %PDF-
        assert value not in logged


def test_controlled_line_without_a_signed_pdf_is_refused_before_anything_is_sent(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    response = submit(creds, controlled_submission())
    assert response['statusCode'] == 422
    assert 'medication.signedPrescriptionPdfBase64' in response_json(response)['error']
    assert not any(value in response['body'] for value in PATIENT_VALUES)
    assert pharmacies.orders() == []
    assert queued_jobs() == []


def test_controlled_line_without_a_dea_number_is_refused_by_routing(creds: Credentials, pharmacies: FakePharmacies) -> None:
    body = controlled_submission(signedPrescriptionPdfBase64=base64.b64encode(signed_pdf()).decode())
    body['prescriber'] = {k: v for k, v in body['prescriber'].items() if k != 'deaNumber'}
    response = submit(creds, body)
    assert response['statusCode'] == 422
    assert response_json(response)['error'].endswith('controlled substance: prescriber.deaNumber is required')
    assert pharmacies.orders() == []


def test_controlled_line_with_the_signed_pdf_is_sent_with_it(creds: Credentials, pharmacies: FakePharmacies) -> None:
    signed = base64.b64encode(signed_pdf()).decode()
    response = submit(creds, controlled_submission(signedPrescriptionPdfBase64=signed))
    assert response['statusCode'] == 201, response['body']
    [call] = pharmacies.orders()
    assert call.body['order']['document'] == {'pdfBase64': signed}
    assert call.body['order']['rxs'][0]['scheduleCode'] == 'III'


# --- Data Push: HTTP Basic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'authorization',
    [
        None,
        basic('lifefile-push:wrong'),
        basic('someone:new-password'),
        'Basic ' + base64.b64encode(b'lifefile-push').decode(),
        'lifefile-push:new-password',
        'Bearer ' + base64.b64encode(b'lifefile-push:new-password').decode(),
    ],
)
def test_data_push_without_the_right_basic_credentials_is_401_and_changes_nothing(
    creds: Credentials, authorization: str | None
) -> None:
    created = create(creds)
    queued_jobs()
    response = push([fill(created['pharmacyOrderId'])], authorization)
    assert response['statusCode'] == 401
    assert response_json(response) == {'error': 'Invalid webhook secret'}
    assert view(creds, created['submissionId'])['status'] == 'submitted'
    assert queued_jobs() == []
    refused = events(created['submissionId'], EventKind.WEBHOOK_REFUSED)
    assert [e.detail['reason'] for e in refused] == ['invalid secret']


@pytest.mark.parametrize('pair', WEBHOOK_PAIRS)
def test_both_basic_pairs_work_during_rotation(creds: Credentials, pair: str) -> None:
    created = create(creds)
    assert push([fill(created['pharmacyOrderId'])], basic(pair))['statusCode'] == 200
    assert view(creds, created['submissionId'])['status'] == 'shipped'


def test_no_configured_credentials_refuses_everything(creds: Credentials) -> None:
    created = create(creds)
    secrets.put_webhook_secrets('belmar', [])
    TtlCache.clear_all()
    for pair in (*WEBHOOK_PAIRS, ':'):
        assert push([fill(created['pharmacyOrderId'])], basic(pair))['statusCode'] == 401
    assert push([fill(created['pharmacyOrderId'])], None)['statusCode'] == 401
    assert view(creds, created['submissionId'])['status'] == 'submitted'


# --- Data Push: the fills -----------------------------------------------------------------------------------


def test_fills_sharing_a_tracking_number_and_a_second_package_merge_and_call_back_once(
    creds: Credentials, logs: io.StringIO
) -> None:
    created = create(creds)
    queued_jobs()
    order = created['pharmacyOrderId']
    body = [
        fill(order, fillId='7001'),
        fill(order, fillId='7002'),  # the same package
        fill(order, fillId='7003', tracking='794644790999'),  # a second package
    ]
    response = push(body)
    assert (response['statusCode'], response_json(response)) == (200, {'ok': True})
    [job] = queued_jobs()
    assert job['payload'] | {'sourceOrderId': None} == {
        'submissionId': created['submissionId'],
        'sourceOrderId': None,
        'pharmacy': 'belmar',
        'status': 'shipped',
        'pharmacyOrderId': order,
        'trackingNumber': '794644790999',
        'carrier': 'FedEx',
    }
    submission = stored(created['submissionId'])
    assert [p.tracking_number for p in submission.packages] == ['794644790132', '794644790999']
    assert submission.pharmacy_status == 'Shipping'
    # the same body again changes nothing and calls back no one
    assert push(body)['statusCode'] == 200
    assert queued_jobs() == []
    assert [p.tracking_number for p in stored(created['submissionId']).packages] == ['794644790132', '794644790999']
    logged = logs.getvalue()
    for value in PATIENT_VALUES:
        assert value not in logged


def test_one_body_for_two_orders_moves_both(creds: Credentials) -> None:
    first = create(creds)
    second = create(creds, sourceOrderId='ord-second')
    queued_jobs()
    body = [fill(first['pharmacyOrderId']), fill(second['pharmacyOrderId'], tracking='794644790555')]
    assert push(body)['statusCode'] == 200
    jobs = queued_jobs()
    assert sorted(j['payload']['submissionId'] for j in jobs) == sorted([first['submissionId'], second['submissionId']])
    assert view(creds, second['submissionId'])['trackingNumber'] == '794644790555'


def test_unknown_rx_status_is_recorded_and_changes_nothing(creds: Credentials) -> None:
    created = create(creds)
    queued_jobs()
    response = push([fill(created['pharmacyOrderId'], status='Refill Due', tracking=None)])
    assert response['statusCode'] == 200
    record = view(creds, created['submissionId'])
    assert (record['status'], record['trackingNumber']) == ('submitted', None)
    assert queued_jobs() == []
    [accepted] = events(created['submissionId'], EventKind.WEBHOOK_ACCEPTED)
    assert (accepted.raw_status, accepted.detail) == ('Refill Due', {'outcome': 'unknown status: nothing changed'})


def test_found_by_the_reference_id_the_router_sent(creds: Credentials) -> None:
    created = create(creds)
    queued_jobs()
    response = push([fill(None, referenceId=created['submissionId'])])
    assert response['statusCode'] == 200
    assert view(creds, created['submissionId'])['status'] == 'shipped'
    assert len(queued_jobs()) == 1


def test_a_reference_id_of_another_pharmacys_submission_is_not_found(creds: Credentials, pharmacies: FakePharmacies) -> None:
    from tests.support import submission

    response = submit(creds, submission(routing={'patientState': 'WA'}))
    boothwyn = response_json(response)
    assert boothwyn['pharmacy'] == 'boothwyn'
    answer = push([fill(None, referenceId=boothwyn['submissionId'])])
    assert answer['statusCode'] == 404
    assert view(creds, boothwyn['submissionId'])['status'] == 'submitted'


def test_a_reference_id_naming_another_order_is_not_found(creds: Credentials) -> None:
    created = create(creds)
    answer = push([fill('99999999', referenceId=created['submissionId'])])
    assert answer['statusCode'] == 404
    assert view(creds, created['submissionId'])['status'] == 'submitted'


def test_malformed_data_push_is_400_naming_the_fill(creds: Credentials) -> None:
    created = create(creds)
    response = push([fill(created['pharmacyOrderId']), {'rxStatus': 'Shipping'}])
    assert response['statusCode'] == 400
    assert response_json(response)['details']['fieldErrors'] == {'1.orderId': ['Required (or referenceId)']}
    assert view(creds, created['submissionId'])['status'] == 'submitted'  # nothing applied from a refused body
