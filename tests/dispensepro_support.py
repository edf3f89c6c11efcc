"""A DispensePro instance and its catalog for the tests (none is seeded on deploy), bound as the router binds it."""

from typing import TYPE_CHECKING, Any

import httpx

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.pharmacy_types.dispensepro import DispensePro
from rxlocal.sandboxes.dispensepro import LOCAL_NDC

if TYPE_CHECKING:
    from rxlocal.sandboxes.dispensepro import DispenseProSandbox
    from tests.fake_pharmacies import FakePharmacies

BASE_URL = 'https://dispensepro.pharmacy.test'
SANDBOX_URL = 'https://sandbox.dispensepro.pharmacy.test'
INSTANCE = PharmacyInstance(
    id='dispensepro',
    type='dispensepro',
    label='DispensePro',
    settings={'base_url': BASE_URL, 'sandbox_url': SANDBOX_URL},
    credentials_key='dispensepro',
    webhook_secret_key='dispensepro',
)
CATALOG = tuple(
    CatalogEntry(pharmacy=INSTANCE.id, product=product, name=product.title(), native_id=ndc, match=(product,))
    for product, ndc in LOCAL_NDC.items()
)
CREDENTIALS = {'site_id': '12345', 'api_key': 'dispensepro-api-key'}
WEBHOOK_SECRETS = ['dispensepro-hook-old', 'dispensepro-hook-new']


def configure(pharmacies: 'FakePharmacies') -> 'DispenseProSandbox':
    """A DispensePro instance configured like any other (record, catalog, credentials, webhook secrets), its
    sandbox answering the router's pharmacy client."""
    from rx_router.cache import TtlCache
    from rx_router.store import config, secrets
    from rxlocal.sandboxes.dispensepro import DispenseProSandbox

    config.add_pharmacy(INSTANCE)
    for entry in CATALOG:
        config.put_catalog_entry(entry)
    secrets.put_pharmacy_credentials(INSTANCE.credentials_key, CREDENTIALS)
    assert INSTANCE.webhook_secret_key
    secrets.put_webhook_secrets(INSTANCE.webhook_secret_key, WEBHOOK_SECRETS)
    TtlCache.clear_all()
    pharmacies.add(INSTANCE, list(CATALOG), CREDENTIALS, 86_400)
    found = pharmacies.by_pharmacy[INSTANCE.id]
    assert isinstance(found, DispenseProSandbox)
    return found


def drug(product: str) -> CatalogMatch:
    entry = next(e for e in CATALOG if e.product == product)
    return CatalogMatch(entry.product, entry.native_id, entry)


def bind(transport: httpx.BaseTransport, credentials: dict[str, Any] | None = None) -> DispensePro:
    return DispensePro(
        INSTANCE,
        DispensePro.settings_model.model_validate(INSTANCE.settings),
        DispensePro.credentials_model.model_validate(credentials or CREDENTIALS),
        httpx.Client(transport=transport),
    )
