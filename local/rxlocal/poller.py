"""SQS event sources as Lambda runs them: poll, invoke with a batch, delete what succeeded.

Visibility timeouts and the redrive policy to the dead-letter queue are SQS's own behaviour, which moto
implements: a message the function does not delete reappears after its visibility timeout and moves to
the DLQ once received maxReceiveCount times.
"""

import logging
import threading
from typing import Any

from rxlocal.runtime import LocalFunction
from rxlocal.template import SqsSource

log = logging.getLogger('rxlocal.sqs')


class QueuePoller:
    def __init__(self, function: LocalFunction, source: SqsSource, queue_url: str, queue_arn: str) -> None:
        import boto3

        self.function = function
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.sqs = boto3.client('sqs')
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f'sqs-{source.queue}', daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                log.exception('polling %s failed', self.source.queue)
                self.stopping.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=['All'],
            MessageAttributeNames=['All'],
        ).get('Messages', [])
        if not received:
            return 0
        event = {'Records': [self._record(m) for m in received]}
        try:
            result = self.function.invoke(event)
        except Exception:
            log.exception('%s raised: the batch returns to the queue after its visibility timeout', self.function.definition.name)
            return len(received)
        failed = self._failed_ids(result) if self.source.report_failures else set()
        done = [m for m in received if m['MessageId'] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']} for i, m in enumerate(chunk)],
            )
        log.info('%s: %d delivered, %d to retry', self.source.queue, len(done), len(received) - len(done))
        return len(received)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            'messageId': message['MessageId'],
            'receiptHandle': message['ReceiptHandle'],
            'body': message['Body'],
            'attributes': message.get('Attributes', {}),
            'messageAttributes': message.get('MessageAttributes', {}),
            'md5OfBody': message['MD5OfBody'],
            'eventSource': 'aws:sqs',
            'eventSourceARN': self.queue_arn,
            'awsRegion': 'us-east-1',
        }

    @staticmethod
    def _failed_ids(result: Any) -> set[str]:
        if not isinstance(result, dict):
            return set()
        return {str(item['itemIdentifier']) for item in result.get('batchItemFailures', [])}
