"""Pharmacy credentials and webhook secrets, in the stack's two Secrets Manager secrets:

- pharmacy-credentials: a JSON object keyed by an instance's `credentials_key`, each value the credentials
  document its type asks for ({"api_key": ...}, {"client_id": ..., "client_secret": ...});
- webhook-secrets: a JSON object keyed by an instance's `webhook_secret_key`, each value one secret or a
  list of two (rotation).

Read on the container's Secrets Manager client and cached per container for CREDENTIALS_CACHE_SECONDS;
written only by operators (rxrouter), who never see a value printed back.
"""

import json
from typing import Any

from rx_router import aws
from rx_router.cache import TtlCache
from rx_router.errors import ConfigurationError
from rx_router.settings import settings

_documents: TtlCache[str, dict[str, Any]] = TtlCache(lambda: settings().credentials_cache_seconds, max_entries=8)


def _parsed(secret_id: str) -> dict[str, Any]:
    try:
        document = json.loads(stored_document(secret_id))
    except ValueError:
        document = None
    if not isinstance(document, dict):  # named, never quoted: the value is a secret
        raise ConfigurationError(f'secret {secret_id} does not hold a JSON object')
    return document


def _document(secret_id: str) -> dict[str, Any]:
    return _documents.get(secret_id, lambda: _parsed(secret_id))


def pharmacy_credentials(key: str) -> Any:
    """The credentials document stored under `key`, or None."""
    return _document(settings().pharmacy_credentials_secret).get(key)


def webhook_secrets(key: str) -> list[str]:
    """The secrets a webhook accepts under `key` (none configured: an empty list, and every request is refused)."""
    value = _document(settings().webhook_secrets_secret).get(key)
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and v.strip()]


def stored_document(secret_id: str) -> str:
    """A secret's JSON document as stored now, uncached (operators' reads, and restoring after a failed change)."""
    found: str = aws.secretsmanager().get_secret_value(SecretId=secret_id).get('SecretString') or '{}'
    return found


def replace_document(secret_id: str, document: str) -> None:
    aws.secretsmanager().put_secret_value(SecretId=secret_id, SecretString=document)
    _documents.pop(secret_id)


def _merge(secret_id: str, key: str, value: Any) -> None:
    """Sets one key of a secret's JSON document, keeping every other key (operators' tool, not a hot path;
    two operators writing the same secret at the same moment can lose one change)."""
    current = _parsed(secret_id)
    current[key] = value
    replace_document(secret_id, json.dumps(current))


def put_pharmacy_credentials(key: str, credentials: dict[str, Any]) -> None:
    _merge(settings().pharmacy_credentials_secret, key, credentials)


def put_webhook_secrets(key: str, values: list[str]) -> None:
    _merge(settings().webhook_secrets_secret, key, values)
