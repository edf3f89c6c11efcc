import uuid

from functions.get_submission.app import lambda_handler as get_handler
from functions.health.app import lambda_handler as health_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.store import clients
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, get_event, load_event, response_json, submission, submit_event

SPEC_FIELDS = {
    'id',
    'apiKeyId',
    'source',
    'sourceOrderId',
    'callbackUrl',
    'patientState',
    'medicationName',
    'pharmacy',
    'pharmacyOrderId',
    'status',
    'trackingNumber',
    'carrier',
    'errorMessage',
    'requestPayload',
    'responsePayload',
    'submittedAt',
    'createdAt',
    'updatedAt',
}


def create(creds: Credentials) -> dict:
    return response_json(submit_handler(submit_event(creds, submission()), LambdaContext()))


def test_owner_gets_the_full_record(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    response = get_handler(get_event(creds, created['submissionId']), LambdaContext())
    assert response['statusCode'] == 200
    record = response_json(response)
    assert SPEC_FIELDS <= record.keys()
    assert record['id'] == created['submissionId']
    assert record['status'] == 'submitted'
    assert record['pharmacyOrderId'] == created['pharmacyOrderId']
    assert record['requestPayload'] == submission()
    assert record['responsePayload']['order_tracking_id'] == created['pharmacyOrderId']
    assert record['medicationName'] == 'Semaglutide 2.5mg/mL'
    assert record['createdAt'].endswith('Z')


def test_other_client_is_forbidden(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    response = get_handler(get_event(other_creds, created['submissionId']), LambdaContext())
    assert response['statusCode'] == 403
    assert 'Jane' not in response['body']


def test_unknown_and_malformed_ids_are_404(creds: Credentials) -> None:
    for submission_id in (str(uuid.uuid4()), 'not-a-uuid'):
        response = get_handler(get_event(creds, submission_id), LambdaContext())
        assert response['statusCode'] == 404
        assert response_json(response) == {'error': 'Submission not found'}


def test_get_requires_valid_signature(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    event = get_event(creds, created['submissionId'])
    event['headers']['x-signature'] = '0' * 64
    assert get_handler(event, LambdaContext())['statusCode'] == 401


def test_get_accepts_explicit_empty_object_body(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    event = get_event(creds, created['submissionId'])
    event['body'] = '{}'
    assert get_handler(event, LambdaContext())['statusCode'] == 200


def test_rotated_secret_keeps_old_one_valid_and_revocation_locks_out(creds: Credentials, pharmacies: FakePharmacies) -> None:
    rotated = clients.rotate_secret(creds.api_key)
    clients._cache.clear()
    new_creds = Credentials(creds.api_key, rotated.api_secret)
    for c, order in ((creds, 'old-secret'), (new_creds, 'new-secret')):
        resp = submit_handler(submit_event(c, submission(sourceOrderId=order)), LambdaContext())
        assert resp['statusCode'] == 201
    clients.revoke(creds.api_key)
    resp = submit_handler(submit_event(new_creds, submission(sourceOrderId='after-revoke')), LambdaContext())
    assert resp['statusCode'] == 401


def test_base64_encoded_body_is_verified_as_received(creds: Credentials, pharmacies: FakePharmacies) -> None:
    import base64

    event = submit_event(creds, submission())
    event['body'] = base64.b64encode(event['body'].encode()).decode()
    event['isBase64Encoded'] = True
    assert submit_handler(event, LambdaContext())['statusCode'] == 201


def test_health_needs_no_auth() -> None:
    response = health_handler(load_event('health'), LambdaContext())
    assert response['statusCode'] == 200
    body = response_json(response)
    assert body['status'] == 'ok'
    assert body['service'] == 'pharmacy-router'
    assert body['timestamp'].endswith('Z')
