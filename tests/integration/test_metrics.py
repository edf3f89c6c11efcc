"""Business metrics (README "Metrics and alarms"): each outcome published once per invocation as EMF, for its
pharmacy and for all pharmacies, never with a submission id or patient data; nothing published by the services
themselves (the rxrouter CLI runs them) or when an invocation counted nothing."""

import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from functions.callback_sender.app import lambda_handler as sender
from functions.get_submission.app import lambda_handler as get_handler
from functions.health.app import lambda_handler as health_handler
from functions.own_webhook.app import lambda_handler as own_hook
from functions.reconcile.app import lambda_handler as reconcile_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router import business_metrics, clock, http_clients
from rx_router.clock import iso_timestamp
from rx_router.service import reconcile
from rx_router.service import send as send_service
from rx_router.settings import settings
from rx_router.store import prescription_gates
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.emf import counted, emf_lines
from tests.integration.test_callback_sender import sqs_event_for_queued_job
from tests.integration.test_prescription_gate import MASTER, beluga, gated, rx_written
from tests.integration.test_reconcile import at_pharmacy
from tests.integration.test_submit import age, die_during_pharmacy_call
from tests.own_support import INSTANCE, configure
from tests.support import (
    PATIENT_VALUES,
    Credentials,
    LambdaContext,
    get_event,
    load_event,
    response_json,
    submission,
    submit_event,
)

Output = Callable[[], str]


@pytest.fixture
def published(capsys: pytest.CaptureFixture[str]) -> Output:
    """What the handlers printed since the last call."""
    capsys.readouterr()
    return lambda: capsys.readouterr().out


def assert_clean(out: str, *identifiers: str) -> None:
    """No patient value and no id of a submission or an order in any metric line."""
    lines = [json.dumps(line) for line in emf_lines(out)]
    assert lines, 'no metrics published'
    for value in (*PATIENT_VALUES, *identifiers):
        assert all(value not in line for line in lines), value


def submit(creds: Credentials, order: str = 'ord_metrics', state: str = 'TX') -> dict[str, Any]:
    response = submit_handler(
        submit_event(creds, submission(routing={'patientState': state}, sourceOrderId=order)), LambdaContext()
    )
    result: dict[str, Any] = {'statusCode': response['statusCode'], **response_json(response)}
    return result


def strive(body: dict[str, Any] | str, secret: str = 'strive-hook-new') -> int:
    event = load_event('strive_webhook')
    event['body'] = body if isinstance(body, str) else json.dumps(body)
    event['headers']['x-webhook-secret'] = secret
    status: int = strive_hook(event, LambdaContext())['statusCode']
    return status


def test_an_accepted_submission_is_counted_for_its_pharmacy_once(creds: Credentials, published: Output) -> None:
    created = submit(creds)
    assert created['statusCode'] == 201
    out = published()
    assert counted(out) == {('SubmissionsAccepted', created['pharmacy']): 1}
    assert len(emf_lines(out)) == 1  # one flush per invocation
    assert_clean(out, created['submissionId'], created['pharmacyOrderId'])


def test_a_pharmacy_failure_is_counted_as_failed(creds: Credentials, pharmacies: FakePharmacies, published: Output) -> None:
    pharmacies.fail_with = 500
    created = submit(creds)
    assert created['statusCode'] == 502
    out = published()
    assert counted(out) == {('SubmissionsFailed', created['pharmacy']): 1}
    assert_clean(out, created['submissionId'])


def test_a_submission_whose_invocation_died_is_counted_failed_once_when_a_repeat_settles_it(
    creds: Credentials, pharmacies: FakePharmacies, published: Output
) -> None:
    submission_id = die_during_pharmacy_call(creds, pharmacies)
    assert emf_lines(published()) == []  # the invocation died before its send had an outcome
    age(submission_id, send_service.ABANDONED_AFTER.total_seconds() + 1)
    repeat = submit_event(creds, submission())  # the request whose invocation died
    assert submit_handler(repeat, LambdaContext())['statusCode'] == 502
    assert counted(published()) == {('SubmissionsFailed', 'strive'): 1}
    assert submit_handler(submit_event(creds, submission()), LambdaContext())['statusCode'] == 502  # settled: nothing new
    assert emf_lines(published()) == []


