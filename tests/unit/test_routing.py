from typing import Any

import pytest

from rx_router.errors import Unprocessable
from rx_router.pharmacies.records import CatalogEntry, PharmacyConfig, Product, Route
from rx_router.pharmacies.seed import EXCLUDED_STATES, GMP_STATES, default_catalog, default_pharmacies, default_routes
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.routing.resolve import Candidate, NoPharmacy, Request, resolve
from rx_router.validation.us import US_STATES
from tests.support import SEED_PARAMETERS

DEFAULTS = default_routes()
SEMAGLUTIDE = 'Semaglutide 2.5mg/mL'


def seeded(
    routes: list[Route] | None = None,
    products: tuple[Product, ...] | list[Product] = (),
    catalog: list[CatalogEntry] | None = None,
    **changed: dict[str, Any],
) -> PharmacyConfig:
    """The seeded configuration, with instances changed by id (`gmp={'active': False}`)."""
    instances = [p.model_copy(update=changed.get(p.id, {})) for p in default_pharmacies(SEED_PARAMETERS)]
    return PharmacyConfig(
        pharmacies={p.id: p for p in instances},
        catalog=tuple(default_catalog(SEED_PARAMETERS) if catalog is None else catalog),
        products={p.product: p for p in products},
        routes=tuple(DEFAULTS if routes is None else routes),
    )


SEEDED = seeded()


def request(state: str = 'TX', medication_name: str = SEMAGLUTIDE, **fields: Any) -> Request:
    return Request(state=state, medication_name=medication_name, **fields)


def no_pharmacy(req: Request, config: PharmacyConfig = SEEDED) -> NoPharmacy:
    with pytest.raises(NoPharmacy) as err:
        resolve(req, config)
    assert isinstance(err.value, Unprocessable)
    assert err.value.status == 422
    return err.value


# --- the spec's default table -----------------------------------------------------------------------


def test_default_table_matches_the_spec() -> None:
    by_state = {r.state: r.pharmacy for r in DEFAULTS}
    assert len(GMP_STATES) == 18
    assert {s for s, p in by_state.items() if p == 'gmp'} == set(GMP_STATES)
    assert {s for s, p in by_state.items() if p == 'strive'} == {'TX'}
    assert {s for s, p in by_state.items() if p == 'boothwyn'} == US_STATES - set(GMP_STATES) - {'TX'} - set(EXCLUDED_STATES)
    assert not set(EXCLUDED_STATES) & by_state.keys()
    assert set(EXCLUDED_STATES) == {'MN', 'CA', 'AR', 'NC', 'OK'}
    assert len(DEFAULTS) == len(by_state)  # one row per state
    assert all(r.priority == 100 and r.is_active for r in DEFAULTS)


@pytest.mark.parametrize(
    ('state', 'pharmacy', 'pharmacy_type'),
    [
        ('TX', 'strive', 'rxvortex'),
        ('NY', 'gmp', 'boothwyn_b2b'),
        ('WA', 'boothwyn', 'boothwyn_b2b'),
        ('DC', 'boothwyn', 'boothwyn_b2b'),
    ],
)
def test_state_routing(state: str, pharmacy: str, pharmacy_type: str) -> None:
    decision = resolve(request(state), SEEDED)
    assert (decision.pharmacy, decision.pharmacy_type, decision.rule) == (pharmacy, pharmacy_type, 'state_route')
    assert decision.view() == {
        'pharmacy': pharmacy,
        'pharmacyType': pharmacy_type,
        'rule': 'state_route',
        'state': state,
        'product': 'semaglutide',
        'productMatchedBy': 'name',
        'nativeDrugId': 'cat-sema-25' if pharmacy == 'strive' else '12565',
        'candidates': [{'pharmacy': pharmacy, 'rule': 'state_route', 'priority': 100}],
    }


@pytest.mark.parametrize('state', EXCLUDED_STATES)
def test_excluded_states_have_no_route(state: str) -> None:
    err = no_pharmacy(request(state))
    assert err.body() == {'error': f'No pharmacy route configured for state: {state}'}
    assert err.candidates == ()


# --- state routes ---------------------------------------------------------------------------------


