"""POST /rx/prescriptions/{id}/cancel: the pharmacy is asked where its type can and the status allows; the
outcome is a status change with its callback; 409 says why not; 502 when the pharmacy fails."""

import json
from typing import Any

import pytest

from functions.cancel_prescription.app import lambda_handler as cancel_handler
from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
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


def create(creds: Credentials, state: str = 'TX') -> dict[str, Any]:
    response = submit_handler(submit_event(creds, submission(routing={'patientState': state})), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    queued_jobs()
    return dict(response_json(response))


def cancel(creds: Credentials, submission_id: str) -> dict[str, Any]:
    return dict(cancel_handler(action_event(creds, 'cancel', submission_id), LambdaContext()))


def strive_webhook(order_id: str, status: str) -> None:
    event = load_event('strive_webhook')
    event['body'] = json.dumps({'tracking_id': order_id, 'rxstatus': status, 'trackingnumber': '1Z999AA10123456784'})
    assert strive_hook(event, LambdaContext())['statusCode'] == 200


def deletes(pharmacies: FakePharmacies) -> list[str]:
    return [c.url for c in pharmacies.calls if c.method == 'DELETE']


def test_cancel_before_shipping_cancels_at_the_pharmacy_with_one_callback(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 200, response['body']
    view = response_json(response)
    assert view['status'] == 'cancelled'
    assert view['history'][-1]['source'] == 'pharmacy:cancel'
    assert deletes(pharmacies) == [f'https://strive.pharmacy.test/api/v1/orders/{created["pharmacyOrderId"]}']
    assert pharmacies.by_pharmacy['strive'].orders[created['pharmacyOrderId']].status == 'cancelled'
    [job] = queued_jobs()
    assert job['payload']['status'] == 'cancelled'
    assert job['payload']['submissionId'] == created['submissionId']
    events = response_json(timeline_handler(get_event(creds, created['submissionId']), LambdaContext()))['events']
    kinds = [e['kind'] for e in events]
    assert kinds[-2:] == ['client_request', 'pharmacy_reported']
    # a repeated cancel answers the same, and neither calls the pharmacy nor calls back again
    again = cancel(creds, created['submissionId'])
    assert (again['statusCode'], response_json(again)['status']) == (200, 'cancelled')
    assert len(deletes(pharmacies)) == 1
    assert queued_jobs() == []


def test_test_mode_orders_are_cancelled_in_the_pharmacy_test_environment(creds: Credentials, pharmacies: FakePharmacies) -> None:
    body = submission(routing={'patientState': 'TX'}, test=True)
    created = response_json(submit_handler(submit_event(creds, body), LambdaContext()))
    assert cancel(creds, created['submissionId'])['statusCode'] == 200
    assert deletes(pharmacies) == [f'https://sandbox.strive.pharmacy.test/api/v1/orders/{created["pharmacyOrderId"]}']


def test_cancel_after_shipping_is_409_without_calling_the_pharmacy(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    strive_webhook(created['pharmacyOrderId'], 'shipped')
    queued_jobs()
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 409
    assert 'Too late to cancel: the order is shipped' in response_json(response)['error']
    assert deletes(pharmacies) == []
    assert queued_jobs() == []


def test_pharmacy_that_already_shipped_answers_409_and_the_router_catches_up(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    created = create(creds)
    order = pharmacies.by_pharmacy['strive'].orders[created['pharmacyOrderId']]
    order.status, order.tracking_number = 'shipped', '1Z999AA10123456784'  # its webhook has not arrived yet
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 409
    assert response_json(response)['error'] == 'The pharmacy did not cancel the order: it reports it shipped'
    view = response_json(get_handler(get_event(creds, created['submissionId']), LambdaContext()))
    assert (view['status'], view['trackingNumber']) == ('shipped', '1Z999AA10123456784')
    [job] = queued_jobs()
    assert job['payload']['status'] == 'shipped'


def test_type_without_cancel_is_409_and_names_what_to_do(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, state='WA')  # Boothwyn: its API has no cancel
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 409
    assert response_json(response)['error'] == (
        'Pharmacy boothwyn cannot cancel orders through its API: ask the pharmacy to cancel it directly'
    )


def test_pharmacy_failure_is_502_and_changes_nothing(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    pharmacies.fail_with = 500
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 502
    assert response_json(response)['error'].startswith('The pharmacy did not cancel the order: Strive API error 500')
    assert 'leaked-token' not in response['body']
    pharmacies.fail_with = None
    view = response_json(get_handler(get_event(creds, created['submissionId']), LambdaContext()))
    assert view['status'] == 'submitted'
    assert queued_jobs() == []


def test_delivered_is_409(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    strive_webhook(created['pharmacyOrderId'], 'delivered')
    response = cancel(creds, created['submissionId'])
    assert response['statusCode'] == 409
    assert response_json(response)['error'] == 'The submission is delivered: there is nothing left to cancel'


@pytest.mark.parametrize('who', ['other', 'unknown'])
def test_only_the_owner_may_cancel(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies, who: str) -> None:
    created = create(creds)
    if who == 'other':
        assert cancel(other_creds, created['submissionId'])['statusCode'] == 403
    else:
        assert cancel(creds, '00000000-0000-4000-8000-000000000000')['statusCode'] == 404
    assert deletes(pharmacies) == []


def test_unsigned_cancel_is_401(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    event = action_event(creds, 'cancel', created['submissionId'])
    event['headers']['x-signature'] = '0' * 64
    assert cancel_handler(event, LambdaContext())['statusCode'] == 401
    assert deletes(pharmacies) == []


def test_cancel_logs_carry_no_patient_data(creds: Credentials, pharmacies: FakePharmacies, logs: Any) -> None:
    created = create(creds)
    pharmacies.fail_with = 500
    cancel(creds, created['submissionId'])
    pharmacies.fail_with = None
    cancel(creds, created['submissionId'])
    logged = logs.getvalue()
    assert 'pharmacy refused cancel' in logged
    assert not any(value in logged for value in PATIENT_VALUES)