def test_a_webhook_accepted_and_refused_for_its_pharmacy(creds: Credentials, published: Output) -> None:
    created = submit(creds)
    published()
    order = created['pharmacyOrderId']
    assert strive({'tracking_id': order, 'rxstatus': 'shipped', 'trackingnumber': '1Z999AA10123456784'}) == 200
    assert counted(published()) == {('WebhooksAccepted', 'strive'): 1}
    assert strive('{not json') == 400  # authenticated: strive sent it, malformed
    assert counted(published()) == {('WebhooksRefused', 'strive'): 1}
    assert strive({'tracking_id': 'STV-UNKNOWN', 'rxstatus': 'shipped'}) == 404  # names no order of strive's
    assert counted(published()) == {('WebhooksRefused', 'strive'): 1}
    assert strive({'tracking_id': order, 'rxstatus': 'shipped'}, secret='wrong') == 401  # no sender known
    out = published()
    assert counted(out) == {('WebhooksRefused', None): 1}
    assert_clean(out, created['submissionId'], order)


def test_a_per_instance_webhook_never_takes_its_dimension_from_the_path(
    creds: Credentials, pharmacies: FakePharmacies, published: Output
) -> None:
    configure(pharmacies)
    event = load_event('own_webhook')
    event['pathParameters'] = {'pharmacyId': 'no-such-pharmacy-c3f1'}
    assert own_hook(event, LambdaContext())['statusCode'] == 404
    out = published()
    assert counted(out) == {('WebhooksRefused', None): 1}
    assert_clean(out, 'no-such-pharmacy-c3f1')
    event['pathParameters'] = {'pharmacyId': INSTANCE.id}  # the instance exists; the signature is not its secret's
    assert own_hook(event, LambdaContext())['statusCode'] == 401
    assert counted(published()) == {('WebhooksRefused', INSTANCE.id): 1}


def test_a_gated_submission_released_or_held_by_its_prescription(creds: Credentials, published: Output) -> None:
    assert gated(creds)['statusCode'] == 202
    assert gated(creds, 'BLG-MASTER-0002', 'ord_gated_2')['statusCode'] == 202
    assert counted(published()) == {}  # waiting: nothing sent, nothing counted
    assert beluga(rx_written())['statusCode'] == 200
    out = published()
    # a consult event concerns no pharmacy; the released order's send is counted for its pharmacy
    assert counted(out) == {
        ('WebhooksAccepted', None): 1,
        ('SubmissionsReleased', 'boothwyn'): 1,
        ('SubmissionsAccepted', 'boothwyn'): 1,
    }
    other_medication = {'name': 'Semaglutide', 'medId': 'semaglutide', 'rxId': 'RX-2', 'quantity': '1', 'refills': '0'}
    assert beluga(rx_written('BLG-MASTER-0002', other_medication))['statusCode'] == 200
    out = published()
    assert counted(out) == {('WebhooksAccepted', None): 1, ('SubmissionsHeld', 'boothwyn'): 1}
    assert_clean(out, 'BLG-MASTER-0002')
    assert beluga(rx_written(), authorization='Bearer wrong')['statusCode'] == 401
    assert counted(published()) == {('WebhooksRefused', None): 1}


@pytest.fixture
def receiver_answering() -> Callable[[int], None]:
    def answer(status: int) -> None:
        http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status)))

    return answer


