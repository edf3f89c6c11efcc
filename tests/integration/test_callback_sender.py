"""The callback sender Lambda: signs, posts, records, retries via SQS visibility, gives up to the DLQ."""

import json
import os
from typing import Any

import boto3
import httpx
import pytest

from functions.callback_sender.app import lambda_handler as sender
from functions.submit.app import lambda_handler as submit_handler
from rx_router import http_clients
from rx_router.api.views import submission_view
from rx_router.signing import signature
from rx_router.store import clients, submissions, timeline
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, load_event, response_json, submission, submit_event


class Receiver:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0])


@pytest.fixture
def receiver() -> Receiver:
    fake = Receiver([200])
    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(fake))
    return fake


def last_callback(submission_id: str) -> dict[str, Any]:
    """What GET shows as the submission's latest callback attempt."""
    stored = submissions.get(submission_id)
    assert stored is not None
    shown: dict[str, Any] = submission_view(stored, timeline.events_of(stored))['lastCallback']
    return shown


def sqs_event_for_queued_job(receive_count: int = 1) -> dict[str, Any]:
    sqs = boto3.client('sqs')
    [message] = sqs.receive_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], MaxNumberOfMessages=1)['Messages']
    event = load_event('callback_sqs')
    event['Records'][0].update(messageId=message['MessageId'], receiptHandle=message['ReceiptHandle'], body=message['Body'])
    event['Records'][0]['attributes']['ApproximateReceiveCount'] = str(receive_count)
    return event


def submit(creds: Credentials) -> dict[str, Any]:
    return response_json(submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext()))


def test_delivers_a_signed_callback_and_records_it(creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver) -> None:
    created = submit(creds)
    result = sender(sqs_event_for_queued_job(), LambdaContext())
    assert result == {'batchItemFailures': []}
    [request] = receiver.requests
    assert str(request.url) == 'https://93.184.215.14/webhooks/pharmacy-router'
    assert request.headers['host'] == 'api.example.com'
    body = request.content
    assert json.loads(body)['submissionId'] == created['submissionId']
    assert request.headers['x-signature'] == signature(creds.api_secret, request.headers['x-timestamp'], body)
    assert request.headers['x-event-id']
    last = last_callback(created['submissionId'])
    assert last['outcome'] == 'delivered' and last['httpStatus'] == 200 and last['attempt'] == 1


def test_signs_with_the_newest_secret_after_rotation(creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver) -> None:
    submit(creds)
    rotated = clients.rotate_secret(creds.api_key)
    clients._cache.clear()
    sender(sqs_event_for_queued_job(), LambdaContext())
    [request] = receiver.requests
    assert request.headers['x-signature'] == signature(rotated.api_secret, request.headers['x-timestamp'], request.content)


def test_failure_is_retried_later_then_dead_lettered(creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver) -> None:
    receiver.statuses = [500]
    created = submit(creds)
    event = sqs_event_for_queued_job(receive_count=1)
    result = sender(event, LambdaContext())
    assert result == {'batchItemFailures': [{'itemIdentifier': event['Records'][0]['messageId']}]}
    last = last_callback(created['submissionId'])
    assert (last['outcome'], last['httpStatus'], last['error']) == ('retrying', 500, 'HTTP 500')
    # the job stays on the queue, invisible for the scheduled delay (30 s ± 20%)
    attrs = boto3.client('sqs').get_queue_attributes(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], AttributeNames=['All'])[
        'Attributes'
    ]
    assert attrs['ApproximateNumberOfMessagesNotVisible'] == '1'
    final = dict(event)
    final['Records'] = [
        {**event['Records'][0], 'attributes': {**event['Records'][0]['attributes'], 'ApproximateReceiveCount': '3'}}
    ]
    assert sender(final, LambdaContext())['batchItemFailures']
    assert last_callback(created['submissionId'])['outcome'] == 'dead-lettered'


def test_revoked_client_gets_no_callback(creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver) -> None:
    submit(creds)
    clients.revoke(creds.api_key)
    assert sender(sqs_event_for_queued_job(), LambdaContext())['batchItemFailures']
    assert receiver.requests == []


def test_callback_url_is_checked_again_at_send(
    creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver, dns: dict
) -> None:
    created = submit(creds)
    dns['api.example.com'] = ['10.0.0.9']  # DNS changed since submit (rebinding)
    assert sender(sqs_event_for_queued_job(), LambdaContext())['batchItemFailures']
    assert receiver.requests == []
    assert 'public internet' in last_callback(created['submissionId'])['error']


def test_callbacks_are_signed_with_the_current_secret_without_waiting_for_the_cache(
    creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver
) -> None:
    submit_handler(submit_event(creds, submission()), LambdaContext())
    rotated = clients.rotate_secret(creds.api_key)  # the cached record (from the submit) still has the old one
    sender(sqs_event_for_queued_job(), LambdaContext())
    [request] = receiver.requests
    assert request.headers['x-signature'] == signature(rotated.api_secret, request.headers['x-timestamp'], request.content)


def test_a_revoked_client_gets_no_more_callbacks(creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver) -> None:
    submit_handler(submit_event(creds, submission()), LambdaContext())
    clients.revoke(creds.api_key)
    sender(sqs_event_for_queued_job(), LambdaContext())
    assert receiver.requests == []


def test_a_redriven_job_that_is_delivered_is_on_the_timeline_and_clears_the_diagnosis(
    creds: Credentials, pharmacies: FakePharmacies, receiver: Receiver
) -> None:
    from rx_router.service.diagnosis import diagnose
    from rx_router.store.config import load_pharmacies

    receiver.statuses = [500]
    created = submit(creds)
    first = sqs_event_for_queued_job(receive_count=1)
    assert sender(first, LambdaContext())['batchItemFailures']
    dead = json.loads(json.dumps(first))
    dead['Records'][0]['attributes']['ApproximateReceiveCount'] = '3'  # the last attempt (CALLBACK_MAX_ATTEMPTS=3)
    assert sender(dead, LambdaContext())['batchItemFailures']
    assert last_callback(created['submissionId'])['outcome'] == 'dead-lettered'
    # the operator redrives it: the same job in a new message, whose first attempt is attempt 1 again
    redriven = json.loads(json.dumps(dead))
    redriven['Records'][0].update(messageId='redriven-message-1')
    redriven['Records'][0]['attributes']['ApproximateReceiveCount'] = '1'
    receiver.statuses = [200]
    assert sender(redriven, LambdaContext()) == {'batchItemFailures': []}
    assert last_callback(created['submissionId'])['outcome'] == 'delivered'
    stored = submissions.get(created['submissionId'])
    assert stored is not None
    [callbacks] = [
        c for c in diagnose(stored, timeline.events_of(stored), load_pharmacies())['checks'] if c['check'] == 'callbacks'
    ]
    assert (callbacks['verdict'], callbacks['evidence']['deadLettered']) == ('ok', 0)
