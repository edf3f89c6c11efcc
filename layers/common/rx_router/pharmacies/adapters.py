"""A pharmacy instance bound to its type: settings validated, credentials read, the shared HTTP client (or, for an
instance whose type names a CA to trust, the client that trusts it).

Bound types are cached per container for CREDENTIALS_CACHE_SECONDS (so rotated credentials take effect
within that time), per instance record (so a changed record takes effect with the configuration reload).
"""

from pydantic import ValidationError

from rx_router.cache import TtlCache
from rx_router.errors import ConfigurationError
from rx_router.pharmacies.records import PharmacyInstance
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import PharmacyType, TypeSettings
from rx_router.settings import settings
from rx_router.validation.errors import field_names

# Keyed by the record object: a reloaded configuration brings new records, and a cached entry keeps its record
# alive, so a key is never reused for another record while it is cached.
_bound: TtlCache[int, PharmacyType] = TtlCache(lambda: settings().credentials_cache_seconds, max_entries=256)


def validated_settings(instance: PharmacyInstance) -> TypeSettings:
    model = registry.get(instance.type).settings_model
    try:
        return model.model_validate(instance.settings)
    except ValidationError as exc:
        raise ConfigurationError(f'{instance.id} settings invalid or missing: {field_names(exc)}') from None


def validated_credentials(instance: PharmacyInstance, document: object) -> TypeSettings:
    model = registry.get(instance.type).credentials_model
    try:
        return model.model_validate(document)
    except ValidationError:
        raise ConfigurationError(
            f'{instance.id} credentials missing or incomplete under "{instance.credentials_key}" in the credentials secret'
        ) from None


def bound(instance: PharmacyInstance) -> PharmacyType:
    """The instance's type, ready to translate and send. ConfigurationError (503) when it cannot be."""
    return _bound.get(id(instance), lambda: _bind(instance))


def _bind(instance: PharmacyInstance) -> PharmacyType:
    from rx_router import http_clients
    from rx_router.store import secrets

    try:
        cls = registry.get(instance.type)
    except registry.UnknownType:
        raise ConfigurationError(f'{instance.id} has an unknown pharmacy type {instance.type}') from None
    config = validated_settings(instance)
    credentials = validated_credentials(instance, secrets.pharmacy_credentials(instance.credentials_key))
    ca_pem = cls.trusted_ca_pem(config)
    if ca_pem is None:
        return cls(instance, config, credentials, http_clients.pharmacy())
    try:
        http = http_clients.pharmacy_trusting(ca_pem)
    except http_clients.InvalidCaCertificate:
        raise ConfigurationError(f'{instance.id} settings invalid: its trusted CA certificate cannot be loaded as PEM') from None
    return cls(instance, config, credentials, http)
