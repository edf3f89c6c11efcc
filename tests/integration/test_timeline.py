"""GET /rx/prescriptions/{id}/timeline: everything that happened to a submission, to its owner only, without
patient data; refused webhooks for a known order are on it."""

import json
import uuid
from typing import Any

import httpx
import pytest

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.callback_sender.app import lambda_handler as sender
from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router import http_clients
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


def create(creds: Credentials, **overrides: Any) -> dict[str, Any]:
    body = submission(routing={'patientState': 'WA'}, **overrides)
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] in (201, 502), response['body']
    return response_json(response)


def timeline_event(creds: Credentials, submission_id: str) -> dict[str, Any]:
    event = get_event(creds, submission_id)
    event['routeKey'] = 'GET /rx/prescriptions/{id}/timeline'
    event['rawPath'] = f'/rx/prescriptions/{submission_id}/timeline'
    return event


def timeline(creds: Credentials, submission_id: str) -> dict[str, Any]:
    response = timeline_handler(timeline_event(creds, submission_id), LambdaContext())
    assert response['statusCode'] == 200, response['body']
    found: dict[str, Any] = response_json(response)
    return found


def hook(body: dict[str, Any] | str, secret: str = 'boothwyn-hook-secret') -> dict[str, Any]:
    event = load_event('boothwyn_webhook')
    event['body'] = body if isinstance(body, str) else json.dumps(body)
    event['headers']['x-webhook-secret'] = secret
    return boothwyn_hook(event, LambdaContext())


def deliver_callbacks(status: int = 200) -> None:
    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status)))
    for job in queued_jobs():
        record = load_event('callback_sqs')
        record['Records'][0]['body'] = json.dumps(job)
        sender(record, LambdaContext())


def test_timeline_tells_the_whole_story_in_order(creds: Credentials, pharmacies: FakePharmacies) -> None:
    # Given a submission that is shipped, with a repeated webhook, a refused one, and its callbacks delivered
    created = create(creds)
    order = created['pharmacyOrderId']
    assert hook({'caseId': order, 'rxStatus': 'shipped', 'trackingNumber': '794644790132'})['statusCode'] == 200
    assert hook({'caseId': order, 'rxStatus': 'shipped', 'trackingNumber': '794644790132'})['statusCode'] == 200
    assert hook({'caseId': order, 'rxStatus': 'teleported'})['statusCode'] == 400
    assert hook({'caseId': order, 'rxStatus': 'delivered'}, secret='wrong')['statusCode'] == 401
    deliver_callbacks()
    # When its owner reads the timeline
    shown = timeline(creds, created['submissionId'])
    # Then every event is there, oldest first, with source and actor
    assert shown['submissionId'] == created['submissionId']
    assert shown['status'] == 'shipped'
    kinds = [(e['kind'], e['source']) for e in shown['events']]
    assert kinds[:4] == [
        ('received', 'api'),
        ('routed', 'router'),
        ('sent_to_pharmacy', 'router'),
        ('pharmacy_answered', 'router'),
    ]
    received, routed, sent, answered = shown['events'][:4]
    assert received['actor'] == response_json(get_handler(get_event(creds, created['submissionId']), LambdaContext()))['apiKeyId']
    assert routed['rule'] == 'state_route' and routed['pharmacy'] == 'boothwyn' and routed['product'] == 'semaglutide'
    assert sent['actor'] == 'boothwyn'
    assert (answered['from'], answered['to'], answered['pharmacyOrderId']) == ('pending', 'submitted', order)
    later = shown['events'][4:]
    webhooks = [e for e in later if e['kind'] == 'webhook_accepted']
    # the repeat is on the timeline too, as a webhook that changed nothing
    assert [(e.get('from'), e.get('to'), e['trackingNumber'], e['carrier'], e['outcome']) for e in webhooks] == [
        ('submitted', 'shipped', '794644790132', 'FedEx', 'moved'),
        (None, None, '794644790132', 'FedEx', 'no change'),
    ]
    refused = [e for e in later if e['kind'] == 'webhook_refused']
    assert sorted((e['reason'], e['httpStatus']) for e in refused) == [('invalid secret', 401), ('unknown status', 400)]
    assert next(e for e in refused if e['reason'] == 'unknown status')['pharmacyStatus'] == 'teleported'
    callbacks = [e for e in later if e['kind'] == 'callback']
    assert sorted((e['status'], e['outcome'], e['attempt']) for e in callbacks) == [
        ('shipped', 'delivered', 1),
        ('submitted', 'delivered', 1),
    ]
    assert [e['at'] for e in shown['events']] == sorted(e['at'] for e in shown['events'])


