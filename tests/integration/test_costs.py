"""What one submission costs in AWS calls from submit to delivered (figures quoted in the README)."""

import json
import os
from collections import Counter
from typing import Any

import boto3
import botocore.client
import httpx
import pytest

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.callback_sender.app import lambda_handler as sender
from functions.submit.app import lambda_handler as submit_handler
from rx_router import http_clients
from rx_router.store.models import SubmissionModel, TimelineModel
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, load_event, response_json, submission, submit_event


def deliver_queued() -> None:
    sqs = boto3.client('sqs')
    [message] = sqs.receive_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], MaxNumberOfMessages=10)['Messages']
    event = load_event('callback_sqs')
    event['Records'][0].update(messageId=message['MessageId'], receiptHandle=message['ReceiptHandle'], body=message['Body'])
    assert sender(event, LambdaContext()) == {'batchItemFailures': []}
    # Lambda's SQS poller deletes what the function reports as done
    sqs.delete_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], ReceiptHandle=message['ReceiptHandle'])


def test_submit_to_delivered_costs(creds: Credentials, pharmacies: FakePharmacies, monkeypatch: pytest.MonkeyPatch) -> None:
    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[f'{self.meta.service_model.service_name}:{operation}'] += 1
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, '_make_api_call', counting)
    created = response_json(submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext()))
    deliver_queued()
    for status in ('shipped', 'delivered'):
        event = load_event('boothwyn_webhook')
        event['body'] = json.dumps({'caseId': created['pharmacyOrderId'], 'rxStatus': status, 'trackingNumber': '794644790132'})
        assert boothwyn_hook(event, LambdaContext())['statusCode'] == 200
        deliver_queued()
    writes = calls['dynamodb:PutItem'] + calls['dynamodb:UpdateItem'] + calls['dynamodb:TransactWriteItems']
    # submit: reserve (a conditional Put) + outcome (a conditional Update of what changed, events in the item); each webhook: one
    # transaction (the submission's update and its timeline event); each callback attempt: one timeline item (Put)
    assert (calls['dynamodb:PutItem'], calls['dynamodb:UpdateItem'], calls['dynamodb:TransactWriteItems']) == (1 + 3, 1, 2)
    assert writes == 7
    assert calls['sqs:SendMessage'] == 3  # one callback job per transition: submitted, shipped, delivered
    # the configuration is read once per container and cache period: one scan of each table
    assert (calls['dynamodb:Scan'], calls['dynamodb:Query']) == (2, 2)  # the webhooks' lookups by pharmacy order id
    item_bytes = len(json.dumps(SubmissionModel.get(created['submissionId']).serialize()))
    events = list(TimelineModel.query(created['submissionId']))
    event_bytes = max(len(json.dumps(e.serialize())) for e in events)
    print(f'\nDynamoDB writes {writes}, SQS messages {calls["sqs:SendMessage"]}, final item ~{item_bytes} bytes, ')
    print(f'{len(events)} timeline items of at most ~{event_bytes} bytes; all calls {dict(calls)}')
