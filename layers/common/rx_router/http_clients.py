"""The one httpx client factory: explicit timeouts, redirects never followed, one pooled client per purpose
and container."""

import hashlib
import ssl

import httpx

from rx_router.settings import settings

CALLBACK_TIMEOUT_SECONDS = 15.0
CALLBACK_CONNECT_SECONDS = 5.0
PHARMACY_CONNECT_SECONDS = 3.0

_clients: dict[str, httpx.Client] = {}


class InvalidCaCertificate(ValueError):
    """A PEM to trust that holds no loadable CA certificate."""


def build(timeout: float, connect: float, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, connect)), follow_redirects=False, verify=verify)


def trusting(ca_pem: str) -> ssl.SSLContext:
    """A TLS context that trusts the CA certificate(s) in `ca_pem` and nothing else; the chain and the host name
    are verified as always. Raises InvalidCaCertificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname; no CA loaded yet
    try:
        context.load_verify_locations(cadata=ca_pem if ca_pem.strip() else None)
    except (ssl.SSLError, ValueError, TypeError):
        raise InvalidCaCertificate('not a PEM CA certificate that can be loaded') from None
    return context


def pharmacy() -> httpx.Client:
    """For pharmacy APIs: PHARMACY_TIMEOUT_SECONDS per read, at most 3 s to connect."""
    client = _clients.get('pharmacy')
    if client is None:
        client = _clients['pharmacy'] = build(settings().pharmacy_timeout_seconds, PHARMACY_CONNECT_SECONDS)
    return client


def pharmacy_trusting(ca_pem: str) -> httpx.Client:
    """As pharmacy(), for a pharmacy API whose certificate chains to `ca_pem` (PEM): one client per distinct PEM.
    Raises InvalidCaCertificate."""
    key = 'pharmacy:' + hashlib.sha256(ca_pem.encode()).hexdigest()
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = build(settings().pharmacy_timeout_seconds, PHARMACY_CONNECT_SECONDS, trusting(ca_pem))
    return client


def callbacks() -> httpx.Client:
    """For client callbacks: a 2xx within 15 s is a delivery."""
    client = _clients.get('callbacks')
    if client is None:
        client = _clients['callbacks'] = build(CALLBACK_TIMEOUT_SECONDS, CALLBACK_CONNECT_SECONDS)
    return client
