"""A submission's diagnosis: the fulfillment guide's "What CS should check" and "Troubleshooting" lists, as far as
the router can know them, each with a verdict (ok / attention / escalate) and its evidence; then the guide's
escalation verdict and a summary support can paste. Built from the stored submission, its timeline and the current
configuration only (no pharmacy is called); thresholds are settings (DIAGNOSIS_*_HOURS).

Evidence holds ids, statuses, names of pharmacies and products, reasons and times: never patient data.
"""

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.clock import utc_now
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import TERMINAL, Status
from rx_router.domain.submission import Submission
from rx_router.pharmacies.records import PharmacyConfig
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import Capability
from rx_router.service.get_submission import owned_submission
from rx_router.service.send import ABANDONED_AFTER
from rx_router.settings import Settings, settings
from rx_router.store import timeline
from rx_router.store.clients import ApiClient
from rx_router.store.config import cached_pharmacies

CheckName = Literal[
    'status',
    'prescription',
    'routing',
    'drugMapping',
    'hardcopy',
    'integrationError',
    'tracking',
    'webhooks',
    'callbacks',
    'pharmacyStatus',
]  # in the order the diagnosis lists them


class Verdict(StrEnum):
    OK = 'ok'
    ATTENTION = 'attention'
    ESCALATE = 'escalate'


class Check(NamedTuple):
    name: CheckName
    verdict: Verdict
    summary: str
    evidence: dict[str, Any]

    def view(self) -> dict[str, Any]:
        return {'check': self.name, 'verdict': self.verdict.value, 'summary': self.summary, 'evidence': self.evidence}


class Facts(NamedTuple):
    submission: Submission
    events: list[TimelineEvent]
    config: PharmacyConfig
    now: datetime
    thresholds: Settings

    def since(self, at: str) -> float:
        """Hours from `at` to now."""
        return round((self.now - datetime.fromisoformat(at)).total_seconds() / 3600, 1)

    @property
    def status_since(self) -> str:
        moves = [e.at for e in self.events if e.to_status == self.submission.status.value and e.from_status != e.to_status]
        return moves[-1] if moves else self.submission.created_at

    @property
    def last_update(self) -> str:
        news = [
            e.at for e in self.events if e.kind in (EventKind.WEBHOOK_ACCEPTED, EventKind.PHARMACY_REPORTED, EventKind.ANSWERED)
        ]
        return max([self.submission.updated_at, *news])


def _status(f: Facts) -> Check:
    s = f.submission
    evidence = {'status': s.status.value, 'since': f.status_since, 'hours': f.since(f.status_since)}
    if s.held_from:
        evidence['heldFrom'] = s.held_from.value
    if s.status is Status.FAILED:
        return Check('status', Verdict.ESCALATE, 'The submission failed: the pharmacy does not have it (or may not)', evidence)
    if s.status is Status.ON_HOLD:
        return Check('status', Verdict.ATTENTION, f'On hold: {s.error_message or "no reason recorded"}', evidence)
    if s.status is Status.PENDING and f.since(s.pending_since) * 3600 > ABANDONED_AFTER.total_seconds():
        return Check('status', Verdict.ESCALATE, 'Still being sent long after it started: the sending invocation died', evidence)
    return Check('status', Verdict.OK, f'{s.status.value} since {f.status_since}', evidence)


