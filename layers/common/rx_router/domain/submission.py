"""The Submission entity: one prescription on its way from the client to the patient.

It applies what happens to it (the pharmacy's answer, a pharmacy's report, a hold) through the transition
table in statuses.py, keeps the pharmacy's raw status beside the normalised one, merges tracking without
ever overwriting a package, and collects the timeline events it produces until the store saves them.
"""

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import REPORTABLE, Status, Trigger, next_status

ROUTER = 'router'
MAX_PACKAGES = 20
CallbackKind = Literal['initial', 'update']


class InvalidTransition(Exception):
    """A code path asked for a transition the table does not allow: a bug, never a client's error."""


class Package(NamedTuple):
    tracking_number: str
    carrier: str | None = None


class PharmacyReport(NamedTuple):
    """A pharmacy's status update, as its type's webhook parser understood it."""

    order_id: str
    raw_status: str | None = None
    status: Status | None = None  # None: no status given, or a raw status outside the type's vocabulary
    tracking_number: str | None = None
    carrier: str | None = None
    # The router's own submission id as the pharmacy echoes it back, when it does (finds the order when the
    # report's pharmacy order id is missing).
    reference_id: str | None = None
    # A tracking page the pharmacy gave (kept on the timeline's event; packages carry number and carrier only).
    tracking_url: str | None = None

    @property
    def unknown_status(self) -> bool:
        return self.raw_status is not None and self.status is None


class Change(NamedTuple):
    """What applying something did: the status moved (worth a callback), tracking or raw status changed."""

    from_status: Status
    to_status: Status
    tracking_added: bool = False
    raw_status_changed: bool = False

    @property
    def moved(self) -> bool:
        return self.from_status is not self.to_status

    @property
    def changed(self) -> bool:
        return self.moved or self.tracking_added or self.raw_status_changed


