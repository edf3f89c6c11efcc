"""The callback jobs waiting on the (moto) callback queue, drained."""

import json
import os
from typing import Any

import boto3


def queued_jobs() -> list[dict[str, Any]]:
    sqs = boto3.client('sqs')
    jobs = []
    while True:
        batch = sqs.receive_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], MaxNumberOfMessages=10).get('Messages', [])
        if not batch:
            return jobs
        for message in batch:
            jobs.append(json.loads(message['Body']))
            sqs.delete_message(QueueUrl=os.environ['CALLBACK_QUEUE_URL'], ReceiptHandle=message['ReceiptHandle'])