def _prescription(f: Facts) -> Check:
    s = f.submission
    sent = [e.at for e in f.events if e.kind is EventKind.SENT]
    if s.prescription_gate is None:
        evidence = {'required': False, 'sentAt': sent[0] if sent else None}
        return Check('prescription', Verdict.OK, 'Direct submit: the client asserted the prescription is written', evidence)
    released = [e for e in f.events if e.kind is EventKind.PRESCRIPTION and e.to_status == Status.PENDING.value]
    evidence = {
        'required': True,
        'provider': s.prescription_gate.get('provider'),
        'masterId': s.prescription_gate.get('masterId'),
        'received': s.prescription_written is not None,
        'releasedBy': (s.prescription_written or {}).get('event'),
        'releasedVia': released[-1].source if released else None,
        'rxId': (s.prescription_written or {}).get('rxId'),
    }
    if sent and (not released or sent[0] < released[0].at):
        return Check('prescription', Verdict.ESCALATE, 'Sent to the pharmacy before the prescription was recorded', evidence)
    if s.prescription_written is not None:
        return Check('prescription', Verdict.OK, f'Prescription received ({evidence["releasedBy"]})', evidence)
    if s.status is Status.CANCELLED:
        return Check('prescription', Verdict.OK, 'Cancelled before the prescription was written', evidence)
    hours = f.since(s.created_at)
    if hours > f.thresholds.diagnosis_awaiting_prescription_hours:
        return Check('prescription', Verdict.ATTENTION, f'Waiting for the prescription for {hours} h', evidence)
    return Check('prescription', Verdict.OK, 'Waiting for the prescription (nothing sent to any pharmacy)', evidence)


def _routing(f: Facts) -> Check:
    s = f.submission
    decision = s.routing_decision or {}
    product = f.config.products.get(s.product) if s.product else None
    default = product.default_pharmacy if product else None
    evidence = {
        'pharmacy': s.pharmacy,
        'pharmacyType': s.pharmacy_type,
        'rule': decision.get('rule'),
        'product': s.product,
        'productDefaultPharmacy': default,
        'matchesDefault': None if default is None else default == s.pharmacy,
    }
    if default is not None and default != s.pharmacy and decision.get('rule') != 'preferred_pharmacy':
        return Check(
            'routing', Verdict.ESCALATE, f"Routed to {s.pharmacy}, not the product's Default Pharmacy {default}", evidence
        )
    if default is not None and default != s.pharmacy:
        return Check('routing', Verdict.ATTENTION, f'The order named {s.pharmacy}; the Default Pharmacy is {default}', evidence)
    why = {'preferred_pharmacy': 'named by the order', 'product_default': "the product's Default Pharmacy"}
    return Check('routing', Verdict.OK, f'{s.pharmacy}: {why.get(str(decision.get("rule")), "the state route")}', evidence)


def _drug_mapping(f: Facts) -> Check:
    s = f.submission
    entry = f.config.entry(s.pharmacy, s.product) if s.product else None
    evidence = {'pharmacy': s.pharmacy, 'product': s.product, 'nativeDrugId': entry.native_id if entry else None}
    if entry is None:
        return Check(
            'drugMapping', Verdict.ESCALATE, f'{s.pharmacy} has no catalog entry for {s.product or "this medication"}', evidence
        )
    return Check('drugMapping', Verdict.OK, f'{s.pharmacy} knows {s.product} as {entry.native_id}', evidence)


def _hardcopy(f: Facts) -> Check:
    s = f.submission
    required = s.pharmacy_type in registry.MODULES and registry.get(s.pharmacy_type).sends_hardcopy
    evidence: dict[str, Any] = {'required': required}
    if not required:
        return Check('hardcopy', Verdict.OK, 'Not required by this pharmacy type', evidence)
    sent = s.pharmacy_order_id is not None
    evidence['generated'] = sent  # the order body carries it: an order the pharmacy accepted had one
    if not sent and s.status in (Status.FAILED, Status.ON_HOLD):  # a missing hardcopy field is one possible cause
        return Check('hardcopy', Verdict.ATTENTION, 'Never sent: see integrationError for why', evidence)
    return Check('hardcopy', Verdict.OK, 'Sent with the order' if sent else 'Not sent yet', evidence)


