"""Pharmacy webhook authentication: the shared secret in `x-webhook-secret`, compared in constant time.

The secrets live in the webhook-secrets secret (Secrets Manager), a JSON object keyed by webhook name
with one secret or a list of two (rotation). A webhook with no secret configured refuses every request.
"""

from rx_router.constant_time import matches_any
from rx_router.errors import Unauthorized
from rx_router.settings import settings

INVALID = 'Invalid webhook secret'
MAX_AGE_SECONDS = 300


def configured_secrets(webhook: str) -> list[str]:
    from aws_lambda_powertools.utilities import parameters

    document = parameters.get_secret(settings().webhook_secrets_secret, transform='json', max_age=MAX_AGE_SECONDS) or {}
    value = document.get(webhook) if isinstance(document, dict) else None
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v.strip()]


def verify(webhook: str, provided: str | None) -> None:
    secrets = configured_secrets(webhook)
    if not secrets:
        raise Unauthorized('webhook_secret_not_configured', INVALID)
    if not matches_any(secrets, provided or ''):
        raise Unauthorized('webhook_secret_mismatch', INVALID)
