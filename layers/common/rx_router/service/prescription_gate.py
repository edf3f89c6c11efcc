"""Releasing gated submissions: the prescription they wait for is written (a provider's webhook, a poll of the
provider, or a report recorded before the order came).

A waiting submission is released only when every medication it orders is among those prescribed (by the
prescription's medId, else the order's productId or catalog product); it is then sent exactly as a direct
submit is, with the prescribed quantity, refills, days supply and directions where the prescription states
them. Otherwise it goes on hold with the reason, for support, and nothing is sent. The transition to pending is
a conditional write, so a repeated or concurrent report releases a submission once.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from math import isfinite
from typing import Any, NamedTuple

from rx_router.business_metrics import Metric, count
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp, utc_now
from rx_router.domain.submission import Submission
from rx_router.errors import ConfigurationError, Unprocessable
from rx_router.observability import logger
from rx_router.pharmacies import adapters
from rx_router.pharmacy_types.base import PharmacyType
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.prescription_providers import beluga as beluga_provider
from rx_router.routing.resolve import resolve
from rx_router.service.send import routing_request, send_and_record, settle_if_abandoned
from rx_router.settings import settings
from rx_router.store import prescription_gates, submissions, timeline
from rx_router.store.config import cached_config
from rx_router.validation.prescription import MAX_QUANTITY, PrescriptionSubmission, parse_submission

RECORDED_SOURCE = 'prescription:recorded'  # released at submit: the prescription was written before the order came
POLL_SOURCE = 'poll:beluga'  # released by reconciliation: Beluga's visit shows the prescription its webhook missed
_SAVE_ATTEMPTS = 5


class Outcome(NamedTuple):
    released: bool = False
    held: bool = False


def release_waiting(gate: prescription_gates.Gate, written: dict[str, Any], *, source: str) -> list[Outcome]:
    """Releases (or holds) every submission waiting for the prescription `written` reports."""
    return [release(submission, written, source=source) for submission in gated_submissions(gate)]


def gated_submissions(gate: prescription_gates.Gate) -> list[Submission]:
    """The submissions gated on this prescription: the gate's entries, each checked against the submission's own
    gate (an entry whose reservation never happened, a duplicate's or a dead invocation's, names none)."""
    found = []
    for submission_id in prescription_gates.waiting(gate):
        submission = submissions.get(submission_id)
        if submission is not None and submission.prescription_gate is not None:
            if prescription_gates.Gate.of(submission.prescription_gate) == gate:
                found.append(submission)
    return found


def release(submission: Submission, written: dict[str, Any], *, source: str) -> Outcome:
    """Releases one waiting submission if the written prescription is the one it orders, or holds it."""
    key = f'prescription#{written["key"]}'
    for _ in range(_SAVE_ATTEMPTS):
        if not submission.awaits_prescription:
            # Released already (a repeated report), or ended; a release whose invocation died before the pharmacy's
            # answer was recorded is settled as failed (the repeat is the provider retrying that very webhook).
            settle_if_abandoned(submission)
            return Outcome()
        rx = parse_submission(submission.request_payload)
        med = _matching(submission, rx, written['meds'])
        at = iso_timestamp()
        detail = {'event': written['event']}
        sending: tuple[PharmacyType, dict[str, Any]] | None = None
        if med is None:
            prescribed = ', '.join(sorted({str(m.get('medId')) for m in written['meds']}))
            ordered = _ordered(submission, rx)
            reason = f'The written prescription does not include the ordered medication ({ordered}); prescribed: {prescribed}'
        else:
            filled, applied = _as_prescribed(rx, med)
            try:
                sending = _routed(submission, filled)
            except Unprocessable as exc:  # a configuration error (503) propagates: the provider retries, nothing lost
                reason = f'The order cannot be sent as it was routed: {exc.message}'
        if sending is None:
            before = (submission.status, submission.error_message)
            submission.prescription_held(reason, at, source=source, key=f'{key}#held', detail=detail)
            if (submission.status, submission.error_message) == before:
                timeline.record(submission.id, submission.new_events.pop())
                return Outcome(held=True)
        else:
            assert med is not None
            record = {**written, 'medId': med.get('medId'), 'rxId': med.get('rxId'), 'applied': applied}
            detail.update(medId=med.get('medId'), rxId=med.get('rxId'), applied=applied or None)
            submission.prescription_released(record, at, source=source, key=f'{key}#released', detail=detail)
        try:
            submissions.save(submission)
        except submissions.LostRace:
            current = submissions.get(submission.id)
            if current is None:
                raise
            submission = current
            continue
        break
    else:
        raise RuntimeError('submission kept changing while its prescription was applied')
    if sending is None:
        logger.warning('gated submission held', extra={'submission_id': submission.id, 'source': source})
        count(Metric.SUBMISSIONS_HELD, submission.pharmacy)
        jobs.enqueue(submission)
        return Outcome(held=True)
    pharmacy, native = sending
    released = submission
    assert released.prescription_gate is not None
    prescription_gates.stopped_waiting(prescription_gates.Gate.of(released.prescription_gate), released.id)
    logger.info('gated submission released', extra={'submission_id': released.id, 'source': source})
    count(Metric.SUBMISSIONS_RELEASED, released.pharmacy)
    send_and_record(released, lambda: pharmacy.send(native, test=released.test), 'released submission')
    return Outcome(released=True)


def _ordered(submission: Submission, rx: PrescriptionSubmission) -> str:
    ids = _ordered_ids(submission, rx)
    return 'medId ' + ' / '.join(ids) if ids else 'no medId or productId to match'


def _ordered_ids(submission: Submission, rx: PrescriptionSubmission) -> list[str]:
    gate = submission.prescription_gate or {}
    if gate.get('medId'):
        return [gate['medId']]
    return list(dict.fromkeys(i for i in (rx.medication.product_id, submission.product) if i))


def _matching(submission: Submission, rx: PrescriptionSubmission, meds: list[dict[str, Any]]) -> dict[str, Any] | None:
    ordered = set(_ordered_ids(submission, rx))
    return next((m for m in meds if isinstance(m.get('medId'), str) and m['medId'].strip() in ordered), None)


def _as_prescribed(rx: PrescriptionSubmission, med: dict[str, Any]) -> tuple[PrescriptionSubmission, list[str]]:
    """The order with what the prescriber wrote (the provider sends numbers as strings); the fields it changed."""
    values = {
        'quantity': _number(med.get('quantity'), 0, MAX_QUANTITY, integral=False),
        'refills': _number(med.get('refills'), -1, 99),
        'days_supply': _number(med.get('daysSupply'), 0, 365),
        'sig': med['sig'].strip() if isinstance(med.get('sig'), str) and med['sig'].strip() else None,
    }
    current = rx.medication
    changed = {k: v for k, v in values.items() if v is not None and v != getattr(current, k)}
    if not changed:
        return rx, []
    medication = current.model_copy(update=changed)
    return rx.model_copy(update={'medication': medication}), sorted(changed)


def _number(value: Any, above: float, at_most: float, *, integral: bool = True) -> int | float | None:
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not isfinite(number) or not above < number <= at_most or (integral and not number.is_integer()):
        return None
    return int(number) if number.is_integer() else number


def _routed(submission: Submission, rx: PrescriptionSubmission) -> tuple[PharmacyType, dict[str, Any]]:
    """Routed again as a direct submit would be now: the pharmacy must be the one the order was accepted for (a
    change of route is support's decision, never silent). Its translated order."""
    config = cached_config()
    decision = resolve(routing_request(rx), config)
    if decision.pharmacy != submission.pharmacy:
        raise Unprocessable(f'it now routes to {decision.pharmacy}, not {submission.pharmacy}')
    pharmacy = adapters.bound(config.pharmacies[decision.pharmacy])
    return pharmacy, pharmacy.translate(submission.id, rx, decision.drug)


def still_waiting(waiting: prescription_gates.Waiting) -> Submission | None:
    """The submission a waiting entry names, if it still waits for that prescription. An entry that no longer does
    (its submission released, held or cancelled, or never reserved) leaves the waiting index."""
    submission = submissions.get(waiting.submission_id)
    gate = prescription_gates.Gate.of(submission.prescription_gate) if submission and submission.prescription_gate else None
    if submission is None or gate != waiting.gate or not submission.awaits_prescription:
        prescription_gates.stopped_waiting(waiting.gate, waiting.submission_id)
        return None
    return submission


@dataclass
class RecoverySummary:
    asked: int = 0
    released: int = 0
    failed: int = 0


def recover_missed(limit: int) -> RecoverySummary:
    """Gated submissions still waiting after PRESCRIPTION_POLL_AFTER_SECONDS: Beluga's visit is fetched, and one whose
    prescription is written there is released (or held) as its RX_WRITTEN would have done, the timeline saying it was
    recovered by polling. Each is asked again a period later while it still waits. Off without BELUGA_API_URL."""
    summary = RecoverySummary()
    if not beluga_provider.enabled():
        return summary
    before = iso_timestamp(utc_now() - timedelta(seconds=settings().prescription_poll_after_seconds))
    for waiting in prescription_gates.due_for_check(beluga_provider.PROVIDER, before, limit):
        submission = still_waiting(waiting)
        if submission is None:
            continue
        summary.asked += 1
        try:
            meds = beluga_provider.prescribed(waiting.gate.master_id)
        except (PharmacyFailed, ConfigurationError) as exc:
            summary.failed += 1
            prescription_gates.checked(waiting)
            logger.warning('prescription poll failed', extra={'submission_id': submission.id, 'error': type(exc).__name__})
            continue
        if not meds:
            prescription_gates.checked(waiting)
            continue
        digest = hashlib.sha256(json.dumps(meds, sort_keys=True).encode()).hexdigest()[:32]
        written = {'event': 'RX_HISTORY', 'source': POLL_SOURCE, 'key': digest, 'receivedAt': iso_timestamp(), 'meds': meds}
        prescription_gates.record_written(waiting.gate, written)
        outcome = release(submission, written, source=POLL_SOURCE)
        if outcome.released:
            summary.released += 1
            logger.info('prescription recovered by polling', extra={'submission_id': submission.id})
        else:
            prescription_gates.checked(waiting)
    return summary
