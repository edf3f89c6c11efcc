"""What the API shows of a submission: the spec's GET record (plus additive fields), and its timeline."""

from typing import Any

from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.submission import Submission


def history_view(events: list[TimelineEvent]) -> list[dict[str, Any]]:
    """The changes of status or tracking, oldest first (the `history` field GET has always had)."""
    return [
        {
            'at': e.at,
            'source': e.source,
            'from': e.from_status,
            'to': e.to_status,
            'trackingNumber': e.tracking_number,
            'carrier': e.carrier,
        }
        for e in events
        if e.is_history
    ]


def last_callback_view(events: list[TimelineEvent]) -> dict[str, Any] | None:
    callbacks = [e for e in events if e.kind is EventKind.CALLBACK]
    return {'at': callbacks[-1].at, **callbacks[-1].detail} if callbacks else None


def submission_view(submission: Submission, events: list[TimelineEvent]) -> dict[str, Any]:
    return {
        'id': submission.id,
        'apiKeyId': submission.api_key_id,
        'source': submission.source,
        'sourceOrderId': submission.source_order_id,
        'callbackUrl': submission.callback_url,
        'patientState': submission.patient_state,
        'medicationName': submission.medication_name,
        'pharmacy': submission.pharmacy,
        'pharmacyOrderId': submission.pharmacy_order_id,
        'status': submission.status.value,
        'trackingNumber': submission.tracking_number,
        'carrier': submission.carrier,
        'errorMessage': submission.error_message,
        'requestPayload': submission.request_payload,
        'responsePayload': submission.response_payload,
        'submittedAt': submission.submitted_at,
        'createdAt': submission.created_at,
        'updatedAt': submission.updated_at,
        # Additions to the spec's record:
        'test': submission.test,
        'product': submission.product,
        'pharmacyType': submission.pharmacy_type or None,
        'pharmacyStatus': submission.pharmacy_status,
        'heldFrom': submission.held_from.value if submission.held_from else None,
        'packages': [{'trackingNumber': p.tracking_number, 'carrier': p.carrier} for p in submission.packages],
        'routingDecision': submission.routing_decision,
        'refillOf': submission.refill_of,
        'refillNumber': submission.refill_number,
        'refillsUsed': submission.refills_used,
        'prescription': submission.prescription_gate,
        'prescriptionWritten': submission.prescription_written,
        'lastCallback': last_callback_view(events),
        'history': history_view(events),
    }


def timeline_view(submission: Submission, events: list[TimelineEvent]) -> dict[str, Any]:
    return {'submissionId': submission.id, 'status': submission.status.value, 'events': [e.view() for e in events]}
