"""Builders shared by the test tiers: submissions, signed API Gateway events, a Lambda context."""

import copy
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rx_router.clock import iso_timestamp

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / 'events'

# Patient data used in tests; PHI checks look for these values in logs and error bodies.
PATIENT_VALUES = ('Jane', 'Smith', '1990-03-15', '(555) 123-4567', 'jane.smith@example.com', '123 Main St', 'Austin')


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f'{name}.json').read_text())
    return event


def submission(**overrides: Any) -> dict[str, Any]:
    """The spec's example PrescriptionSubmission (from events/submit.json), with top-level overrides."""
    body = json.loads(load_event('submit')['body'])
    body.update(copy.deepcopy(overrides))
    return body


def sign(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f'{timestamp}.{body}'.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str


def signed_headers(creds: Credentials, body: str, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or iso_timestamp()
    return {
        'content-type': 'application/json',
        'x-api-key': creds.api_key,
        'x-timestamp': timestamp,
        'x-signature': sign(creds.api_secret, timestamp, body or '{}'),
    }


def submit_event(creds: Credentials, body: dict[str, Any] | str, **header_overrides: str) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body, separators=(',', ':'))
    event = load_event('submit')
    event['body'] = raw
    event['headers'] = {**signed_headers(creds, raw), **header_overrides}
    return event


def get_event(creds: Credentials, submission_id: str) -> dict[str, Any]:
    event = load_event('get_submission')
    event['rawPath'] = f'/rx/prescriptions/{submission_id}'
    event['requestContext']['http']['path'] = event['rawPath']
    event['pathParameters'] = {'id': submission_id}
    event['headers'] = signed_headers(creds, '')
    return event


def action_event(creds: Credentials, action: str, submission_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A signed POST /rx/prescriptions/{id}/<action> (cancel, refill)."""
    raw = json.dumps(body, separators=(',', ':')) if body is not None else ''
    event = load_event(f'{action}_prescription')
    event['rawPath'] = f'/rx/prescriptions/{submission_id}/{action}'
    event['requestContext']['http']['path'] = event['rawPath']
    event['pathParameters'] = {'id': submission_id}
    event['headers'] = signed_headers(creds, raw)
    if raw:
        event['body'] = raw
    else:
        event.pop('body', None)  # the sample's (refill's) is not what was signed
    return event


@dataclass
class LambdaContext:
    function_name: str = 'test-function'
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = 'arn:aws:lambda:us-east-1:123456789012:function:test-function'
    aws_request_id: str = 'test-request-id'

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response['body'])


# The seed custom resource's parameters in tests: where the test pharmacies are, and Strive's catalog ids.
SEED_PARAMETERS = {
    'BoothwynBaseUrl': 'https://boothwyn.pharmacy.test/',
    'GmpBaseUrl': 'https://gmp.pharmacy.test/',
    'StriveBaseUrl': 'https://strive.pharmacy.test',
    'StriveSandboxUrl': 'https://sandbox.strive.pharmacy.test',
    'StriveCatalogSemaglutide': 'cat-sema-25',
    'StriveCatalogTirzepatide': 'cat-tirz-10',
}


def assert_spec_error(status: int, body: Any) -> None:
    """A refusal in the spec's shapes: 4xx with `{"error": "..."}` (409 adds the existing `submissionId`), or 400
    `{"error":"Validation failed","details":{"fieldErrors":{path:[message,...]},"formErrors":[message,...]}}`."""
    assert 400 <= status < 500, status
    assert isinstance(body, dict) and isinstance(body.get('error'), str) and body['error'], body
    if 'details' in body:
        assert status == 400 and set(body) == {'error', 'details'} and body['error'] == 'Validation failed', body
        details = body['details']
        assert set(details) == {'fieldErrors', 'formErrors'}, details
        fields, form = details['fieldErrors'], details['formErrors']
        assert isinstance(fields, dict) and isinstance(form, list) and (fields or form), details
        assert all(isinstance(m, str) and m for m in form), form
        for path, messages in fields.items():
            assert isinstance(path, str) and path and isinstance(messages, list) and messages, fields
            assert all(isinstance(m, str) and m for m in messages), fields
    else:
        assert set(body) <= ({'error', 'submissionId'} if status == 409 else {'error'}), body
