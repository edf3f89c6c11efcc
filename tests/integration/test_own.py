"""OWN against its sandbox (tests/fake_pharmacies.py): the signed order through the submit use case, and the
per-instance webhook on moto: unknown and other-type ids, no secret, signatures, replayed webhook-ids, forward-only
statuses, cancellation, refusals on the timeline."""

import json
from typing import Any

import pytest

from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.own_webhook.app import lambda_handler as own_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router.pharmacy_types.own import signature_headers, verify_signature
from rxlocal.sandboxes.own import OwnSandbox
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.test_hostile_bodies import HOSTILE
from tests.own_support import CREDENTIALS, INSTANCE, NEW_SECRET, OLD_SECRET, ORDER_URL, configure
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


@pytest.fixture(autouse=True)
def sandbox(pharmacies: FakePharmacies) -> OwnSandbox:
    return configure(pharmacies)


def routed(pharmacy: str = INSTANCE.id, **medication: Any) -> dict[str, Any]:
    return submission(
        sourceOrderId=f'ord_{pharmacy}',
        routing={'preferredPharmacy': pharmacy, 'patientState': 'WA'},
        medication={**submission()['medication'], **medication},
    )


def submit(creds: Credentials, body: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = submit_handler(submit_event(creds, body), LambdaContext())
    return response


def record(creds: Credentials, submission_id: str) -> dict[str, Any]:
    result: dict[str, Any] = response_json(get_handler(get_event(creds, submission_id), LambdaContext()))
    return result


def timeline(creds: Credentials, submission_id: str) -> list[dict[str, Any]]:
    event = get_event(creds, submission_id)
    event['rawPath'] += '/timeline'
    events: list[dict[str, Any]] = response_json(timeline_handler(event, LambdaContext()))['events']
    return events


def create(creds: Credentials, pharmacy: str = INSTANCE.id) -> dict[str, Any]:
    response = submit(creds, routed(pharmacy))
    assert response['statusCode'] == 201, response['body']
    queued_jobs()  # the initial callback
    created: dict[str, Any] = response_json(response)
    return created


def event_body(order_id: str, event: str = 'order.shipped', **extra: Any) -> dict[str, Any]:
    body = {
        'type': event,
        'pharmacyOrderId': order_id,
        'occurredAt': '2026-03-19T14:30:00Z',
        'tracking': {'carrier': 'UPS', 'number': '1Z999AA10123456784', 'url': 'https://track.example/1Z999AA10123456784'},
    }
    return {**body, **extra}


def hook(
    body: Any,
    *,
    pharmacy: str = INSTANCE.id,
    secret: str | None = NEW_SECRET,
    message_id: str = 'msg_1',
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = load_event('own_webhook')
    raw = body if isinstance(body, str) else json.dumps(body)
    event['body'] = raw
    event['pathParameters'] = {'pharmacyId': pharmacy}
    for name in ('webhook-id', 'webhook-timestamp', 'webhook-signature'):
        del event['headers'][name]
    if secret is not None:
        event['headers'].update(signature_headers(secret, message_id, raw.encode()))
    event['headers'].update(headers or {})
    response: dict[str, Any] = own_hook(event, LambdaContext())
    return response


# --- the order ---------------------------------------------------------------------------------------------


def test_submit_routed_to_an_own_pharmacy_sends_a_signed_order(
    creds: Credentials, pharmacies: FakePharmacies, sandbox: OwnSandbox
) -> None:
    response = submit(creds, routed())
    assert response['statusCode'] == 201, response['body']
    created = response_json(response)
    assert created['pharmacy'] == INSTANCE.id
    assert sandbox.orders[created['pharmacyOrderId']].sender_id == created['submissionId']
    [call] = pharmacies.calls
    assert (call.url, call.body['submissionId'], call.body['medication']['pharmacyProductId']) == (
        ORDER_URL,
        created['submissionId'],
        'OWN-SEMA-025',
    )
    # The sandbox verified the signature (it answers 401 otherwise); so does the secret the pharmacy holds.
    [received] = sandbox.orders_received
    assert received['webhook-id'] == created['submissionId']
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyOrderId'], view['routingDecision']['pharmacyType']) == (
        'submitted',
        created['pharmacyOrderId'],
        'own',
    )


def test_the_sandbox_refuses_an_order_signed_with_another_secret(pharmacies: FakePharmacies, sandbox: OwnSandbox) -> None:
    body = b'{"submissionId":"x"}'
    status, answer = sandbox.handle('POST', '/', '', signature_headers(NEW_SECRET, 'x', body), body)
    assert (status, answer['error']['code']) == (401, 'invalid_signature')
    headers = signature_headers(CREDENTIALS['signing_secret'], 'x', body)
    assert verify_signature([CREDENTIALS['signing_secret']], headers, body).valid
    assert sandbox.handle('POST', '/', '', headers, body)[0] == 422  # signed: then validated


@pytest.mark.parametrize(
    ('note', 'error'),
    [
        ('sandbox:fail-500', 'Clinic pharmacy API error 500: Internal Server Error'),
        ('sandbox:reject', 'Clinic pharmacy API error 422: Unprocessable Entity'),
    ],
)
def test_sandbox_triggers(creds: Credentials, sandbox: OwnSandbox, note: str, error: str, logs: Any) -> None:
    response = submit(creds, routed(note=note))
    assert response['statusCode'] == 502
    assert response_json(response)['error'].startswith(error)
    assert sandbox.orders == {}
    assert not any(value in response['body'] + logs.getvalue() for value in PATIENT_VALUES)


# --- the webhook: who may post -------------------------------------------------------------------------------


def test_shipped_event_moves_the_submission_and_queues_one_callback(creds: Credentials) -> None:
    created = create(creds)
    response = hook(event_body(created['pharmacyOrderId']))
    assert (response['statusCode'], response_json(response)) == (200, {'ok': True})
    [job] = queued_jobs()
    assert (job['payload']['status'], job['payload']['trackingNumber'], job['payload']['carrier']) == (
        'shipped',
        '1Z999AA10123456784',
        'UPS',
    )
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus']) == ('shipped', 'order.shipped')
    [accepted] = [e for e in timeline(creds, created['submissionId']) if e['kind'] == 'webhook_accepted']
    assert (accepted['source'], accepted['outcome'], accepted['trackingUrl']) == (
        'webhook:pharmacy',
        'moved',
        'https://track.example/1Z999AA10123456784',
    )


@pytest.mark.parametrize('secret', [OLD_SECRET, NEW_SECRET])
def test_both_rotation_secrets_are_accepted(creds: Credentials, secret: str) -> None:
    created = create(creds)
    assert hook(event_body(created['pharmacyOrderId']), secret=secret)['statusCode'] == 200
    assert record(creds, created['submissionId'])['status'] == 'shipped'


def test_unknown_pharmacy_id_is_404(creds: Credentials) -> None:
    created = create(creds)
    response = hook(event_body(created['pharmacyOrderId']), pharmacy='own-nobody')
    assert response['statusCode'] == 404
    assert 'No pharmacy with this id' in response_json(response)['error']
    assert record(creds, created['submissionId'])['status'] == 'submitted'


def test_an_instance_of_another_type_is_404(creds: Credentials) -> None:
    created = create(creds)
    for other in ('boothwyn', 'strive'):  # configured instances, with webhook secrets, of other types
        assert hook(event_body(created['pharmacyOrderId']), pharmacy=other)['statusCode'] == 404
    assert record(creds, created['submissionId'])['status'] == 'submitted'


def test_an_instance_without_a_secret_refuses_everything(creds: Credentials, pharmacies: FakePharmacies) -> None:
    bare = INSTANCE.model_copy(update={'id': 'own-bare', 'credentials_key': 'own-bare', 'webhook_secret_key': None})
    configure(pharmacies, bare)
    keyed_but_empty = INSTANCE.model_copy(
        update={'id': 'own-empty', 'credentials_key': 'own-empty', 'webhook_secret_key': 'own-empty'}
    )
    configure(pharmacies, keyed_but_empty, secrets=[])
    for instance in (bare, keyed_but_empty):
        created = create(creds, instance.id)
        for secret in (None, NEW_SECRET, OLD_SECRET):
            response = hook(event_body(created['pharmacyOrderId']), pharmacy=instance.id, secret=secret)
            assert (response['statusCode'], response_json(response)) == (401, {'error': 'Invalid webhook signature'})
        assert record(creds, created['submissionId'])['status'] == 'submitted'
        refused = [e for e in timeline(creds, created['submissionId']) if e['kind'] == 'webhook_refused']
        assert {e['reason'] for e in refused} == {'no webhook secret configured'}
    assert queued_jobs() == []


@pytest.mark.parametrize(
    ('secret', 'headers', 'reason'),
    [
        (None, {}, 'missing or malformed webhook-id'),
        ('whsec_c2lnbmVkLXdpdGgtYW5vdGhlci1zZWNyZXQtMDE=', {}, 'invalid signature'),
        (NEW_SECRET, {'webhook-timestamp': '1614265330'}, 'webhook-timestamp outside 5 minutes'),
        (NEW_SECRET, {'webhook-signature': 'v1,bm90IGl0'}, 'invalid signature'),
        (NEW_SECRET, {'webhook-id': 'msg_2'}, 'invalid signature'),
        (NEW_SECRET, {'x-webhook-secret': NEW_SECRET, 'webhook-signature': ''}, 'missing or malformed webhook headers'),
    ],
)
def test_bad_signatures_are_401_and_recorded(
    creds: Credentials, secret: str | None, headers: dict[str, str], reason: str
) -> None:
    created = create(creds)
    response = hook(event_body(created['pharmacyOrderId']), secret=secret, headers=headers)
    assert (response['statusCode'], response_json(response)) == (401, {'error': 'Invalid webhook signature'})
    assert record(creds, created['submissionId'])['status'] == 'submitted'
    [refused] = [e for e in timeline(creds, created['submissionId']) if e['kind'] == 'webhook_refused']
    assert (refused['reason'], refused['httpStatus']) == (reason, 401)
    assert queued_jobs() == []


def test_static_header_instances(creds: Credentials, pharmacies: FakePharmacies) -> None:
    legacy = INSTANCE.model_copy(
        update={
            'id': 'own-legacy',
            'credentials_key': 'own-legacy',
            'webhook_secret_key': 'own-legacy',
            'settings': {
                'order_url': 'https://legacy.pharmacy.test/orders',
                'webhook_auth': 'static_header',
                'static_header': 'x-clinic-secret',
            },
        }
    )
    configure(pharmacies, legacy, secrets=['legacy-secret-1'])
    created = create(creds, legacy.id)
    body = event_body(created['pharmacyOrderId'])
    assert hook(body, pharmacy=legacy.id, headers={'x-clinic-secret': 'legacy-secret-2'})['statusCode'] == 401
    assert hook(body, pharmacy=legacy.id, secret=None, headers={'x-clinic-secret': 'legacy-secret-2'})['statusCode'] == 401
    assert hook(body, pharmacy=legacy.id, secret=None, headers={'x-clinic-secret': 'legacy-secret-1'})['statusCode'] == 200
    assert record(creds, created['submissionId'])['status'] == 'shipped'
    # Without a webhook-id, an identical body is the same event again (as for the other types' webhooks).
    assert hook(body, pharmacy=legacy.id, secret=None, headers={'x-clinic-secret': 'legacy-secret-1'})['statusCode'] == 200
    assert [j['payload']['status'] for j in queued_jobs()] == ['shipped']


# --- the webhook: what it does -------------------------------------------------------------------------------


def test_a_replayed_webhook_id_is_acknowledged_without_a_second_effect(creds: Credentials) -> None:
    created = create(creds)
    order = created['pharmacyOrderId']
    assert hook(event_body(order), message_id='msg_ship')['statusCode'] == 200
    before = timeline(creds, created['submissionId'])
    # The same delivery again (fresh timestamp and signature, as a sender's retry has), and a different body under
    # the same id: each acknowledged, nothing applied, nothing recorded.
    assert hook(event_body(order), message_id='msg_ship')['statusCode'] == 200
    assert hook(event_body(order, 'order.delivered'), message_id='msg_ship')['statusCode'] == 200
    assert timeline(creds, created['submissionId']) == before
    assert [j['payload']['status'] for j in queued_jobs()] == ['shipped']
    assert [(h['from'], h['to']) for h in record(creds, created['submissionId'])['history']] == [
        ('pending', 'submitted'),
        ('submitted', 'shipped'),
    ]
    # A new id is a new event; an id that only shares a prefix with an applied one is another event.
    assert hook(event_body(order, 'order.delivered'), message_id='msg_ship2')['statusCode'] == 200
    assert [j['payload']['status'] for j in queued_jobs()] == ['delivered']


def test_a_replayed_event_that_changed_nothing_is_not_recorded_twice(creds: Credentials) -> None:
    created = create(creds)
    order = created['pharmacyOrderId']
    hook(event_body(order, 'order.delivered'), message_id='msg_a')
    hook(event_body(order, 'order.shipped'), message_id='msg_late')  # late: changes nothing, recorded once
    hook(event_body(order, 'order.shipped'), message_id='msg_late')
    accepted = [e for e in timeline(creds, created['submissionId']) if e['kind'] == 'webhook_accepted']
    assert [(e['pharmacyStatus'], e['outcome']) for e in accepted] == [
        ('order.delivered', 'moved'),
        ('order.shipped', 'no change'),
    ]


def test_events_only_move_forward_and_keep_the_raw_event(creds: Credentials) -> None:
    created = create(creds)
    order = created['pharmacyOrderId']
    sent = ['order.fulfilled', 'order.out_for_delivery', 'order.shipped', 'order.delivered', 'order.shipped', 'order.cancelled']
    for index, event in enumerate(sent):
        assert hook(event_body(order, event), message_id=f'msg_{index}')['statusCode'] == 200
    assert [j['payload']['status'] for j in queued_jobs()] == ['shipped', 'delivered']
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus']) == ('delivered', 'order.delivered')
    [shipped] = [e for e in timeline(creds, created['submissionId']) if e.get('pharmacyStatus') == 'order.out_for_delivery']
    assert shipped['outcome'] == 'no change'


def test_out_for_delivery_is_shipped_with_the_raw_event_kept(creds: Credentials) -> None:
    created = create(creds)
    hook(event_body(created['pharmacyOrderId'], 'order.out_for_delivery'))
    view = record(creds, created['submissionId'])
    assert (view['status'], view['pharmacyStatus']) == ('shipped', 'order.out_for_delivery')


def test_cancelled_is_terminal(creds: Credentials) -> None:
    created = create(creds)
    order = created['pharmacyOrderId']
    hook({k: v for k, v in event_body(order, 'order.cancelled').items() if k != 'tracking'}, message_id='msg_c')
    hook(event_body(order, 'order.shipped'), message_id='msg_s')
    assert [j['payload']['status'] for j in queued_jobs()] == ['cancelled']
    assert record(creds, created['submissionId'])['status'] == 'cancelled'


def test_the_submission_id_finds_the_order_too(creds: Credentials) -> None:
    created = create(creds)
    body = event_body('OWN-not-the-id', submissionId=created['submissionId'])
    assert hook(body)['statusCode'] == 404  # a different pharmacy order id is another order
    body = event_body(created['pharmacyOrderId'], submissionId=created['submissionId'])
    assert hook(body, message_id='msg_2')['statusCode'] == 200


@pytest.mark.parametrize(
    ('body', 'status'),
    [
        ('not json', 400),
        ([], 400),
        ({'type': 'order.shipped', 'occurredAt': 'now'}, 400),
        ({'type': 'order.created', 'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now'}, 400),
        ({'type': 'order.shipped', 'pharmacyOrderId': 'OWN-unknown', 'occurredAt': 'now'}, 404),
    ],
)
def test_bad_events_are_clear_4xx(creds: Credentials, body: Any, status: int) -> None:
    create(creds)
    response = hook(body)
    assert response['statusCode'] == status
    if body == {'type': 'order.created', 'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now'}:
        assert response_json(response)['details']['fieldErrors'] == {
            'type': [
                'Unknown status; expected one of: order.cancelled, order.delivered, order.fulfilled, order.out_for_delivery, '
                'order.shipped'
            ]
        }
    assert queued_jobs() == []


def test_another_own_instances_orders_are_not_found_here(creds: Credentials, pharmacies: FakePharmacies) -> None:
    other = INSTANCE.model_copy(update={'id': 'own-other', 'credentials_key': 'own-other', 'webhook_secret_key': 'own-other'})
    configure(pharmacies, other, secrets=[OLD_SECRET])
    theirs = create(creds, other.id)
    # Signed with a secret the posting instance holds, naming the other instance's order.
    assert hook(event_body(theirs['pharmacyOrderId']), secret=OLD_SECRET)['statusCode'] == 404
    assert record(creds, theirs['submissionId'])['status'] == 'submitted'


def test_webhook_logs_carry_no_patient_data(creds: Credentials, logs: Any) -> None:
    created = create(creds)
    hook(event_body(created['pharmacyOrderId']))
    hook(event_body(created['pharmacyOrderId']))
    hook(event_body(created['pharmacyOrderId']), secret=OLD_SECRET, headers={'webhook-id': 'msg_x'})
    logged = logs.getvalue()
    assert '"webhook applied"' in logged and '"webhook replayed"' in logged
    assert not any(value in logged for value in PATIENT_VALUES)


@pytest.mark.parametrize('name', sorted(HOSTILE))
def test_hostile_bodies_signed_correctly_are_400(name: str) -> None:
    response = hook(HOSTILE[name])
    assert response['statusCode'] == 400, response['body']
    assert set(json.loads(response['body'])) == {'error'}
