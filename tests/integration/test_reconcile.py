"""Status queries: `sync` asks a pharmacy about one submission; the scheduled reconciliation asks about open
orders nothing has updated for a while, oldest first, a bounded number per run."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.reconcile.app import lambda_handler as reconcile_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router import clock
from rx_router.errors import Conflict
from rx_router.service import reconcile
from rx_router.settings import settings
from rx_router.store import submissions
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.emf import counted
from tests.support import Credentials, LambdaContext, get_event, load_event, response_json, submission, submit_event

TRACKING = '1Z999AA10123456784'


def create(creds: Credentials, order: str, state: str = 'TX') -> dict[str, Any]:
    body = submission(routing={'patientState': state}, sourceOrderId=order)
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    return dict(response_json(response))


def at_pharmacy(pharmacies: FakePharmacies, created: dict[str, Any], status: str, tracking: str | None = None) -> None:
    """The pharmacy moves the order without telling the router (its webhook is lost)."""
    order = pharmacies.by_pharmacy[created['pharmacy']].orders[created['pharmacyOrderId']]
    order.status, order.tracking_number = status, tracking


def test_sync_applies_the_pharmacy_status_forward_only_with_a_callback(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, 'sync-1')
    queued_jobs()
    at_pharmacy(pharmacies, created, 'shipped', TRACKING)
    synced = reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]
    assert (synced.from_status.value, synced.submission.status.value, synced.moved) == ('submitted', 'shipped', True)
    assert synced.submission.tracking_number == TRACKING
    [job] = queued_jobs()
    assert (job['payload']['status'], job['payload']['trackingNumber']) == ('shipped', TRACKING)
    events = response_json(timeline_handler(get_event(creds, created['submissionId']), LambdaContext()))['events']
    polled = [e for e in events if e['source'] == 'poll']
    assert [(e['kind'], e['from'], e['to'], e['pharmacyStatus']) for e in polled] == [
        ('pharmacy_reported', 'submitted', 'shipped', 'In Transit')
    ]
    # the same answer again changes nothing, calls nobody back, and is not recorded twice
    again = reconcile.sync(synced.submission)
    assert (again.moved, again.tracking_added) == (False, False)
    assert queued_jobs() == []
    events = response_json(timeline_handler(get_event(creds, created['submissionId']), LambdaContext()))['events']
    assert len([e for e in events if e['source'] == 'poll']) == 2  # the move, and one no-change answer
    reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]
    events = response_json(timeline_handler(get_event(creds, created['submissionId']), LambdaContext()))['events']
    assert len([e for e in events if e['source'] == 'poll']) == 2


def test_a_late_answer_never_moves_back(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, 'sync-back')
    at_pharmacy(pharmacies, created, 'delivered', TRACKING)
    reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]
    with pytest.raises(Conflict, match='delivered: there is nothing to ask'):
        reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]


def test_types_without_a_status_query_are_not_asked(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds, 'sync-boothwyn', state='WA')
    with pytest.raises(Conflict, match='answers no status queries'):
        reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]
    far = clock.iso_timestamp(clock.utc_now() + timedelta(days=30))
    assert created['submissionId'] not in submissions.due_for_poll('submitted', far, 100)


def test_reconciliation_asks_about_stale_open_orders_oldest_first_within_its_budget(
    creds: Credentials, pharmacies: FakePharmacies, later: Callable[[float], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = [create(creds, f'stale-{n}') for n in range(3)]
    queued_jobs()
    at_pharmacy(pharmacies, orders[0], 'shipped', TRACKING)
    at_pharmacy(pharmacies, orders[1], 'delivered', TRACKING)
    assert reconcile.reconcile().asked == 0  # nothing is stale yet
    monkeypatch.setenv('RECONCILE_MAX_PER_RUN', '2')
    settings.cache_clear()
    later(7)
    first = reconcile.reconcile()
    assert (first.asked, first.repaired, first.failed) == (2, 2, 0)
    assert sorted(j['payload']['status'] for j in queued_jobs()) == ['delivered', 'shipped']
    second = reconcile.reconcile()  # the third (the shipped one was updated just now, on the moved clock)
    assert (second.asked, second.repaired) == (1, 0)
    assert reconcile.reconcile().asked == 0  # each asked once per period; the delivered one is finished
    later(14)
    assert reconcile.reconcile().asked == 2  # a period later: the shipped one and the unchanged one
    assert reconcile.reconcile().asked == 0


def test_a_failing_pharmacy_is_counted_and_asked_again_only_after_the_period(
    creds: Credentials, pharmacies: FakePharmacies, later: Callable[[float], None]
) -> None:
    create(creds, 'failing')
    later(7)
    pharmacies.fail_with = 500
    run = reconcile.reconcile()
    assert (run.asked, run.failed, run.repaired) == (1, 1, 0)
    assert reconcile.reconcile().asked == 0


def test_the_scheduled_function_reports_its_counts_as_metrics(
    creds: Credentials, pharmacies: FakePharmacies, later: Callable[[float], None], capsys: pytest.CaptureFixture[str]
) -> None:
    created = create(creds, 'metrics')
    at_pharmacy(pharmacies, created, 'shipped', TRACKING)
    later(7)
    capsys.readouterr()
    assert reconcile_handler({'source': 'aws.scheduler'}, LambdaContext()) == {
        'asked': 1,
        'repaired': 1,
        'failed': 0,
        'prescriptionsAsked': 0,
        'releasedByPolling': 0,
        'stale': 0,
    }
    out = capsys.readouterr().out
    # the run's totals for all pharmacies, zeros included; the repair for its pharmacy (and so in the total)
    assert counted(out) == {
        ('StatusQueries', None): 1,
        ('StatusQueriesFailed', None): 0,
        ('SubmissionsRepairedByPolling', None): 0,
        ('SubmissionsRepairedByPolling', created['pharmacy']): 1,
        ('PrescriptionPolls', None): 0,
        ('SubmissionsReleasedByPolling', None): 0,
        ('StaleSubmissions', None): 0,
    }
    assert created['submissionId'] not in out.split('"_aws"', 1)[1]


def test_a_webhook_arriving_after_reconciliation_repaired_the_order_changes_nothing(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    created = create(creds, 'stale-webhook')
    queued_jobs()
    at_pharmacy(pharmacies, created, 'delivered', TRACKING)  # the shipped and delivered webhooks were lost
    reconcile.sync(submissions.get(created['submissionId']))  # type: ignore[arg-type]
    [delivered] = queued_jobs()
    assert delivered['payload']['status'] == 'delivered'
    event = load_event('strive_webhook')  # the lost "shipped" webhook, redelivered late
    event['body'] = json.dumps({'tracking_id': created['pharmacyOrderId'], 'rxstatus': 'shipped', 'trackingnumber': TRACKING})
    assert strive_hook(event, LambdaContext())['statusCode'] == 200
    assert submissions.get(created['submissionId']).status.value == 'delivered'  # type: ignore[union-attr]
    assert queued_jobs() == []
