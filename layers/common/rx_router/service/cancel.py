"""POST /rx/prescriptions/{id}/cancel: asks the pharmacy to cancel (or void) the order, where its type can and
the status still allows; the outcome is a status change with its callback.

Cancelling is idempotent: an order already cancelled or voided answers 200 again. 409 says why not otherwise
(too late, still being submitted, the type has no cancel). A pharmacy that refuses or fails is 502, and the
order stays where it was. A submission waiting for its prescription has reached no pharmacy: it is cancelled
here without one.
"""

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.api.views import submission_view
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport, Submission
from rx_router.errors import BadGateway, Conflict
from rx_router.observability import logger
from rx_router.pharmacy_types.base import Capability
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.service.capable_pharmacy import capable_pharmacy
from rx_router.service.get_submission import owned_submission
from rx_router.service.webhook import apply_report
from rx_router.store import timeline
from rx_router.store.clients import ApiClient

SOURCE = 'pharmacy:cancel'  # the pharmacy's answer to the cancel
ENDED = frozenset({Status.CANCELLED, Status.VOIDED})


def cancel_prescription(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    assert client is not None
    submission = owned_submission(request, client)
    if submission.status in ENDED:
        return _answer(submission)
    if submission.status is Status.AWAITING_PRESCRIPTION:  # no pharmacy has it yet
        timeline.record(submission.id, _requested(client, sent_to_pharmacy=False))
        return _answer(_apply(submission, PharmacyReport(order_id='', status=Status.CANCELLED), source='api'))
    if submission.status is Status.PENDING:
        raise Conflict('The submission is still being sent to the pharmacy; retry in a few seconds')
    if submission.status in (Status.DELIVERED, Status.FAILED):
        raise Conflict(f'The submission is {submission.status.value}: there is nothing left to cancel')
    cannot = f'Pharmacy {submission.pharmacy} cannot cancel orders through its API: ask the pharmacy to cancel it directly'
    pharmacy = capable_pharmacy(submission, Capability.CANCEL, cannot)
    current = submission.held_from if submission.status is Status.ON_HOLD else submission.status
    if current not in pharmacy.cancellable_from:
        allowed = ', '.join(sorted(s.value for s in pharmacy.cancellable_from))
        raise Conflict(
            f'Too late to cancel: the order is {submission.status.value}; {submission.pharmacy} cancels only while {allowed}'
        )
    assert submission.pharmacy_order_id is not None  # every status after pending has one
    timeline.record(submission.id, _requested(client, sent_to_pharmacy=True))
    try:
        report = pharmacy.cancel(submission.pharmacy_order_id, test=submission.test)
    except PharmacyFailed as failure:
        logger.warning(
            'pharmacy refused cancel', extra={'submission_id': submission.id, 'pharmacy_http_status': failure.http_status}
        )
        raise BadGateway(f'The pharmacy did not cancel the order: {failure.message}', submissionId=submission.id) from None
    submission = _apply(submission, report, source=SOURCE)
    if submission.status not in ENDED:
        raise Conflict(
            f'The pharmacy did not cancel the order: it reports it {submission.status.value}', submissionId=submission.id
        )
    return _answer(submission)


def _requested(client: ApiClient, *, sent_to_pharmacy: bool) -> TimelineEvent:
    detail = {'request': 'cancel', 'sentToPharmacy': sent_to_pharmacy}
    return TimelineEvent(iso_timestamp(), EventKind.CLIENT_REQUEST, 'api', actor=client.id, detail=detail)


def _apply(submission: Submission, report: PharmacyReport, *, source: str) -> Submission:
    """The cancel's outcome, forward-only as a webhook's (a report that moves nothing is still on the timeline)."""
    kind = EventKind.PHARMACY_REPORTED
    submission, change = apply_report(submission, report, source=source, key=f'cancel#{iso_timestamp()}', kind=kind)
    if change.moved:
        jobs.enqueue(submission)
    return submission


def _answer(submission: Submission) -> ApiResponse:
    return ApiResponse(200, submission_view(submission, timeline.events_of(submission)))
