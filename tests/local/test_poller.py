"""The SQS event-source emulation honours batches, batchItemFailures, visibility timeout and redrive."""

import json
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from rxlocal.poller import QueuePoller
from rxlocal.runtime import LocalFunction
from rxlocal.template import Function, SqsSource
from tests.support import ROOT


def make_function(handler: Any) -> LocalFunction:
    definition = Function(name='TestConsumer', code_dir=ROOT, handler='app.handler', timeout=30, memory=128, environment={})
    return LocalFunction(definition, handler)


@pytest.fixture
def queues() -> Any:
    with mock_aws():
        sqs = boto3.client('sqs', region_name='us-east-1')
        dlq = sqs.create_queue(QueueName='dlq')['QueueUrl']
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        main = sqs.create_queue(
            QueueName='main',
            Attributes={
                'VisibilityTimeout': '1',
                'RedrivePolicy': json.dumps({'deadLetterTargetArn': dlq_arn, 'maxReceiveCount': '2'}),
            },
        )['QueueUrl']
        yield sqs, main, dlq


def depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']
    )
    return sum(int(v) for v in attrs['Attributes'].values())


def test_batch_failures_are_retried_then_dead_lettered(queues: Any) -> None:
    sqs, main, dlq = queues
    for body in ('ok-1', 'poison', 'ok-2'):
        sqs.send_message(QueueUrl=main, MessageBody=body)
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        batches.append([r['body'] for r in event['Records']])
        assert all(r['eventSource'] == 'aws:sqs' and r['eventSourceARN'] == 'arn:main' for r in event['Records'])
        return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records'] if r['body'] == 'poison']}

    poller = QueuePoller(make_function(handler), SqsSource('Main', batch_size=10, report_failures=True), main, 'arn:main')
    assert poller.poll_once() == 3
    assert sorted(batches[0]) == ['ok-1', 'ok-2', 'poison']
    assert poller.poll_once() == 0  # the failed message is invisible until its visibility timeout ends
    time.sleep(1.2)
    assert poller.poll_once() == 1  # second receive of the poison message
    time.sleep(1.2)
    assert poller.poll_once() == 0  # past maxReceiveCount: moved to the DLQ instead of delivered
    assert depth(sqs, main) == 0
    assert [m['Body'] for m in sqs.receive_message(QueueUrl=dlq).get('Messages', [])] == ['poison']


def test_a_raising_function_deletes_nothing(queues: Any) -> None:
    sqs, main, _ = queues
    sqs.send_message(QueueUrl=main, MessageBody='x')

    def broken(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError('boom')

    poller = QueuePoller(make_function(broken), SqsSource('Main', batch_size=10, report_failures=True), main, 'arn:main')
    assert poller.poll_once() == 1
    assert depth(sqs, main) == 1


def test_without_report_failures_the_whole_batch_counts_as_done(queues: Any) -> None:
    sqs, main, _ = queues
    sqs.send_message(QueueUrl=main, MessageBody='x')
    poller = QueuePoller(
        make_function(lambda e, c: {'batchItemFailures': [{'itemIdentifier': e['Records'][0]['messageId']}]}),
        SqsSource('Main', batch_size=10, report_failures=False), main, 'arn:main',
    )  # fmt: skip
    poller.poll_once()
    assert depth(sqs, main) == 0


def test_batch_size_is_respected(queues: Any) -> None:
    sqs, main, _ = queues
    for i in range(5):
        sqs.send_message(QueueUrl=main, MessageBody=str(i))
    sizes: list[int] = []
    poller = QueuePoller(
        make_function(lambda e, c: sizes.append(len(e['Records']))),
        SqsSource('Main', batch_size=2, report_failures=True),
        main,
        'arn:main',
    )
    while poller.poll_once():
        pass
    assert max(sizes) <= 2 and sum(sizes) == 5
