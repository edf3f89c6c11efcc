"""Callback jobs: what the submit and webhook paths put on the callback queue for the sender."""

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from rx_router import aws
from rx_router.callbacks import payloads
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.submission import Submission
from rx_router.observability import exception_summary, logger
from rx_router.settings import settings
from rx_router.store import timeline

SOURCE = 'callbacks'


class CallbackJob(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, frozen=True)

    event_id: str
    submission_id: str
    api_key: str
    callback_url: str
    payload: dict[str, Any]


def job_for(submission: Submission) -> CallbackJob:
    """The callback for the submission's current state: the submission's result when the router set the
    status last, the pharmacy's update otherwise. The event id is stable per (submission, status)."""
    payload = payloads.initial(submission) if submission.callback_kind == 'initial' else payloads.update(submission)
    return CallbackJob(
        event_id=payloads.event_id(submission.id, submission.status.value),
        submission_id=submission.id,
        api_key=submission.api_key,
        callback_url=submission.callback_url,
        payload=payload,
    )


def send(job: CallbackJob, queue_url: str) -> None:
    aws.sqs().send_message(QueueUrl=queue_url, MessageBody=job.model_dump_json(by_alias=True))


def attempt_event(
    job: CallbackJob, *, outcome: str, attempt: int | None = None, message_id: str | None = None, **detail: Any
) -> TimelineEvent:
    """One callback attempt (or a failure to queue one) as a timeline event. An attempt is identified by the queue
    message that carried it and its receive count: a redriven or resent job is a new message, so its attempts are
    recorded too, while SQS delivering the same receive twice records it once."""
    facts = {'eventId': job.event_id, 'status': job.payload.get('status'), 'attempt': attempt, 'outcome': outcome, **detail}
    delivery = f'{message_id}#{attempt}' if message_id is not None else (attempt if attempt is not None else outcome)
    return TimelineEvent(
        iso_timestamp(),
        EventKind.CALLBACK,
        SOURCE,
        detail={k: v for k, v in facts.items() if v is not None},
        key=f'callback#{job.event_id}#{delivery}',
    )


def enqueue(submission: Submission) -> None:
    """Queues the callback. A failure to queue is recorded on the timeline, not raised: the caller's answer is
    already decided; `lastCallback.outcome == "not-queued"` tells operators to run `rxrouter callbacks resend`."""
    job = job_for(submission)
    try:
        send(job, settings().callback_queue_url)
    except Exception as exc:  # noqa: BLE001
        logger.error('callback not queued', extra={'submission_id': submission.id, **exception_summary(exc)})
        timeline.record(submission.id, attempt_event(job, outcome='not-queued'))
