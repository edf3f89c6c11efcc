"""Submission records. A record's id is a UUIDv5 of its deduplication key (API client, source,
sourceOrderId), so the conditional put that creates the record is also the permanent reservation of
the key: two concurrent duplicates can never both create a record, let alone a pharmacy order.

The id is not guessable by other clients: it depends on the owning client's id, which only that
client is ever shown, and GET checks ownership regardless.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from rx_router import statuses
from rx_router.clock import iso_timestamp, utc_now
from rx_router.store.conditions import condition_failed
from rx_router.store.models import HistoryEntry, SubmissionModel

PENDING, SUBMITTED, FAILED = statuses.PENDING, statuses.SUBMITTED, statuses.FAILED
IN_PROGRESS = 'A submission with this source and sourceOrderId is still being processed; retry in a few seconds'
ROUTER = 'router'
_ID_NAMESPACE = uuid.UUID('6f1d8a52-6c2e-4f4e-9a55-2b7d3c1e9f10')
_UPDATE_ATTEMPTS = 5
# Longer than the submit function may run (template.yaml: Timeout 29 s), so a record still pending after this
# belongs to an invocation that died (timeout, out of memory) between reserving the key and recording the answer.
ABANDONED_AFTER = timedelta(seconds=120)
ABANDONED = (
    "The router stopped before it recorded the pharmacy's answer: the pharmacy may have received the order; "
    'check with the pharmacy before resubmitting under a new sourceOrderId'
)


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
    submission: SubmissionModel
    same_body: bool


@dataclass(frozen=True)
class Change:
    """What an update did: the status moved (a transition, worth a callback) and/or tracking was added."""

    record: SubmissionModel
    from_status: str
    moved: bool
    tracking_added: bool


def reserve(submission: SubmissionModel) -> Existing | None:
    """Writes the pending record if its key is free; otherwise returns the record that holds the key."""
    try:
        submission.save(condition=SubmissionModel.id.does_not_exist())
    except PutError as exc:
        existing = _after_lost_write(exc, submission.id)
        return Existing(existing, same_body=existing.body_hash == submission.body_hash)
    return None


def find_existing(key: DedupKey, body_hash: str) -> Existing | None:
    existing = get(key.submission_id)
    return Existing(existing, same_body=existing.body_hash == body_hash) if existing else None


def get(submission_id: str) -> SubmissionModel | None:
    try:
        return SubmissionModel.get(submission_id, consistent_read=True)
    except SubmissionModel.DoesNotExist:
        return None


def _after_lost_write(exc: PutError | UpdateError, submission_id: str) -> SubmissionModel:
    """The record as the write that won left it, when `exc` says our conditional write lost."""
    if not condition_failed(exc):
        raise exc
    current = get(submission_id)
    if current is None:
        raise exc
    return current


def find_by_pharmacy_order(pharmacies: list[str], pharmacy_order_id: str) -> SubmissionModel | None:
    """The submission a pharmacy's order id belongs to, as the index has it (all attributes projected).

    The index is eventually consistent; apply_update's writes are conditional on the status they read,
    so a stale copy costs a re-read there instead of a read on every webhook here.
    """
    for pharmacy in pharmacies:
        for item in SubmissionModel.pharmacy_order_index.query(pharmacy, SubmissionModel.pharmacy_order_id == pharmacy_order_id):
            return item
    return None


def _entry(source: str, old: str | None, new: str, tracking: str | None, carrier: str | None) -> HistoryEntry:
    return HistoryEntry(
        at=iso_timestamp(), source=source, from_status=old, to_status=new, tracking_number=tracking, carrier=carrier
    )


def record_outcome(
    submission: SubmissionModel, *, status: str, pharmacy_order_id: str | None, error: str | None, response: Any
) -> None:
    now = iso_timestamp()
    actions = [
        SubmissionModel.status.set(status),
        SubmissionModel.response_payload.set(response),
        SubmissionModel.updated_at.set(now),
        SubmissionModel.history.set(SubmissionModel.history.append([_entry(ROUTER, PENDING, status, None, None)])),
    ]
    if pharmacy_order_id is not None:
        actions += [SubmissionModel.pharmacy_order_id.set(pharmacy_order_id), SubmissionModel.submitted_at.set(now)]
    if error is not None:
        actions.append(SubmissionModel.error_message.set(error))
    submission.update(actions=actions, condition=SubmissionModel.status == PENDING)


def is_abandoned(submission: SubmissionModel) -> bool:
    if submission.status != PENDING:
        return False
    return utc_now() - datetime.fromisoformat(submission.created_at) > ABANDONED_AFTER


def settle_abandoned(submission: SubmissionModel) -> Change:
    """Records an abandoned submission as failed. Not moved when it had already settled (another replay, or
    the original invocation after all); the change then carries the record as that left it."""
    try:
        record_outcome(submission, status=FAILED, pharmacy_order_id=None, error=ABANDONED, response=None)
    except UpdateError as exc:
        return Change(_after_lost_write(exc, submission.id), PENDING, moved=False, tracking_added=False)
    return Change(submission, PENDING, moved=True, tracking_added=False)


def apply_update(
    submission: SubmissionModel, *, source: str, status: str | None, tracking_number: str | None, carrier: str | None
) -> Change:
    """Applies a pharmacy's update under the forward-only rule, safely against concurrent updates.

    The status moves only forward; tracking data is added whenever it is new. Each write is conditional
    on the status read, so two webhooks racing cannot both make the same transition.
    """
    record = submission
    for _ in range(_UPDATE_ATTEMPTS):
        current = record.status
        moved = status is not None and statuses.can_move(current, status)
        new_tracking = tracking_number if tracking_number and tracking_number != record.tracking_number else None
        new_carrier = carrier if carrier and carrier != record.carrier else None
        if not moved and not new_tracking and not new_carrier:
            return Change(record, current, moved=False, tracking_added=False)
        to_status = status if moved and status else current
        actions = [
            SubmissionModel.updated_at.set(iso_timestamp()),
            SubmissionModel.history.set(
                SubmissionModel.history.append(
                    [_entry(source, current, to_status, new_tracking or record.tracking_number, new_carrier or record.carrier)]
                )
            ),
        ]
        if moved:
            actions.append(SubmissionModel.status.set(to_status))
        if new_tracking:
            actions.append(SubmissionModel.tracking_number.set(new_tracking))
        if new_carrier:
            actions.append(SubmissionModel.carrier.set(new_carrier))
        try:
            record.update(actions=actions, condition=SubmissionModel.status == current)
            return Change(record, current, moved=moved, tracking_added=bool(new_tracking or new_carrier))
        except UpdateError as exc:
            record = _after_lost_write(exc, record.id)
    raise RuntimeError('submission kept changing under a webhook update')


def record_callback_attempt(submission_id: str, attempt: dict[str, Any]) -> None:
    try:
        SubmissionModel(id=submission_id).update(
            actions=[SubmissionModel.last_callback.set(attempt)], condition=SubmissionModel.id.exists()
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
