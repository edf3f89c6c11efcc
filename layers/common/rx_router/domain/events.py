"""What can happen to a submission, as recorded on its timeline: when, what, who said so, and the facts,
never patient data (ids, statuses, tracking, reasons)."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple


class EventKind(StrEnum):
    RECEIVED = 'received'  # the API accepted the request and reserved its deduplication key
    ROUTED = 'routed'  # the routing decision
    SENT = 'sent_to_pharmacy'
    ANSWERED = 'pharmacy_answered'  # the pharmacy's answer to the order (or the router's verdict when it has none)
    WEBHOOK_ACCEPTED = 'webhook_accepted'
    WEBHOOK_REFUSED = 'webhook_refused'
    PHARMACY_REPORTED = 'pharmacy_reported'  # the pharmacy's answer to a status query or a cancel
    CLIENT_REQUEST = 'client_request'  # an API client asked for something after the submit (cancel, refill)
    CALLBACK = 'callback'  # one callback attempt (or a failure to queue one)
    OPERATOR = 'operator_action'
    PRESCRIPTION = 'prescription'  # the prescription provider's news: written (release), mismatch (hold), cancelled


Detail = Mapping[str, Any]
NO_DETAIL: Detail = MappingProxyType({})


class TimelineEvent(NamedTuple):
    """One entry of a submission's timeline. `from_status`/`to_status` are set when the event changed the
    status or the tracking (then `to_status` is the status after it, possibly unchanged)."""

    at: str
    kind: EventKind
    source: str
    actor: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    raw_status: str | None = None
    detail: Detail = NO_DETAIL
    # Identifies an event that may be reported more than once: the same key is the same event (recorded once).
    # Events without one are each unique.
    key: str = ''

    @property
    def is_history(self) -> bool:
        """A change of status or tracking (what GET's `history` lists)."""
        return self.to_status is not None

    def to_record(self) -> dict[str, Any]:
        """The stored shape (the store writes it as JSON): every field, without empty ones."""
        stored = {**self._facts(), 'detail': dict(self.detail) or None, 'key': self.key or None}
        return {k: v for k, v in stored.items() if v is not None}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> 'TimelineEvent':
        return cls(
            at=record['at'],
            kind=EventKind(record['kind']),
            source=record['source'],
            actor=record.get('actor'),
            from_status=record.get('from'),
            to_status=record.get('to'),
            tracking_number=record.get('trackingNumber'),
            carrier=record.get('carrier'),
            raw_status=record.get('pharmacyStatus'),
            detail=dict(record.get('detail') or {}),
            key=record.get('key', ''),
        )

    def _facts(self) -> dict[str, Any]:
        return {
            'at': self.at,
            'kind': self.kind.value,
            'source': self.source,
            'actor': self.actor,
            'from': self.from_status,
            'to': self.to_status,
            'trackingNumber': self.tracking_number,
            'carrier': self.carrier,
            'pharmacyStatus': self.raw_status,
        }

    def view(self) -> dict[str, Any]:
        """The client-facing shape (camelCase), without empty fields."""
        return {k: v for k, v in {**self.detail, **self._facts()}.items() if v is not None}
