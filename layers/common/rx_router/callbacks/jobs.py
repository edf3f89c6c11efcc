"""Callback jobs: what the submit and webhook paths put on the callback queue for the sender."""

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from rx_router.callbacks import payloads
from rx_router.clock import iso_timestamp
from rx_router.observability import exception_summary, logger
from rx_router.settings import settings
from rx_router.store import submissions
from rx_router.store.models import SubmissionModel


class CallbackJob(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, frozen=True)

    event_id: str
    submission_id: str
    api_key: str
    callback_url: str
    payload: dict[str, Any]


@cache
def sqs_client() -> Any:
    import botocore.session  # already loaded by pynamodb; avoids importing boto3 in the API functions

    return botocore.session.get_session().create_client('sqs')


def job_for(record: SubmissionModel, *, initial: bool) -> CallbackJob:
    payload = payloads.initial(record) if initial else payloads.update(record)
    return CallbackJob(
        event_id=payloads.event_id(record.id, record.status),
        submission_id=record.id,
        api_key=record.api_key,
        callback_url=record.callback_url,
        payload=payload,
    )


def latest_job(record: SubmissionModel) -> CallbackJob:
    """The callback for the record's current state: the submission's result if the router set the status
    last, otherwise the pharmacy's update. Same event id as the job first queued for that state."""
    initial = not record.history or record.history[-1].source == submissions.ROUTER
    return job_for(record, initial=initial)


def send(job: CallbackJob, queue_url: str) -> None:
    sqs_client().send_message(QueueUrl=queue_url, MessageBody=job.model_dump_json(by_alias=True))


def enqueue(record: SubmissionModel, *, initial: bool) -> None:
    """Queues the callback. A failure to queue is recorded on the submission, not raised: the caller's
    answer is already decided; `lastCallback.outcome == "not-queued"` tells operators to run
    `rxrouter callbacks resend`."""
    job = job_for(record, initial=initial)
    try:
        send(job, settings().callback_queue_url)
    except Exception as exc:  # noqa: BLE001
        logger.error('callback not queued', extra={'submission_id': record.id, **exception_summary(exc)})
        submissions.record_callback_attempt(record.id, {'eventId': job.event_id, 'at': iso_timestamp(), 'outcome': 'not-queued'})
