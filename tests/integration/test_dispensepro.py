"""DispensePro against its sandbox (tests/fake_pharmacies.py): the type's submit, status, refill and void, the
submit use case routed to it, and its webhook (secrets, forward-only, callbacks) on moto."""

import json
import os
from typing import Any

import boto3
import pytest

from functions.dispensepro_webhook.app import lambda_handler as dispensepro_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.dispensepro import DispensePro
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.store import secrets
from rx_router.validation.prescription import parse_submission
from rxlocal.sandboxes.base import Reply
from rxlocal.sandboxes.dispensepro import DispenseProOrder, DispenseProSandbox
from tests.dispensepro_support import BASE_URL, CREDENTIALS, INSTANCE, SANDBOX_URL, bind, configure, drug
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

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-0000000000d1'
ORDERS = f'{BASE_URL}/api/v1/orders'


@pytest.fixture(autouse=True)
def sandbox(pharmacies: FakePharmacies) -> DispenseProSandbox:
    return configure(pharmacies)


def pharmacy(pharmacies: FakePharmacies, **credentials: str) -> DispensePro:
    return bind(pharmacies.transport(), {**CREDENTIALS, **credentials})


def placed(pharmacies: FakePharmacies, test: bool = False, refills: int = 0, note: str | None = None) -> tuple[DispensePro, str]:
    medication = {**submission()['medication'], 'refills': refills}
    if note:
        medication['note'] = note
    bound = pharmacy(pharmacies)
    native = bound.translate(SUBMISSION_ID, parse_submission(submission(medication=medication)), drug('semaglutide'))
    return bound, bound.send(native, test=test).order_id


def act(sandbox: DispenseProSandbox, order_id: str, action: str, **options: str) -> DispenseProOrder:
    """The pharmacy moving the order along its status machine (what its admin actions do, without the webhook)."""
    order = sandbox.orders[order_id]
    assert isinstance(order, DispenseProOrder)
    order.status = sandbox.action_status(order, action, dict(options))
    if options.get('trackingNumber'):
        order.tracking_number = options['trackingNumber']
    return order


# --- the type against its sandbox ------------------------------------------------------------------------


def test_send_places_an_order_and_a_repeat_gets_the_same_one(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies)
    assert order_id.startswith('DP-')
    again = bound.send(bound.translate(SUBMISSION_ID, parse_submission(submission()), drug('semaglutide')), test=False)
    assert again.order_id == order_id  # idempotent on externalId: no second fill
    assert again.raw['status'] == 'authorized'
    assert list(sandbox.orders) == [order_id]
    first, second = pharmacies.calls
    assert (first.method, first.url, first.body['externalId']) == ('POST', ORDERS, SUBMISSION_ID)
    assert (first.headers['authorization'], first.headers['x-site-id']) == ('Bearer dispensepro-api-key', '12345')
    assert second.body == first.body


def test_test_mode_uses_the_sandbox_url_and_its_own_orders(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies, test=True)
    assert pharmacies.calls[0].url == f'{SANDBOX_URL}/api/v1/orders'
    assert sandbox.orders[order_id].test is True
    assert bound.status(order_id, test=True).raw_status == 'authorized'
    with pytest.raises(PharmacyFailed) as err:
        bound.status(order_id, test=False)  # production has no such order
    assert err.value.http_status == 404


def test_refused_credentials(pharmacies: FakePharmacies) -> None:
    for wrong in ({'api_key': 'nope'}, {'site_id': '54321'}):
        bound = pharmacy(pharmacies, **wrong)
        with pytest.raises(PharmacyFailed) as err:
            bound.send(bound.translate(SUBMISSION_ID, parse_submission(submission()), drug('semaglutide')), test=False)
        assert (err.value.http_status, err.value.message) == (401, 'DispensePro API error 401: Unauthorized')


