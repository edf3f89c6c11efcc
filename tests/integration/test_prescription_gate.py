"""The prescription boundary: a gated submission reaches no pharmacy before Beluga's RX_WRITTEN for its masterId,
then goes exactly as a direct submit does; a mismatch holds it; CONSULT_CANCELED cancels it; the Beluga webhook's
secret is checked like every webhook's, failing closed."""

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.beluga_webhook.app import lambda_handler as beluga_hook
from functions.cancel_prescription.app import lambda_handler as cancel_handler
from functions.get_submission.app import lambda_handler as get_handler
from functions.reconcile.app import lambda_handler as reconcile_handler
from functions.refill_prescription.app import lambda_handler as refill_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.clock import iso_timestamp
from rx_router.domain.submission import InvalidTransition
from rx_router.service import send
from rx_router.service.send import send_and_record
from rx_router.store import config, submissions
from rx_router.store.models import SubmissionModel
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.conftest import WEBHOOK_SECRETS
from tests.integration.test_timeline import timeline
from tests.support import (
    PATIENT_VALUES,
    Credentials,
    LambdaContext,
    action_event,
    get_event,
    load_event,
    response_json,
    submission,
    submit_event,
)

MASTER = 'BLG-MASTER-0001'


def gated(creds: Credentials, master_id: str = MASTER, source_order_id: str = 'ord_gated_1', **gate: str) -> dict[str, Any]:
    medication = {**submission()['medication'], 'productId': 'tirzepatide'}
    body = submission(
        sourceOrderId=source_order_id,
        routing={'patientState': 'WA'},
        medication=medication,
        prescription={'provider': 'beluga', 'masterId': master_id, **gate},
    )
    return submit_handler(submit_event(creds, body), LambdaContext())


def beluga(body: dict[str, Any] | str, **headers: str) -> dict[str, Any]:
    event = load_event('beluga_webhook')
    event['body'] = body if isinstance(body, str) else json.dumps(body)
    event['headers'] = {'content-type': 'application/json', 'authorization': 'Bearer beluga-hook-secret', **headers}
    if 'authorization' in headers and headers['authorization'] == '':
        del event['headers']['authorization']
    return beluga_hook(event, LambdaContext())


def rx_written(master_id: str = MASTER, *meds: dict[str, str]) -> dict[str, Any]:
    prescribed = list(meds) or [{'name': 'Tirzepatide', 'medId': 'tirzepatide', 'rxId': 'RX-1', 'quantity': '2', 'refills': '1'}]
    return {'masterId': master_id, 'event': 'RX_WRITTEN', 'docName': 'Dr. Who', 'medsPrescribed': prescribed}


def view(creds: Credentials, submission_id: str) -> dict[str, Any]:
    result: dict[str, Any] = response_json(get_handler(get_event(creds, submission_id), LambdaContext()))
    return result


def statuses(jobs: list[dict[str, Any]]) -> list[str]:
    return [job['payload']['status'] for job in jobs]


def test_gated_submit_calls_no_pharmacy_until_rx_written_then_sends_once(creds: Credentials, pharmacies: FakePharmacies) -> None:
    response = gated(creds)
    assert response['statusCode'] == 202, response['body']
    answer = response_json(response)
    expected = {'pharmacy': 'boothwyn', 'status': 'awaiting_prescription', 'pharmacyOrderId': None}
    assert answer == {'submissionId': answer['submissionId'], **expected}
    assert pharmacies.calls == []
    assert statuses(queued_jobs()) == ['awaiting_prescription']
    assert view(creds, answer['submissionId'])['status'] == 'awaiting_prescription'

    assert beluga(rx_written())['statusCode'] == 200
    [order] = pharmacies.orders()
    prescribed = order.body['prescriptions'][0]
    assert (prescribed['amount'], prescribed['sku']) == (2, '12850')  # the prescribed quantity, not the ordered 1
    [job] = queued_jobs()
    assert job['payload']['status'] == 'submitted'
    record = view(creds, answer['submissionId'])
    assert record['status'] == 'submitted'
    moves = [(h['from'], h['to']) for h in record['history']]
    assert moves[-2:] == [('awaiting_prescription', 'pending'), ('pending', 'submitted')]

    # The same RX_WRITTEN again, and the submit again: no second order, no second callback, the first answer.
    assert beluga(rx_written())['statusCode'] == 200
    again = gated(creds)
    assert (again['statusCode'], response_json(again)) == (202, answer)
    assert len(pharmacies.orders()) == 1
    assert queued_jobs() == []


