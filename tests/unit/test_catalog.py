import pytest
from pydantic import ValidationError

from rx_router.errors import Unprocessable
from rx_router.pharmacies.catalog import ProductMatch, identify_product
from rx_router.pharmacies.records import CatalogEntry, PharmacyConfig, Product
from rx_router.pharmacies.seed import default_catalog, default_pharmacies, default_routes
from tests.support import SEED_PARAMETERS

SEEDED = PharmacyConfig(
    pharmacies={p.id: p for p in default_pharmacies(SEED_PARAMETERS)},
    catalog=tuple(default_catalog(SEED_PARAMETERS)),
    routes=tuple(default_routes()),
)


def entry(pharmacy: str = 'boothwyn', product: str = 'semaglutide', **fields: object) -> CatalogEntry:
    return CatalogEntry(pharmacy=pharmacy, product=product, name=product.title(), native_id='1', **fields)  # type: ignore[arg-type]


# --- by productId --------------------------------------------------------------------------------


def test_product_id_names_the_product_whatever_the_name_says() -> None:
    assert identify_product('NAD+ 100mg/mL', 'tirzepatide', SEEDED) == ProductMatch('tirzepatide', 'productId')


def test_a_product_without_catalog_entries_is_known_through_its_product_record() -> None:
    config = PharmacyConfig(products={'sermorelin': Product(product='sermorelin', default_pharmacy='boothwyn')})
    assert identify_product('anything', 'sermorelin', config) == ProductMatch('sermorelin', 'productId')


@pytest.mark.parametrize('product_id', ['sermorelin', 'Semaglutide', ''])
def test_unknown_product_id_is_unprocessable(product_id: str) -> None:
    with pytest.raises(Unprocessable) as err:
        identify_product('Semaglutide 2.5mg/mL', product_id, SEEDED)
    assert err.value.status == 422
    assert err.value.body() == {'error': 'medication.productId is not a product in any pharmacy catalog (rxrouter catalog list)'}


# --- by name --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('name', 'product'),
    [
        ('Semaglutide 2.5mg/mL', 'semaglutide'),
        ('SEMAGLUTIDE', 'semaglutide'),
        ('compounded semaGLUtide + B12', 'semaglutide'),
        ('Tirzepatide 10mg/mL', 'tirzepatide'),
        ('tirzepatide', 'tirzepatide'),
        ('NAD+ 100mg/mL', 'nad'),
        ('nad', 'nad'),
        # Rank order: semaglutide (1) before tirzepatide (2) before NAD+ (3), whatever the order in the name.
        ('NAD+ with Tirzepatide', 'tirzepatide'),
        ('Tirzepatide / Semaglutide', 'semaglutide'),
        ('NAD+ Semaglutide', 'semaglutide'),
    ],
)
def test_name_rules(name: str, product: str) -> None:
    assert identify_product(name, None, SEEDED) == ProductMatch(product, 'name')


@pytest.mark.parametrize('name', ['Sermorelin 9mg', 'Semaglutid', 'Tirz', ''])
def test_no_rule_matches(name: str) -> None:
    assert identify_product(name, None, SEEDED) == ProductMatch(None, None)


def test_rules_are_tried_in_rank_order_then_by_product_then_pharmacy() -> None:
    catalog = (
        entry('gmp', 'zeta', match=('peptide',), rank=5),
        entry('boothwyn', 'alpha', match=('peptide',), rank=5),
        entry('strive', 'omega', match=('blend',), rank=1),
    )
    config = PharmacyConfig(catalog=catalog)
    assert identify_product('Peptide', None, config) == ProductMatch('alpha', 'name')
    assert identify_product('Peptide blend', None, config) == ProductMatch('omega', 'name')
    # Entries without rules never match by name.
    assert identify_product('zeta', None, PharmacyConfig(catalog=(entry('gmp', 'zeta'),))) == ProductMatch(None, None)


