"""Submission records. A record's id is a UUIDv5 of its deduplication key (API client, source,
sourceOrderId), so the conditional put that creates the record is also the permanent reservation of
the key: two concurrent duplicates can never both create a record, let alone a pharmacy order.

The id is not guessable by other clients: it depends on the owning client's id, which only that
client is ever shown, and GET checks ownership regardless.
"""

import uuid
from dataclasses import dataclass

from pynamodb.exceptions import PutError

from rx_router.clock import iso_timestamp
from rx_router.store.models import SubmissionModel

PENDING = 'pending'
SUBMITTED = 'submitted'
FAILED = 'failed'
IN_PROGRESS = 'A submission with this source and sourceOrderId is still being processed; retry in a few seconds'

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
    submission: SubmissionModel
    same_body: bool


def reserve(submission: SubmissionModel) -> Existing | None:
    """Writes the pending record if its key is free; otherwise returns the record that holds the key."""
    try:
        submission.save(condition=SubmissionModel.id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != 'ConditionalCheckFailedException':
            raise
        existing = get(submission.id)
        if existing is None:
            raise
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


def record_outcome(
    submission: SubmissionModel, *, status: str, pharmacy_order_id: str | None, error: str | None, response: object
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