def test_status_reports_the_raw_and_mapped_status_and_tracking(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies)
    assert bound.status(order_id, test=False) == PharmacyReport(order_id, 'authorized', Status.SUBMITTED)
    act(sandbox, order_id, 'process', status='submitted')
    assert bound.status(order_id, test=False) == PharmacyReport(order_id, 'submitted', Status.SUBMITTED)
    act(sandbox, order_id, 'process')
    assert bound.status(order_id, test=False) == PharmacyReport(order_id, 'filled', Status.PROCESSING)
    act(sandbox, order_id, 'ship', trackingNumber='9400111899223856123456', carrier='UPS')
    assert bound.status(order_id, test=False) == PharmacyReport(
        order_id, 'shipped', Status.SHIPPED, tracking_number='9400111899223856123456', carrier='UPS'
    )
    act(sandbox, order_id, 'deliver')
    assert bound.status(order_id, test=False).status is Status.DELIVERED
    assert pharmacies.calls[-1].method == 'GET'
    assert pharmacies.calls[-1].url == f'{ORDERS}/{order_id}'


def test_status_of_an_unknown_order_is_a_404_failure(pharmacies: FakePharmacies) -> None:
    with pytest.raises(PharmacyFailed) as err:
        pharmacy(pharmacies).status('DP-0000000000', test=False)
    assert (err.value.http_status, err.value.message) == (404, 'DispensePro API error 404: Not Found')


def test_void_before_filled(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies)
    assert bound.cancel(order_id, test=False) == PharmacyReport(order_id, 'voided', Status.VOIDED)
    assert sandbox.orders[order_id].status == 'voided'
    assert (pharmacies.calls[-1].url, pharmacies.calls[-1].body) == (
        f'{ORDERS}/{order_id}/void',
        {'reason': 'cancelled by the prescribing clinic'},
    )
    assert bound.cancel(order_id, test=False).status is Status.VOIDED  # voiding again answers where it is


@pytest.mark.parametrize(
    ('actions', 'raw', 'status'), [(['process'], 'filled', Status.PROCESSING), (['ship'], 'shipped', Status.SHIPPED)]
)
def test_void_too_late_reports_where_the_order_is(
    pharmacies: FakePharmacies, sandbox: DispenseProSandbox, actions: list[str], raw: str, status: Status
) -> None:
    bound, order_id = placed(pharmacies)
    for action in actions:
        act(sandbox, order_id, action)
    report = bound.cancel(order_id, test=False)
    assert (report.order_id, report.raw_status, report.status) == (order_id, raw, status)
    assert sandbox.orders[order_id].status == raw  # not voided
    assert status not in DispensePro.cancellable_from  # the router would not have asked


def test_refill_creates_a_new_fill_while_refills_are_left(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies, refills=1)
    act(sandbox, order_id, 'process')
    refill = bound.refill(order_id, refill_id='refill-1', test=False)
    assert refill.order_id != order_id and refill.order_id.startswith('DP-')
    assert (refill.raw['refillOf'], refill.raw['status'], refill.raw['refillsRemaining']) == (order_id, 'authorized', 0)
    assert pharmacies.calls[-1].url == f'{ORDERS}/{order_id}/refill'
    original, fill = sandbox.orders[order_id], sandbox.orders[refill.order_id]
    assert isinstance(original, DispenseProOrder) and isinstance(fill, DispenseProOrder)
    assert fill.prescription_id == original.prescription_id
    assert bound.status(refill.order_id, test=False).status is Status.SUBMITTED
    # the same refill asked again (a retry after a timeout) is the same fill
    assert bound.refill(order_id, refill_id='refill-1', test=False).order_id == refill.order_id
    assert pharmacies.calls[-1].body == {'externalId': 'refill-1'}
    # none left at the pharmacy: refused, and no new order
    with pytest.raises(PharmacyFailed) as err:
        bound.refill(order_id, refill_id='refill-2', test=False)
    assert err.value.http_status == 409
    assert err.value.message == 'DispensePro refused the refill: the prescription has no refills left at the pharmacy'
    assert len(sandbox.orders) == 2
    # the original order repeated (a retried submit) is still the original, not the refill
    repeated = bound.translate(SUBMISSION_ID, parse_submission(submission()), drug('semaglutide'))
    assert bound.send(repeated, test=False).order_id == order_id


