"""Secrets read on the shared client, cached per container, never quoted when malformed."""

import os

import pytest

from rx_router import aws
from rx_router.errors import ConfigurationError
from rx_router.store import secrets


def test_reads_are_cached_and_an_operator_write_is_seen_at_once() -> None:
    assert secrets.webhook_secrets('boothwyn') == ['boothwyn-hook-secret']
    aws.secretsmanager().put_secret_value(SecretId=os.environ['WEBHOOK_SECRETS_SECRET'], SecretString='{"boothwyn": "changed"}')
    assert secrets.webhook_secrets('boothwyn') == ['boothwyn-hook-secret']  # within CREDENTIALS_CACHE_SECONDS
    secrets.put_webhook_secrets('boothwyn', ['rotated', 'changed'])
    assert secrets.webhook_secrets('boothwyn') == ['rotated', 'changed']


def test_a_secret_that_is_not_a_json_object_is_a_configuration_error_that_does_not_quote_it() -> None:
    aws.secretsmanager().put_secret_value(SecretId=os.environ['PHARMACY_CREDENTIALS_SECRET'], SecretString='hunter2-not-json')
    with pytest.raises(ConfigurationError) as refused:
        secrets.pharmacy_credentials('strive')
    assert 'hunter2' not in f'{refused.value} {refused.value.detail}'
    assert os.environ['PHARMACY_CREDENTIALS_SECRET'] in refused.value.detail  # operators' logs name the secret
