import io
import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from functions.submit.app import lambda_handler as submit_handler
from rx_router.api.views import history_view
from rx_router.clock import iso_timestamp, utc_now
from rx_router.service import send as send_service
from rx_router.store import submissions, timeline
from rx_router.store.models import SubmissionModel
from rxlocal import template
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.support import PATIENT_VALUES, Credentials, LambdaContext, response_json, submission, submit_event


def submit(creds: Credentials, body: dict[str, Any] | str, **headers: str) -> dict[str, Any]:
    return submit_handler(submit_event(creds, body, **headers), LambdaContext())


def submit_concurrently(creds: Credentials, body: dict[str, Any], copies: int) -> list[int]:
    """Status codes of `copies` identical submits released at the same moment."""
    results: list[int] = []
    barrier = threading.Barrier(copies)

    def worker() -> None:
        barrier.wait()
        results.append(submit(creds, body)['statusCode'])

    threads = [threading.Thread(target=worker) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_texas_submission_goes_to_strive_and_is_recorded(creds: Credentials, pharmacies: FakePharmacies) -> None:
    # Given the spec's example request (patient in TX)
    # When it is submitted
    response = submit(creds, submission())
    # Then Strive received one order and the router answered 201 with its id
    assert response['statusCode'] == 201
    body = response_json(response)
    assert body['pharmacy'] == 'strive'
    assert body['status'] == 'submitted'
    assert body['pharmacyOrderId'].startswith('STV-ORD-')
    [order] = pharmacies.orders()
    assert order.url == 'https://strive.pharmacy.test/api/v1/orders'
    assert order.body['order']['sender_order_id'] == body['submissionId']
    record = SubmissionModel.get(body['submissionId'])
    assert record.status == 'submitted'
    assert record.pharmacy_order_id == body['pharmacyOrderId']
    assert record.submitted_at is not None
    assert record.patient_state == 'TX'


@pytest.mark.parametrize(
    ('state', 'pharmacy', 'url'),
    [
        ('NY', 'gmp', 'https://gmp.pharmacy.test/api/Prescriptions/B2B'),
        ('WA', 'boothwyn', 'https://boothwyn.pharmacy.test/api/Prescriptions/B2B'),
    ],
)
def test_routes_by_state(creds: Credentials, pharmacies: FakePharmacies, state: str, pharmacy: str, url: str) -> None:
    response = submit(creds, submission(routing={'patientState': state}))
    assert response['statusCode'] == 201, response['body']
    assert response_json(response)['pharmacy'] == pharmacy
    [order] = pharmacies.orders()
    assert order.url == url
    expected_key = 'gmp-functions-key' if pharmacy == 'gmp' else 'boothwyn-functions-key'
    assert order.headers['x-functions-key'] == expected_key


def test_ship_to_state_is_used_without_routing_object(creds: Credentials, pharmacies: FakePharmacies) -> None:
    body = submission(shipTo={**submission()['shipTo'], 'state': 'FL'})
    del body['routing']
    response = submit(creds, body)
    assert response_json(response)['pharmacy'] == 'gmp'


def test_excluded_state_is_422_and_nothing_is_stored(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, submission(routing={'patientState': 'MN'}))
    assert response['statusCode'] == 422
    assert response_json(response) == {'error': 'No pharmacy route configured for state: MN'}
    assert pharmacies.calls == []
    assert list(SubmissionModel.scan()) == []


def test_preferred_pharmacy_bypasses_state_routing(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, submission(routing={'patientState': 'TX', 'preferredPharmacy': 'boothwyn'}))
    assert response_json(response)['pharmacy'] == 'boothwyn'


def test_unknown_preferred_pharmacy_is_422(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, submission(routing={'preferredPharmacy': 'acme-rx'}))
    assert response['statusCode'] == 422
    assert 'known pharmacies: boothwyn, gmp, strive' in response_json(response)['error']
    assert pharmacies.calls == []


def test_duplicate_returns_original_result_without_second_order(creds: Credentials, pharmacies: FakePharmacies) -> None:
    first = submit(creds, submission())
    again = submit(creds, json.dumps(submission(), indent=2))  # same content, different bytes
    assert again['statusCode'] == 201
    assert response_json(again) == response_json(first)
    assert again['headers']['idempotent-replayed'] == 'true'
    assert len(pharmacies.orders()) == 1
    assert len(list(SubmissionModel.scan())) == 1


def test_same_key_with_different_body_is_409(creds: Credentials, pharmacies: FakePharmacies) -> None:
    first = response_json(submit(creds, submission()))
    changed = submission(medication={**submission()['medication'], 'quantity': 2})
    response = submit(creds, changed)
    assert response['statusCode'] == 409
    assert response_json(response)['submissionId'] == first['submissionId']
    assert len(pharmacies.orders()) == 1


def test_dedup_is_scoped_to_the_api_client(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies) -> None:
    a = response_json(submit(creds, submission()))
    b = response_json(submit(other_creds, submission()))
    assert a['submissionId'] != b['submissionId']
    assert len(pharmacies.orders()) == 2


def test_duplicate_arriving_while_first_is_in_flight_never_reaches_pharmacy(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    # Given the pharmacy is still answering the first request when the duplicate arrives
    inner: list[dict[str, Any]] = []

    def duplicate_during_call(request: Any) -> None:
        if not inner:
            inner.append(submit(creds, submission()))

    pharmacies.on_order = duplicate_during_call
    # When both complete
    outer = submit(creds, submission())
    # Then only one order exists; the duplicate was told to retry
    assert outer['statusCode'] == 201
    assert inner[0]['statusCode'] == 409
    assert 'still being processed' in response_json(inner[0])['error']
    assert len(pharmacies.orders()) == 1


class InvocationDied(BaseException):
    """What a Lambda timeout looks like to the code: nothing after this point runs."""


def die_during_pharmacy_call(creds: Credentials, pharmacies: FakePharmacies) -> str:
    def die(request: Any) -> None:
        raise InvocationDied

    pharmacies.on_order = die
    with pytest.raises(InvocationDied):
        submit(creds, submission())
    pharmacies.on_order = None
    [record] = SubmissionModel.scan()
    assert record.status == 'pending'
    return record.id


def status_history(submission_id: str) -> list[tuple[str, str]]:
    """(from, to) of every status change the submission's timeline holds, oldest first."""
    stored = submissions.get(submission_id)
    assert stored is not None
    return [(h['from'], h['to']) for h in history_view(timeline.events_of(stored))]


def age(submission_id: str, seconds: float) -> None:
    created = utc_now() - timedelta(seconds=seconds)
    SubmissionModel.get(submission_id).update(actions=[SubmissionModel.created_at.set(iso_timestamp(created))])


def test_repeat_of_a_submission_whose_invocation_died_records_it_failed(creds: Credentials, pharmacies: FakePharmacies) -> None:
    # Given the invocation died after reserving the key, while the pharmacy was being called
    submission_id = die_during_pharmacy_call(creds, pharmacies)
    orders = len(pharmacies.orders())
    queued_jobs()
    # While it could still be running, a repeat is told to retry
    age(submission_id, send_service.ABANDONED_AFTER.total_seconds() - 30)
    assert submit(creds, submission())['statusCode'] == 409
    # When the client repeats it later
    age(submission_id, send_service.ABANDONED_AFTER.total_seconds() + 1)
    response = submit(creds, submission())
    # Then it is answered as failed, saying the pharmacy may have the order, and never resent to the pharmacy
    assert response['statusCode'] == 502
    assert response['headers']['idempotent-replayed'] == 'true'
    body = response_json(response)
    assert body == {
        'submissionId': submission_id,
        'pharmacy': 'strive',
        'status': 'failed',
        'pharmacyOrderId': None,
        'error': send_service.ABANDONED,
    }
    assert 'may have received the order' in body['error']
    assert len(pharmacies.orders()) == orders
    record = SubmissionModel.get(submission_id)
    assert (record.status, record.error_message) == ('failed', send_service.ABANDONED)
    assert status_history(submission_id) == [('pending', 'failed')]
    # And the clinic hears about it once, however often the request is repeated
    assert submit(creds, submission())['statusCode'] == 502
    [job] = queued_jobs()
    assert (job['submissionId'], job['payload']['status'], job['payload']['error']) == (
        submission_id,
        'failed',
        send_service.ABANDONED,
    )


def test_concurrent_repeats_of_an_abandoned_submission_settle_it_once(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = die_during_pharmacy_call(creds, pharmacies)
    age(submission_id, send_service.ABANDONED_AFTER.total_seconds() + 1)
    queued_jobs()
    assert submit_concurrently(creds, submission(), 6) == [502] * 6
    assert len(queued_jobs()) == 1
    assert status_history(submission_id) == [('pending', 'failed')]


def test_abandonment_waits_longer_than_the_submit_function_can_run() -> None:
    timeout = template.functions()['SubmitFunction'].timeout
    assert send_service.ABANDONED_AFTER.total_seconds() > timeout * 2


def test_concurrent_duplicates_create_one_order(creds: Credentials, pharmacies: FakePharmacies) -> None:
    results = submit_concurrently(creds, submission(), 8)
    assert len(pharmacies.orders()) == 1
    assert len(list(SubmissionModel.scan())) == 1
    assert results.count(201) >= 1
    assert set(results) <= {201, 409}


def test_pharmacy_error_is_502_recorded_and_final(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.fail_with = 500
    response = submit(creds, submission(routing={'patientState': 'WA'}))
    assert response['statusCode'] == 502
    body = response_json(response)
    assert body['status'] == 'failed'
    assert body['pharmacyOrderId'] is None
    assert body['error'] == 'Boothwyn API error 500: Internal Server Error'
    record = SubmissionModel.get(body['submissionId'])
    assert record.status == 'failed'
    assert record.error_message == body['error']
    assert record.response_payload == {'message': 'failure', 'access_token': '[redacted]'}
    # A retry of the same request replays the failure; the pharmacy is not called again.
    pharmacies.fail_with = None
    again = submit(creds, submission(routing={'patientState': 'WA'}))
    assert again['statusCode'] == 502
    assert response_json(again) == body
    assert len(pharmacies.orders()) == 1


def test_pharmacy_timeout_is_502_and_says_order_may_exist(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.timeout = True
    response = submit(creds, submission())
    assert response['statusCode'] == 502
    assert 'may have received the order' in response_json(response)['error']


def test_test_mode_uses_sandboxes_and_is_recorded(creds: Credentials, pharmacies: FakePharmacies) -> None:
    strive_resp = submit(creds, submission(test=True))
    boothwyn_resp = submit(creds, submission(test=True, sourceOrderId='ord-2', routing={'patientState': 'WA'}))
    urls = [c.url for c in pharmacies.calls]
    assert 'https://sandbox.strive.pharmacy.test/api/v1/orders' in urls
    assert 'https://boothwyn.pharmacy.test/api/Prescriptions/B2B?test=true' in urls
    assert not any(u.startswith('https://strive.pharmacy.test') for u in urls)
    for resp in (strive_resp, boothwyn_resp):
        assert SubmissionModel.get(response_json(resp)['submissionId']).test is True


def test_missing_pharmacy_credentials_is_503_before_reserving(creds: Credentials, pharmacies: FakePharmacies) -> None:
    import boto3

    from tests.integration.conftest import PHARMACY_CREDENTIALS

    boto3.client('secretsmanager').put_secret_value(
        SecretId='test/pharmacy-credentials',
        SecretString=json.dumps({k: v for k, v in PHARMACY_CREDENTIALS.items() if k != 'strive'}),
    )
    response = submit(creds, submission())
    assert response['statusCode'] == 503
    assert 'strive' not in response['body']
    assert list(SubmissionModel.scan()) == []


def test_unmapped_strive_medication_is_422_before_reserving(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = submit(creds, submission(medication={**submission()['medication'], 'name': 'NAD+ 100mg/mL'}))
    assert response['statusCode'] == 422
    assert 'catalog item' in response_json(response)['error']
    assert pharmacies.calls == []


@pytest.mark.parametrize(
    ('raw', 'status'),
    [('{not json', 400), ('[]', 400), ('', 400), ('"x"', 400)],
)
def test_malformed_bodies(creds: Credentials, raw: str, status: int) -> None:
    assert submit(creds, raw)['statusCode'] == status


def test_oversized_body_is_413(creds: Credentials) -> None:
    body = submission(medication={**submission()['medication'], 'note': 'x' * 300_000})
    assert submit(creds, body)['statusCode'] == 413


def test_validation_error_has_spec_shape_without_patient_data(creds: Credentials) -> None:
    body = submission(patient={**submission()['patient'], 'dob': 'Jane-Smith'})
    del body['patient']['gender']
    response = submit(creds, body)
    assert response['statusCode'] == 400
    assert response_json(response) == {
        'error': 'Validation failed',
        'details': {
            'fieldErrors': {'patient.dob': ['Must be a date in YYYY-MM-DD format'], 'patient.gender': ['Required']},
            'formErrors': [],
        },
    }
    assert not any(value in response['body'] for value in PATIENT_VALUES)


def test_bad_signature_is_401_and_nothing_happens(creds: Credentials, pharmacies: FakePharmacies) -> None:
    wrong = Credentials(creds.api_key, 'not-the-secret')
    from tests.support import submit_event as build

    event = build(wrong, submission())
    response = submit_handler(event, LambdaContext())
    assert response['statusCode'] == 401
    assert response_json(response) == {'error': 'Invalid signature'}
    assert pharmacies.calls == []


def test_no_patient_data_in_logs(creds: Credentials, pharmacies: FakePharmacies, logs: io.StringIO) -> None:
    submit(creds, submission())
    submit(creds, submission())
    pharmacies.fail_with = 500
    submit(creds, submission(sourceOrderId='ord-fail'))
    submit(creds, submission(patient={**submission()['patient'], 'dob': '2999-01-01'}))
    logged = logs.getvalue()
    assert logged.count('"message":"request"') == 4
    for value in PATIENT_VALUES:
        assert value not in logged


def test_one_log_line_per_submit_carries_its_outcome(creds: Credentials, pharmacies: FakePharmacies, logs: io.StringIO) -> None:
    created = response_json(submit(creds, submission()))
    submit(creds, submission(), **{'X-Signature': '0' * 64})
    first, *rest = (json.loads(line) for line in logs.getvalue().splitlines())
    assert first['message'] == 'request' and first['status'] == 201
    rejected = rest[-1]
    assert (first['submission_id'], first['pharmacy'], first['pharmacy_order_id']) == (
        created['submissionId'],
        'strive',
        created['pharmacyOrderId'],
    )
    # The next invocation starts clean: nothing from the previous request rides on its line
    assert rejected['status'] == 401
    assert not {'submission_id', 'pharmacy', 'pharmacy_order_id', 'api_key_id'} & rejected.keys()
