"""Typed settings: the environment template.yaml declares, read and validated once per container, on first use.

Nothing reads the environment at import; every module that needs a setting calls `settings()`.
"""

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from rx_router.errors import ConfigurationError
from rx_router.validation.errors import field_names

# Seconds to wait before attempts 2, 3, ... of a callback (jittered ±20%): about 21.5 hours in all.
DEFAULT_RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 7200, 14400, 21600, 28800)


def _comma_separated(value: Any) -> Any:
    return tuple(part.strip() for part in value.split(',')) if isinstance(value, str) else value


Name = Annotated[str, Field(min_length=1)]
Seconds = Annotated[int, Field(ge=0)]


class Settings(BaseModel):
    """Each field is read from the environment variable of the same name in upper case."""

    model_config = ConfigDict(frozen=True, extra='ignore', alias_generator=str.upper, str_strip_whitespace=True)

    api_clients_table: Name
    routing_table: Name
    submissions_table: Name
    pharmacy_config_table: Name
    timeline_table: Name
    prescription_gates_table: Name
    pharmacy_credentials_secret: Name
    webhook_secrets_secret: Name
    callback_queue_url: Name
    callback_max_attempts: Annotated[int, Field(ge=1)] = 10
    callback_retry_schedule: Annotated[tuple[Seconds, ...], BeforeValidator(_comma_separated), Field(min_length=1)] = (
        DEFAULT_RETRY_SCHEDULE
    )
    callback_allow_loopback: bool = False
    max_body_bytes: Annotated[int, Field(gt=0)] = 262_144
    signature_tolerance_seconds: Seconds = 300
    routing_cache_seconds: Seconds = 60
    api_client_cache_seconds: Seconds = 30
    credentials_cache_seconds: Seconds = 300
    pharmacy_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Reconciliation: an open order the pharmacy can be asked about is asked once nothing has changed (and no
    # one has asked) for this long; at most this many per scheduled run.
    reconcile_after_seconds: Annotated[int, Field(ge=60)] = 21_600
    reconcile_max_per_run: Annotated[int, Field(ge=1, le=1000)] = 100
    # Missed-event recovery: Beluga's API (empty: off), and how long a gated submission waits for its prescription's
    # webhook before reconciliation asks Beluga (and again after as long, while it still waits).
    beluga_api_url: Annotated[str, Field(pattern=r'^https?://')] | None = None
    prescription_poll_after_seconds: Annotated[int, Field(ge=60)] = 1800
    # Support's diagnosis: when waiting, shipping without tracking, or silence from the pharmacy needs a look.
    diagnosis_awaiting_prescription_hours: Annotated[float, Field(gt=0)] = 72
    diagnosis_shipped_without_tracking_hours: Annotated[float, Field(gt=0)] = 24
    diagnosis_no_update_hours: Annotated[float, Field(gt=0)] = 120
    # A tracked submission (an open order at a pharmacy that answers status queries, or a gated one awaiting its
    # prescription) that nothing has updated or checked for this long is stale (the StaleSubmissions metric).
    stale_after_seconds: Annotated[int, Field(ge=60)] = 86_400

    @classmethod
    def from_environment(cls, environ: dict[str, str]) -> 'Settings':
        present = {name: value.strip() for name, value in environ.items() if value.strip()}
        try:
            return cls.model_validate(present)
        except ValidationError as exc:
            raise ConfigurationError(f'environment variables missing or invalid: {field_names(exc)}') from None


@cache
def settings() -> Settings:
    import os

    return Settings.from_environment(dict(os.environ))