def test_identical_refused_webhooks_are_recorded_once(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    for _ in range(3):
        assert hook({'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'}, secret='wrong')['statusCode'] == 401
    refused = [e for e in timeline(creds, created['submissionId'])['events'] if e['kind'] == 'webhook_refused']
    assert len(refused) == 1


def test_refused_webhooks_for_unknown_orders_record_nothing(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    assert hook({'caseId': 'not-an-order', 'rxStatus': 'shipped'}, secret='wrong')['statusCode'] == 401
    assert hook({'caseId': 'not-an-order', 'rxStatus': 'shipped'})['statusCode'] == 404
    assert hook('not json', secret='wrong')['statusCode'] == 401
    assert [e['kind'] for e in timeline(creds, created['submissionId'])['events']] == [
        'received',
        'routed',
        'sent_to_pharmacy',
        'pharmacy_answered',
    ]


def test_failed_submission_and_undelivered_callback(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.fail_with = 500
    created = create(creds)
    deliver_callbacks(status=503)
    events = timeline(creds, created['submissionId'])['events']
    answered = next(e for e in events if e['kind'] == 'pharmacy_answered')
    assert (answered['to'], answered['error'], answered['pharmacyHttpStatus']) == (
        'failed',
        'Boothwyn API error 500: Internal Server Error',
        500,
    )
    [callback] = [e for e in events if e['kind'] == 'callback']
    assert (callback['status'], callback['outcome'], callback['httpStatus'], callback['error']) == (
        'failed',
        'retrying',
        503,
        'HTTP 503',
    )


def test_timeline_is_for_the_owner_only(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    assert timeline_handler(timeline_event(other_creds, created['submissionId']), LambdaContext())['statusCode'] == 403
    for unknown in (str(uuid.uuid4()), 'not-a-uuid'):
        response = timeline_handler(timeline_event(creds, unknown), LambdaContext())
        assert (response['statusCode'], response_json(response)) == (404, {'error': 'Submission not found'})
    unsigned = timeline_event(creds, created['submissionId'])
    unsigned['headers']['x-signature'] = '0' * 64
    assert timeline_handler(unsigned, LambdaContext())['statusCode'] == 401


@pytest.mark.parametrize('failing', [False, True])
def test_timeline_holds_no_patient_data(creds: Credentials, pharmacies: FakePharmacies, failing: bool) -> None:
    pharmacies.fail_with = 500 if failing else None
    created = create(creds, clinical={'allergies': {'known': True, 'entries': ['penicillin']}})
    if not failing:
        hook({'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped', 'trackingNumber': '1'})
        hook({'caseId': created['pharmacyOrderId'], 'rxStatus': 'teleported'})
    deliver_callbacks()
    shown = json.dumps(timeline(creds, created['submissionId']))
    for value in (*PATIENT_VALUES, 'penicillin', 'Inject 0.25mL', 'BMI 32', 'Nolan'):
        assert value not in shown


def test_get_shows_the_routing_decision_and_the_pharmacy_type(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    view = response_json(get_handler(get_event(creds, created['submissionId']), LambdaContext()))
    assert view['routingDecision'] == {
        'pharmacy': 'boothwyn',
        'pharmacyType': 'boothwyn_b2b',
        'rule': 'state_route',
        'state': 'WA',
        'product': 'semaglutide',
        'productMatchedBy': 'name',
        'nativeDrugId': '12565',
        'candidates': [{'pharmacy': 'boothwyn', 'rule': 'state_route', 'priority': 100}],
    }
    assert (view['product'], view['pharmacyType'], view['packages']) == ('semaglutide', 'boothwyn_b2b', [])
    assert 'api_key' not in json.dumps(view['routingDecision']) and 'functions' not in json.dumps(view['routingDecision'])
