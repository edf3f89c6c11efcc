"""Submission records: the Submission entity <-> its item, saved with conditional writes.

A record's id is a UUIDv5 of its deduplication key (API client, source, sourceOrderId), so the conditional put
that creates the record is also the permanent reservation of the key: two concurrent duplicates can never
both create a record, let alone a pharmacy order. Every later write is conditional on the version it read
(optimistic locking), so two writers racing cannot both make one transition: the loser gets `LostRace`,
re-reads and decides again.

The id is not guessable by other clients: it depends on the owning client's id, which only that client is
ever shown, and GET checks ownership regardless.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from rx_router.domain.events import TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import Package, Submission
from rx_router.store import table, timeline
from rx_router.store.models import SubmissionModel
from rx_router.store.table import ConditionFailed

_ID_NAMESPACE = uuid.UUID('6f1d8a52-6c2e-4f4e-9a55-2b7d3c1e9f10')


@dataclass(frozen=True)
class DedupKey:
    api_key_id: str
    source: str
    source_order_id: str

    @property
    def submission_id(self) -> str:
        return str(uuid.uuid5(_ID_NAMESPACE, '\x1f'.join((self.api_key_id, self.source, self.source_order_id))))


@dataclass(frozen=True)
class Existing:
    submission: Submission
    same_body: bool


class LostRace(Exception):
    """Another writer changed the submission since it was read: read it again and decide again."""


# The entity's fields that change after a submission is created (each a SubmissionModel attribute of the same name).
_MUTABLE = (
    'status',
    'held_from',
    'pharmacy_order_id',
    'pharmacy_status',
    'packages',
    'error_message',
    'response_payload',
    'submitted_at',
    'callback_kind',
    'updated_at',
    'polled_at',
    'prescription_written',
    'released_at',
)


def _stored_value(submission: Submission, name: str) -> Any:
    value = getattr(submission, name)
    if name == 'packages':
        return [{'trackingNumber': p.tracking_number, 'carrier': p.carrier} for p in value] or None
    if isinstance(value, Status):
        return value.value
    return value


def _snapshot(submission: Submission) -> dict[str, Any]:
    snapshot = {name: _stored_value(submission, name) for name in _MUTABLE}
    snapshot.update(tracking_number=submission.tracking_number, carrier=submission.carrier, **_open_order_keys(submission))
    return snapshot


def _open_order_keys(submission: Submission) -> dict[str, str | None]:
    """OpenOrderIndex's keys: present while the submission awaits a pharmacy that can be asked its status."""
    if not (submission.status_queryable and submission.awaits_pharmacy):
        return {'poll_status': None, 'checked_at': None}
    return {'poll_status': submission.status.value, 'checked_at': max(submission.updated_at, submission.polled_at or '')}


def _item(submission: Submission) -> SubmissionModel:
    return SubmissionModel(
        id=submission.id,
        api_key_id=submission.api_key_id,
        api_key=submission.api_key,
        source=submission.source,
        source_order_id=submission.source_order_id,
        callback_url=submission.callback_url,
        patient_state=submission.patient_state,
        medication_name=submission.medication_name,
        product=submission.product,
        pharmacy=submission.pharmacy,
        pharmacy_type=submission.pharmacy_type,
        routing_decision=submission.routing_decision,
        test=submission.test,
        body_hash=submission.body_hash,
        request_payload=submission.request_payload,
        created_at=submission.created_at,
        status_queryable=submission.status_queryable or None,
        refill_of=submission.refill_of,
        refill_number=submission.refill_number,
        prescription_gate=submission.prescription_gate,
        # The submit phase's events, those of the reservation included (a pending record has no others).
        events=[e.to_record() for e in (*submission.recorded_events, *submission.new_events)] or None,
        **_snapshot(submission),
    )


