"""Support's and patients' views: GET /rx/prescriptions/{id}/tracking (exactly what a patient may see) and
/diagnosis (the fulfillment guide's checklist with verdicts, the escalation verdict and a summary to paste), and
`rxrouter diagnose`."""

import json
from collections.abc import Callable
from typing import Any, get_args

import pytest

from functions.get_diagnosis.app import lambda_handler as diagnosis_handler
from functions.get_tracking.app import lambda_handler as tracking_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.api import schemas
from rx_router.cache import TtlCache
from rx_router.clock import iso_timestamp
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.pharmacies.records import Product
from rx_router.service import diagnosis
from rx_router.service.diagnosis import CheckName
from rx_router.store import config, submissions, timeline
from rx_router.store.config import load_pharmacies
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.integration.test_prescription_gate import beluga, gated, rx_written
from tests.integration.test_tracking import create, hook
from tests.support import PATIENT_VALUES, Credentials, LambdaContext, get_event, response_json, submission, submit_event

TRACKING_KEYS = {
    'submissionId',
    'status',
    'shipped',
    'delivered',
    'carrier',
    'trackingNumber',
    'trackingUrl',
    'packages',
    'deliveredAt',
    'lastUpdate',
}
CHECKS = list(get_args(CheckName))


def route_event(creds: Credentials, submission_id: str, view: str) -> dict[str, Any]:
    event = get_event(creds, submission_id)
    event['routeKey'] = f'GET /rx/prescriptions/{{id}}/{view}'
    event['rawPath'] = f'/rx/prescriptions/{submission_id}/{view}'
    return event


def tracking(creds: Credentials, submission_id: str) -> dict[str, Any]:
    response = tracking_handler(route_event(creds, submission_id, 'tracking'), LambdaContext())
    assert response['statusCode'] == 200, response['body']
    assert not any(value in response['body'] for value in PATIENT_VALUES)
    schemas.Tracking.model_validate_json(response['body'])  # as docs/openapi.json documents it, nothing more
    return response_json(response)  # type: ignore[no-any-return]


def diagnose(creds: Credentials, submission_id: str) -> dict[str, Any]:
    response = diagnosis_handler(route_event(creds, submission_id, 'diagnosis'), LambdaContext())
    assert response['statusCode'] == 200, response['body']
    assert not any(value in response['body'] for value in PATIENT_VALUES)
    schemas.Diagnosis.model_validate(json.loads(response['body']), strict=False)
    return response_json(response)  # type: ignore[no-any-return]


def check(found: dict[str, Any], name: str) -> dict[str, Any]:
    [one] = [c for c in found['checks'] if c['check'] == name]
    return one  # type: ignore[no-any-return]


# --- the tracking view -----------------------------------------------------------------------------------


def test_tracking_shows_exactly_what_a_patient_may_see(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    view = tracking(creds, created['submissionId'])
    assert set(view) == TRACKING_KEYS
    assert (view['status'], view['shipped'], view['delivered'], view['trackingNumber']) == ('submitted', False, False, None)
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'trackingNumber': '794644790132', 'rxStatus': 'shipped'})
    view = tracking(creds, created['submissionId'])
    assert (view['shipped'], view['carrier'], view['trackingNumber']) == (True, 'FedEx', '794644790132')
    assert view['trackingUrl'] == 'https://www.fedex.com/fedextrack/?trknbr=794644790132'
    assert view['packages'] == [
        {'trackingNumber': '794644790132', 'carrier': 'FedEx', 'trackingUrl': view['trackingUrl']},
    ]
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'delivered'})
    view = tracking(creds, created['submissionId'])
    assert set(view) == TRACKING_KEYS
    assert view['delivered'] is True and view['deliveredAt'] is not None and view['lastUpdate'] >= view['deliveredAt']


def test_tracking_of_a_failed_order_shows_no_error_or_payload(creds: Credentials, pharmacies: FakePharmacies) -> None:
    pharmacies.fail_with = 500
    response = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    view = tracking(creds, response_json(response)['submissionId'])
    assert set(view) == TRACKING_KEYS
    assert view['status'] == 'failed'
    assert 'error' not in json.dumps(view).lower() and 'API' not in json.dumps(view)


def test_tracking_and_diagnosis_are_for_the_owner_only(
    creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies
) -> None:
    created = create(creds)
    for handler, view in ((tracking_handler, 'tracking'), (diagnosis_handler, 'diagnosis')):
        assert handler(route_event(other_creds, created['submissionId'], view), LambdaContext())['statusCode'] == 403
        unknown = '00000000-0000-4000-8000-000000000000'
        assert handler(route_event(creds, unknown, view), LambdaContext())['statusCode'] == 404


# --- the diagnosis ---------------------------------------------------------------------------------------