def test_the_release_is_on_the_timeline_with_the_event_that_released_it(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    beluga(rx_written())
    [release] = [e for e in timeline(creds, submission_id)['events'] if e['kind'] == 'prescription']
    assert (release['source'], release['from'], release['to']) == ('webhook:beluga', 'awaiting_prescription', 'pending')
    assert (release['event'], release['rxId'], release['applied']) == ('RX_WRITTEN', 'RX-1', ['quantity', 'refills'])
    record = view(creds, submission_id)
    assert record['prescription'] == {'provider': 'beluga', 'masterId': MASTER}
    assert (record['prescriptionWritten']['event'], record['prescriptionWritten']['rxId']) == ('RX_WRITTEN', 'RX-1')


def test_a_mismatch_holds_the_order_with_the_reason_and_sends_nothing(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    queued_jobs()
    other = {'name': 'Semaglutide', 'medId': 'semaglutide', 'rxId': 'RX-2', 'quantity': '1', 'refills': '0'}
    assert beluga(rx_written(MASTER, other))['statusCode'] == 200
    assert pharmacies.calls == []
    [job] = queued_jobs()
    assert job['payload']['status'] == 'on_hold'
    assert job['payload']['error'] == (
        'The written prescription does not include the ordered medication (medId tirzepatide); prescribed: semaglutide'
    )
    record = view(creds, submission_id)
    assert (record['status'], record['heldFrom']) == ('on_hold', 'awaiting_prescription')
    # The same mismatch again changes nothing; a corrected prescription releases it.
    beluga(rx_written(MASTER, other))
    assert queued_jobs() == []
    beluga(rx_written(MASTER, other, {'name': 'Tirzepatide', 'medId': 'tirzepatide', 'rxId': 'RX-3'}))
    assert len(pharmacies.orders()) == 1
    assert statuses(queued_jobs()) == ['submitted']


def test_the_prescription_med_id_is_matched_when_the_order_names_one(creds: Credentials, pharmacies: FakePharmacies) -> None:
    gated(creds, medId='BLG-TIRZ-5')
    beluga(rx_written(MASTER, {'medId': 'tirzepatide', 'rxId': 'RX-1'}))
    assert pharmacies.calls == []  # the product id is not the medId the order waits for
    beluga(rx_written(MASTER, {'medId': 'BLG-TIRZ-5', 'rxId': 'RX-1'}))
    assert len(pharmacies.orders()) == 1


def test_consult_canceled_cancels_waiting_orders_only(creds: Credentials, pharmacies: FakePharmacies) -> None:
    waiting = response_json(gated(creds, 'BLG-A', 'ord_a'))['submissionId']
    released = response_json(gated(creds, 'BLG-B', 'ord_b'))['submissionId']
    beluga(rx_written('BLG-B'))
    queued_jobs()
    for master in ('BLG-A', 'BLG-B'):
        assert beluga({'masterId': master, 'event': 'CONSULT_CANCELED'})['statusCode'] == 200
    assert statuses(queued_jobs()) == ['cancelled']
    assert view(creds, waiting)['status'] == 'cancelled'
    assert view(creds, released)['status'] == 'submitted'
    beluga(rx_written('BLG-A'))  # too late: a cancelled order is never released
    assert len(pharmacies.orders()) == 1


def test_rx_written_for_an_unknown_master_id_is_recorded_and_releases_a_later_order(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    assert beluga(rx_written('BLG-EARLY'))['statusCode'] == 200
    assert pharmacies.calls == []
    response = gated(creds, 'BLG-EARLY')
    assert response['statusCode'] == 202
    assert response_json(response)['status'] == 'awaiting_prescription'
    assert len(pharmacies.orders()) == 1
    assert statuses(queued_jobs()) == ['awaiting_prescription', 'submitted']


def test_client_cancel_of_a_gated_order_calls_no_pharmacy_and_it_is_never_released(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    response = cancel_handler(action_event(creds, 'cancel', submission_id), LambdaContext())
    assert response['statusCode'] == 200
    assert response_json(response)['status'] == 'cancelled'
    beluga(rx_written())
    assert pharmacies.calls == []


def test_no_path_sends_a_gated_order_before_its_prescription(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    # A retry of the submit answers the stored answer.
    assert gated(creds)['statusCode'] == 202
    # A refill is refused: nothing has shipped.
    refill = refill_handler(action_event(creds, 'refill', submission_id, {'refillRequestId': 'r1'}), LambdaContext())
    assert refill['statusCode'] == 409
    # The one step every send goes through refuses it, even if a code path reached it.
    stored = submissions.get(submission_id)
    assert stored is not None
    with pytest.raises(InvalidTransition):
        send_and_record(stored, lambda: pytest.fail('sent'), 'test')  # type: ignore[arg-type,return-value]
    # Reconciliation (status queries; prescription polling is off without Beluga's API) sends nothing.
    assert reconcile_handler({}, LambdaContext())['asked'] == 0
    # The operator's CLI: a status sync is refused, a callback resend only calls back.
    from rxlocal import cli
    from tests.integration.deployed_stack import create_stack

    create_stack('rx-prod')
    assert cli.main(['--stack', 'rx-prod', 'submissions', 'sync', submission_id]) == 2
    assert cli.main(['--stack', 'rx-prod', 'callbacks', 'resend', submission_id]) == 0
    assert pharmacies.calls == []
    assert view(creds, submission_id)['status'] == 'awaiting_prescription'


def test_a_route_that_changed_before_the_release_holds_the_order(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    queued_jobs()
    boothwyn = config.load_config().pharmacies['boothwyn']
    config.replace_pharmacy(boothwyn.model_copy(update={'active': False}))
    TtlCache.clear_all()
    beluga(rx_written())
    assert pharmacies.calls == []
    [job] = queued_jobs()
    assert job['payload']['status'] == 'on_hold'
    assert job['payload']['error'].startswith('The order cannot be sent as it was routed: ')
    assert view(creds, submission_id)['heldFrom'] == 'awaiting_prescription'


@pytest.mark.parametrize(
    'headers',
    [
        {'authorization': 'Bearer beluga-hook-secret'},
        {'authorization': 'bearer beluga-hook-old'},
        {'authorization': '', 'x-beluga-webhook-secret': 'beluga-hook-old'},
    ],
)
def test_either_header_and_both_rotation_secrets_are_accepted(creds: Credentials, headers: dict[str, str]) -> None:
    concluded = {'masterId': MASTER, 'event': 'CONSULT_CONCLUDED', 'visitOutcome': 'prescribed'}
    assert beluga(concluded, **headers)['statusCode'] == 200


@pytest.mark.parametrize(
    'headers',
    [
        {'authorization': 'Bearer wrong'},
        {'authorization': 'Basic YmVsdWdhLWhvb2stc2VjcmV0'},
        {'authorization': ''},
        {'authorization': '', 'x-beluga-webhook-secret': 'beluga-hook-secre'},
    ],
)
def test_a_wrong_or_missing_secret_is_401_and_changes_nothing(
    creds: Credentials, pharmacies: FakePharmacies, headers: dict[str, str]
) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    response = beluga(rx_written(), **headers)
    assert response['statusCode'] == 401
    assert response_json(response) == {'error': 'Invalid webhook secret'}
    assert pharmacies.calls == []
    assert view(creds, submission_id)['status'] == 'awaiting_prescription'


def test_no_configured_secret_refuses_everything(creds: Credentials, pharmacies: FakePharmacies) -> None:
    secrets = {k: v for k, v in WEBHOOK_SECRETS.items() if k != 'beluga'}
    boto3.client('secretsmanager').put_secret_value(SecretId='test/webhook-secrets', SecretString=json.dumps(secrets))
    TtlCache.clear_all()
    gated(creds)
    for secret in ('beluga-hook-secret', ''):
        assert beluga(rx_written(), authorization=f'Bearer {secret}')['statusCode'] == 401
    assert pharmacies.calls == []


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({'event': 'RX_WRITTEN'}, 'masterId'),
        ({'masterId': MASTER, 'event': 'RX_WRITTEN'}, 'medsPrescribed'),
        ({'masterId': MASTER, 'event': 'RX_WRITTEN', 'medsPrescribed': [{'name': 'x'}]}, 'medsPrescribed.0.medId'),
        ({'masterId': 12, 'event': 'RX_WRITTEN'}, 'masterId'),
    ],
)
def test_malformed_events_are_400_naming_the_field(creds: Credentials, body: dict[str, Any], field: str) -> None:
    response = beluga(body)
    assert response['statusCode'] == 400
    assert field in response_json(response)['details']['fieldErrors']


def test_gated_submit_validates_the_prescription_object(creds: Credentials, pharmacies: FakePharmacies) -> None:
    body = submission(routing={'patientState': 'WA'}, prescription={'provider': 'acme', 'masterId': ''})
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] == 400
    assert set(response_json(response)['details']['fieldErrors']) == {'prescription.provider', 'prescription.masterId'}


def test_nothing_about_the_patient_reaches_the_logs(creds: Credentials, pharmacies: FakePharmacies, logs: Any) -> None:
    gated(creds)
    beluga({**rx_written(), 'firstName': 'Jane'})
    beluga({'masterId': MASTER, 'event': 'NAME_UPDATE', 'firstName': 'Jane', 'lastName': 'Smith'})
    output = logs.getvalue()
    assert 'gated submission released' in output
    for value in PATIENT_VALUES:
        assert value not in output


def test_the_operator_sets_the_beluga_secret_with_the_cli(tmp_path: Any, creds: Credentials, capsys: Any) -> None:
    from rxlocal import cli
    from tests.integration.deployed_stack import create_stack

    path = tmp_path / 'beluga-secret'
    path.write_text('beluga-next\n')
    create_stack('rx-prod')
    assert cli.main(['--stack', 'rx-prod', 'providers', 'set-secret', 'beluga', '--webhook-secret-file', str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {'provider': 'beluga', 'webhookSecrets': 1}
    TtlCache.clear_all()
    concluded = {'masterId': MASTER, 'event': 'CONSULT_CONCLUDED'}
    assert beluga(concluded, authorization='Bearer beluga-next')['statusCode'] == 200
    assert beluga(concluded, authorization='Bearer beluga-hook-secret')['statusCode'] == 401


def test_a_release_whose_invocation_died_is_settled_failed_by_the_providers_retry(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    from tests.integration.test_submit import InvocationDied

    submission_id = response_json(gated(creds))['submissionId']
    queued_jobs()

    def die(request: Any) -> None:
        raise InvocationDied

    pharmacies.on_order = die
    with pytest.raises(InvocationDied):  # released (pending), then the invocation died while calling the pharmacy
        beluga(rx_written())
    pharmacies.on_order = None
    assert view(creds, submission_id)['status'] == 'pending'
    beluga(rx_written())  # Beluga retries the webhook it got no answer to: too soon, it may still be running
    assert view(creds, submission_id)['status'] == 'pending' and queued_jobs() == []
    stored = SubmissionModel.get(submission_id)
    released = datetime.fromisoformat(stored.released_at) - timedelta(seconds=send.ABANDONED_AFTER.total_seconds() + 1)
    stored.update(actions=[SubmissionModel.released_at.set(iso_timestamp(released))])
    beluga(rx_written())
    record = view(creds, submission_id)
    assert (record['status'], record['errorMessage']) == ('failed', send.ABANDONED)
    assert statuses(queued_jobs()) == ['failed']
    assert len(pharmacies.orders()) == 1  # the one the dead invocation may have placed: never a second


def test_a_repeated_submit_never_puts_a_released_order_back_among_the_waiting(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    from rx_router.store import prescription_gates

    gated(creds)
    beluga(rx_written())
    assert prescription_gates.due_for_check('beluga', '9999-12-31T00:00:00.000Z', 10) == []
    assert gated(creds)['statusCode'] == 202  # the repeat
    assert prescription_gates.due_for_check('beluga', '9999-12-31T00:00:00.000Z', 10) == []