def _entity(item: SubmissionModel) -> Submission:
    packages = [Package(p['trackingNumber'], p.get('carrier')) for p in item.packages or []]
    if not packages and item.tracking_number:  # written before `packages` existed
        packages = [Package(item.tracking_number, item.carrier)]
    submission = Submission(
        id=item.id,
        api_key_id=item.api_key_id,
        api_key=item.api_key,
        source=item.source,
        source_order_id=item.source_order_id,
        callback_url=item.callback_url,
        patient_state=item.patient_state,
        medication_name=item.medication_name,
        pharmacy=item.pharmacy,
        pharmacy_type=item.pharmacy_type or '',
        status=Status(item.status),
        test=item.test,
        body_hash=item.body_hash,
        request_payload=item.request_payload,
        created_at=item.created_at,
        updated_at=item.updated_at,
        product=item.product,
        routing_decision=item.routing_decision,
        held_from=Status(item.held_from) if item.held_from else None,
        pharmacy_order_id=item.pharmacy_order_id,
        pharmacy_status=item.pharmacy_status,
        packages=packages,
        error_message=item.error_message,
        response_payload=item.response_payload,
        submitted_at=item.submitted_at,
        callback_kind='update' if item.callback_kind == 'update' else 'initial',
        status_queryable=bool(item.status_queryable),
        refill_of=item.refill_of,
        refill_number=int(item.refill_number) if item.refill_number is not None else None,
        refills_used=int(item.refills_used or 0),
        polled_at=item.polled_at,
        prescription_gate=item.prescription_gate,
        prescription_written=item.prescription_written,
        released_at=item.released_at,
        version=item.version,
        recorded_events=[
            *(timeline.legacy_event(entry) for entry in item.history or []),
            *([timeline.legacy_callback(item.last_callback)] if item.last_callback else []),
            *(TimelineEvent.from_record(record) for record in item.events or []),
        ],
    )
    submission.persisted = _snapshot(submission)
    return submission


def _changes(submission: Submission) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What to SET and what to REMOVE (None) of the stored fields whose value differs from what was read."""
    set_values: dict[str, Any] = {}
    remove: list[str] = []
    for name, value in _snapshot(submission).items():
        if name in submission.persisted and submission.persisted[name] == value:
            continue
        if value is None:
            remove.append(name)
        else:
            set_values[name] = value
    return set_values, tuple(remove)


def _next_version(submission: Submission) -> int:
    return (submission.version or 0) + 1


def _at_version_read(submission: Submission) -> table.Condition:
    """The record is still at the version it was read at (records written before versions existed have none,
    and their first write gives them one)."""
    if submission.version is None:
        return table.exists(SubmissionModel.id) & table.missing(SubmissionModel.version)
    return table.equals(SubmissionModel.version, submission.version)


def _saved(submission: Submission, version: int, *, events_in_item: bool = True) -> None:
    submission.version = version
    if events_in_item:  # else they went to the timeline table
        submission.recorded_events.extend(submission.new_events)
    submission.new_events.clear()
    submission.persisted = _snapshot(submission)


def reserve(submission: Submission) -> Existing | None:
    """Writes the new record (with its first events) if its key is free; otherwise returns the record that
    holds the key (DynamoDB returns it with the refusal)."""
    item = _item(submission)
    item.version = 1
    try:
        table.put(item, table.missing(SubmissionModel.id), stored_on_failure=True)
    except ConditionFailed as refused:
        existing = _entity(SubmissionModel.from_raw_data(refused.stored)) if refused.stored else get(submission.id)
        if existing is None:  # the refusal came without the item, and it is gone since: never happens in practice
            raise
        return Existing(existing, same_body=existing.body_hash == submission.body_hash)
    _saved(submission, 1)
    return None


def record_outcome(submission: Submission) -> None:
    """Saves the submit phase's end (the pharmacy's answer) with its events, if the record is still pending
    at the version read. Raises LostRace otherwise (another invocation settled it).

    An update of what changed: the prescription itself is not serialised and sent again (the write bills the
    whole item either way)."""
    set_values, remove = _changes(submission)
    version = set_values['version'] = _next_version(submission)
    set_values['events'] = [e.to_record() for e in (*submission.recorded_events, *submission.new_events)]
    condition = table.equals(SubmissionModel.status, Status.PENDING.value) & _at_version_read(submission)
    try:
        table.update(SubmissionModel, {'id': submission.id}, set_values=set_values, remove=remove, condition=condition)
    except ConditionFailed:
        raise LostRace(submission.id) from None
    _saved(submission, version)


def save(submission: Submission) -> None:
    """Saves a change after the submit phase together with its timeline events, in one transaction, if the
    record is still at the version read. Raises LostRace otherwise."""
    set_values, remove = _changes(submission)
    version = _next_version(submission)
    set_values['version'] = version
    change = table.update_request(
        SubmissionModel,
        {'id': submission.id},
        set_values=set_values,
        remove=remove,
        condition=_at_version_read(submission),
    )
    try:
        table.transact(updates=[change], puts=[timeline.put_request(submission.id, e) for e in submission.new_events])
    except ConditionFailed:
        raise LostRace(submission.id) from None
    _saved(submission, version, events_in_item=False)


class RefillRaced(Exception):
    """The original's refill count changed since it was read (another refill, or the same one, got there first)."""


