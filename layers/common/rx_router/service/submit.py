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

from rx_router.adapters.base import adapter_for
from rx_router.adapters.outcomes import PharmacyFailed
from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.callbacks import jobs, url_safety
from rx_router.clock import iso_timestamp
from rx_router.errors import Conflict, Unprocessable, ValidationFailed
from rx_router.observability import exception_summary, logger
from rx_router.redaction import scrub
from rx_router.routing import resolve_pharmacy
from rx_router.store import submissions
from rx_router.store.clients import ApiClient
from rx_router.store.models import SubmissionModel
from rx_router.store.routes import cached_routes
from rx_router.validation.prescription import PrescriptionSubmission, parse_submission

REPLAYED_HEADER = 'idempotent-replayed'
UNEXPECTED = 'Router error while submitting to the pharmacy: the pharmacy may have received the order; check before resubmitting'


def body_hash(wire: dict[str, Any]) -> str:
    canonical = json.dumps(wire, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def result_body(record: SubmissionModel) -> dict[str, Any]:
    body: dict[str, Any] = {
        'submissionId': record.id,
        'pharmacy': record.pharmacy,
        'status': record.status,
        'pharmacyOrderId': record.pharmacy_order_id,
    }
    if record.status == submissions.FAILED:
        body['error'] = record.error_message
    return body


def result_response(record: SubmissionModel, *, replayed: bool = False) -> ApiResponse:
    headers = {REPLAYED_HEADER: 'true'} if replayed else {}
    if record.status == submissions.PENDING:
        raise Conflict(submissions.IN_PROGRESS, submissionId=record.id)
    status = 502 if record.status == submissions.FAILED else 201
    return ApiResponse(status, result_body(record), headers)


def replay(existing: submissions.Existing) -> ApiResponse:
    if not existing.same_body:
        raise Conflict(
            'This source and sourceOrderId were already submitted with a different body; '
            'use a new sourceOrderId for a different prescription',
            submissionId=existing.submission.id,
        )
    record = existing.submission
    logger.thread_safe_append_keys(submission_id=record.id, replayed=True)
    if submissions.is_abandoned(record):
        settled = submissions.settle_abandoned(record)
        if settled.moved:
            logger.warning('abandoned submission recorded as failed')
            jobs.enqueue(settled.record, initial=True)
        record = settled.record
    return result_response(record, replayed=True)


def new_record(
    submission_id: str, client: ApiClient, rx: PrescriptionSubmission, wire: dict[str, Any], pharmacy: str, digest: str
) -> SubmissionModel:
    now = iso_timestamp()
    return SubmissionModel(
        id=submission_id,
        api_key_id=client.id,
        api_key=client.api_key,
        source=rx.source,
        source_order_id=rx.source_order_id,
        callback_url=rx.callback_url,
        patient_state=rx.routing_state,
        medication_name=rx.medication.name,
        pharmacy=pharmacy,
        status=submissions.PENDING,
        test=rx.test,
        request_payload=wire,
        body_hash=digest,
        created_at=now,
        updated_at=now,
    )


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
    submission_id = key.submission_id
    try:
        pharmacy = resolve_pharmacy(rx.routing_state, rx.preferred_pharmacy, cached_routes())
        adapter = adapter_for(pharmacy)
        native = adapter.translate(submission_id, rx)
    except Unprocessable:
        # A repeat of an accepted submission returns its result even if routing has changed since.
        existing = submissions.find_existing(key, digest)
        if existing is None:
            raise
        return replay(existing)

    record = new_record(submission_id, client, rx, wire, pharmacy, digest)
    existing = submissions.reserve(record)
    if existing is not None:
        return replay(existing)

    # Outcome fields ride on the endpoint's one `request` line (and on any warning before it).
    logger.thread_safe_append_keys(submission_id=submission_id, pharmacy=pharmacy, test=rx.test)
    try:
        accepted = adapter.send(native, test=rx.test)
        status, order_id, error, raw = submissions.SUBMITTED, accepted.order_id, None, accepted.raw
        logger.thread_safe_append_keys(pharmacy_order_id=order_id)
    except PharmacyFailed as failure:
        status, order_id, error, raw = submissions.FAILED, None, failure.message, failure.raw
        logger.warning('pharmacy refused submission', extra={'pharmacy_http_status': failure.http_status})
    except Exception as exc:  # noqa: BLE001
        # Never leave a reserved submission pending: a replay must answer, and ops must see it failed.
        status, order_id, error, raw = submissions.FAILED, None, UNEXPECTED, None
        logger.error('submission failed unexpectedly', extra=exception_summary(exc))
    submissions.record_outcome(record, status=status, pharmacy_order_id=order_id, error=error, response=scrub(raw))
    jobs.enqueue(record, initial=True)
    return result_response(record)
