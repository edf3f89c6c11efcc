"""The one way a submission reaches a pharmacy: a reserved (pending) submission sent, its answer recorded with
its events and its callback queued. Direct submits, refills and released gated submissions all send here, and
`Submission.sent` refuses a gated submission whose prescription is not recorded as written."""

from collections.abc import Callable
from datetime import datetime, timedelta

from rx_router.business_metrics import Metric, count
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp, utc_now
from rx_router.domain.statuses import Status
from rx_router.domain.submission import Submission
from rx_router.observability import exception_summary, logger
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.redaction import scrub
from rx_router.routing.resolve import Request
from rx_router.store import submissions
from rx_router.validation.prescription import PrescriptionSubmission

# Longer than a sending function may run (template.yaml: Timeout 29 s), so a record still pending after this
# belongs to an invocation that died (timeout, out of memory) between reserving the key and recording the answer.
ABANDONED_AFTER = timedelta(seconds=120)
ABANDONED = (
    "The router stopped before it recorded the pharmacy's answer: the pharmacy may have received the order; "
    'check with the pharmacy before resubmitting under a new sourceOrderId'
)
UNEXPECTED = 'Router error while submitting to the pharmacy: the pharmacy may have received the order; check before resubmitting'


def routing_request(rx: PrescriptionSubmission) -> Request:
    return Request(
        state=rx.routing_state,
        medication_name=rx.medication.name,
        product_id=rx.medication.product_id,
        preferred_pharmacy=rx.preferred_pharmacy,
        test=rx.test,
        has_dea_number=rx.prescriber.dea_number is not None,
    )


def send_and_record(submission: Submission, send: Callable[[], PharmacyAccepted], what: str) -> PharmacyFailed | None:
    """A reserved (pending) submission sent to its pharmacy by `send`: the answer recorded with its events and its
    callback queued, whatever happens. Returns the pharmacy's refusal, if it refused."""
    submission.sent(iso_timestamp())
    refused = None
    try:
        accepted = send()
        submission.accepted(accepted.order_id, scrub(accepted.raw), iso_timestamp())
        logger.thread_safe_append_keys(pharmacy_order_id=accepted.order_id)
    except PharmacyFailed as failure:
        refused = failure
        submission.failed(failure.message, scrub(failure.raw), iso_timestamp(), http_status=failure.http_status)
        logger.warning(f'pharmacy refused {what}', extra={'pharmacy_http_status': failure.http_status})
    except Exception as exc:  # noqa: BLE001
        # Never leave a reserved submission pending: a replay must answer, and ops must see it failed.
        submission.failed(UNEXPECTED, None, iso_timestamp())
        logger.error(f'{what} failed unexpectedly', extra=exception_summary(exc))
    submissions.record_outcome(submission)
    count(Metric.SUBMISSIONS_FAILED if submission.status is Status.FAILED else Metric.SUBMISSIONS_ACCEPTED, submission.pharmacy)
    jobs.enqueue(submission)
    return refused


def is_abandoned(submission: Submission) -> bool:
    if submission.status is not Status.PENDING:
        return False
    return utc_now() - datetime.fromisoformat(submission.pending_since) > ABANDONED_AFTER


def settle_if_abandoned(submission: Submission) -> Submission:
    """A submission still pending long after any invocation could be sending it (it died between reserving or
    releasing the order and recording the pharmacy's answer) is recorded as failed, with its callback, once however
    many repeats race: so no submission stays pending for ever. Returns the submission as it now stands."""
    if not is_abandoned(submission):
        return submission
    submission.failed(ABANDONED, None, iso_timestamp(), abandoned=True)
    try:
        submissions.record_outcome(submission)
    except submissions.LostRace:  # another repeat (or the original invocation after all) settled it
        return submissions.get(submission.id) or submission
    logger.warning('abandoned submission recorded as failed', extra={'submission_id': submission.id})
    count(Metric.SUBMISSIONS_FAILED, submission.pharmacy)  # its send's outcome, which the dead invocation never counted
    jobs.enqueue(submission)
    return submission