# No generated repr (it would print patient data from request_payload into a traceback) and no field-wise
# equality (an entity is itself, not its values).
@dataclass(eq=False, repr=False)
class Submission:
    id: str
    api_key_id: str
    api_key: str
    source: str
    source_order_id: str
    callback_url: str
    patient_state: str
    medication_name: str
    pharmacy: str
    pharmacy_type: str
    status: Status
    test: bool
    body_hash: str
    request_payload: dict[str, Any]
    created_at: str
    updated_at: str
    product: str | None = None
    routing_decision: dict[str, Any] | None = None
    held_from: Status | None = None
    pharmacy_order_id: str | None = None
    pharmacy_status: str | None = None
    packages: list[Package] = field(default_factory=list)
    error_message: str | None = None
    response_payload: Any = None
    submitted_at: str | None = None
    callback_kind: CallbackKind = 'initial'
    status_queryable: bool = False  # its pharmacy's type answers status queries (reconciliation may ask it)
    refill_of: str | None = None  # a refill: the submission whose prescription it fills again
    refill_number: int | None = None
    refills_used: int = 0  # an original: refills reserved so far (changed by the store's counter only)
    polled_at: str | None = None  # when reconciliation last asked the pharmacy
    # A gated submission: the prescription it waits for ({provider, masterId, medId?}), what the provider said was
    # written (recorded when it released the submission), and when that was.
    prescription_gate: dict[str, Any] | None = None
    prescription_written: dict[str, Any] | None = None
    released_at: str | None = None
    version: int | None = None  # the store's optimistic lock: the version this copy was read at
    recorded_events: list[TimelineEvent] = field(default_factory=list)  # stored with the submission itself
    new_events: list[TimelineEvent] = field(default_factory=list)  # not stored yet
    # The stored values, as the store last read or wrote them (the store's own: a save writes what differs).
    persisted: dict[str, Any] = field(default_factory=dict)

    @property
    def tracking_number(self) -> str | None:
        return self.packages[-1].tracking_number if self.packages else None

    @property
    def carrier(self) -> str | None:
        return self.packages[-1].carrier if self.packages else None

    def record(self, event: TimelineEvent) -> None:
        self.new_events.append(event)

    @property
    def answered_status(self) -> Status:
        """The status the submit (or refill) request answered with, whatever happened to the order since: a repeated
        request answers it again. A gated submission answered `awaiting_prescription`; accepted orders answered
        `submitted`; one the pharmacy never took, `failed`."""
        if self.prescription_gate is not None:
            return Status.AWAITING_PRESCRIPTION
        if self.pharmacy_order_id is not None:
            return Status.SUBMITTED
        return self.status

    @property
    def pending_since(self) -> str:
        """When the submission became pending (was reserved, or released by its prescription)."""
        return self.released_at or self.created_at

    @property
    def awaits_prescription(self) -> bool:
        """Gated and not yet released: waiting, or held while waiting (a mismatch)."""
        current = self.held_from if self.status is Status.ON_HOLD else self.status
        return current is Status.AWAITING_PRESCRIPTION

    @property
    def awaits_pharmacy(self) -> bool:
        """At a pharmacy and not finished there: the status a status query could move."""
        current = self.held_from if self.status is Status.ON_HOLD else self.status
        return current in (Status.SUBMITTED, Status.PROCESSING, Status.SHIPPED)

    # --- the submit path --------------------------------------------------------------------------------

    def sent(self, at: str) -> None:
        if self.prescription_gate is not None and self.prescription_written is None:
            # The prescription boundary: every path to a pharmacy passes here.
            raise InvalidTransition('a gated submission is never sent before its prescription is written')
        self.record(TimelineEvent(at, EventKind.SENT, ROUTER, actor=self.pharmacy, detail={'test': self.test}))

    def accepted(self, pharmacy_order_id: str, response: Any, at: str) -> Change:
        change = self._move_or_fail(Trigger.ACCEPTED, at)
        self.pharmacy_order_id, self.submitted_at, self.response_payload = pharmacy_order_id, at, response
        self.callback_kind = 'initial'
        self._answered(change, at, {'pharmacyOrderId': pharmacy_order_id})
        return change

    def failed(self, error: str, response: Any, at: str, *, http_status: int | None = None, abandoned: bool = False) -> Change:
        change = self._move_or_fail(Trigger.ABANDONED if abandoned else Trigger.REJECTED, at)
        self.error_message, self.response_payload = error, response
        self.callback_kind = 'initial'
        self._answered(change, at, {'error': error, 'pharmacyHttpStatus': http_status, 'abandoned': abandoned or None})
        return change

    def _answered(self, change: Change, at: str, detail: dict[str, Any]) -> None:
        self.record(
            TimelineEvent(
                at,
                EventKind.ANSWERED,
                ROUTER,
                actor=self.pharmacy,
                from_status=change.from_status,
                to_status=change.to_status,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )

    # --- the prescription gate ------------------------------------------------------------------------------

    def prescription_released(self, written: dict[str, Any], at: str, *, source: str, key: str, detail: dict[str, Any]) -> Change:
        """The prescription it waited for is written: pending, to be sent as a direct submit is."""
        change = self._move_or_fail(Trigger.PRESCRIPTION_WRITTEN, at)
        self.prescription_written, self.released_at, self.error_message = written, at, None
        moved = {'from_status': change.from_status, 'to_status': change.to_status}
        self.record(TimelineEvent(at, EventKind.PRESCRIPTION, source, **moved, detail=detail, key=key))
        return change

    def prescription_held(self, reason: str, at: str, *, source: str, key: str, detail: dict[str, Any]) -> Change:
        """The prescription written is not the one ordered (or the order can no longer go where it was routed):
        on hold for support, with the reason (safe to show: ids and product codes, never patient data)."""
        change = self._move(Trigger.HOLD, at)
        self.error_message, self.callback_kind = reason, 'initial'
        self.record(
            TimelineEvent(
                at,
                EventKind.PRESCRIPTION,
                source,
                from_status=change.from_status if change.moved else None,
                to_status=change.to_status if change.moved else None,
                detail={**detail, 'reason': reason},
                key=key,
            )
        )
        return change

    # --- the pharmacy's reports ---------------------------------------------------------------------------

    def report(
        self,
        report: PharmacyReport,
        *,
        at: str,
        source: str,
        actor: str,
        key: str,
        kind: EventKind = EventKind.WEBHOOK_ACCEPTED,
    ) -> Change:
        """Applies a pharmacy's update forward-only, adds tracking it has not seen, keeps the raw status of
        the report that stands (a late report's does not replace it). An unknown raw status changes nothing, nor
        does a report of `submitted` (the pharmacy has the order and has not started it; no trigger is that).

        `key` identifies the report: a report identical to one recorded before, changing nothing, is that
        same event again."""
        before = self.status
        trigger = REPORTABLE.get(report.status) if report.status is not None else None
        if trigger is not None:
            self._move(trigger, at)
        tracking_added = self._add_tracking(report.tracking_number, report.carrier)
        raw_changed = report.status is self.status and report.raw_status != self.pharmacy_status
        if raw_changed:
            self.pharmacy_status = report.raw_status
        change = Change(before, self.status, tracking_added, raw_changed)
        if change.moved:
            self.callback_kind = 'update'
        if change.changed:
            self.updated_at = at
        history = change.moved or tracking_added
        if report.unknown_status:
            outcome = 'unknown status: tracking added' if tracking_added else 'unknown status: nothing changed'
        else:
            outcome = 'moved' if change.moved else ('tracking added' if tracking_added else 'no change')
        self.record(
            TimelineEvent(
                at,
                kind,
                source,
                actor=actor,
                from_status=before if history else None,
                to_status=self.status if history else None,
                tracking_number=self.tracking_number if history else report.tracking_number,
                carrier=self.carrier if history else report.carrier,
                raw_status=report.raw_status,
                detail={'outcome': outcome, **({'trackingUrl': report.tracking_url} if report.tracking_url else {})},
                key=f'{key}#{self.status.value}' if history else key,
            )
        )
        return change

    def _add_tracking(self, number: str | None, carrier: str | None) -> bool:
        if number:
            known = next((p for p in self.packages if p.tracking_number == number), None)
            if known is None:
                if len(self.packages) >= MAX_PACKAGES:
                    return False
                self.packages.append(Package(number, carrier))
                return True
            if carrier and known.carrier != carrier:
                self.packages[self.packages.index(known)] = Package(number, carrier)
                return True
            return False
        if carrier and self.packages and self.packages[-1].carrier != carrier:
            self.packages[-1] = Package(self.packages[-1].tracking_number, carrier)
            return True
        return False

    # --- transitions ------------------------------------------------------------------------------------

    def _move(self, trigger: Trigger, at: str) -> Change:
        before = self.status
        target = next_status(self.status, trigger, self.held_from)
        if target is None or target is before:
            return Change(before, before)
        if target is Status.ON_HOLD:
            self.held_from = before
        elif before is Status.ON_HOLD:
            self.held_from = None
        self.status, self.updated_at = target, at
        return Change(before, target)

    def _move_or_fail(self, trigger: Trigger, at: str) -> Change:
        change = self._move(trigger, at)
        if not change.moved:
            raise InvalidTransition(f'{trigger.value} is not a transition from {self.status.value}')
        return change
