"""Timeline events: stored with the submission during its submit phase, one item each in the timeline table
after it. Events carry no patient data (ids, statuses, tracking, reasons)."""

import uuid
from typing import Any

from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.submission import Submission
from rx_router.store import table
from rx_router.store.models import LegacyHistoryEntry, TimelineModel


def legacy_event(entry: LegacyHistoryEntry) -> TimelineEvent:
    """A status change of a record written before the timeline: by the router (its answer) or a webhook."""
    kind = EventKind.WEBHOOK_ACCEPTED if entry.source.startswith('webhook:') else EventKind.ANSWERED
    return TimelineEvent(
        at=entry.at,
        kind=kind,
        source=entry.source,
        from_status=entry.from_status,
        to_status=entry.to_status,
        tracking_number=entry.tracking_number,
        carrier=entry.carrier,
    )


def legacy_callback(last_callback: dict[str, Any]) -> TimelineEvent:
    """The last callback attempt of a record written before the timeline (its `lastCallback`)."""
    detail = {k: v for k, v in last_callback.items() if k != 'at' and v is not None}
    return TimelineEvent(
        at=str(last_callback.get('at', '')), kind=EventKind.CALLBACK, source='callbacks', detail=detail, key='callback#legacy'
    )


def item(submission_id: str, event: TimelineEvent) -> TimelineModel:
    """The event's own item: under its key, or a new unique one (sorting by time)."""
    key = event.key or f'{event.at}#{event.kind.value}#{uuid.uuid4().hex[:12]}'
    return TimelineModel(submission_id=submission_id, key=key, event=event.to_record())


def put_request(submission_id: str, event: TimelineEvent) -> dict[str, Any]:
    """The event's PutItem, for a transaction with the change it records."""
    return table.put_request(item(submission_id, event))


def record(submission_id: str, event: TimelineEvent) -> bool:
    """Stores an event that changes nothing on the submission. An event already recorded under the same key
    is not written again (a repeated identical webhook adds nothing); returns whether it was new."""
    try:
        table.put(item(submission_id, event), table.missing(TimelineModel.key))
    except table.ConditionFailed:
        return False
    return True


def holds(submission: Submission, key: str) -> bool:
    """Whether an event keyed `key` (or `key#<status>`, as a report that changed the status or tracking is keyed)
    is on the submission's timeline. `key` must end in a separator-free id (no `#`), so no other key shares it."""
    if any(e.key == key or e.key.startswith(key + '#') for e in submission.recorded_events):
        return True
    condition = table.equals(TimelineModel.submission_id, submission.id) & table.begins_with(TimelineModel.key, key)
    return any(
        raw['key']['S'] == key or raw['key']['S'].startswith(key + '#')
        for raw in table.query(TimelineModel, condition, consistent=True)
    )


def events_of(submission: Submission) -> list[TimelineEvent]:
    """Every event of a submission, oldest first: those stored with it and the timeline table's."""
    stored = table.query(TimelineModel, table.equals(TimelineModel.submission_id, submission.id), consistent=True)
    later = [TimelineEvent.from_record(TimelineModel.from_raw_data(raw).event) for raw in stored]
    return sorted([*submission.recorded_events, *later], key=_order)


def _order(event: TimelineEvent) -> Any:
    return (event.at, _KIND_ORDER.get(event.kind, len(_KIND_ORDER)))


_KIND_ORDER = {kind: position for position, kind in enumerate(EventKind)}
