"""Pharmacies in Beluga's network (the router never calls them: Beluga sends the prescription), tracked by Beluga's
PHARMACY_ORDER_* / PACKAGE_* events; and recovery of a missed RX_WRITTEN by polling Beluga's visit fetch."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from functions.reconcile.app import lambda_handler as reconcile_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.cache import TtlCache
from rx_router.domain.events import EventKind
from rx_router.domain.statuses import Status
from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rx_router.settings import settings
from rx_router.store import config, secrets, submissions
from rx_router.store.timeline import events_of
from rxlocal.sandboxes.beluga import BelugaSandbox
from tests.fake_pharmacies import FakePharmacies, Mount
from tests.integration.callback_queue import queued_jobs
from tests.integration.test_prescription_gate import MASTER, beluga, gated, rx_written, statuses, view
from tests.integration.test_timeline import timeline
from tests.support import Credentials, LambdaContext, response_json, submission, submit_event

BELUGA_API = 'https://api.beluga.test'
NETWORK = 'beluga-network'


@pytest.fixture
def network(pharmacies: FakePharmacies, monkeypatch: pytest.MonkeyPatch) -> Iterator[BelugaSandbox]:
    """A pharmacy of Beluga's network stocking tirzepatide, and Beluga's API (the sandbox) for the visit fetch."""
    instances, _ = BelugaSandbox.local_seed()
    config.add_pharmacy(instances[0])
    config.put_catalog_entry(
        CatalogEntry(pharmacy=NETWORK, product='tirzepatide', name='Tirzepatide', native_id='tirzepatide', match=('tirzepatide',))
    )
    secrets.put_pharmacy_credentials('beluga', BelugaSandbox.local_credentials(NETWORK))
    sandbox = pharmacies_add(pharmacies, instances[0])
    monkeypatch.setenv('BELUGA_API_URL', BELUGA_API)
    settings.cache_clear()
    TtlCache.clear_all()
    yield sandbox
    monkeypatch.delenv('BELUGA_API_URL')
    settings.cache_clear()


def pharmacies_add(pharmacies: FakePharmacies, instance: PharmacyInstance) -> BelugaSandbox:
    pharmacies.add(instance, [], BelugaSandbox.local_credentials(instance.id), 86_400)
    sandbox = pharmacies.by_pharmacy[instance.id]
    assert isinstance(sandbox, BelugaSandbox)
    pharmacies.mounts.insert(0, Mount(BELUGA_API, sandbox, False))
    return sandbox


def at_network(creds: Credentials, master_id: str = MASTER, source_order_id: str = 'ord_net_1') -> dict[str, Any]:
    body = submission(
        sourceOrderId=source_order_id,
        routing={'patientState': 'WA', 'preferredPharmacy': NETWORK},
        medication={**submission()['medication'], 'productId': 'tirzepatide'},
        prescription={'provider': 'beluga', 'masterId': master_id},
    )
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] == 202, response['body']
    return response_json(response)  # type: ignore[no-any-return]


def pharmacy_orders(pharmacies: FakePharmacies) -> list[Any]:
    return [c for c in pharmacies.orders() if not c.url.startswith(BELUGA_API)]


def event(name: str, master_id: str = MASTER, **info: str) -> dict[str, Any]:
    body: dict[str, Any] = {'masterId': master_id, 'event': name, 'orderId': 'BLG-ORD-1'}
    if info:
        body['info'] = info
    return body


def test_a_network_order_is_delegated_to_beluga_without_any_pharmacy_call(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox
) -> None:
    created = at_network(creds)
    assert created['pharmacy'] == NETWORK
    beluga(rx_written())
    assert pharmacies.calls == []
    record = view(creds, created['submissionId'])
    assert (record['status'], record['pharmacyOrderId'], record['pharmacyType']) == ('submitted', MASTER, 'beluga')
    assert record['responsePayload'] == {
        'delegatedTo': 'beluga',
        'pharmacyId': 'LOCAL-PHARMACY-1',
        'masterId': MASTER,
        'outcome': 'delegated to Beluga',
    }
    assert statuses(queued_jobs()) == ['awaiting_prescription', 'submitted']


def test_beluga_events_move_a_network_order_forward_only_with_one_callback_each(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox
) -> None:
    submission_id = at_network(creds)['submissionId']
    beluga(rx_written())
    queued_jobs()
    assert beluga(event('PHARMACY_ORDER_IN_FULFILLMENT'))['statusCode'] == 200
    assert beluga(event('PHARMACY_ORDER_SHIPPED', carrier='UPS', tracking='1Z999AA10123456784'))['statusCode'] == 200
    beluga(event('PACKAGE_IN_TRANSIT', carrier='UPS', tracking='1Z999AA10123456784', trackerStatus='in_transit'))
    beluga(event('PACKAGE_DELIVERY_FAILED', carrier='UPS', tracking='1Z999AA10123456784'))
    record = view(creds, submission_id)
    assert (record['status'], record['trackingNumber'], record['carrier']) == ('shipped', '1Z999AA10123456784', 'UPS')
    failed = [e for e in timeline(creds, submission_id)['events'] if e.get('pharmacyStatus') == 'PACKAGE_DELIVERY_FAILED']
    assert [e['outcome'] for e in failed] == ['unknown status: nothing changed']  # for support; moves nothing
    beluga(event('PACKAGE_DELIVERED'))
    beluga(event('PHARMACY_ORDER_IN_FULFILLMENT'))  # late: never moves back
    assert view(creds, submission_id)['status'] == 'delivered'
    assert statuses(queued_jobs()) == ['processing', 'shipped', 'delivered']
    assert pharmacies.calls == []


def test_beluga_pharmacy_events_never_touch_orders_at_other_pharmacies(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox
) -> None:
    submission_id = response_json(gated(creds))['submissionId']  # routed to Boothwyn
    beluga(rx_written())
    queued_jobs()
    beluga(event('PHARMACY_ORDER_SHIPPED', carrier='UPS', tracking='1Z999AA10123456784'))
    assert view(creds, submission_id)['status'] == 'submitted'
    assert queued_jobs() == []


def test_a_direct_submit_to_a_network_pharmacy_is_422_and_stores_nothing(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox
) -> None:
    body = submission(
        routing={'patientState': 'WA', 'preferredPharmacy': NETWORK},
        medication={**submission()['medication'], 'productId': 'tirzepatide'},
    )
    response = submit_handler(submit_event(creds, body), LambdaContext())
    assert response['statusCode'] == 422
    assert 'must name that prescription' in response_json(response)['error']
    assert queued_jobs() == []


def test_a_missed_rx_written_is_recovered_by_polling_the_visit(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox, later: Callable[[float], None]
) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    queued_jobs()
    summary = reconcile_handler({}, LambdaContext())
    assert summary['prescriptionsAsked'] == 0  # not waiting long enough yet
    later(1)
    assert reconcile_handler({}, LambdaContext())['prescriptionsAsked'] == 1  # nothing written yet
    assert pharmacy_orders(pharmacies) == []
    assert reconcile_handler({}, LambdaContext())['prescriptionsAsked'] == 0  # asked already this period

    network.rx_written(MASTER, ['tirzepatide'], silent=True)  # Beluga wrote it; its webhook never came
    later(2)
    summary = reconcile_handler({}, LambdaContext())
    assert (summary['prescriptionsAsked'], summary['releasedByPolling']) == (1, 1)
    assert len(pharmacy_orders(pharmacies)) == 1
    fetches = [c for c in pharmacies.calls if 'externalFetch' in c.url]
    assert fetches and all(c.headers['authorization'] == 'Bearer local-beluga-api-key' for c in fetches)
    assert statuses(queued_jobs()) == ['submitted']
    stored = submissions.get(submission_id)  # read from the store: the API would refuse requests signed 2 h ago
    assert stored is not None
    [release] = [e for e in events_of(stored) if e.kind is EventKind.PRESCRIPTION]
    assert (release.source, release.detail['event'], release.to_status) == ('poll:beluga', 'RX_HISTORY', 'pending')
    later(4)
    assert reconcile_handler({}, LambdaContext())['prescriptionsAsked'] == 0  # released: no longer waiting
    beluga(rx_written())  # the webhook, late: nothing is sent twice
    assert len(pharmacy_orders(pharmacies)) == 1


def test_a_polled_mismatch_holds_the_order_and_a_failing_beluga_is_counted(
    creds: Credentials, pharmacies: FakePharmacies, network: BelugaSandbox, later: Callable[[float], None], capsys: Any
) -> None:
    submission_id = response_json(gated(creds))['submissionId']
    network.rx_written(MASTER, ['semaglutide'], silent=True)
    later(1)
    summary = reconcile_handler({}, LambdaContext())
    assert (summary['prescriptionsAsked'], summary['releasedByPolling']) == (1, 0)
    held = submissions.get(submission_id)
    assert held is not None and held.status is Status.ON_HOLD
    secrets.put_pharmacy_credentials('beluga', {'api_key': 'revoked'})
    TtlCache.clear_all()
    later(2)
    assert reconcile_handler({}, LambdaContext())['failed'] == 1  # Beluga's 200 {status: 401} is a failure
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emitted[-1]['PrescriptionPolls'] == [1.0]


def test_no_polling_without_the_beluga_api(
    creds: Credentials, pharmacies: FakePharmacies, later: Callable[[float], None]
) -> None:
    gated(creds)
    later(5)
    assert reconcile_handler({}, LambdaContext())['prescriptionsAsked'] == 0
