"""The one way a submission reaches a pharmacy: a reserved (pending) submission sent, its answer recorded with
its events and its callback queued. Direct submits, refills and released gated submissions all send here, and
`Submission.sent` refuses a gated submission whose prescription is not recorded as written."""

from collections.abc import Callable

from rx_router.business_metrics import Metric, count
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp
from rx_router.domain.statuses import Status
from rx_router.domain.submission import Submission
from rx_router.observability import exception_summary, logger
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.redaction import scrub
from rx_router.routing.resolve import Request
from rx_router.store import submissions
from rx_router.validation.prescription import PrescriptionSubmission

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
