"""POST /rx/prescriptions/{id}/refill: refused cases that need no refilling type (those with one are in
test_refill_dispensepro.py)."""

import json
from typing import Any

import pytest

from functions.refill_prescription.app import lambda_handler as refill_handler
from functions.submit.app import lambda_handler as submit_handler
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, action_event, response_json, submission, submit_event


def create(creds: Credentials, state: str = 'TX') -> dict[str, Any]:
    response = submit_handler(submit_event(creds, submission(routing={'patientState': state})), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    return dict(response_json(response))


def refill(creds: Credentials, submission_id: str, body: Any) -> dict[str, Any]:
    event = action_event(creds, 'refill', submission_id, body if isinstance(body, dict) else None)
    if not isinstance(body, dict):
        event['body'] = body
        event['headers'] = {**event['headers'], **_signed(creds, body)}
    return dict(refill_handler(event, LambdaContext()))


def _signed(creds: Credentials, raw: str) -> dict[str, str]:
    from tests.support import signed_headers

    return signed_headers(creds, raw)


def test_type_without_refill_is_409(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    response = refill(creds, created['submissionId'], {'refillRequestId': 'r-1'})
    assert response['statusCode'] == 409
    assert response_json(response)['error'] == (
        'Pharmacy strive cannot refill through its API: submit a new prescription instead'
    )


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({}, 'refillRequestId'),
        ({'refillRequestId': ''}, 'refillRequestId'),
        ({'refillRequestId': 'has space'}, 'refillRequestId'),
        ({'refillRequestId': 7}, 'refillRequestId'),
        ({'refillRequestId': 'r-1', 'quantity': 3}, 'quantity'),
    ],
)
def test_malformed_refill_requests_are_400_naming_the_field(
    creds: Credentials, pharmacies: FakePharmacies, body: dict[str, Any], field: str
) -> None:
    created = create(creds)
    response = refill(creds, created['submissionId'], body)
    assert response['statusCode'] == 400
    assert field in response_json(response)['details']['fieldErrors']


@pytest.mark.parametrize('raw', ['', '[]', 'not json'])
def test_a_refill_needs_a_json_object(creds: Credentials, pharmacies: FakePharmacies, raw: str) -> None:
    created = create(creds)
    response = refill(creds, created['submissionId'], raw)
    assert response['statusCode'] == 400, response['body']


def test_only_the_owner_may_refill(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    assert refill(other_creds, created['submissionId'], {'refillRequestId': 'r-1'})['statusCode'] == 403
    assert refill(creds, '00000000-0000-4000-8000-000000000000', {'refillRequestId': 'r-1'})['statusCode'] == 404
    assert json.loads(refill(creds, 'nope', {'refillRequestId': 'r-1'})['body'])['error'] == 'Submission not found'