def test_refill_of_an_order_not_filled_is_refused(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies, refills=3)
    for _ in range(2):
        with pytest.raises(PharmacyFailed) as err:
            bound.refill(order_id, refill_id='refill-1', test=False)
        assert err.value.http_status == 409
        assert err.value.message == ('DispensePro refused the refill: the order has not been filled, or was voided or failed')
        bound.cancel(order_id, test=False)
    assert len(sandbox.orders) == 1


def test_refills_none_authorised(pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    bound, order_id = placed(pharmacies, refills=0)
    act(sandbox, order_id, 'process')
    with pytest.raises(PharmacyFailed) as err:
        bound.refill(order_id, refill_id='refill-1', test=False)
    assert 'no refills left' in err.value.message


def test_sandbox_refuses_a_void_by_the_pharmacy_after_filling_and_backward_moves(
    pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    _, order_id = placed(pharmacies)
    act(sandbox, order_id, 'ship')
    for action in ('cancel', 'process'):
        with pytest.raises(Reply) as err:
            act(sandbox, order_id, action)
        assert err.value.status == 409
    assert sandbox.orders[order_id].status == 'shipped'


# --- submit, routed to DispensePro -------------------------------------------------------------------------


def routed(**medication: Any) -> dict[str, Any]:
    return submission(
        routing={'preferredPharmacy': INSTANCE.id, 'patientState': 'WA'}, medication={**submission()['medication'], **medication}
    )


def submit(creds: Credentials, body: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = submit_handler(submit_event(creds, body), LambdaContext())
    return response


def record(creds: Credentials, submission_id: str) -> dict[str, Any]:
    result: dict[str, Any] = response_json(get_handler(get_event(creds, submission_id), LambdaContext()))
    return result


def test_submit_routed_to_dispensepro(creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox) -> None:
    response = submit(creds, routed())
    assert response['statusCode'] == 201, response['body']
    created = response_json(response)
    assert created['pharmacy'] == 'dispensepro'
    assert sandbox.orders[created['pharmacyOrderId']].sender_id == created['submissionId']
    [call] = pharmacies.calls
    assert (call.url, call.body['lines'][0]['ndc']) == (ORDERS, '99999-0250-01')
    view = record(creds, created['submissionId'])
    decision = view['routingDecision']
    assert (view['status'], view['test']) == ('submitted', False)
    assert (decision['pharmacyType'], decision['rule'], decision['nativeDrugId']) == (
        'dispensepro',
        'preferred_pharmacy',
        '99999-0250-01',
    )


def test_test_submission_goes_to_the_sandbox_url_and_is_recorded(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: DispenseProSandbox
) -> None:
    created = response_json(submit(creds, {**routed(), 'test': True}))
    assert pharmacies.calls[0].url == f'{SANDBOX_URL}/api/v1/orders'
    assert sandbox.orders[created['pharmacyOrderId']].test is True
    assert record(creds, created['submissionId'])['test'] is True


@pytest.mark.parametrize(
    ('note', 'error'),
    [
        ('sandbox:fail-500', 'DispensePro API error 500: Internal Server Error'),
        ('sandbox:reject', 'DispensePro API error 422: Unprocessable Entity'),
        ('sandbox:timeout', 'DispensePro API timeout: the pharmacy may have received the order'),
    ],
)
def test_sandbox_triggers(creds: Credentials, sandbox: DispenseProSandbox, note: str, error: str, logs: Any) -> None:
    sandbox.config.timeout_seconds = 0.01
    response = submit(creds, routed(note=note))
    assert response['statusCode'] == 502
    assert response_json(response)['error'].startswith(error)
    assert sandbox.orders == {}
    assert not any(value in response['body'] + logs.getvalue() for value in PATIENT_VALUES)


def test_a_medication_without_an_ndc_cannot_go_to_dispensepro(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, routed(name='Sermorelin 9mg'))
    assert response['statusCode'] == 422
    assert 'dispensepro' in response_json(response)['error']
    assert pharmacies.calls == []


# --- its webhook -------------------------------------------------------------------------------------------


def create(creds: Credentials) -> dict[str, Any]:
    response = submit(creds, routed())
    assert response['statusCode'] == 201, response['body']
    queued_jobs()  # the initial callback
    created: dict[str, Any] = response_json(response)
    return created


def hook(body: Any, secret: str | None = 'dispensepro-hook-new') -> dict[str, Any]:
    event = load_event('dispensepro_webhook')
    event['body'] = body if isinstance(body, str) else json.dumps(body)
    if secret is None:
        del event['headers']['x-webhook-secret']
    else:
        event['headers']['x-webhook-secret'] = secret
    response: dict[str, Any] = dispensepro_hook(event, LambdaContext())
    return response


def test_shipped_webhook_moves_the_submission_and_queues_the_callback(creds: Credentials) -> None:
    created = create(creds)
    body = {
        'orderId': created['pharmacyOrderId'],
        'externalId': created['submissionId'],
        'status': 'shipped',
        'trackingNumber': '9400111899223856123456',
        'carrier': 'USPS',
        'occurredAt': '2026-03-19T14:30:00Z',
    }
    response = hook(body)
    assert (response['statusCode'], response_json(response)) == (200, {'ok': True})
    [job] = queued_jobs()
    assert job['payload'] == {
        'submissionId': created['submissionId'],
        'sourceOrderId': 'ord_abc123',
        'pharmacy': 'dispensepro',
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '9400111899223856123456',
        'carrier': 'USPS',
    }
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus'], view['trackingNumber']) == ('shipped', 'shipped', '9400111899223856123456')


@pytest.mark.parametrize('secret', ['dispensepro-hook-old', 'dispensepro-hook-new'])
def test_both_rotation_secrets_are_accepted(creds: Credentials, secret: str) -> None:
    created = create(creds)
    assert hook({'orderId': created['pharmacyOrderId'], 'status': 'filled'}, secret=secret)['statusCode'] == 200
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus']) == ('processing', 'filled')


@pytest.mark.parametrize('secret', [None, '', 'wrong', 'strive-hook-new', 'boothwyn-hook-secret', 'dispensepro-hook-new '])
def test_missing_or_wrong_secret_is_401_and_changes_nothing(creds: Credentials, secret: str | None) -> None:
    created = create(creds)
    response = hook({'orderId': created['pharmacyOrderId'], 'status': 'shipped'}, secret=secret)
    assert (response['statusCode'], response_json(response)) == (401, {'error': 'Invalid webhook secret'})
    assert record(creds, created['submissionId'])['status'] == 'submitted'
    assert queued_jobs() == []


def test_no_secret_configured_refuses_everything(creds: Credentials) -> None:
    created = create(creds)
    document = json.loads(secrets.stored_document(os.environ['WEBHOOK_SECRETS_SECRET']))
    del document['dispensepro']
    boto3.client('secretsmanager').put_secret_value(
        SecretId=os.environ['WEBHOOK_SECRETS_SECRET'], SecretString=json.dumps(document)
    )
    TtlCache.clear_all()
    for secret in (None, '', 'dispensepro-hook-new', 'strive-hook-new'):
        assert hook({'orderId': created['pharmacyOrderId'], 'status': 'shipped'}, secret=secret)['statusCode'] == 401
    assert record(creds, created['submissionId'])['status'] == 'submitted'


def test_statuses_only_move_forward_and_call_back_once(creds: Credentials) -> None:
    created = create(creds)
    order = created['pharmacyOrderId']
    for status in ('authorized', 'submitted', 'filled', 'shipped', 'shipped', 'filled', 'authorized', 'submitted'):
        assert hook({'orderId': order, 'status': status})['statusCode'] == 200
    assert [j['payload']['status'] for j in queued_jobs()] == ['processing', 'shipped']
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus']) == ('shipped', 'shipped')
    assert [(h['from'], h['to']) for h in view['history']] == [
        ('pending', 'submitted'),
        ('submitted', 'processing'),
        ('processing', 'shipped'),
    ]
    hook({'orderId': order, 'status': 'delivered'})
    hook({'orderId': order, 'status': 'failed'})
    assert [j['payload']['status'] for j in queued_jobs()] == ['delivered']
    assert record(creds, created['submissionId'])['status'] == 'delivered'


def test_a_repeat_of_an_order_that_failed_at_the_pharmacy_later_still_returns_the_first_result(creds: Credentials) -> None:
    """The pharmacy accepted it (201); its later `failed` is an update with its callback, not the submit's answer:
    a repeat is not turned into a 502 without an error."""
    created = create(creds)
    assert hook({'orderId': created['pharmacyOrderId'], 'status': 'failed'})['statusCode'] == 200
    again = submit(creds, routed())
    assert (again['statusCode'], response_json(again)) == (201, created)
    assert record(creds, created['submissionId'])['status'] == 'failed'


def test_void_webhook_is_terminal(creds: Credentials) -> None:
    created = create(creds)
    hook({'orderId': created['pharmacyOrderId'], 'status': 'voided'})
    hook({'orderId': created['pharmacyOrderId'], 'status': 'shipped'})
    assert [j['payload']['status'] for j in queued_jobs()] == ['voided']
    assert record(creds, created['submissionId'])['status'] == 'voided'


def test_unknown_status_is_accepted_kept_on_the_timeline_and_changes_nothing(creds: Credentials) -> None:
    created = create(creds)
    response = hook({'orderId': created['pharmacyOrderId'], 'status': 'Quality-Check', 'trackingNumber': 'T1'})
    assert response['statusCode'] == 200
    assert queued_jobs() == []
    view = record(creds, created['submissionId'])
    assert (view['status'], view['trackingNumber']) == ('submitted', 'T1')
    timeline = get_event(creds, created['submissionId'])
    timeline['rawPath'] += '/timeline'
    events = response_json(timeline_handler(timeline, LambdaContext()))['events']
    [accepted] = [e for e in events if e['kind'] == 'webhook_accepted']
    assert (accepted['pharmacyStatus'], accepted['outcome']) == ('Quality-Check', 'unknown status: tracking added')


@pytest.mark.parametrize(
    ('body', 'status'),
    [
        ({'orderId': 'DP-0000000000', 'status': 'shipped'}, 404),
        ({'status': 'shipped'}, 400),
        ({'orderId': 'DP-1'}, 400),
        ('not json', 400),
    ],
)
def test_bad_webhooks_are_clear_4xx(creds: Credentials, body: Any, status: int) -> None:
    response = hook(body)
    assert response['statusCode'] == status
    assert response_json(response)['error']


def test_other_types_order_ids_are_not_found_here(creds: Credentials) -> None:
    other = submit(creds, submission(routing={'patientState': 'WA'}))  # Boothwyn
    assert hook({'orderId': response_json(other)['pharmacyOrderId'], 'status': 'shipped'})['statusCode'] == 404


def test_webhook_logs_carry_no_patient_data(creds: Credentials, logs: Any) -> None:
    created = create(creds)
    hook({'orderId': created['pharmacyOrderId'], 'status': 'shipped', 'trackingNumber': '1'})
    hook({'orderId': 'unknown', 'status': 'shipped'})
    hook({'orderId': created['pharmacyOrderId'], 'status': 'shipped'}, secret='wrong')
    logged = logs.getvalue()
    assert '"webhook applied"' in logged
    assert not any(value in logged for value in PATIENT_VALUES)
