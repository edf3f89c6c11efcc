"""Submission records and their permanent deduplication keys."""

import hashlib
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from rx_router.clock import iso_timestamp
from rx_router.errors import Conflict
from rx_router.store.models import SubmissionKeyModel, SubmissionModel

PENDING = 'pending'
SUBMITTED = 'submitted'
FAILED = 'failed'
IN_PROGRESS = 'A submission with this source and sourceOrderId is still being processed; retry in a few seconds'

_connection = Connection(connect_timeout_seconds=2, read_timeout_seconds=5, max_retry_attempts=3)


@dataclass(frozen=True)
class DedupKey:
    api_key_id: str
    source: str
    source_order_id: str

    @property
    def value(self) -> str:
        joined = '\x1f'.join((self.api_key_id, self.source, self.source_order_id))
        return hashlib.sha256(joined.encode('utf-8')).hexdigest()


@dataclass(frozen=True)
class Existing:
    submission: SubmissionModel | None
    same_body: bool


def reserve(key: DedupKey, body_hash: str, submission: SubmissionModel) -> Existing | None:
    """Atomically claims the key and writes the pending record; returns what holds the key if it is taken."""
    reservation = SubmissionKeyModel(
        dedup_key=key.value, submission_id=submission.id, body_hash=body_hash, created_at=submission.created_at
    )
    try:
        with TransactWrite(connection=_connection) as transaction:
            transaction.save(reservation, condition=SubmissionKeyModel.dedup_key.does_not_exist())
            transaction.save(submission, condition=SubmissionModel.id.does_not_exist())
    except TransactWriteError as exc:
        if exc.cause_response_code != 'TransactionCanceledException':
            raise
        existing = find_existing(key, body_hash)
        if existing is None:
            # Cancelled by a concurrent transaction on the same key that has not committed yet.
            raise Conflict(IN_PROGRESS) from None
        return existing
    return None


def find_existing(key: DedupKey, body_hash: str) -> Existing | None:
    try:
        held = SubmissionKeyModel.get(key.value, consistent_read=True)
    except SubmissionKeyModel.DoesNotExist:
        return None
    return Existing(submission=get(held.submission_id), same_body=held.body_hash == body_hash)


def get(submission_id: str) -> SubmissionModel | None:
    try:
        return SubmissionModel.get(submission_id, consistent_read=True)
    except SubmissionModel.DoesNotExist:
        return None


def record_outcome(
    submission: SubmissionModel, *, status: str, pharmacy_order_id: str | None, error: str | None, response: Any
) -> None:
    now = iso_timestamp()
    actions = [
        SubmissionModel.status.set(status),
        SubmissionModel.response_payload.set(response),
        SubmissionModel.updated_at.set(now),
    ]
    if pharmacy_order_id is not None:
        actions += [SubmissionModel.pharmacy_order_id.set(pharmacy_order_id), SubmissionModel.submitted_at.set(now)]
    if error is not None:
        actions.append(SubmissionModel.error_message.set(error))
    submission.update(actions=actions, condition=SubmissionModel.status == PENDING)
