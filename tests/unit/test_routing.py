import pytest

from rx_router.errors import Unprocessable
from rx_router.routing import EXCLUDED_STATES, GMP_STATES, default_routes, resolve_pharmacy
from rx_router.store.routes import Route
from rx_router.validation.us import US_STATES

DEFAULTS = default_routes()


def test_default_table_matches_the_spec() -> None:
    by_state = {r.state: r.pharmacy for r in DEFAULTS}
    assert len(GMP_STATES) == 18
    assert {s for s, p in by_state.items() if p == 'gmp'} == set(GMP_STATES)
    assert {s for s, p in by_state.items() if p == 'strive'} == {'TX'}
    assert {s for s, p in by_state.items() if p == 'boothwyn'} == US_STATES - set(GMP_STATES) - {'TX'} - set(EXCLUDED_STATES)
    assert not set(EXCLUDED_STATES) & by_state.keys()
    assert len(DEFAULTS) == len(by_state)  # one row per state


@pytest.mark.parametrize(('state', 'pharmacy'), [('TX', 'strive'), ('NY', 'gmp'), ('WA', 'boothwyn'), ('DC', 'boothwyn')])
def test_state_routing(state: str, pharmacy: str) -> None:
    assert resolve_pharmacy(state, None, DEFAULTS) == pharmacy


@pytest.mark.parametrize('state', EXCLUDED_STATES)
def test_excluded_states_have_no_route(state: str) -> None:
    with pytest.raises(Unprocessable) as err:
        resolve_pharmacy(state, None, DEFAULTS)
    assert err.value.body() == {'error': f'No pharmacy route configured for state: {state}'}


def test_highest_active_priority_wins_and_inactive_rows_are_ignored() -> None:
    routes = [
        Route('TX', 'strive', 100, True),
        Route('TX', 'boothwyn', 200, False),
        Route('TX', 'gmp', 150, True),
    ]
    assert resolve_pharmacy('TX', None, routes) == 'gmp'
    assert resolve_pharmacy('TX', None, routes[:2]) == 'strive'
    with pytest.raises(Unprocessable):
        resolve_pharmacy('TX', None, [routes[1]])


def test_rows_for_unknown_pharmacies_are_not_routable() -> None:
    routes = [Route('TX', 'retired-pharmacy', 999, True), Route('TX', 'strive', 1, True)]
    assert resolve_pharmacy('TX', None, routes) == 'strive'


def test_preferred_pharmacy_bypasses_state() -> None:
    assert resolve_pharmacy('MN', 'strive', DEFAULTS) == 'strive'


def test_preferred_pharmacy_must_be_known_and_active() -> None:
    with pytest.raises(Unprocessable, match='not a known pharmacy'):
        resolve_pharmacy('TX', 'walgreens', DEFAULTS)
    inactive = [Route(r.state, r.pharmacy, r.priority, r.pharmacy != 'gmp') for r in DEFAULTS]
    with pytest.raises(Unprocessable, match='not active'):
        resolve_pharmacy('TX', 'gmp', inactive)