def _integration_error(f: Facts) -> Check:
    s = f.submission
    refused = s.status is Status.FAILED
    evidence = {'error': s.error_message, 'pharmacyStatus': s.pharmacy_status}
    if refused:
        return Check('integrationError', Verdict.ESCALATE, s.error_message or 'Failed without a recorded reason', evidence)
    if s.error_message:
        return Check('integrationError', Verdict.ATTENTION, s.error_message, evidence)
    return Check('integrationError', Verdict.OK, 'None', evidence)


def _tracking(f: Facts) -> Check:
    s = f.submission
    evidence: dict[str, Any] = {
        'trackingNumber': s.tracking_number,
        'carrier': s.carrier,
        'packages': len(s.packages),
        'lastUpdate': f.last_update,
        'hoursSinceUpdate': f.since(f.last_update),
    }
    if s.status is Status.SHIPPED and not s.tracking_number:
        hours = f.since(f.status_since)
        if hours > f.thresholds.diagnosis_shipped_without_tracking_hours:
            return Check('tracking', Verdict.ESCALATE, f'Shipped {hours} h ago without tracking', evidence)
        return Check('tracking', Verdict.ATTENTION, 'Shipped; no tracking yet', evidence)
    if s.status in (Status.SUBMITTED, Status.PROCESSING, Status.SHIPPED):
        hours = f.since(f.last_update)
        if hours > f.thresholds.diagnosis_no_update_hours:
            return Check('tracking', Verdict.ESCALATE, f'No update from the pharmacy for {hours} h', evidence)
    summary = f'{s.carrier or "carrier unknown"} {s.tracking_number}' if s.tracking_number else 'No tracking (not shipped)'
    return Check('tracking', Verdict.OK, summary, evidence)


def _webhooks(f: Facts) -> Check:
    refused = [e for e in f.events if e.kind is EventKind.WEBHOOK_REFUSED]
    accepted = [e for e in f.events if e.kind is EventKind.WEBHOOK_ACCEPTED]
    reasons = sorted({str(e.detail.get('reason')) for e in refused})
    evidence = {'accepted': len(accepted), 'refused': len(refused), 'refusedReasons': reasons}
    if refused:
        return Check(
            'webhooks', Verdict.ATTENTION, f'{len(refused)} webhook(s) about this order refused: {", ".join(reasons)}', evidence
        )
    return Check('webhooks', Verdict.OK, f'{len(accepted)} accepted, none refused', evidence)


def _callbacks(f: Facts) -> Check:
    attempts = [e for e in f.events if e.kind is EventKind.CALLBACK]
    outcomes = [str(e.detail.get('outcome')) for e in attempts]
    latest = {e.detail.get('eventId'): str(e.detail.get('outcome')) for e in attempts}  # a redrive may have delivered it
    dead = sum(outcome in ('dead-lettered', 'not-queued') for outcome in latest.values())
    failed = outcomes.count('retrying')
    last = attempts[-1] if attempts else None
    evidence = {
        'attempts': len(attempts),
        'delivered': outcomes.count('delivered'),
        'failedAttempts': failed,
        'deadLettered': dead,
        'last': {'at': last.at, **{k: last.detail.get(k) for k in ('status', 'outcome', 'httpStatus')}} if last else None,
    }
    if dead:
        return Check(
            'callbacks', Verdict.ESCALATE, f'{dead} callback(s) never reached the client (dead-lettered or not queued)', evidence
        )
    if last is not None and last.detail.get('outcome') == 'retrying':
        return Check('callbacks', Verdict.ATTENTION, 'The latest callback is being retried', evidence)
    return Check('callbacks', Verdict.OK, f'{evidence["delivered"]} delivered', evidence)


