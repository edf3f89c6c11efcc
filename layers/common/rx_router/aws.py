"""The container's one botocore session and the router's AWS clients on it.

A client in a new session costs 60-75 ms to build, another client in the same session about 5 ms, so every
AWS call the router makes goes through `client(service)`. Each function builds the clients it uses at init
(rx_router.lifecycle); building reads configuration and the credentials in the environment and touches no
network. Region, endpoint (AWS_ENDPOINT_URL) and credentials come from the environment as botocore reads them.

A fixed User-Agent spares botocore rebuilding the header on every call.
"""

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

USER_AGENT = 'pharmacy-router/1'
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 4  # the first and three retries, in botocore's standard mode (throttling, 5xx, transient errors)
# Requests to DynamoDB are built by rx_router.store.table from the pynamodb models: no need to validate them
# against the service model on every call.
_UNVALIDATED = frozenset({'dynamodb'})


@cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def client(service: str) -> Any:
    config = Config(
        user_agent=USER_AGENT,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={'total_max_attempts': MAX_ATTEMPTS, 'mode': 'standard'},
        parameter_validation=service not in _UNVALIDATED,
    )
    return session().create_client(service, config=config)


def reset() -> None:
    """Forgets the session and its clients, so the next call builds them from the environment as it is now (the
    CLI after it points the environment at a stack; tests)."""
    client.cache_clear()
    session.cache_clear()


def dynamodb() -> Any:
    return client('dynamodb')


def sqs() -> Any:
    return client('sqs')


def secretsmanager() -> Any:
    return client('secretsmanager')
