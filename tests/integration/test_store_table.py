"""The store's DynamoDB calls on the shared client: conditions, refusals, pages, transactions."""

from collections import Counter
from typing import Any

import botocore.client
import botocore.session
import pytest

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router import aws
from rx_router.store import table
from rx_router.store.models import PharmacyConfigModel, RouteModel
from tests.support import Credentials, LambdaContext, load_event, response_json, submission, submit_event


def route(state: str, pharmacy: str = 'strive') -> RouteModel:
    return RouteModel(state=state, pharmacy=pharmacy, priority=1, is_active=True, updated_at='2026-12-01T00:00:00.000Z')


def test_a_refused_put_returns_the_stored_item_when_asked() -> None:
    table.put(route('ZZ'))
    with pytest.raises(table.ConditionFailed) as refused:
        table.put(route('ZZ'), table.missing(RouteModel.state), stored_on_failure=True)
    assert refused.value.stored is not None
    assert RouteModel.from_raw_data(refused.value.stored).priority == 1


def test_conditions_combine_and_refuse() -> None:
    table.put(route('ZY'))
    key = {'state': 'ZY', 'pharmacy': 'strive'}
    table.update(RouteModel, key, set_values={'priority': 5}, condition=table.equals(RouteModel.priority, 1))
    with pytest.raises(table.ConditionFailed):
        table.update(RouteModel, key, set_values={'priority': 6}, condition=table.equals(RouteModel.priority, 1))
    found = table.get(RouteModel, key)
    assert found is not None and found.priority == 5
    with pytest.raises(table.ConditionFailed):
        table.delete(RouteModel, {'state': 'ZX', 'pharmacy': 'strive'}, table.exists(RouteModel.state))


def test_a_transaction_with_a_false_condition_writes_nothing() -> None:
    table.put(route('ZW'))
    change = table.update_request(
        RouteModel,
        {'state': 'ZW', 'pharmacy': 'strive'},
        set_values={'priority': 9},
        condition=table.equals(RouteModel.priority, 2),
    )
    with pytest.raises(table.ConditionFailed):
        table.transact(updates=[change], puts=[table.put_request(route('ZV'))])
    assert table.get(RouteModel, {'state': 'ZV', 'pharmacy': 'strive'}) is None


def test_scan_reads_every_page() -> None:
    before = sum(1 for _ in table.scan(PharmacyConfigModel))
    big = 'x' * 60_000  # ~20 items of 60 KB: more than one 1 MB page
    for n in range(20):
        table.put(PharmacyConfigModel(pk='filler', sk=f'{n:02}', record={'pad': big}, updated_at='x'))
    pages: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        pages[operation] += 1
        return original(self, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, '_make_api_call', counting)
        assert sum(1 for _ in table.scan(PharmacyConfigModel)) == before + 20
    assert pages['Scan'] >= 2


def test_submit_and_webhook_share_one_botocore_session(creds: Credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = []
    original = botocore.session.Session.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        sessions.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, '__init__', counting)
    aws.reset()  # as in a new container
    created = response_json(submit_handler(submit_event(creds, submission(routing={'patientState': 'WA'})), LambdaContext()))
    event = load_event('boothwyn_webhook')
    event['body'] = f'{{"caseId": "{created["pharmacyOrderId"]}", "rxStatus": "shipped", "trackingNumber": "794644790132"}}'
    assert boothwyn_hook(event, LambdaContext())['statusCode'] == 200
    assert len(sessions) == 1
