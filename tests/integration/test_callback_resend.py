"""A callback SQS refused at submit time is recorded as `not-queued` and can be queued again from the CLI."""

import json
from typing import Any

import pytest

from functions.submit.app import lambda_handler as submit_handler
from rx_router import aws
from rx_router.api.views import submission_view
from rx_router.callbacks import payloads
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.store import submissions, timeline
from rx_router.store.models import SubmissionModel
from rxlocal import cli
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.deployed_stack import create_stack
from tests.support import Credentials, LambdaContext, response_json, submission, submit_event


class RefusingSqs:
    def send_message(self, **kwargs: Any) -> None:
        raise ConnectionError('SQS unreachable')


@pytest.fixture
def stack() -> str:
    return create_stack('rx-prod')


@pytest.fixture
def unqueued(creds: Credentials, pharmacies: FakePharmacies, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A submission whose callback SQS refused."""
    with monkeypatch.context() as patch:
        patch.setattr(aws, 'sqs', RefusingSqs)
        response = submit_handler(submit_event(creds, submission()), LambdaContext())
    assert response['statusCode'] == 201
    return response_json(response)


def last_callback_outcome(submission_id: str) -> str:
    submission = submissions.get(submission_id)
    assert submission is not None
    outcome: str = submission_view(submission, timeline.events_of(submission))['lastCallback']['outcome']
    return outcome


def resend(stack: str, submission_id: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(['--stack', stack, 'callbacks', 'resend', submission_id])
    out, err = capsys.readouterr()
    return code, out, err


def test_refused_callback_is_recorded_and_resent_with_the_same_event(
    stack: str, unqueued: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    submission_id = unqueued['submissionId']
    assert queued_jobs() == []
    assert last_callback_outcome(submission_id) == 'not-queued'

    code, out, err = resend(stack, submission_id, capsys)

    assert code == 0, err
    assert json.loads(out)['queued'] is True
    [job] = queued_jobs()
    assert job['eventId'] == payloads.event_id(submission_id, 'submitted')
    assert job['payload'] == {
        'submissionId': submission_id,
        'sourceOrderId': submission()['sourceOrderId'],
        'pharmacy': 'strive',
        'status': 'submitted',
        'pharmacyOrderId': unqueued['pharmacyOrderId'],
        'error': None,
    }
    # and the operator's action is on the submission's timeline, with who did it
    stored = submissions.get(submission_id)
    assert stored is not None
    [action] = [e for e in timeline.events_of(stored) if e.kind is EventKind.OPERATOR]
    assert (action.source, action.detail) == (
        'rxrouter',
        {'action': 'callbacks resend', 'eventId': job['eventId'], 'status': 'submitted'},
    )
    assert action.actor is not None and action.actor.startswith('arn:aws:')


def test_resend_after_a_pharmacy_update_sends_the_update(
    stack: str, unqueued: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    record = submissions.get(unqueued['submissionId'])
    assert record is not None
    shipped = PharmacyReport(
        unqueued['pharmacyOrderId'], raw_status='shipped', status=Status.SHIPPED, tracking_number='1Z999', carrier='UPS'
    )
    record.report(shipped, at=iso_timestamp(), source='webhook:strive', actor='strive', key='test')
    submissions.save(record)

    code, _, err = resend(stack, record.id, capsys)

    assert code == 0, err
    [job] = queued_jobs()
    assert job['eventId'] == payloads.event_id(record.id, 'shipped')
    assert (job['payload']['status'], job['payload']['trackingNumber'], job['payload']['carrier']) == ('shipped', '1Z999', 'UPS')
    assert 'error' not in job['payload']


def test_resend_refuses_unknown_and_pending_submissions(
    stack: str, creds: Credentials, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = resend(stack, 'no-such-id', capsys)
    assert (code, 'no submission no-such-id' in err) == (2, True)

    key = submissions.DedupKey('client', 'clinic', 'order-1')
    record = SubmissionModel(
        id=key.submission_id, status=Status.PENDING.value, api_key_id='client', api_key='k', source='clinic',
        source_order_id='order-1', callback_url='https://example.com/cb', patient_state='WA', medication_name='m',
        pharmacy='boothwyn', test=False, request_payload={}, body_hash='h', created_at='2026-01-01T00:00:00.000Z',
        updated_at='2026-01-01T00:00:00.000Z',
    )  # fmt: skip
    record.save()
    code, _, err = resend(stack, record.id, capsys)
    assert (code, 'still pending' in err) == (2, True)
    assert queued_jobs() == []
