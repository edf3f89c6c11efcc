"""The container's one botocore session and the router's AWS clients on it.

A client in a new session costs 60-75 ms to build, another client in the same session about 5 ms, so every
AWS call the router makes goes through these three. Handlers build them at init (`connect()` at import);
building reads configuration and the credentials in the environment and touches no network. Region, endpoint
(AWS_ENDPOINT_URL) and credentials come from the environment as botocore reads them.

A fixed User-Agent spares botocore rebuilding the header on every call.
"""

from typing import Any, NamedTuple

import botocore.session
from botocore.config import Config

USER_AGENT = 'pharmacy-router/1'
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 4  # the first and three retries, in botocore's standard mode (throttling, 5xx, transient errors)


class Clients(NamedTuple):
    dynamodb: Any
    sqs: Any
    secretsmanager: Any


_connected: list[Clients] = []


def _config(*, validate: bool) -> Config:
    return Config(
        user_agent=USER_AGENT,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={'total_max_attempts': MAX_ATTEMPTS, 'mode': 'standard'},
        parameter_validation=validate,
    )


def connect() -> Clients:
    """The clients, built on first use (handlers call this at import)."""
    if not _connected:
        session = botocore.session.get_session()
        _connected.append(
            Clients(
                # Requests to DynamoDB are built by rx_router.store.table from the pynamodb models: no need to
                # validate them against the service model on every call.
                dynamodb=session.create_client('dynamodb', config=_config(validate=False)),
                sqs=session.create_client('sqs', config=_config(validate=True)),
                secretsmanager=session.create_client('secretsmanager', config=_config(validate=True)),
            )
        )
    return _connected[0]


def reset() -> None:
    """Forgets the clients, so the next call builds them from the environment as it is now (the CLI after it
    points the environment at a stack; tests)."""
    _connected.clear()


def dynamodb() -> Any:
    return connect().dynamodb


def sqs() -> Any:
    return connect().sqs


def secretsmanager() -> Any:
    return connect().secretsmanager