def test_highest_active_priority_wins_and_inactive_rows_are_ignored() -> None:
    routes = [Route('TX', 'strive', 100, True), Route('TX', 'boothwyn', 200, False), Route('TX', 'gmp', 150, True)]
    decision = resolve(request(), seeded(routes))
    assert decision.pharmacy == 'gmp'
    assert decision.view()['candidates'] == [{'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 150}]
    assert resolve(request(), seeded(routes[:2])).pharmacy == 'strive'
    err = no_pharmacy(request(), seeded([routes[1]]))
    assert err.body() == {'error': 'No pharmacy route configured for state: TX'}


def test_equal_priorities_resolve_the_same_whatever_the_row_order() -> None:
    routes = [Route('TX', 'strive', 100, True), Route('TX', 'gmp', 100, True)]
    assert resolve(request(), seeded(routes)).pharmacy == resolve(request(), seeded(routes[::-1])).pharmacy


def test_rows_naming_unconfigured_pharmacies_are_skipped() -> None:
    routes = [Route('TX', 'retired-pharmacy', 999, True), Route('TX', 'strive', 1, True)]
    decision = resolve(request(), seeded(routes))
    assert decision.pharmacy == 'strive'
    assert decision.view()['candidates'] == [
        {'pharmacy': 'retired-pharmacy', 'rule': 'state_route', 'priority': 999, 'skipped': 'not a configured pharmacy'},
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 1},
    ]


def test_an_inactive_pharmacy_is_skipped_for_the_next_route() -> None:
    routes = [Route('TX', 'gmp', 200, True), Route('TX', 'strive', 100, True)]
    decision = resolve(request(), seeded(routes, gmp={'active': False}))
    assert decision.pharmacy == 'strive'
    assert decision.view()['candidates'] == [
        {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 200, 'skipped': 'inactive'},
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100},
    ]


def test_a_pharmacy_not_eligible_for_the_product_in_the_state_is_skipped() -> None:
    catalog = [e.model_copy(update={'states': ('NY',)}) if e.pharmacy == 'gmp' else e for e in default_catalog(SEED_PARAMETERS)]
    routes = [Route('TX', 'gmp', 200, True), Route('TX', 'strive', 100, True)]
    decision = resolve(request(), seeded(routes, catalog=catalog))
    assert decision.pharmacy == 'strive'
    assert decision.view()['candidates'] == [
        {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 200, 'skipped': 'product semaglutide is not eligible in TX'},
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100},
    ]


def test_a_pharmacy_without_the_product_in_its_catalog_is_skipped() -> None:
    routes = [Route('TX', 'strive', 200, True), Route('TX', 'boothwyn', 100, True)]
    decision = resolve(request(medication_name='NAD+ 100mg/mL'), seeded(routes))
    assert (decision.pharmacy, decision.drug) == ('boothwyn', CatalogMatch('nad', '12832', SEEDED.entry('boothwyn', 'nad')))
    assert decision.view()['candidates'] == [
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 200, 'skipped': 'no catalog item for product nad'},
        {'pharmacy': 'boothwyn', 'rule': 'state_route', 'priority': 100},
    ]


def test_test_mode_not_allowed_is_skipped() -> None:
    routes = [Route('TX', 'strive', 200, True), Route('TX', 'gmp', 100, True)]
    config = seeded(routes, strive={'test_mode_allowed': False})
    assert resolve(request(), config).pharmacy == 'strive'  # a live order may go there
    decision = resolve(request(test=True), config)
    assert decision.pharmacy == 'gmp'
    assert decision.view()['candidates'] == [
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 200, 'skipped': 'test mode is not allowed for this pharmacy'},
        {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 100},
    ]


def test_a_controlled_product_needs_a_dea_number() -> None:
    catalog = [
        e.model_copy(update={'schedule': 'III'}) if e.pharmacy == 'strive' else e for e in default_catalog(SEED_PARAMETERS)
    ]
    routes = [Route('TX', 'strive', 200, True), Route('TX', 'gmp', 100, True)]
    config = seeded(routes, catalog=catalog)
    decision = resolve(request(), config)
    assert decision.pharmacy == 'gmp'
    assert decision.view()['candidates'] == [
        {
            'pharmacy': 'strive',
            'rule': 'state_route',
            'priority': 200,
            'skipped': 'product semaglutide is a Schedule III controlled substance: prescriber.deaNumber is required',
        },
        {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 100},
    ]
    assert resolve(request(has_dea_number=True), config).pharmacy == 'strive'


def test_an_unknown_pharmacy_type_is_skipped() -> None:
    routes = [Route('TX', 'strive', 200, True), Route('TX', 'gmp', 100, True)]
    decision = resolve(request(), seeded(routes, strive={'type': 'fax_machine'}))
    assert decision.view()['candidates'] == [
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 200, 'skipped': 'unknown pharmacy type fax_machine'},
        {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 100},
    ]


