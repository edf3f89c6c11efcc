"""Which pharmacy fills a submission: the spec's "Pharmacy Routing" resolution logic."""

from collections.abc import Iterable

from rx_router.errors import Unprocessable
from rx_router.pharmacies import PHARMACIES
from rx_router.store.routes import Route
from rx_router.validation.us import US_STATES

GMP_STATES = 'AL AZ CO CT FL GA IL IN KS KY LA NJ NV NY OH PA TN WI'.split()
STRIVE_STATES = ['TX']
EXCLUDED_STATES = 'MN CA AR NC OK'.split()


def default_routes() -> list[Route]:
    """The spec's current assignments: GMP's 18 states, Strive in TX, Boothwyn for the rest, none for the excluded."""
    assigned = {**{s: 'gmp' for s in GMP_STATES}, **{s: 'strive' for s in STRIVE_STATES}}
    return [
        Route(state=state, pharmacy=assigned.get(state, 'boothwyn'), priority=100, is_active=True)
        for state in sorted(US_STATES - set(EXCLUDED_STATES))
    ]


def resolve_pharmacy(state: str, preferred: str | None, routes: Iterable[Route]) -> str:
    if preferred is not None:
        return _preferred(preferred, routes)
    candidates = [r for r in routes if r.state == state and r.is_active and r.pharmacy in PHARMACIES]
    if not candidates:
        raise Unprocessable(f'No pharmacy route configured for state: {state}')
    return max(candidates, key=lambda r: (r.priority, r.pharmacy)).pharmacy


def _preferred(name: str, routes: Iterable[Route]) -> str:
    if name not in PHARMACIES:
        known = ', '.join(sorted(PHARMACIES))
        raise Unprocessable(f'routing.preferredPharmacy is not a known pharmacy; known pharmacies: {known}')
    if not any(r.pharmacy == name and r.is_active for r in routes):
        raise Unprocessable(f'routing.preferredPharmacy {name} is not active on any route')
    return name