def test_a_healthy_order_is_ok_in_every_check(creds: Credentials, pharmacies: FakePharmacies) -> None:
    found = diagnose(creds, create(creds)['submissionId'])
    assert [c['check'] for c in found['checks']] == CHECKS
    assert found['verdict'] == 'ok' and found['escalate'] is False and found['reasons'] == []
    assert check(found, 'prescription')['evidence']['required'] is False
    assert check(found, 'routing')['evidence']['pharmacy'] == 'boothwyn'
    assert check(found, 'drugMapping')['evidence']['nativeDrugId']


def test_a_failed_submission_escalates_with_a_summary_without_patient_data(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    pharmacies.fail_with = 500
    response = submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext())
    submission_id = response_json(response)['submissionId']
    found = diagnose(creds, submission_id)
    assert found['verdict'] == 'escalate'
    assert check(found, 'status')['verdict'] == check(found, 'integrationError')['verdict'] == 'escalate'
    summary = found['escalationSummary']
    for fact in (submission_id, 'ord_abc123', 'boothwyn', 'boothwyn_b2b', 'failed', 'API error 500'):
        assert fact in summary
    assert not any(value in summary for value in PATIENT_VALUES)


def test_the_prescription_check_says_whether_and_how_it_was_received(creds: Credentials, pharmacies: FakePharmacies) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    waiting = check(diagnose(creds, submission_id), 'prescription')
    assert (waiting['verdict'], waiting['evidence']['required'], waiting['evidence']['received']) == ('ok', True, False)
    beluga(rx_written())
    released = check(diagnose(creds, submission_id), 'prescription')
    assert released['evidence']['releasedBy'] == 'RX_WRITTEN'
    assert released['evidence']['releasedVia'] == 'webhook:beluga'
    assert released['verdict'] == 'ok'


def test_routing_away_from_the_default_pharmacy_and_a_missing_mapping_escalate(
    creds: Credentials, pharmacies: FakePharmacies
) -> None:
    created = create(creds, medication={**submission()['medication'], 'productId': 'tirzepatide'})
    config.put_product(Product(product='tirzepatide', default_pharmacy='gmp'))
    config.remove_catalog_entry('boothwyn', 'tirzepatide')
    TtlCache.clear_all()
    found = diagnose(creds, created['submissionId'])
    routing = check(found, 'routing')
    assert routing['verdict'] == 'escalate'
    assert (routing['evidence']['productDefaultPharmacy'], routing['evidence']['matchesDefault']) == ('gmp', False)
    assert check(found, 'drugMapping')['verdict'] == 'escalate'
    assert found['verdict'] == 'escalate'


def test_shipped_without_tracking_and_silence_escalate_after_their_thresholds(
    creds: Credentials, pharmacies: FakePharmacies, later: Callable[[float], None]
) -> None:
    created = create(creds)

    def tracking_check() -> dict[str, Any]:  # read in-process: the API would refuse requests signed hours ahead
        stored = submissions.get(created['submissionId'])
        assert stored is not None
        return check(diagnosis.diagnose(stored, timeline.events_of(stored), load_pharmacies()), 'tracking')

    later(121)
    assert tracking_check()['verdict'] == 'escalate'  # no update from the pharmacy for 5 days
    later(0)
    hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'})
    assert tracking_check()['verdict'] == 'attention'
    later(25)
    found = tracking_check()
    assert found['verdict'] == 'escalate' and found['summary'].startswith('Shipped 25')


def test_refused_webhooks_and_dead_lettered_callbacks_are_reported(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = create(creds)
    assert hook('boothwyn', {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped'}, secret='wrong')['statusCode'] == 401
    [job] = queued_jobs()
    event = TimelineEvent(
        iso_timestamp(), EventKind.CALLBACK, 'callbacks', detail={'eventId': job['eventId'], 'outcome': 'dead-lettered'}
    )
    timeline.record(created['submissionId'], event)
    found = diagnose(creds, created['submissionId'])
    webhooks = check(found, 'webhooks')
    assert (webhooks['verdict'], webhooks['evidence']['refused'], webhooks['evidence']['refusedReasons']) == (
        'attention',
        1,
        ['invalid secret'],
    )
    assert check(found, 'callbacks')['verdict'] == 'escalate'
    assert found['verdict'] == 'escalate'


def test_rxrouter_diagnose_prints_the_diagnosis_and_the_summary(
    creds: Credentials, pharmacies: FakePharmacies, capsys: pytest.CaptureFixture[str]
) -> None:
    from rxlocal import cli
    from tests.integration.deployed_stack import create_stack

    created = create(creds)
    create_stack('rx-prod')
    capsys.readouterr()  # the handlers' metrics lines
    assert cli.main(['--stack', 'rx-prod', 'diagnose', created['submissionId']]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed['verdict'] == 'ok' and [c['check'] for c in printed['checks']] == CHECKS
    assert cli.main(['--stack', 'rx-prod', 'diagnose', created['submissionId'], '--summary']) == 0
    summary = capsys.readouterr().out
    assert summary.startswith('Verdict: ok\nSubmission: ' + created['submissionId'])
