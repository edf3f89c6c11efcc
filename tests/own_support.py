"""OWN instances and their catalog for the tests (none is seeded on deploy), bound as the router binds them."""

from typing import TYPE_CHECKING, Any

import httpx

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.pharmacy_types.own import Own
from rxlocal.sandboxes.own import LOCAL_PRODUCTS

if TYPE_CHECKING:
    from rxlocal.sandboxes.own import OwnSandbox
    from tests.fake_pharmacies import FakePharmacies

ORDER_URL = 'https://orders.clinic-pharmacy.test/orders'
# The Standard Webhooks specification's test vector secret, and others of the same form.
VECTOR_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
SIGNING_SECRET = 'whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhlLXJvdXRlci0wMQ=='
OLD_SECRET = 'whsec_b2xkLXdlYmhvb2stc2VjcmV0LW9mLXRoZS1waGFybWFjeQ=='
NEW_SECRET = 'whsec_bmV3LXdlYmhvb2stc2VjcmV0LW9mLXRoZS1waGFybWFjeQ=='
INSTANCE = PharmacyInstance(
    id='own-clinic',
    type='own',
    label='Clinic pharmacy',
    settings={'order_url': ORDER_URL},
    credentials_key='own-clinic',
    webhook_secret_key='own-clinic',
)
CATALOG = tuple(
    CatalogEntry(pharmacy=INSTANCE.id, product=product, name=product.title(), native_id=native, match=(product,))
    for product, native in LOCAL_PRODUCTS.items()
)
CREDENTIALS = {'signing_secret': SIGNING_SECRET}
WEBHOOK_SECRETS = [OLD_SECRET, NEW_SECRET]


def configure(
    pharmacies: 'FakePharmacies', instance: PharmacyInstance = INSTANCE, secrets: list[str] | None = None
) -> 'OwnSandbox':
    """An OWN instance configured like any other (record, catalog, credentials, webhook secrets), its sandbox
    answering the router's pharmacy client."""
    from rx_router.cache import TtlCache
    from rx_router.store import config
    from rx_router.store import secrets as stored
    from rxlocal.sandboxes.own import OwnSandbox

    config.add_pharmacy(instance)
    entries = [entry.model_copy(update={'pharmacy': instance.id}) for entry in CATALOG]
    for entry in entries:
        config.put_catalog_entry(entry)
    stored.put_pharmacy_credentials(instance.credentials_key, CREDENTIALS)
    if instance.webhook_secret_key:
        stored.put_webhook_secrets(instance.webhook_secret_key, WEBHOOK_SECRETS if secrets is None else secrets)
    TtlCache.clear_all()
    pharmacies.add(instance, entries, CREDENTIALS, 86_400)
    found = pharmacies.by_pharmacy[instance.id]
    assert isinstance(found, OwnSandbox)
    return found


def drug(product: str) -> CatalogMatch:
    entry = next(e for e in CATALOG if e.product == product)
    return CatalogMatch(entry.product, entry.native_id, entry)


def bind(transport: httpx.BaseTransport, settings: dict[str, Any] | None = None) -> Own:
    return Own(
        INSTANCE,
        Own.settings_model.model_validate(settings or INSTANCE.settings),
        Own.credentials_model.model_validate(CREDENTIALS),
        httpx.Client(transport=transport),
    )
