import functools
import io
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from rx_router import http_clients
from rx_router.cache import TtlCache
from rx_router.callbacks import url_safety
from rx_router.service.seed import seed
from rx_router.store import clients
from rx_router.store.config import load_config
from rx_router.store.models import ALL_MODELS
from tests.fake_pharmacies import FakePharmacies
from tests.support import SEED_PARAMETERS, Credentials

WEBHOOK_SECRETS = {
    'boothwyn': ['boothwyn-hook-secret'],
    'strive': ['strive-hook-old', 'strive-hook-new'],
    'beluga': ['beluga-hook-old', 'beluga-hook-secret'],
}
# What hosts in tests resolve to: the public example.com address, or a test's own choice.
FAKE_DNS: dict[str, list[str]] = {}

PHARMACY_CREDENTIALS = {
    'boothwyn': {'api_key': 'boothwyn-functions-key'},
    'gmp': {'api_key': 'gmp-functions-key'},
    'strive': {'client_id': 'strive-client', 'client_secret': 'strive-secret'},
}


_WRITES = threading.RLock()  # re-entrant: a transaction applies its items through put_item / update_item


def _atomic(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _WRITES:
            return write(*args, **kwargs)

    return locked


@pytest.fixture(autouse=True)
def atomic_conditional_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and applies it as one step; moto does the two without a lock, so
    concurrent tests could see two conditional writes both win. Serialising moto's writes restores that; its
    reads take the same lock, since moto copies an item while another thread's write may be changing it
    (RuntimeError: dictionary changed size during iteration)."""
    for name in ('put_item', 'update_item', 'delete_item', 'transact_write_items', 'get_item', 'query', 'scan'):
        monkeypatch.setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        for model in ALL_MODELS:
            model.create_table(wait=True)
        boto3.client('secretsmanager').create_secret(
            Name=os.environ['PHARMACY_CREDENTIALS_SECRET'], SecretString=json.dumps(PHARMACY_CREDENTIALS)
        )
        boto3.client('secretsmanager').create_secret(
            Name=os.environ['WEBHOOK_SECRETS_SECRET'], SecretString=json.dumps(WEBHOOK_SECRETS)
        )
        sqs = boto3.client('sqs')
        dlq = sqs.create_queue(QueueName='test-callbacks-dlq')['QueueUrl']
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        redrive = json.dumps({'deadLetterTargetArn': dlq_arn, 'maxReceiveCount': os.environ['CALLBACK_MAX_ATTEMPTS']})
        sqs.create_queue(QueueName='test-callbacks', Attributes={'RedrivePolicy': redrive, 'VisibilityTimeout': '180'})
        seed(SEED_PARAMETERS)
        yield


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    TtlCache.clear_all()
    http_clients._clients.clear()
    yield
    TtlCache.clear_all()


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    FAKE_DNS.clear()

    def resolve(host: str, port: int) -> list[str]:
        if host in FAKE_DNS:
            return FAKE_DNS[host]
        if host == 'example.com' or host.endswith('.example.com'):
            return ['93.184.215.14']
        raise OSError('name does not resolve (tests run offline)')

    monkeypatch.setattr(url_safety, 'resolve', resolve)
    return FAKE_DNS


@pytest.fixture(autouse=True)
def pharmacies(aws: None, fresh_caches: None) -> FakePharmacies:
    """A sandbox for every seeded pharmacy, answering the router's pharmacy HTTP client."""
    config = load_config()
    fake = FakePharmacies.serving(config.pharmacies.values(), config.catalog, PHARMACY_CREDENTIALS)
    http_clients._clients['pharmacy'] = httpx.Client(transport=fake.transport())
    return fake


@pytest.fixture
def creds() -> Credentials:
    issued = clients.create_client('acme-telehealth')
    return Credentials(issued.client.api_key, issued.api_secret)


@pytest.fixture
def other_creds() -> Credentials:
    issued = clients.create_client('other-clinic')
    return Credentials(issued.client.api_key, issued.api_secret)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything the router logs during a test, rendered by the production JSON formatter."""
    from rx_router.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Moves the clock of the router's background work (reconciliation, prescription polling, the diagnosis)
    forward by that many hours. Requests signed by tests keep the real clock: the API would refuse them."""
    from rx_router import clock
    from rx_router.service import diagnosis, prescription_gate, reconcile

    real = clock.utc_now

    def move(hours: float) -> None:
        def now() -> datetime:
            return real() + timedelta(hours=hours)

        for module in (clock, reconcile, prescription_gate, diagnosis):
            monkeypatch.setattr(module, 'utc_now', now)

    return move
