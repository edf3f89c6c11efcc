"""The seed custom resource: the spec's pharmacies, catalogs and routes, into empty tables only."""

from typing import Any

import pytest

from functions.config_seed.app import lambda_handler as seed_handler
from rx_router.api import custom_resource
from rx_router.pharmacies.records import Route
from rx_router.pharmacies.seed import default_routes
from rx_router.service import seed as seed_service
from rx_router.store import config
from rx_router.store.models import PharmacyConfigModel, RouteModel
from tests.support import SEED_PARAMETERS, LambdaContext

EVENT = {
    'RequestType': 'Create',
    'ResponseURL': 'https://cloudformation-custom-resource-response.example/presigned',
    'StackId': 'stack',
    'RequestId': 'req',
    'LogicalResourceId': 'ConfigSeed',
    'ResourceProperties': {'ServiceToken': 'arn:aws:lambda:us-east-1:123456789012:function:seed', **SEED_PARAMETERS},
}


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(custom_resource, 'respond', lambda event, status, data: sent.append((status, data)))
    return sent


def empty_tables() -> None:
    for item in [*RouteModel.scan(), *PharmacyConfigModel.scan()]:
        item.delete()


def test_seed_writes_the_spec_defaults_into_empty_tables_only(responses: list) -> None:
    empty_tables()
    seed_handler(EVENT, LambdaContext())
    [(status, data)] = responses
    assert status == 'SUCCESS'
    assert data['RoutesWritten'] == len(default_routes())
    assert data['ConfigItemsWritten'] == 3 + 3 + 3 + 2  # boothwyn, gmp, strive; their catalogs
    seeded = config.load_config()
    assert {p.id: (p.type, p.settings) for p in seeded.pharmacies.values()} == {
        'boothwyn': ('boothwyn_b2b', {'base_url': 'https://boothwyn.pharmacy.test/'}),
        'gmp': ('boothwyn_b2b', {'base_url': 'https://gmp.pharmacy.test/'}),
        'strive': (
            'rxvortex',
            {'base_url': 'https://strive.pharmacy.test', 'sandbox_url': 'https://sandbox.strive.pharmacy.test'},
        ),
    }
    assert {(e.pharmacy, e.product): e.native_id for e in seeded.catalog} == {
        **{(p, 'semaglutide'): '12565' for p in ('boothwyn', 'gmp')},
        **{(p, 'tirzepatide'): '12850' for p in ('boothwyn', 'gmp')},
        **{(p, 'nad'): '12832' for p in ('boothwyn', 'gmp')},
        ('strive', 'semaglutide'): 'cat-sema-25',
        ('strive', 'tirzepatide'): 'cat-tirz-10',
    }
    # An operator's change survives an update of the stack
    config.put_route(Route('TX', 'boothwyn', 500, True))
    config.replace_pharmacy(seeded.pharmacies['gmp'].model_copy(update={'label': 'GMP (renamed)'}))
    seed_handler({**EVENT, 'RequestType': 'Update'}, LambdaContext())
    assert responses[-1] == ('SUCCESS', {'RoutesWritten': 0, 'ConfigItemsWritten': 0})
    assert RouteModel.get('TX', 'boothwyn').priority == 500
    assert config.load_config().pharmacies['gmp'].label == 'GMP (renamed)'


def test_strive_catalog_ids_left_empty_are_not_seeded(responses: list) -> None:
    empty_tables()
    seed_handler(
        {**EVENT, 'ResourceProperties': {**EVENT['ResourceProperties'], 'StriveCatalogTirzepatide': ''}}, LambdaContext()
    )
    assert {e.product for e in config.load_config().catalog_of('strive')} == {'semaglutide'}


def test_seed_reports_failure_to_cloudformation(responses: list, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(routes: Any) -> int:
        raise RuntimeError('table missing')

    monkeypatch.setattr(seed_service.config, 'seed_routes_if_empty', broken)
    seed_handler(EVENT, LambdaContext())
    assert responses == [('FAILED', {})]


def test_missing_parameters_fail_the_deploy(responses: list) -> None:
    seed_handler({**EVENT, 'ResourceProperties': {'GmpBaseUrl': 'https://gmp.example/'}}, LambdaContext())
    assert responses == [('FAILED', {})]


def test_delete_writes_nothing(responses: list) -> None:
    empty_tables()
    seed_handler({**EVENT, 'RequestType': 'Delete'}, LambdaContext())
    assert responses == [('SUCCESS', {})]
    assert list(RouteModel.scan()) == []
