"""Webhooks in, callback jobs out (moto DynamoDB, SQS, Secrets Manager)."""

import json
import os
from typing import Any

import boto3
import pytest

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.support import (
    PATIENT_VALUES,
    Credentials,
    LambdaContext,
    get_event,
    load_event,
    response_json,
    submission,
    submit_event,
)


def create(creds: Credentials, state: str = 'WA', **overrides: Any) -> dict[str, Any]:
    response = submit_handler(submit_event(creds, submission(routing={'patientState': state}, **overrides)), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    return response_json(response)


def hook(name: str, body: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    event = load_event(f'{name}_webhook')
    event['body'] = json.dumps(body)
    if secret is not None:
        event['headers']['x-webhook-secret'] = secret
    handler = boothwyn_hook if name == 'boothwyn' else strive_hook
    return handler(event, LambdaContext())


def record(creds: Credentials, submission_id: str) -> dict[str, Any]:
    result: dict[str, Any] = response_json(get_handler(get_event(creds, submission_id), LambdaContext()))
    return result


def test_submit_queues_the_initial_callback_in_the_spec_shape(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    [job] = queued_jobs()
    assert job['payload'] == {
        'submissionId': created['submissionId'],
        'sourceOrderId': 'ord_abc123',
        'pharmacy': 'boothwyn',
        'status': 'submitted',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'error': None,
    }
    assert job['callbackUrl'] == submission()['callbackUrl']
    assert job['apiKey'] == creds.api_key


def test_failed_submission_queues_a_failure_callback(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.fail_with = 500
    response = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    [job] = queued_jobs()
    assert job['payload']['status'] == 'failed'
    assert job['payload']['error'] == response_json(response)['error']


def test_replayed_duplicate_queues_no_second_callback(creds: Credentials, pharmacies: FakePharmacies) -> None:
    create(creds)
    create(creds)
    assert len(queued_jobs()) == 1


def test_a_replay_answers_what_the_first_request_answered_after_the_order_moved_on(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    first = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    created = response_json(first)
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'trackingNumber': '794644790132', 'rxStatus': 'shipped'})
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'delivered'})
    assert record(creds, created['submissionId'])['status'] == 'delivered'
    again = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    assert (again['statusCode'], response_json(again)) == (201, created)
    assert created['status'] == 'submitted'
    assert again['headers']['idempotent-replayed'] == 'true'
    assert len(pharmacies.orders()) == 1


def test_a_replay_of_a_failed_submit_answers_the_failure_again(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.fail_with = 500
    first = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    pharmacies.fail_with = None
    again = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    assert (again['statusCode'], response_json(again)) == (502, response_json(first))
    assert response_json(again)['status'] == 'failed'


def test_boothwyn_ship_then_deliver(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    queued_jobs()
    body = {'caseId': created['pharmacyOrderId'], 'trackingNumber': '794644790132', 'rxStatus': 'shipped'}
    response = hook('boothwyn', body)
    assert response['statusCode'] == 200
    assert response_json(response) == {'ok': True}
    [job] = queued_jobs()
    assert job['payload'] == {
        'submissionId': created['submissionId'],
        'sourceOrderId': 'ord_abc123',
        'pharmacy': 'boothwyn',
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '794644790132',
        'carrier': 'FedEx',
    }
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'delivered'})
    [delivered] = queued_jobs()
    assert delivered['payload']['status'] == 'delivered'
    assert delivered['eventId'] != job['eventId']
    view = record(creds, created['submissionId'])
    assert (view['status'], view['trackingNumber'], view['carrier']) == ('delivered', '794644790132', 'FedEx')
    assert [(h['source'], h['from'], h['to']) for h in view['history']] == [
        ('router', 'pending', 'submitted'),
        ('webhook:boothwyn', 'submitted', 'shipped'),
        ('webhook:boothwyn', 'shipped', 'delivered'),
    ]


def test_repeated_and_late_webhooks_never_move_back_or_call_back_twice(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    queued_jobs()
    order = created['pharmacyOrderId']
    hook('boothwyn', {'caseId': order, 'rxStatus': 'shipped'})
    hook('boothwyn', {'caseId': order, 'rxStatus': 'shipped'})  # repeat
    hook('boothwyn', {'caseId': order, 'rxStatus': 'processing'})  # late
    hook('boothwyn', {'caseId': order, 'rxStatus': 'processing', 'trackingNumber': '794644790132'})  # late, adds tracking
    jobs = queued_jobs()
    assert [j['payload']['status'] for j in jobs] == ['shipped']
    view = record(creds, created['submissionId'])
    assert view['status'] == 'shipped'
    assert view['trackingNumber'] == '794644790132'
    assert [h['to'] for h in view['history']] == ['submitted', 'shipped', 'shipped']
    assert view['history'][-1]['trackingNumber'] == '794644790132'


def test_a_repeat_after_the_order_moved_on_returns_the_first_result(creds: Credentials, pharmacies: FakePharmacies) -> None:
    """README "Retries and duplicates": the first result again, same status code and body, however far the order
    has gone since (found by tests/integration/test_submission_state_machine.py)."""
    body = submission(routing={'patientState': 'WA'})
    first = submit_handler(submit_event(creds, body), LambdaContext())
    hook('boothwyn', {'caseId': response_json(first)['pharmacyOrderId'], 'rxStatus': 'shipped'})
    again = submit_handler(submit_event(creds, body), LambdaContext())
    assert (again['statusCode'], response_json(again)) == (201, response_json(first))
    assert response_json(first)['status'] == 'submitted'
    assert again['headers']['idempotent-replayed'] == 'true'
    assert record(creds, response_json(first)['submissionId'])['status'] == 'shipped'


def test_terminal_status_is_final(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'cancelled'})
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'})
    assert record(creds, created['submissionId'])['status'] == 'cancelled'


def test_gmp_orders_update_through_the_boothwyn_webhook(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, state='NY')
    assert created['pharmacy'] == 'gmp'
    assert hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'})['statusCode'] == 200
    assert record(creds, created['submissionId'])['status'] == 'shipped'


def test_strive_in_transit_is_shipped_and_both_rotation_secrets_work(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, state='TX')
    body = {
        'tracking_id': created['pharmacyOrderId'],
        'trackingnumber': '1Z999AA10123456784',
        'rxstatus': 'in-transit',
        'shippingcarrier': 'UPS',
    }
    assert hook('strive', body, secret='strive-hook-old')['statusCode'] == 200
    assert hook('strive', {**body, 'rxstatus': 'delivered'}, secret='strive-hook-new')['statusCode'] == 200
    view = record(creds, created['submissionId'])
    assert (view['status'], view['carrier']) == ('delivered', 'UPS')


@pytest.mark.parametrize('secret', ['wrong', '', 'strive-hook-new'])
def test_wrong_secret_is_401_and_changes_nothing(creds: Credentials, pharmacies: FakePharmacies, secret: str) -> None:
    created = create(creds)
    response = hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'}, secret=secret)
    assert response['statusCode'] == 401
    assert response_json(response) == {'error': 'Invalid webhook secret'}
    assert record(creds, created['submissionId'])['status'] == 'submitted'


def test_missing_secret_header_is_401(creds: Credentials, pharmacies: FakePharmacies) -> None:
    event = load_event('boothwyn_webhook')
    del event['headers']['x-webhook-secret']
    assert boothwyn_hook(event, LambdaContext())['statusCode'] == 401


def test_webhook_without_configured_secret_refuses_everything(creds: Credentials, pharmacies: FakePharmacies) -> None:
    boto3.client('secretsmanager').put_secret_value(
        SecretId=os.environ['WEBHOOK_SECRETS_SECRET'], SecretString=json.dumps({'strive': ['s']})
    )
    created = create(creds)
    for secret in ('', 'boothwyn-hook-secret', 'anything'):
        response = hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'}, secret=secret)
        assert response['statusCode'] == 401
    assert record(creds, created['submissionId'])['status'] == 'submitted'


@pytest.mark.parametrize(
    ('body', 'status'),
    [
        ({'caseId': 'no-such-case', 'rxStatus': 'shipped'}, 404),
        ({'caseId': 'x', 'rxStatus': 'teleported'}, 400),
        ({'rxStatus': 'shipped'}, 400),
        ('not json', 400),
    ],
)
def test_bad_webhooks_are_clear_4xx(creds: Credentials, pharmacies: FakePharmacies, body: Any, status: int) -> None:
    event = load_event('boothwyn_webhook')
    event['body'] = body if isinstance(body, str) else json.dumps(body)
    response = boothwyn_hook(event, LambdaContext())
    assert response['statusCode'] == status
    assert response_json(response)['error']


def test_strive_order_id_does_not_match_boothwyn_orders(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, state='TX')
    assert hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'})['statusCode'] == 404


def test_webhook_logs_carry_no_patient_data(creds: Credentials, pharmacies: FakePharmacies, logs: Any) -> None:
    created = create(creds)
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped', 'trackingNumber': '1'})
    hook('boothwyn', {'caseId': 'unknown', 'rxStatus': 'shipped'})
    logged = logs.getvalue()
    assert '"webhook applied"' in logged
    assert not any(value in logged for value in PATIENT_VALUES)


def test_submit_refuses_unsafe_callback_urls(creds: Credentials, pharmacies: FakePharmacies, dns: dict) -> None:
    dns['internal.example.com'] = ['10.0.0.8']
    for url in (
        'https://internal.example.com/cb',
        'http://api.example.com/cb',
        'https://169.254.169.254/latest',
        'https://[::ffff:127.0.0.1]/',
    ):
        response = submit_handler(submit_event(creds, submission(callbackUrl=url)), LambdaContext())
        assert response['statusCode'] == 400, url
        assert list(response_json(response)['details']['fieldErrors']) == ['callbackUrl']
    assert pharmacies.calls == []