def reserve_refill(original: Submission, refill: Submission) -> None:
    """Counts the refill on `original` (refill number = its count read + 1) and writes the refill's record, in
    one transaction. Raises RefillRaced when the count is no longer the one read, or the refill's id is taken."""
    used = original.refills_used
    was_read = table.equals(SubmissionModel.refills_used, used)
    if used == 0:
        was_read = table.missing(SubmissionModel.refills_used) | was_read
    counted = table.update_request(
        SubmissionModel,
        {'id': original.id},
        set_values={'refills_used': used + 1},
        condition=table.exists(SubmissionModel.id) & was_read,
    )
    item = _item(refill)
    item.version = 1
    try:
        table.transact(updates=[counted], puts=[table.put_request(item, table.missing(SubmissionModel.id))])
    except ConditionFailed:
        raise RefillRaced(original.id) from None
    _saved(refill, 1)
    original.refills_used = used + 1


def release_refill(original: Submission) -> None:
    """Gives back a counted refill the pharmacy definitely did not fill."""
    table.add(SubmissionModel, {'id': original.id}, 'refills_used', -1, condition=table.exists(SubmissionModel.id))


def get(submission_id: str) -> Submission | None:
    item = get_item(submission_id)
    return _entity(item) if item else None


def get_item(submission_id: str) -> SubmissionModel | None:
    return table.get(SubmissionModel, {'id': submission_id})


def find_existing(key: DedupKey, body_hash: str) -> Existing | None:
    existing = get(key.submission_id)
    return Existing(existing, same_body=existing.body_hash == body_hash) if existing else None


def due_for_poll(status: str, checked_before: str, limit: int) -> list[str]:
    """Ids of submissions in `status` awaiting a queryable pharmacy, unchanged and unpolled since before
    `checked_before`, oldest first (at most `limit`)."""
    index = SubmissionModel.open_order_index.Meta.index_name
    key = table.equals(SubmissionModel.poll_status, status) & table.before(SubmissionModel.checked_at, checked_before)
    return [found[SubmissionModel.id.attr_name]['S'] for found in table.query(SubmissionModel, key, index=index, limit=limit)]


def find_by_pharmacy_order(pharmacies: list[str], pharmacy_order_id: str) -> Submission | None:
    """The submission a pharmacy's order id belongs to. The index holds keys only: the record itself is read
    consistently, so a webhook always decides on the record as stored."""
    index = SubmissionModel.pharmacy_order_index.Meta.index_name
    for pharmacy in pharmacies:
        key = table.equals(SubmissionModel.pharmacy, pharmacy) & table.equals(
            SubmissionModel.pharmacy_order_id, pharmacy_order_id
        )
        for found in table.query(SubmissionModel, key, index=index, limit=1):
            return get(found[SubmissionModel.id.attr_name]['S'])
    return None