def _pharmacy_status(f: Facts) -> Check:
    s = f.submission
    kind = registry.get(s.pharmacy_type) if s.pharmacy_type in registry.MODULES else None
    queryable = kind is not None and Capability.STATUS in kind.capabilities
    polls = [e for e in f.events if e.kind is EventKind.PHARMACY_REPORTED and e.source == 'poll']
    evidence: dict[str, Any] = {'queryable': queryable, 'lastAskedAt': polls[-1].at if polls else None}
    if not queryable:
        return Check('pharmacyStatus', Verdict.OK, 'This pharmacy type answers no status queries', evidence)
    if not polls:
        return Check('pharmacyStatus', Verdict.OK, 'Never asked (rxrouter submissions sync ID asks now)', evidence)
    reported = polls[-1].raw_status
    assert kind is not None
    normalised = kind.webhook.normalise(reported) if kind.webhook else None
    evidence.update(pharmacyReported=reported, pharmacyReportedAs=normalised.value if normalised else None)
    agrees = normalised in (None, s.status) or s.status in TERMINAL or s.status is Status.ON_HOLD
    if not agrees:
        return Check(
            'pharmacyStatus', Verdict.ESCALATE, f'The pharmacy reported {reported}; the router shows {s.status.value}', evidence
        )
    return Check('pharmacyStatus', Verdict.OK, f'The pharmacy last reported {reported}', evidence)


CHECKS: tuple[Callable[[Facts], Check], ...] = (
    _status,
    _prescription,
    _routing,
    _drug_mapping,
    _hardcopy,
    _integration_error,
    _tracking,
    _webhooks,
    _callbacks,
    _pharmacy_status,
)


def diagnose(
    submission: Submission, events: list[TimelineEvent], config: PharmacyConfig, now: datetime | None = None
) -> dict[str, Any]:
    facts = Facts(submission, events, config, now or utc_now(), settings())
    checks = [check(facts) for check in CHECKS]
    escalate = [c for c in checks if c.verdict is Verdict.ESCALATE]
    attention = [c for c in checks if c.verdict is Verdict.ATTENTION]
    verdict = Verdict.ESCALATE if escalate else Verdict.ATTENTION if attention else Verdict.OK
    return {
        'submissionId': submission.id,
        'verdict': verdict.value,
        'escalate': bool(escalate),
        'reasons': [c.summary for c in escalate or attention],
        'checks': [c.view() for c in checks],
        'escalationSummary': escalation_summary(submission, checks, verdict),
    }


def escalation_summary(submission: Submission, checks: list[Check], verdict: Verdict) -> str:
    """What support pastes into an escalation: ids, product, statuses, pharmacy, type, error, tracking. Never the
    patient's name, contact or address (support adds those from their own systems)."""
    s = submission
    lines = [
        f'Verdict: {verdict.value}',
        f'Submission: {s.id} (source {s.source}, order {s.source_order_id})',
        f'Product: {s.product or "-"} ({s.medication_name})',
        f'Status: {s.status.value}' + (f' (held from {s.held_from.value})' if s.held_from else '') + f', updated {s.updated_at}',
        f'Pharmacy: {s.pharmacy} (type {s.pharmacy_type}), pharmacy order {s.pharmacy_order_id or "-"}'
        + (f', pharmacy status {s.pharmacy_status}' if s.pharmacy_status else ''),
        f'Prescription: {_prescription_line(s)}',
        f'Error: {s.error_message or "-"}',
        f'Tracking: {s.carrier or "-"} {s.tracking_number or "-"}',
    ]
    lines += [f'- {c.name}: {c.summary}' for c in checks if c.verdict is not Verdict.OK]
    return '\n'.join(lines)


def _prescription_line(s: Submission) -> str:
    if s.prescription_gate is None:
        return 'direct submit'
    gate = f'{s.prescription_gate.get("provider")} {s.prescription_gate.get("masterId")}'
    if s.prescription_written is None:
        return f'{gate}, not written yet'
    return f'{gate}, written ({s.prescription_written.get("event")}, rx {s.prescription_written.get("rxId") or "-"})'


def get_diagnosis(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    submission = owned_submission(request, client)
    return ApiResponse(200, diagnose(submission, timeline.events_of(submission), cached_pharmacies()))
