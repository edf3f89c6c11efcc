"""GET /rx/prescriptions/{id}: the full record, to the API client that created it and no one else."""

import uuid
from typing import Any

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.errors import Forbidden, NotFound
from rx_router.store import submissions
from rx_router.store.clients import ApiClient
from rx_router.store.models import SubmissionModel

NOT_FOUND = 'Submission not found'


def submission_view(record: SubmissionModel) -> dict[str, Any]:
    return {
        'id': record.id,
        'apiKeyId': record.api_key_id,
        'source': record.source,
        'sourceOrderId': record.source_order_id,
        'callbackUrl': record.callback_url,
        'patientState': record.patient_state,
        'medicationName': record.medication_name,
        'pharmacy': record.pharmacy,
        'pharmacyOrderId': record.pharmacy_order_id,
        'status': record.status,
        'trackingNumber': record.tracking_number,
        'carrier': record.carrier,
        'errorMessage': record.error_message,
        'test': record.test,
        'requestPayload': record.request_payload,
        'responsePayload': record.response_payload,
        'submittedAt': record.submitted_at,
        'createdAt': record.created_at,
        'updatedAt': record.updated_at,
        'lastCallback': record.last_callback,
        'history': [
            {
                'at': entry.at,
                'source': entry.source,
                'from': entry.from_status,
                'to': entry.to_status,
                'trackingNumber': entry.tracking_number,
                'carrier': entry.carrier,
            }
            for entry in record.history or []
        ],
    }


def get_submission(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    assert client is not None
    submission_id = request.path_parameters.get('id', '')
    try:
        uuid.UUID(submission_id)
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    record = submissions.get(submission_id)
    if record is None:
        raise NotFound(NOT_FOUND)
    if record.api_key_id != client.id:
        raise Forbidden('Submission belongs to a different API client')
    return ApiResponse(200, submission_view(record))
