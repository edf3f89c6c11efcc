"""A DispensePro instance and its catalog for the tests (none is seeded on deploy), bound as the router binds it."""

from typing import Any

import httpx

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.pharmacy_types.dispensepro import DispensePro
from rxlocal.sandboxes.dispensepro import LOCAL_NDC

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