def test_an_unmatched_medication_goes_only_where_the_type_has_a_stand_in() -> None:
    routes = [Route('TX', 'strive', 200, True), Route('TX', 'gmp', 100, True)]
    decision = resolve(request(medication_name='Sermorelin 9mg'), seeded(routes))
    assert decision.pharmacy == 'gmp'
    assert decision.drug == CatalogMatch(None, 'UNKNOWN_SKU')
    assert decision.view() == {
        'pharmacy': 'gmp',
        'pharmacyType': 'boothwyn_b2b',
        'rule': 'state_route',
        'state': 'TX',
        'product': None,
        'productMatchedBy': None,
        'nativeDrugId': 'UNKNOWN_SKU',
        'candidates': [
            {
                'pharmacy': 'strive',
                'rule': 'state_route',
                'priority': 200,
                'skipped': 'no catalog item matches the medication (set medication.productId, or add a catalog rule)',
            },
            {'pharmacy': 'gmp', 'rule': 'state_route', 'priority': 100},
        ],
    }


def test_nothing_left_lists_every_reason() -> None:
    routes = [
        Route('TX', 'strive', 300, True),
        Route('TX', 'gmp', 200, True),
        Route('TX', 'retired', 150, True),
        Route('TX', 'boothwyn', 100, True),
        Route('TX', 'boothwyn', 50, True),  # the same pharmacy again is not tried twice
    ]
    err = no_pharmacy(request(medication_name='NAD+ 100mg/mL'), seeded(routes, gmp={'active': False}, boothwyn={'active': False}))
    assert err.body() == {
        'error': 'No pharmacy can fill this prescription for state TX: strive (state route): no catalog item for product nad; '
        'gmp (state route): inactive; retired (state route): not a configured pharmacy; boothwyn (state route): inactive'
    }
    assert err.candidates == (
        Candidate('strive', 'state_route', 300, 'no catalog item for product nad'),
        Candidate('gmp', 'state_route', 200, 'inactive'),
        Candidate('retired', 'state_route', 150, 'not a configured pharmacy'),
        Candidate('boothwyn', 'state_route', 100, 'inactive'),
    )


def test_the_message_names_the_product_never_the_medication() -> None:
    err = no_pharmacy(request(medication_name='NAD+ 100mg/mL'))
    assert (
        err.message
        == 'No pharmacy can fill this prescription for state TX: strive (state route): no catalog item for product nad'
    )
    assert 'NAD' not in err.message


# --- the product's default pharmacy ---------------------------------------------------------------------


def test_product_default_is_chosen_before_state_routes() -> None:
    config = seeded(products=[Product(product='semaglutide', default_pharmacy='gmp')])
    decision = resolve(request('TX'), config)
    assert decision.view() == {
        'pharmacy': 'gmp',
        'pharmacyType': 'boothwyn_b2b',
        'rule': 'product_default',
        'state': 'TX',
        'product': 'semaglutide',
        'productMatchedBy': 'name',
        'nativeDrugId': '12565',
        'candidates': [{'pharmacy': 'gmp', 'rule': 'product_default'}],
    }
    # Another product keeps the state's route.
    assert resolve(request('TX', 'Tirzepatide 10mg/mL'), config).pharmacy == 'strive'


def test_a_product_without_a_default_pharmacy_follows_state_routes() -> None:
    config = seeded(products=[Product(product='semaglutide')])
    assert resolve(request('TX'), config).rule == 'state_route'


def test_product_default_that_cannot_fill_is_skipped_with_its_reason() -> None:
    catalog = [e.model_copy(update={'states': ('NY',)}) if e.pharmacy == 'gmp' else e for e in default_catalog(SEED_PARAMETERS)]
    config = seeded(products=[Product(product='semaglutide', default_pharmacy='gmp')], catalog=catalog)
    decision = resolve(request('TX'), config)
    assert decision.view()['rule'] == 'state_route'
    assert decision.view()['candidates'] == [
        {'pharmacy': 'gmp', 'rule': 'product_default', 'skipped': 'product semaglutide is not eligible in TX'},
        {'pharmacy': 'strive', 'rule': 'state_route', 'priority': 100},
    ]
    assert resolve(request('NY'), config).rule == 'product_default'


