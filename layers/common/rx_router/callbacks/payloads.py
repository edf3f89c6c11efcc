"""Callback bodies exactly as the spec's two examples, serialised once so the spec's Node verifier —
which re-serialises the parsed body with JSON.stringify — reproduces the signed bytes."""

import json
import uuid
from typing import Any

from rx_router.domain.submission import Submission

_EVENT_NAMESPACE = uuid.UUID('0b6c6f39-9a8e-4d55-bf0c-2f4f0f8f5a21')


def _common(submission: Submission) -> dict[str, Any]:
    return {
        'submissionId': submission.id,
        'sourceOrderId': submission.source_order_id,
        'pharmacy': submission.pharmacy,
        'status': submission.status.value,
        'pharmacyOrderId': submission.pharmacy_order_id,
    }


def initial(submission: Submission) -> dict[str, Any]:
    """After the submission: the pharmacy's answer."""
    return {**_common(submission), 'error': submission.error_message}


def update(submission: Submission) -> dict[str, Any]:
    """After a pharmacy's update moved the status."""
    return {**_common(submission), 'trackingNumber': submission.tracking_number, 'carrier': submission.carrier}


def event_id(submission_id: str, status: str) -> str:
    """Stable per (submission, status): a redelivery or a duplicate job carries the same id."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f'{submission_id}:{status}'))


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def serialise(payload: dict[str, Any]) -> bytes:
    """Compact, key order kept, non-ASCII as UTF-8, integral numbers without `.0`: JSON.stringify's output."""
    return json.dumps(_js_numbers(payload), separators=(',', ':'), ensure_ascii=False, allow_nan=False).encode('utf-8')
