"""The adapter interface, and how an adapter is assembled from configuration.

Non-secret settings come from environment variables named `<PHARMACY>_<FIELD>` (declared in
template.yaml); credentials come from the pharmacy-credentials secret (Secrets Manager via Powertools
Parameters, cached per container), a JSON object keyed by pharmacy name.
"""

import importlib
import os
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from rx_router.adapters.outcomes import PharmacyAccepted
from rx_router.errors import ConfigurationError, Unprocessable
from rx_router.pharmacies import PHARMACIES, Pharmacy
from rx_router.settings import settings
from rx_router.validation.prescription import PrescriptionSubmission

if TYPE_CHECKING:
    import httpx

CREDENTIALS_MAX_AGE_SECONDS = 300


class AdapterSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra='forbid')


class UnsupportedMedication(Unprocessable):
    pass


class PharmacyAdapter(ABC):
    config_model: ClassVar[type[AdapterSettings]]
    credentials_model: ClassVar[type[AdapterSettings]]

    def __init__(self, pharmacy: Pharmacy, config: Any, credentials: Any, http: 'httpx.Client') -> None:
        self.pharmacy = pharmacy
        self.config = config
        self.credentials = credentials
        self.http = http

    @abstractmethod
    def translate(self, submission_id: str, rx: PrescriptionSubmission) -> dict[str, Any]:
        """The pharmacy's native order body. Pure: no I/O. Raises UnsupportedMedication."""

    @abstractmethod
    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        """Submits a translated order. Raises PharmacyFailed."""


def _adapter_class(module: str) -> type[PharmacyAdapter]:
    adapter: type[PharmacyAdapter] = importlib.import_module(f'rx_router.adapters.{module}').Adapter
    return adapter


def _env_config(pharmacy: Pharmacy, model: type[AdapterSettings]) -> AdapterSettings:
    values = {
        name: os.environ[f'{pharmacy.env_prefix}_{name.upper()}']
        for name in model.model_fields
        if os.environ.get(f'{pharmacy.env_prefix}_{name.upper()}', '').strip()
    }
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = ', '.join(f'{pharmacy.env_prefix}_{str(e["loc"][0]).upper()}' for e in exc.errors())
        raise ConfigurationError(f'{pharmacy.name} settings invalid or missing: {fields}') from None


def _credentials(pharmacy: Pharmacy, model: type[AdapterSettings]) -> AdapterSettings:
    from aws_lambda_powertools.utilities import parameters

    document = parameters.get_secret(
        settings().pharmacy_credentials_secret, transform='json', max_age=CREDENTIALS_MAX_AGE_SECONDS
    )
    try:
        return model.model_validate((document or {}).get(pharmacy.name))
    except ValidationError:
        raise ConfigurationError(f'{pharmacy.name} credentials missing or incomplete in the credentials secret') from None


_adapters: dict[str, tuple[float, PharmacyAdapter]] = {}


def adapter_for(name: str) -> PharmacyAdapter:
    """The pharmacy's adapter, rebuilt when its credentials may have rotated (same age as their cache)."""
    now = time.monotonic()
    cached = _adapters.get(name)
    if cached and cached[0] > now:
        return cached[1]
    from rx_router.adapters.http import http_client  # httpx loads with the first adapter, not with every handler

    pharmacy = PHARMACIES[name]
    cls = _adapter_class(pharmacy.adapter)
    config = _env_config(pharmacy, cls.config_model)
    adapter = cls(pharmacy, config, _credentials(pharmacy, cls.credentials_model), http_client())
    _adapters[name] = (now + CREDENTIALS_MAX_AGE_SECONDS, adapter)
    return adapter
