"""Status queries: asking a pharmacy where an order is, and applying its answer through the same forward-only
rules as a webhook (source `poll` on the timeline). `rxrouter submissions sync ID` asks about one submission;
the scheduled reconciliation function asks about open orders nothing has updated for a while, oldest first,
a bounded number per run, and counts the submissions its answers repaired. It also asks Beluga about gated
submissions whose prescription's webhook has not come (service/prescription_gate.py).
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from rx_router.business_metrics import Metric, count
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp, utc_now
from rx_router.domain.events import EventKind
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport, Submission
from rx_router.errors import Conflict
from rx_router.observability import logger
from rx_router.pharmacy_types.base import Capability
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.prescription_providers import beluga as beluga_provider
from rx_router.service import prescription_gate
from rx_router.service.capable_pharmacy import capable_pharmacy
from rx_router.service.webhook import apply_report
from rx_router.settings import settings
from rx_router.store import prescription_gates, submissions

SOURCE = 'poll'
# The statuses OpenOrderIndex holds submissions under.
OPEN = (Status.SUBMITTED, Status.PROCESSING, Status.SHIPPED, Status.ON_HOLD)
STALE_COUNT_LIMIT = 1000  # per status and provider: the count reads keys only, and this many is "at least this many"


@dataclass(frozen=True)
class Synced:
    submission: Submission
    report: PharmacyReport
    from_status: Status
    moved: bool
    tracking_added: bool


def sync(submission: Submission) -> Synced:
    """Asks the submission's pharmacy about it and applies the answer. Conflict when it cannot be asked (the type
    has no status query, the order is not at a pharmacy or is finished there); PharmacyFailed when the pharmacy
    does not answer."""
    cannot = f'Pharmacy {submission.pharmacy} ({submission.pharmacy_type}) answers no status queries'
    pharmacy = capable_pharmacy(submission, Capability.STATUS, cannot)
    if not submission.awaits_pharmacy or submission.pharmacy_order_id is None:
        raise Conflict(f'The submission is {submission.status.value}: there is nothing to ask its pharmacy')
    report = pharmacy.status(submission.pharmacy_order_id, test=submission.test)
    before = submission.status
    submission, change = apply_report(submission, report, source=SOURCE, key=_key(report), kind=EventKind.PHARMACY_REPORTED)
    if change.moved:
        jobs.enqueue(submission)
    if not change.changed:
        _polled(submission)
    return Synced(submission, report, before, change.moved, change.tracking_added)


def _key(report: PharmacyReport) -> str:
    """The same answer again is the same timeline event (recorded once)."""
    facts = '\x1f'.join(str(part) for part in (report.raw_status, report.status, report.tracking_number, report.carrier))
    return f'poll#{hashlib.sha256(facts.encode()).hexdigest()[:24]}'


def _polled(submission: Submission) -> None:
    """Records when the pharmacy was asked, so the next run asks about others first."""
    submission.polled_at = iso_timestamp()
    try:
        submissions.save(submission)
    except submissions.LostRace:
        pass  # it changed meanwhile, which counts as news as well


@dataclass
class RunSummary:
    asked: int = 0
    repaired: int = 0
    failed: int = 0
    prescriptions_asked: int = 0
    released_by_polling: int = 0
    stale: int = 0


def reconcile() -> RunSummary:
    """One scheduled run: the oldest unchecked open orders, at most RECONCILE_MAX_PER_RUN."""
    current = settings()
    before = iso_timestamp(utc_now() - timedelta(seconds=current.reconcile_after_seconds))
    summary = RunSummary()
    budget = current.reconcile_max_per_run
    for status in OPEN:
        for submission_id in submissions.due_for_poll(status.value, before, budget - summary.asked):
            submission = submissions.get(submission_id)
            if submission is None:
                continue
            summary.asked += 1
            try:
                synced = sync(submission)
            except (PharmacyFailed, Conflict) as exc:
                summary.failed += 1
                _polled(submission)  # a failing pharmacy is asked again after the period, not on every run
                logger.warning('status query failed', extra={'submission_id': submission.id, 'error': type(exc).__name__})
                continue
            if synced.moved or synced.tracking_added:
                summary.repaired += 1
                count(Metric.SUBMISSIONS_REPAIRED, submission.pharmacy)
                logger.info(
                    'submission repaired by polling',
                    extra={'submission_id': submission.id, 'status': synced.submission.status.value},
                )
        if summary.asked >= budget:
            break
    recovery = prescription_gate.recover_missed(budget)
    summary.prescriptions_asked, summary.released_by_polling = recovery.asked, recovery.released
    summary.failed += recovery.failed
    summary.stale = stale_submissions()
    return summary


def stale_submissions() -> int:
    """Tracked submissions nothing has updated or checked for STALE_AFTER_SECONDS, after this run's checks: open
    orders at pharmacies that answer status queries, and gated submissions awaiting their prescription. Each is
    checked every reconciliation period while the schedule keeps up, so any means reconciliation is failing, off or
    behind its budget (or, without Beluga polling, that a prescription is that late)."""
    before = iso_timestamp(utc_now() - timedelta(seconds=settings().stale_after_seconds))
    open_orders = sum(len(submissions.due_for_poll(s.value, before, STALE_COUNT_LIMIT)) for s in OPEN)
    # A gated submission held or cancelled keeps its waiting entry until something looks (Beluga polling does):
    # each old entry is checked once against its submission, and one that no longer waits leaves the index.
    candidates = prescription_gates.due_for_check(beluga_provider.PROVIDER, before, STALE_COUNT_LIMIT)
    return open_orders + sum(prescription_gate.still_waiting(waiting) is not None for waiting in candidates)
