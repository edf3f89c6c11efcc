"""POST /rx/prescriptions/submit: validate, route, translate, reserve the dedup key, submit, record.

Retry policy (README "Retries and duplicates"): the key (client, source, sourceOrderId) is permanent.
Repeating a request returns the first outcome again, failures included, and never calls the pharmacy a
second time; a pharmacy failure can be ambiguous (a timeout may still have created an order), so a new
attempt needs a new sourceOrderId, chosen deliberately by the caller. A repeat that finds the key still
pending long after any invocation could be running records it as failed (the invocation died; the
pharmacy may have the order) and queues that callback, so no submission stays pending for ever.
"""

import hashlib
import json
from typing import Any

from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.callbacks import jobs, url_safety
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import ROUTER, Submission
from rx_router.errors import Conflict, Unprocessable, ValidationFailed
from rx_router.observability import logger
from rx_router.pharmacies import adapters
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import Capability
from rx_router.routing.resolve import Decision, resolve
from rx_router.service import prescription_gate
from rx_router.service.send import routing_request, send_and_record, settle_if_abandoned
from rx_router.store import prescription_gates, submissions
from rx_router.store.clients import ApiClient
from rx_router.store.config import cached_config
from rx_router.validation.prescription import PrescriptionSubmission, parse_submission

REPLAYED_HEADER = 'idempotent-replayed'
IN_PROGRESS = 'A submission with this source and sourceOrderId is still being processed; retry in a few seconds'


def body_hash(wire: dict[str, Any]) -> str:
    canonical = json.dumps(wire, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def result_body(submission: Submission) -> dict[str, Any]:
    """The submit's answer: the same for every repeat of the request, however the order moved on since (GET has
    its current status)."""
    answered = submission.answered_status
    body: dict[str, Any] = {
        'submissionId': submission.id,
        'pharmacy': submission.pharmacy,
        'status': answered.value,
        'pharmacyOrderId': None if answered is Status.AWAITING_PRESCRIPTION else submission.pharmacy_order_id,
    }
    if answered is Status.FAILED:
        body['error'] = submission.error_message
    if submission.refill_of is not None:
        body.update(refillOf=submission.refill_of, refillNumber=submission.refill_number)
    return body


def result_response(submission: Submission, *, replayed: bool = False) -> ApiResponse:
    headers = {REPLAYED_HEADER: 'true'} if replayed else {}
    answered = submission.answered_status
    if answered is Status.PENDING:
        raise Conflict(IN_PROGRESS, submissionId=submission.id)
    status = {Status.FAILED: 502, Status.AWAITING_PRESCRIPTION: 202}.get(answered, 201)
    return ApiResponse(status, result_body(submission), headers)


def replay(existing: submissions.Existing) -> ApiResponse:
    if not existing.same_body:
        raise Conflict(
            'This source and sourceOrderId were already submitted with a different body; '
            'use a new sourceOrderId for a different prescription',
            submissionId=existing.submission.id,
        )
    submission = existing.submission
    logger.thread_safe_append_keys(submission_id=submission.id, replayed=True)
    return result_response(settle_if_abandoned(submission), replayed=True)


def new_submission(
    submission_id: str, client: ApiClient, rx: PrescriptionSubmission, wire: dict[str, Any], decision: Decision, digest: str
) -> Submission:
    now = iso_timestamp()
    submission = Submission(
        id=submission_id,
        prescription_gate=rx.prescription.model_dump(by_alias=True, exclude_none=True) if rx.prescription else None,
        api_key_id=client.id,
        api_key=client.api_key,
        source=rx.source,
        source_order_id=rx.source_order_id,
        callback_url=rx.callback_url,
        patient_state=rx.routing_state,
        medication_name=rx.medication.name,
        product=decision.product.product,
        pharmacy=decision.pharmacy,
        pharmacy_type=decision.pharmacy_type,
        routing_decision=decision.view(),
        status=Status.AWAITING_PRESCRIPTION if rx.prescription else Status.PENDING,
        test=rx.test,
        body_hash=digest,
        request_payload=wire,
        created_at=now,
        updated_at=now,
        status_queryable=Capability.STATUS in registry.get(decision.pharmacy_type).capabilities,
    )
    submission.record(
        TimelineEvent(now, EventKind.RECEIVED, 'api', actor=client.id, detail={'clientSource': rx.source, 'test': rx.test})
    )
    skipped = [c.pharmacy for c in decision.candidates if c.skipped]
    detail = {'rule': decision.rule, 'pharmacy': decision.pharmacy, 'product': decision.product.product, 'skipped': skipped}
    submission.record(TimelineEvent(now, EventKind.ROUTED, ROUTER, detail={k: v for k, v in detail.items() if v}))
    return submission


def check_callback_url(url: str) -> None:
    try:
        url_safety.check(url)
    except url_safety.UnsafeCallbackUrl as exc:
        raise ValidationFailed({'callbackUrl': [str(exc)]}) from None


def submit_prescription(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    assert client is not None
    rx = parse_submission(json_body(request.raw_body))
    check_callback_url(rx.callback_url)
    wire = rx.wire()
    key = submissions.DedupKey(client.id, rx.source, rx.source_order_id)
    digest = body_hash(wire)
    try:
        config = cached_config()
        decision = resolve(routing_request(rx), config)
        pharmacy = adapters.bound(config.pharmacies[decision.pharmacy])
        native = pharmacy.translate(key.submission_id, rx, decision.drug)
    except Unprocessable:
        # A repeat of an accepted submission returns its result even if routing has changed since.
        existing = submissions.find_existing(key, digest)
        if existing is None:
            raise
        return replay(existing)

    submission = new_submission(key.submission_id, client, rx, wire, decision, digest)
    if submission.prescription_gate is not None:
        return submit_gated(submission)
    existing = submissions.reserve(submission)
    if existing is not None:
        return replay(existing)

    # Outcome fields ride on the endpoint's one `request` line (and on any warning before it).
    logger.thread_safe_append_keys(submission_id=submission.id, pharmacy=submission.pharmacy, test=rx.test)
    send_and_record(submission, lambda: pharmacy.send(native, test=rx.test), 'submission')
    return result_response(submission)


def submit_gated(submission: Submission) -> ApiResponse:
    """An order waiting for its prescription: stored and findable by that prescription, its callback queued, no
    pharmacy called. Answered 202 `awaiting_prescription` (and so is every repeat). If the prescription is already
    recorded as written (it came before the order), the order is released at once, as its webhook would have."""
    assert submission.prescription_gate is not None
    gate = prescription_gates.Gate.of(submission.prescription_gate)
    prescription_gates.add_waiting(gate, submission.id)  # before the reservation: a reserved one is always findable
    existing = submissions.reserve(submission)
    if existing is not None:
        return replay(existing)
    logger.thread_safe_append_keys(submission_id=submission.id, pharmacy=submission.pharmacy, gated=True)
    jobs.enqueue(submission)
    written = prescription_gates.written(gate)
    if written is not None:
        prescription_gate.release(submission, written, source=prescription_gate.RECORDED_SOURCE)
    return result_response(submission)