@pytest.mark.parametrize(
    ('status', 'receive_count', 'metric'),
    [(200, 1, 'CallbacksDelivered'), (500, 1, 'CallbacksRetried'), (500, 3, 'CallbacksDeadLettered')],  # 3 attempts in tests
)
def test_a_callback_attempt_is_counted_by_outcome_for_its_pharmacy(
    creds: Credentials, receiver_answering: Callable[[int], None], published: Output, status: int, receive_count: int, metric: str
) -> None:
    created = submit(creds)
    receiver_answering(status)
    published()
    sender(sqs_event_for_queued_job(receive_count), LambdaContext())
    out = published()
    assert counted(out) == {(metric, created['pharmacy']): 1}
    assert_clean(out, created['submissionId'], created['pharmacyOrderId'], 'api.example.com')


def later(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    """The router's clock that many hours ahead."""

    def now() -> datetime:
        return datetime.now(UTC) + timedelta(hours=hours)

    monkeypatch.setattr(clock, 'utc_now', now)
    monkeypatch.setattr(reconcile, 'utc_now', now)


def test_stale_submissions_are_the_tracked_ones_reconciliation_has_not_checked_for_a_day(
    creds: Credentials, monkeypatch: pytest.MonkeyPatch, published: Output
) -> None:
    orders = [submit(creds, f'ord_stale_{n}') for n in range(3)]
    assert all(o['statusCode'] == 201 and o['pharmacy'] == 'strive' for o in orders)  # strive answers status queries
    assert gated(creds)['statusCode'] == 202  # no Beluga polling here: its age since it came is what counts
    assert gated(creds, 'BLG-MASTER-0002', 'ord_gated_2')['statusCode'] == 202
    assert beluga({'masterId': 'BLG-MASTER-0002', 'event': 'CONSULT_CANCELED'})['statusCode'] == 200  # waits no more
    monkeypatch.setenv('RECONCILE_MAX_PER_RUN', '1')
    settings.cache_clear()
    published()
    later(monkeypatch, 23)
    reconcile_handler({'source': 'aws.scheduler'}, LambdaContext())  # asks about one; none is a day old yet
    assert counted(published())['StaleSubmissions', None] == 0
    later(monkeypatch, 25)
    assert reconcile_handler({'source': 'aws.scheduler'}, LambdaContext())['stale'] == 2
    out = published()
    assert counted(out)['StaleSubmissions', None] == 2  # the third order, and the gated one: not checked for 25 h
    assert counted(out)['StatusQueries', None] == 1
    assert_clean(out, *(o['submissionId'] for o in orders))
    before = iso_timestamp(clock.utc_now())
    assert [w.gate.master_id for w in prescription_gates.due_for_check('beluga', before, 10)] == [MASTER]  # cleaned
    settings.cache_clear()


def test_nothing_is_published_when_nothing_was_counted(creds: Credentials, published: Output) -> None:
    created = submit(creds)
    published()
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # Powertools warns on an empty flush
        assert get_handler(get_event(creds, created['submissionId']), LambdaContext())['statusCode'] == 200
        assert health_handler(load_event('health'), LambdaContext())['statusCode'] in (200, 503)
    assert emf_lines(published()) == []


def test_services_called_outside_a_handler_publish_nothing(
    creds: Credentials, pharmacies: FakePharmacies, published: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the rxrouter CLI does (reconciliation or a sync by hand): counts are kept, never printed by the service."""
    created = submit(creds)
    at_pharmacy(pharmacies, created, 'shipped', '1Z999AA10123456784')
    published()
    later(monkeypatch, 7)
    assert reconcile.reconcile().repaired == 1
    assert emf_lines(published()) == []
    business_metrics.flush()  # what a handler does when its invocation ends
    assert counted(published()) == {('SubmissionsRepairedByPolling', 'strive'): 1}


def test_a_failure_to_publish_never_changes_the_answer(
    creds: Credentials, published: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError('publishing failed')

    with monkeypatch.context() as patched:
        patched.setattr(business_metrics._metrics, 'add_metric', broken)
        assert submit(creds)['statusCode'] == 201
        assert emf_lines(published()) == []
    assert submit(creds, 'ord_after')['statusCode'] == 201  # nothing left behind by the failed flush
    assert counted(published()) == {('SubmissionsAccepted', 'strive'): 1}
    queued_jobs()
