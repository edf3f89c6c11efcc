"""Posts one signed callback to the addresses the URL check approved, in their connection order, within 15 s,
never following redirects. An address that refuses the connection is followed by the next (at most
MAX_ADDRESSES); once a connection is made, its outcome is the attempt's (the receiver may have the callback)."""

import ipaddress
from dataclasses import dataclass

import httpx

from rx_router import http_clients
from rx_router.callbacks.url_safety import CheckedUrl
from rx_router.signing import signature_headers

EVENT_ID_HEADER = 'x-event-id'
MAX_ADDRESSES = 4  # each may take the connect timeout (5 s): four stay within the sender's time per attempt


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    http_status: int | None
    error: str | None


def signed_headers(secret: str, body: bytes, event_id: str, timestamp: str | None = None) -> dict[str, str]:
    return {
        'content-type': 'application/json',
        **signature_headers(secret, body, timestamp),
        EVENT_ID_HEADER: event_id,
        'user-agent': 'pharmacy-router-callbacks/1',
    }


def post(checked: CheckedUrl, body: bytes, headers: dict[str, str]) -> Attempt:
    refused: Attempt | None = None
    for address in checked.addresses[:MAX_ADDRESSES]:
        attempt = _post_to(address, checked, body, headers)
        if attempt is not None:
            return attempt
        refused = Attempt(False, None, 'connection failed (ConnectError)')
    assert refused is not None  # a checked URL has at least one address
    return refused


def _post_to(address: str, checked: CheckedUrl, body: bytes, headers: dict[str, str]) -> Attempt | None:
    """The attempt at one address; None when no connection could be made (the next address may be tried)."""
    literal = f'[{address}]' if isinstance(ipaddress.ip_address(address.split('%', 1)[0]), ipaddress.IPv6Address) else address
    default_port = 443 if checked.scheme == 'https' else 80
    host_header = checked.host if checked.port == default_port else f'{checked.host}:{checked.port}'
    extensions = {'sni_hostname': checked.host} if checked.scheme == 'https' else {}
    url = f'{checked.scheme}://{literal}:{checked.port}{checked.target}'
    try:
        response = http_clients.callbacks().post(
            url, content=body, headers={**headers, 'host': host_header}, extensions=extensions
        )
    except httpx.ConnectError:
        return None
    except httpx.ConnectTimeout:
        return None
    except httpx.TimeoutException:
        return Attempt(False, None, f'timeout after {http_clients.CALLBACK_TIMEOUT_SECONDS:.0f} s')
    except httpx.TransportError as exc:
        return Attempt(False, None, f'connection failed ({type(exc).__name__})')
    return Attempt(response.is_success, response.status_code, None if response.is_success else f'HTTP {response.status_code}')
