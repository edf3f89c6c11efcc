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


# Seconds to wait before attempts 2, 3, ... of a callback (jittered ±20%): about 21.5 hours in all.
DEFAULT_RETRY_SCHEDULE = '30,120,600,1800,3600,7200,14400,21600,28800'


@dataclass(frozen=True)
class Settings:
    pharmacy_credentials_secret: str
    webhook_secrets_secret: str
    callback_queue_url: str
    callback_max_attempts: int
    callback_retry_schedule: tuple[int, ...]
    max_body_bytes: int
    signature_tolerance_seconds: int
    routing_cache_seconds: int
    api_client_cache_seconds: int
    pharmacy_timeout_seconds: float

    @classmethod
    def from_env(cls) -> 'Settings':
        return cls(
            pharmacy_credentials_secret=require_env('PHARMACY_CREDENTIALS_SECRET'),
            webhook_secrets_secret=require_env('WEBHOOK_SECRETS_SECRET'),
            callback_queue_url=require_env('CALLBACK_QUEUE_URL'),
            callback_max_attempts=int(require_env('CALLBACK_MAX_ATTEMPTS')),
            callback_retry_schedule=tuple(
                int(s) for s in os.environ.get('CALLBACK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE).split(',')
            ),
            max_body_bytes=int(os.environ.get('MAX_BODY_BYTES', 262_144)),
            signature_tolerance_seconds=int(os.environ.get('SIGNATURE_TOLERANCE_SECONDS', 300)),
            routing_cache_seconds=int(os.environ.get('ROUTING_CACHE_SECONDS', 60)),
            api_client_cache_seconds=int(os.environ.get('API_CLIENT_CACHE_SECONDS', 30)),
            pharmacy_timeout_seconds=float(os.environ.get('PHARMACY_TIMEOUT_SECONDS', 10)),
        )


@cache
def settings() -> Settings:
    return Settings.from_env()