def test_no_catalog_means_no_match() -> None:
    assert identify_product('Semaglutide', None, PharmacyConfig()) == ProductMatch(None, None)


# --- catalog entries ---------------------------------------------------------------------------------


def test_match_rules_are_lower_cased() -> None:
    assert entry(match=('SemaGlutide', 'OZEMPIC')).match == ('semaglutide', 'ozempic')
    assert entry(match=('SemaGlutide',)).matches('compounded SEMAGLUTIDE')


def test_states_are_us_states_sorted_and_deduplicated() -> None:
    assert entry(states=('TX', 'NY', 'TX', 'DC')).states == ('DC', 'NY', 'TX')
    assert entry().states is None


@pytest.mark.parametrize('states', [('XX',), ('TX', 'tx'), ('Texas',), ()])
def test_states_must_be_state_codes(states: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match='states must be two-letter US state codes'):
        entry(states=states)


def test_eligibility_by_state() -> None:
    limited = entry(states=('NY', 'TX'))
    assert limited.eligible_in('TX') and limited.eligible_in('NY')
    assert not limited.eligible_in('WA')
    assert entry().eligible_in('WA')


@pytest.mark.parametrize('schedule', ['II', 'IIN', 'III', 'IIIN', 'IV', 'V'])
def test_schedules(schedule: str) -> None:
    assert entry(schedule=schedule).schedule == schedule


@pytest.mark.parametrize('schedule', ['I', 'VI', 'ii', '2'])
def test_unknown_schedules_are_refused(schedule: str) -> None:
    with pytest.raises(ValidationError):
        entry(schedule=schedule)


@pytest.mark.parametrize(
    'fields',
    [
        {'pharmacy': 'Boothwyn'},
        {'product': 'x'},
        {'native_id': ''},
        {'match': ('',)},
        {'rank': -1},
        {'rank': 10_001},
        {'colour': 'blue'},
    ],
)
def test_entries_are_validated(fields: dict[str, object]) -> None:
    base = {'pharmacy': 'boothwyn', 'product': 'semaglutide', 'name': 'Semaglutide', 'native_id': '12565'}
    with pytest.raises(ValidationError):
        CatalogEntry.model_validate({**base, **fields})


def test_the_seed_catalog() -> None:
    assert [(e.pharmacy, e.product, e.name, e.native_id, e.match, e.rank) for e in default_catalog(SEED_PARAMETERS)] == [
        ('boothwyn', 'semaglutide', 'Semaglutide', '12565', ('semaglutide',), 1),
        ('boothwyn', 'tirzepatide', 'Tirzepatide', '12850', ('tirzepatide',), 2),
        ('boothwyn', 'nad', 'NAD+', '12832', ('nad',), 3),
        ('gmp', 'semaglutide', 'Semaglutide', '12565', ('semaglutide',), 1),
        ('gmp', 'tirzepatide', 'Tirzepatide', '12850', ('tirzepatide',), 2),
        ('gmp', 'nad', 'NAD+', '12832', ('nad',), 3),
        ('strive', 'semaglutide', 'Semaglutide', 'cat-sema-25', ('semaglutide',), 1),
        ('strive', 'tirzepatide', 'Tirzepatide', 'cat-tirz-10', ('tirzepatide',), 2),
    ]
    assert all(e.states is None and e.schedule is None for e in default_catalog(SEED_PARAMETERS))


def test_strive_catalog_ids_left_empty_are_not_orderable() -> None:
    parameters = {**SEED_PARAMETERS, 'StriveCatalogSemaglutide': '  ', 'StriveCatalogTirzepatide': ' cat-t '}
    assert [(e.product, e.native_id) for e in default_catalog(parameters) if e.pharmacy == 'strive'] == [('tirzepatide', 'cat-t')]
    del parameters['StriveCatalogTirzepatide']
    assert [e for e in default_catalog(parameters) if e.pharmacy == 'strive'] == []