def test_a_skipped_product_default_is_not_tried_again_as_a_state_route() -> None:
    config = seeded(products=[Product(product='semaglutide', default_pharmacy='gmp')], gmp={'active': False})
    err = no_pharmacy(request('NY'), config)
    assert err.candidates == (Candidate('gmp', 'product_default', None, 'inactive'),)
    assert err.message == 'No pharmacy can fill this prescription for state NY: gmp (product default): inactive'


def test_product_id_selects_the_product_and_its_default() -> None:
    config = seeded(products=[Product(product='tirzepatide', default_pharmacy='boothwyn')])
    decision = resolve(request('TX', SEMAGLUTIDE, product_id='tirzepatide'), config)
    assert (decision.pharmacy, decision.rule) == ('boothwyn', 'product_default')
    assert (decision.view()['product'], decision.view()['productMatchedBy'], decision.view()['nativeDrugId']) == (
        'tirzepatide',
        'productId',
        '12850',
    )
    with pytest.raises(Unprocessable, match='medication.productId is not a product'):
        resolve(request('TX', product_id='sermorelin'), config)


# --- the order's assigned pharmacy ----------------------------------------------------------------------


def test_preferred_pharmacy_bypasses_state() -> None:
    decision = resolve(request('MN', preferred_pharmacy='strive'), SEEDED)
    assert decision.view() == {
        'pharmacy': 'strive',
        'pharmacyType': 'rxvortex',
        'rule': 'preferred_pharmacy',
        'state': 'MN',
        'product': 'semaglutide',
        'productMatchedBy': 'name',
        'nativeDrugId': 'cat-sema-25',
        'candidates': [{'pharmacy': 'strive', 'rule': 'preferred_pharmacy'}],
    }


def test_preferred_pharmacy_bypasses_the_product_default() -> None:
    config = seeded(products=[Product(product='semaglutide', default_pharmacy='gmp')])
    assert resolve(request('TX', preferred_pharmacy='boothwyn'), config).rule == 'preferred_pharmacy'


def test_preferred_pharmacy_must_be_known() -> None:
    err = no_pharmacy(request(preferred_pharmacy='walgreens'))
    assert err.body() == {'error': 'routing.preferredPharmacy is not a known pharmacy; known pharmacies: boothwyn, gmp, strive'}
    assert err.candidates == (Candidate('walgreens', 'preferred_pharmacy', None, 'not a configured pharmacy'),)


def test_preferred_pharmacy_must_be_active() -> None:
    err = no_pharmacy(request(preferred_pharmacy='gmp'), seeded(gmp={'active': False}))
    assert err.body() == {'error': 'routing.preferredPharmacy gmp is not active'}
    assert err.candidates == (Candidate('gmp', 'preferred_pharmacy', None, 'inactive'),)


def test_preferred_pharmacy_that_cannot_fill_has_no_fallback() -> None:
    err = no_pharmacy(request('TX', 'NAD+ 100mg/mL', preferred_pharmacy='strive'))
    assert err.body() == {
        'error': 'routing.preferredPharmacy strive cannot fill this prescription: no catalog item for product nad'
    }
    assert err.candidates == (Candidate('strive', 'preferred_pharmacy', None, 'no catalog item for product nad'),)
    assert 'NAD+ 100mg/mL' not in err.message


def test_preferred_pharmacy_in_test_mode_it_does_not_allow() -> None:
    err = no_pharmacy(request(preferred_pharmacy='gmp', test=True), seeded(gmp={'test_mode_allowed': False}))
    assert (
        err.message == 'routing.preferredPharmacy gmp cannot fill this prescription: test mode is not allowed for this pharmacy'
    )


def test_instances_in_the_seed() -> None:
    assert [
        (p.id, p.type, p.label, p.active, p.settings, p.credentials_key, p.webhook_secret_key, p.test_mode_allowed)
        for p in default_pharmacies(SEED_PARAMETERS)
    ] == [
        (
            'boothwyn',
            'boothwyn_b2b',
            'Boothwyn',
            True,
            {'base_url': 'https://boothwyn.pharmacy.test/'},
            'boothwyn',
            'boothwyn',
            True,
        ),
        ('gmp', 'boothwyn_b2b', 'GMP', True, {'base_url': 'https://gmp.pharmacy.test/'}, 'gmp', 'boothwyn', True),
        (
            'strive',
            'rxvortex',
            'Strive',
            True,
            {'base_url': 'https://strive.pharmacy.test', 'sandbox_url': 'https://sandbox.strive.pharmacy.test'},
            'strive',
            'strive',
            True,
        ),
    ]
