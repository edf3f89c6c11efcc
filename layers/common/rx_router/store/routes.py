"""Routing configuration rows: (state, pharmacy) -> priority, active. Read whole and cached per container."""

import time
from dataclasses import dataclass

from rx_router.clock import iso_timestamp
from rx_router.settings import settings
from rx_router.store.models import RouteModel


@dataclass(frozen=True)
class Route:
    state: str
    pharmacy: str
    priority: int
    is_active: bool


_cache: tuple[float, tuple[Route, ...]] | None = None


def load_routes() -> tuple[Route, ...]:
    return tuple(
        Route(state=r.state, pharmacy=r.pharmacy, priority=int(r.priority), is_active=r.is_active)
        for r in RouteModel.scan(consistent_read=True)
    )


def cached_routes() -> tuple[Route, ...]:
    global _cache
    now = time.monotonic()
    if _cache is None or _cache[0] <= now:
        _cache = (now + settings().routing_cache_seconds, load_routes())
    return _cache[1]


def forget_cached_routes() -> None:
    global _cache
    _cache = None


def put_route(route: Route) -> None:
    RouteModel(
        state=route.state,
        pharmacy=route.pharmacy,
        priority=route.priority,
        is_active=route.is_active,
        updated_at=iso_timestamp(),
    ).save()


def seed_if_empty(routes: list[Route]) -> int:
    """Writes the default table only into an empty table, so operators' changes are never overwritten."""
    if next(iter(RouteModel.scan(limit=1)), None) is not None:
        return 0
    with RouteModel.batch_write() as batch:
        now = iso_timestamp()
        for route in routes:
            batch.save(
                RouteModel(
                    state=route.state, pharmacy=route.pharmacy, priority=route.priority, is_active=route.is_active, updated_at=now
                )
            )
    return len(routes)
