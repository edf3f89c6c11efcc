from typing import Any

import pytest

from rx_router.routing import default_routes
from rx_router.service import seed_routes
from rx_router.store.models import RouteModel
from rx_router.store.routes import Route, put_route

EVENT = {
    'RequestType': 'Create',
    'ResponseURL': 'https://cloudformation-custom-resource-response.example/presigned',
    'StackId': 'stack',
    'RequestId': 'req',
    'LogicalResourceId': 'RoutingSeed',
}


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(seed_routes, 'respond', lambda event, status, data: sent.append((status, data)))
    return sent


def test_seed_writes_defaults_into_an_empty_table_only(responses: list) -> None:
    for item in RouteModel.scan():
        item.delete()
    seed_routes.handle(EVENT)
    assert responses == [('SUCCESS', {'RoutesWritten': len(default_routes())})]
    put_route(Route('TX', 'boothwyn', 500, True))  # an operator's change
    seed_routes.handle({**EVENT, 'RequestType': 'Update'})
    assert responses[-1] == ('SUCCESS', {'RoutesWritten': 0})
    assert RouteModel.get('TX', 'boothwyn').priority == 500


def test_seed_reports_failure_to_cloudformation(responses: list, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(routes: Any) -> int:
        raise RuntimeError('table missing')

    monkeypatch.setattr(seed_routes, 'seed_if_empty', broken)
    seed_routes.handle(EVENT)
    assert responses == [('FAILED', {})]


def test_delete_writes_nothing(responses: list) -> None:
    seed_routes.handle({**EVENT, 'RequestType': 'Delete'})
    assert responses == [('SUCCESS', {'RoutesWritten': 0})]
