"""The one httpx client factory: explicit timeouts, redirects never followed, one pooled client per purpose
and container."""

import httpx

from rx_router.settings import settings

CALLBACK_TIMEOUT_SECONDS = 15.0
CALLBACK_CONNECT_SECONDS = 5.0
PHARMACY_CONNECT_SECONDS = 3.0

_clients: dict[str, httpx.Client] = {}


def build(timeout: float, connect: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, connect)), follow_redirects=False)


def pharmacy() -> httpx.Client:
    """For pharmacy APIs: PHARMACY_TIMEOUT_SECONDS per read, at most 3 s to connect."""
    client = _clients.get('pharmacy')
    if client is None:
        client = _clients['pharmacy'] = build(settings().pharmacy_timeout_seconds, PHARMACY_CONNECT_SECONDS)
    return client


def callbacks() -> httpx.Client:
    """For client callbacks: a 2xx within 15 s is a delivery."""
    client = _clients.get('callbacks')
    if client is None:
        client = _clients['callbacks'] = build(CALLBACK_TIMEOUT_SECONDS, CALLBACK_CONNECT_SECONDS)
    return client
