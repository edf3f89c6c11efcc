"""POST /rx/prescriptions/{id}/refill: a new fill of an accepted prescription, for types that can refill,
within the refills the prescriber authorised (medication.refills).

The refill is a submission of its own (its own id, status, callbacks), linked to the original by `refillOf`,
and idempotent on the client's `refillRequestId`: the same request again returns the same refill and never
asks the pharmacy twice. Each refill is counted on the original when it is reserved, in the same transaction
that creates its record and conditional on the count read, so concurrent requests can never exceed the
authorised count or share a refill number. A refill the pharmacy
definitely refused (4xx) gives its count back; one whose outcome is uncertain (timeout, 5xx) keeps it, since
the pharmacy may have filled it.
"""

import hashlib
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import Submission
from rx_router.errors import BadRequest, Conflict
from rx_router.observability import logger
from rx_router.pharmacy_types.base import Capability, PharmacyType
from rx_router.service.capable_pharmacy import capable_pharmacy
from rx_router.service.get_submission import owned_submission
from rx_router.service.send import send_and_record
from rx_router.service.submit import replay, result_response
from rx_router.store import submissions, timeline
from rx_router.store.clients import ApiClient
from rx_router.validation.errors import validation_failed

_REFILL_NAMESPACE = uuid.UUID('3f0e7a1c-58d2-4b8e-9d61-7c2a4e9b0f35')
# The original's fill has left the pharmacy: a refill before that would be a second concurrent fill.
REFILLABLE_FROM = frozenset({Status.SHIPPED, Status.DELIVERED})
_RESERVE_ATTEMPTS = 10


class RefillRequest(BaseModel):
    model_config = ConfigDict(extra='forbid', strict=True, str_strip_whitespace=True)

    refill_request_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r'^[\x21-\x7e]+$')] = Field(
        alias='refillRequestId'
    )


def parse_refill(raw: bytes) -> RefillRequest:
    body = json_body(raw)
    if not isinstance(body, dict):
        raise BadRequest('Request body must be a JSON object with refillRequestId')
    try:
        return RefillRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def refill_id(original_id: str, refill_request_id: str) -> str:
    return str(uuid.uuid5(_REFILL_NAMESPACE, f'{original_id}\x1f{refill_request_id}'))


def refill_prescription(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    assert client is not None
    asked = parse_refill(request.raw_body)
    original = owned_submission(request, client)
    if original.refill_of is not None:
        raise Conflict(f'This submission is a refill: ask for refills of the original, {original.refill_of}')
    linked_id = refill_id(original.id, asked.refill_request_id)
    existing = submissions.get(linked_id)
    if existing is not None:  # the same request again: its outcome, whatever the original's state is now
        return replay(submissions.Existing(existing, same_body=True))
    pharmacy = _refilling_pharmacy(original)
    authorised = _authorised_refills(original)
    refill = _reserved(original, linked_id, asked.refill_request_id, client, authorised)
    if isinstance(refill, submissions.Existing):
        return replay(refill)
    number = refill.refill_number
    timeline.record(original.id, _requested(client, refill, number))
    logger.thread_safe_append_keys(submission_id=refill.id, refill_of=original.id, pharmacy=refill.pharmacy)
    order_id = original.pharmacy_order_id
    assert order_id is not None
    refused = send_and_record(refill, lambda: pharmacy.refill(order_id, refill_id=refill.id, test=original.test), 'refill')
    if refused is not None and refused.http_status is not None and 400 <= refused.http_status < 500:
        submissions.release_refill(original)  # definitely not filled: the refill may be asked for again
    return result_response(refill)


def _reserved(
    original: Submission, linked_id: str, refill_request_id: str, client: ApiClient, authorised: int
) -> Submission | submissions.Existing:
    """The refill, counted and recorded as the next of the original's refills; or the record that already holds
    its id (the same request, concurrently). Conflict when none are left."""
    for _ in range(_RESERVE_ATTEMPTS):
        if original.refills_used >= authorised:
            raise Conflict(_none_left(authorised))
        refill = _new_refill(original, linked_id, refill_request_id, client)
        try:
            submissions.reserve_refill(original, refill)
            return refill
        except submissions.RefillRaced:
            existing = submissions.get(linked_id)
            if existing is not None:
                return submissions.Existing(existing, same_body=True)
            current = submissions.get(original.id)
            assert current is not None  # records are never deleted
            original = current
    raise Conflict('Refills of this prescription are being requested concurrently; retry in a few seconds')


def _refilling_pharmacy(original: Submission) -> PharmacyType:
    cannot = f'Pharmacy {original.pharmacy} cannot refill through its API: submit a new prescription instead'
    pharmacy = capable_pharmacy(original, Capability.REFILL, cannot)
    if original.status not in REFILLABLE_FROM or original.pharmacy_order_id is None:
        raise Conflict(f'The submission is {original.status.value}: a refill needs the previous fill shipped or delivered')
    return pharmacy


def _authorised_refills(original: Submission) -> int:
    refills = original.request_payload.get('medication', {}).get('refills', 0)
    return int(refills) if isinstance(refills, int) else 0


def _none_left(authorised: int) -> str:
    return f'No refills left: the prescription authorises {authorised}, and all are used'


def _new_refill(original: Submission, linked_id: str, refill_request_id: str, client: ApiClient) -> Submission:
    now = iso_timestamp()
    number = original.refills_used + 1
    # The refill names its prescription instead of copying it (no second copy of the patient's data).
    payload = {'refillOf': original.id, 'refillRequestId': refill_request_id}
    refill = Submission(
        id=linked_id,
        api_key_id=original.api_key_id,
        api_key=original.api_key,
        source=original.source,
        source_order_id=original.source_order_id,
        callback_url=original.callback_url,
        patient_state=original.patient_state,
        medication_name=original.medication_name,
        pharmacy=original.pharmacy,
        pharmacy_type=original.pharmacy_type,
        status=Status.PENDING,
        test=original.test,
        body_hash=hashlib.sha256(f'{original.id}\x1f{refill_request_id}'.encode()).hexdigest(),
        request_payload=payload,
        created_at=now,
        updated_at=now,
        product=original.product,
        routing_decision=original.routing_decision,
        status_queryable=original.status_queryable,
        refill_of=original.id,
        refill_number=number,
    )
    detail = {'refillOf': original.id, 'refillNumber': number, 'test': original.test}
    refill.record(TimelineEvent(now, EventKind.RECEIVED, 'api', actor=client.id, detail=detail))
    return refill


def _requested(client: ApiClient, refill: Submission, number: int | None) -> TimelineEvent:
    detail = {'request': 'refill', 'refillSubmissionId': refill.id, 'refillNumber': number}
    return TimelineEvent(iso_timestamp(), EventKind.CLIENT_REQUEST, 'api', actor=client.id, detail=detail)
