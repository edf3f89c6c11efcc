"""Pharmacy configuration: instances, catalogs and products (pharmacy-config table) and state routes (routing
table), read whole and cached per container for ROUTING_CACHE_SECONDS (one scan of each table).

Writes are the operators' (rxrouter): each record is validated before it is written, and a write that must
not clobber another (a new pharmacy id) is conditional.
"""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from rx_router.cache import TtlCache
from rx_router.clock import iso_timestamp
from rx_router.errors import Conflict, NotFound
from rx_router.pharmacies.records import CatalogEntry, PharmacyConfig, PharmacyInstance, Product, Route
from rx_router.settings import settings
from rx_router.store import table
from rx_router.store.models import PharmacyConfigModel, RouteModel

PHARMACY = 'pharmacy'
PRODUCT = 'product'
CATALOG = 'catalog#'

_pharmacies: TtlCache[str, PharmacyConfig] = TtlCache(lambda: settings().routing_cache_seconds, max_entries=1)
_routes: TtlCache[str, tuple[Route, ...]] = TtlCache(lambda: settings().routing_cache_seconds, max_entries=1)


def cached_config() -> PharmacyConfig:
    """Pharmacies, catalogs, products and routes, each as of at most ROUTING_CACHE_SECONDS ago."""
    return replace(cached_pharmacies(), routes=_routes.get('routes', load_routes))


def cached_pharmacies() -> PharmacyConfig:
    """Pharmacies, catalogs and products without the routes (webhooks need no routing)."""
    return _pharmacies.get('pharmacies', load_pharmacies)


def load_config() -> PharmacyConfig:
    return replace(load_pharmacies(), routes=load_routes())


def load_pharmacies() -> PharmacyConfig:
    pharmacies: dict[str, PharmacyInstance] = {}
    catalog: list[CatalogEntry] = []
    products: dict[str, Product] = {}
    for item in table.scan(PharmacyConfigModel):
        if item.pk == PHARMACY:
            instance = PharmacyInstance.model_validate(item.record)
            pharmacies[instance.id] = instance
        elif item.pk == PRODUCT:
            product = Product.model_validate(item.record)
            products[product.product] = product
        elif item.pk.startswith(CATALOG):
            catalog.append(CatalogEntry.model_validate(item.record))
    catalog.sort(key=lambda e: (e.pharmacy, e.rank, e.product))
    return PharmacyConfig(pharmacies=pharmacies, catalog=tuple(catalog), products=products)


def load_routes() -> tuple[Route, ...]:
    return tuple(
        Route(state=r.state, pharmacy=r.pharmacy, priority=int(r.priority), is_active=r.is_active) for r in table.scan(RouteModel)
    )


def _item(pk: str, sk: str, record: Any) -> PharmacyConfigModel:
    return PharmacyConfigModel(pk=pk, sk=sk, record=record.model_dump(mode='json'), updated_at=iso_timestamp())


def pharmacy_item(instance: PharmacyInstance) -> PharmacyConfigModel:
    return _item(PHARMACY, instance.id, instance)


def catalog_item(entry: CatalogEntry) -> PharmacyConfigModel:
    return _item(f'{CATALOG}{entry.pharmacy}', entry.product, entry)


def product_item(product: Product) -> PharmacyConfigModel:
    return _item(PRODUCT, product.product, product)


def add_pharmacy(instance: PharmacyInstance) -> None:
    try:
        table.put(pharmacy_item(instance), table.missing(PharmacyConfigModel.sk))
    except table.ConditionFailed:
        raise Conflict(f'a pharmacy with id {instance.id} already exists; change it with `rxrouter pharmacies set`') from None


def replace_pharmacy(instance: PharmacyInstance) -> None:
    try:
        table.put(pharmacy_item(instance), table.exists(PharmacyConfigModel.sk))
    except table.ConditionFailed:
        raise NotFound(f'no pharmacy with id {instance.id}; add it with `rxrouter pharmacies add`') from None


def put_catalog_entry(entry: CatalogEntry) -> None:
    table.put(catalog_item(entry))


def remove_catalog_entry(pharmacy: str, product: str) -> bool:
    key = {'pk': f'{CATALOG}{pharmacy}', 'sk': product}
    try:
        table.delete(PharmacyConfigModel, key, table.exists(PharmacyConfigModel.sk))
    except table.ConditionFailed:
        return False
    return True


def put_product(product: Product) -> None:
    table.put(product_item(product))


def route_item(route: Route, updated_at: str) -> RouteModel:
    return RouteModel(
        state=route.state, pharmacy=route.pharmacy, priority=route.priority, is_active=route.is_active, updated_at=updated_at
    )


def put_route(route: Route) -> None:
    table.put(route_item(route, iso_timestamp()))


def seed_routes_if_empty(routes: Iterable[Route]) -> int:
    """Writes the default routes only into an empty routing table, so operators' changes are never overwritten."""
    if next(table.scan(RouteModel, limit=1), None) is not None:
        return 0
    now = iso_timestamp()
    written = 0
    for route in routes:
        table.put(route_item(route, now))
        written += 1
    return written


def seed_config_if_empty(items: Iterable[PharmacyConfigModel]) -> int:
    """Writes the default pharmacies, catalogs and products only when no pharmacy is configured yet."""
    if next(table.query(PharmacyConfigModel, table.equals(PharmacyConfigModel.pk, PHARMACY), limit=1), None) is not None:
        return 0
    written = 0
    for item in items:
        table.put(item)
        written += 1
    return written
