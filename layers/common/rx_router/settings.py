"""Typed settings read once per container from the environment that template.yaml declares.

Table names are read by the pynamodb models themselves (store/models.py)."""

import os
from dataclasses import dataclass
from functools import cache

from rx_router.errors import ConfigurationError


def require_env(name: str) -> str:
    value = os.environ.get(name, '').strip()
    if not value:
        raise ConfigurationError(f'environment variable {name} is not set')
    return value


@dataclass(frozen=True)
class Settings:
    pharmacy_credentials_secret: str
    max_body_bytes: int
    signature_tolerance_seconds: int
    routing_cache_seconds: int
    api_client_cache_seconds: int
    pharmacy_timeout_seconds: float

    @classmethod
    def from_env(cls) -> 'Settings':
        return cls(
            pharmacy_credentials_secret=require_env('PHARMACY_CREDENTIALS_SECRET'),
            max_body_bytes=int(os.environ.get('MAX_BODY_BYTES', 262_144)),
            signature_tolerance_seconds=int(os.environ.get('SIGNATURE_TOLERANCE_SECONDS', 300)),
            routing_cache_seconds=int(os.environ.get('ROUTING_CACHE_SECONDS', 60)),
            api_client_cache_seconds=int(os.environ.get('API_CLIENT_CACHE_SECONDS', 30)),
            pharmacy_timeout_seconds=float(os.environ.get('PHARMACY_TIMEOUT_SECONDS', 10)),
        )


@cache
def settings() -> Settings:
    return Settings.from_env()
