"""The spec's pharmacies, drug catalogs and state routes: what a new deployment starts with.

Written by the seed custom resource into empty tables only (so operators' later changes are never
overwritten), with the deployment's template parameters for URLs and Strive's catalog ids. Everything here
is data: operators change it with rxrouter, without a redeploy.
"""

from collections.abc import Mapping

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance, Route
from rx_router.validation.us import US_STATES

GMP_STATES = 'AL AZ CO CT FL GA IL IN KS KY LA NJ NV NY OH PA TN WI'.split()
STRIVE_STATES = ['TX']
EXCLUDED_STATES = 'MN CA AR NC OK'.split()
ROUTE_PRIORITY = 100

# The spec's Boothwyn SKU mapping: the first keyword the medication name contains, case-insensitive.
BOOTHWYN_SKUS = (('semaglutide', 'Semaglutide', '12565'), ('tirzepatide', 'Tirzepatide', '12850'), ('nad', 'NAD+', '12832'))
# Strive's catalog ids are deployment parameters (the spec's STRIVE_CATALOG_* settings); empty: not orderable.
STRIVE_CATALOG = (
    ('semaglutide', 'Semaglutide', 'StriveCatalogSemaglutide'),
    ('tirzepatide', 'Tirzepatide', 'StriveCatalogTirzepatide'),
)


def default_routes() -> list[Route]:
    """GMP's 18 states, Strive in TX, Boothwyn for the rest, none for the excluded states."""
    assigned = {**{s: 'gmp' for s in GMP_STATES}, **{s: 'strive' for s in STRIVE_STATES}}
    return [
        Route(state=state, pharmacy=assigned.get(state, 'boothwyn'), priority=ROUTE_PRIORITY, is_active=True)
        for state in sorted(US_STATES - set(EXCLUDED_STATES))
    ]


def default_pharmacies(parameters: Mapping[str, str]) -> list[PharmacyInstance]:
    """Boothwyn and GMP (one Boothwyn B2B type: GMP's updates arrive on Boothwyn's webhook, with its secret),
    and Strive (RxVortex)."""
    return [
        PharmacyInstance(
            id='boothwyn',
            type='boothwyn_b2b',
            label='Boothwyn',
            settings={'base_url': parameters['BoothwynBaseUrl']},
            credentials_key='boothwyn',
            webhook_secret_key='boothwyn',  # noqa: S106 - the name of a key in the webhook-secrets secret
        ),
        PharmacyInstance(
            id='gmp',
            type='boothwyn_b2b',
            label='GMP',
            settings={'base_url': parameters['GmpBaseUrl']},
            credentials_key='gmp',
            webhook_secret_key='boothwyn',  # noqa: S106 - the name of a key in the webhook-secrets secret
        ),
        PharmacyInstance(
            id='strive',
            type='rxvortex',
            label='Strive',
            settings={'base_url': parameters['StriveBaseUrl'], 'sandbox_url': parameters['StriveSandboxUrl']},
            credentials_key='strive',
            webhook_secret_key='strive',  # noqa: S106 - the name of a key in the webhook-secrets secret
        ),
    ]


def default_catalog(parameters: Mapping[str, str]) -> list[CatalogEntry]:
    entries = [
        CatalogEntry(pharmacy=pharmacy, product=product, name=name, native_id=sku, match=(product,), rank=rank)
        for pharmacy in ('boothwyn', 'gmp')
        for rank, (product, name, sku) in enumerate(BOOTHWYN_SKUS, start=1)
    ]
    entries += [
        CatalogEntry(
            pharmacy='strive', product=product, name=name, native_id=parameters[param].strip(), match=(product,), rank=rank
        )
        for rank, (product, name, param) in enumerate(STRIVE_CATALOG, start=1)
        if parameters.get(param, '').strip()
    ]
    return entries


SEED_PARAMETERS = ('BoothwynBaseUrl', 'GmpBaseUrl', 'StriveBaseUrl', 'StriveSandboxUrl', *(p for _, _, p in STRIVE_CATALOG))
