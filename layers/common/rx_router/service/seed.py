"""The seed custom resource: a new deployment's pharmacies, catalogs and state routes (rx_router.pharmacies.seed),
with the URLs and catalog ids from its template parameters. Each table is seeded only while it is empty, so
an update or a re-deploy never overwrites operators' changes."""

from collections.abc import Mapping
from typing import Any

from rx_router.pharmacies.seed import SEED_PARAMETERS, default_catalog, default_pharmacies, default_routes
from rx_router.store import config


def seed(parameters: Mapping[str, Any]) -> dict[str, int]:
    missing = [name for name in SEED_PARAMETERS if name not in parameters]
    if missing:
        raise ValueError(f'seed parameters missing: {", ".join(missing)}')
    values = {name: str(parameters[name]) for name in SEED_PARAMETERS}
    items = [config.pharmacy_item(p) for p in default_pharmacies(values)]
    items += [config.catalog_item(e) for e in default_catalog(values)]
    return {
        'RoutesWritten': config.seed_routes_if_empty(default_routes()),
        'ConfigItemsWritten': config.seed_config_if_empty(items),
    }
