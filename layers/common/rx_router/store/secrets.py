"""Pharmacy credentials and webhook secrets, in the stack's two Secrets Manager secrets:

- pharmacy-credentials: a JSON object keyed by an instance's `credentials_key`, each value the credentials
  document its type asks for ({"api_key": ...}, {"client_id": ..., "client_secret": ...});
- webhook-secrets: a JSON object keyed by an instance's `webhook_secret_key`, each value one secret or a
  list of two (rotation).

Read through Powertools Parameters (cached per container for CREDENTIALS_CACHE_SECONDS); written only by
operators (rxrouter), who never see a value printed back.
"""

import json
from typing import Any

from rx_router.settings import settings


def _document(secret_id: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    document = parameters.get_secret(secret_id, transform='json', max_age=settings().credentials_cache_seconds)
    return document if isinstance(document, dict) else {}


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
    import boto3

    return boto3.client('secretsmanager').get_secret_value(SecretId=secret_id).get('SecretString') or '{}'


def replace_document(secret_id: str, document: str) -> None:
    import boto3

    boto3.client('secretsmanager').put_secret_value(SecretId=secret_id, SecretString=document)


def _merge(secret_id: str, key: str, value: Any) -> None:
    """Sets one key of a secret's JSON document, keeping every other key (operators' tool, not a hot path;
    two operators writing the same secret at the same moment can lose one change)."""
    current = json.loads(stored_document(secret_id))
    if not isinstance(current, dict):
        raise ValueError(f'secret {secret_id} does not hold a JSON object')
    current[key] = value
    replace_document(secret_id, json.dumps(current))


def put_pharmacy_credentials(key: str, credentials: dict[str, Any]) -> None:
    _merge(settings().pharmacy_credentials_secret, key, credentials)


def put_webhook_secrets(key: str, values: list[str]) -> None:
    _merge(settings().webhook_secrets_secret, key, values)
