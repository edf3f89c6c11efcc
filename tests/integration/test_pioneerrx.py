"""Submitting to a PioneerRx pharmacy through the submit handler: test or live database per submission, recorded,
and no patient data in the logs."""

import io
from typing import Any

import pytest

from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.domain.events import EventKind
from rx_router.pharmacy_types.pioneerrx import LIVE_PATH, TEST_PATH
from rx_router.store import config, secrets, submissions
from rx_router.store.timeline import events_of
from rxlocal.sandboxes.pioneerrx import PioneerRxSandbox
from tests.fake_pharmacies import FakePharmacies
from tests.support import PATIENT_VALUES, Credentials, LambdaContext, response_json, submission, submit_event

CREDENTIALS = PioneerRxSandbox.local_credentials('pioneerrx-local')


@pytest.fixture(autouse=True)
def pioneerrx(pharmacies: FakePharmacies) -> FakePharmacies:
    instances, catalog = PioneerRxSandbox.local_seed()
    for instance in instances:
        config.add_pharmacy(instance)
        secrets.put_pharmacy_credentials(instance.credentials_key, CREDENTIALS)
        pharmacies.add(instance, catalog, CREDENTIALS, 86_400)
    for entry in catalog:
        config.put_catalog_entry(entry)
    TtlCache.clear_all()
    return pharmacies


def submit(creds: Credentials, **overrides: Any) -> dict[str, Any]:
    body = submission(routing={'patientState': 'TX', 'preferredPharmacy': 'pioneerrx-local'}, **overrides)
    return submit_handler(submit_event(creds, body), LambdaContext())


@pytest.mark.parametrize(('test', 'path'), [(True, TEST_PATH), (False, LIVE_PATH)])
def test_each_submission_chooses_the_database_and_records_it(
    creds: Credentials, pioneerrx: FakePharmacies, logs: io.StringIO, test: bool, path: str
) -> None:
    response = submit(creds, test=test, sourceOrderId=f'prx-{test}')
    assert response['statusCode'] == 201, response['body']
    created = response_json(response)
    order = pioneerrx.by_pharmacy['pioneerrx-local'].orders[created['pharmacyOrderId']]
    assert (order.test, order.sender_id) == (test, created['submissionId'])
    calls = [c for c in pioneerrx.calls if c.url.startswith('http://127.0.0.1:9/')]
    assert [(c.url.removeprefix('http://127.0.0.1:9/replaced-by-the-sandbox'), c.body['MethodName']) for c in calls] == [
        (path, 'PatientSearch'),
        (path, 'PatientAdd'),
        (path, 'PrescriberSearch'),
        (path, 'RxAddOnHold'),
    ]
    stored = submissions.get(created['submissionId'])
    assert stored is not None and stored.test is test
    sent = [e for e in events_of(stored) if e.kind is EventKind.SENT]
    assert [(e.actor, e.detail) for e in sent] == [('pioneerrx-local', {'test': test})]
    logged = logs.getvalue()
    for value in PATIENT_VALUES:
        assert value not in logged


def test_a_pharmacy_refusal_is_a_502_without_patient_data(creds: Credentials, logs: io.StringIO) -> None:
    response = submit(creds, test=True, medication={**submission()['medication'], 'note': 'sandbox:reject'})
    assert response['statusCode'] == 502
    assert response_json(response)['error'] == 'PioneerRx (local sandbox) API error 400: Bad Request'
    for value in PATIENT_VALUES:
        assert value not in response['body'] and value not in logs.getvalue()
