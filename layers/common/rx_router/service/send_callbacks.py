"""The callback sender: SQS batches in, signed POSTs out, at least once.

A failed delivery (non-2xx, redirect, timeout, connection error, unsafe address) is reported as a batch
item failure after its visibility is pushed out by the retry schedule; once the queue's
maxReceiveCount is used up, SQS moves the job to the dead-letter queue. Every attempt is recorded on the
submission's timeline (GET shows the latest as `lastCallback`).
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rx_router import aws
from rx_router.business_metrics import Metric, count
from rx_router.callbacks import delivery, payloads, retry, url_safety
from rx_router.callbacks.jobs import CallbackJob, attempt_event
from rx_router.observability import logger
from rx_router.settings import settings
from rx_router.store import timeline
from rx_router.store.clients import read_active_client

OUTCOME_METRICS = {
    'delivered': Metric.CALLBACKS_DELIVERED,
    'retrying': Metric.CALLBACKS_RETRIED,
    'dead-lettered': Metric.CALLBACKS_DEAD_LETTERED,
}
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class CallbackNotDelivered(Exception):
    pass


def attempt_delivery(job: CallbackJob) -> delivery.Attempt:
    client = read_active_client(job.api_key)  # as stored now: signed with the current secret, never a revoked one
    if client is None:
        return delivery.Attempt(False, None, 'API client revoked or unknown')
    try:
        checked = url_safety.check(job.callback_url)
    except url_safety.UnsafeCallbackUrl as exc:
        return delivery.Attempt(False, None, f'callback URL refused: {exc}')
    body = payloads.serialise(job.payload)
    return delivery.post(checked, body, delivery.signed_headers(client.signing_secret, body, job.event_id))


def handle_record(record: SQSRecord) -> None:
    job = CallbackJob.model_validate_json(record.body)
    attempt_number = int(record.attributes.approximate_receive_count)
    attempt = attempt_delivery(job)
    config = settings()
    final = attempt_number >= config.callback_max_attempts
    outcome = 'delivered' if attempt.delivered else ('dead-lettered' if final else 'retrying')
    event = attempt_event(
        job,
        outcome=outcome,
        attempt=attempt_number,
        message_id=record.message_id,
        httpStatus=attempt.http_status,
        error=attempt.error,
    )
    timeline.record(job.submission_id, event)
    log = {'submission_id': job.submission_id, 'event_id': job.event_id, 'attempt': attempt_number, 'outcome': outcome}
    pharmacy = job.payload.get('pharmacy')
    count(OUTCOME_METRICS[outcome], pharmacy if isinstance(pharmacy, str) else None)
    if attempt.delivered:
        logger.info('callback delivered', extra={**log, 'http_status': attempt.http_status})
        return
    delay = 0 if final else retry.delay_after(attempt_number, config.callback_retry_schedule)
    aws.sqs().change_message_visibility(
        QueueUrl=config.callback_queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
    )
    logger.warning('callback not delivered', extra={**log, 'error': attempt.error, 'retry_in_seconds': delay})
    raise CallbackNotDelivered(attempt.error or 'not delivered')


def send_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context))
