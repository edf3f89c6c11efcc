"""Callback URL safety (SSRF). In production a callback URL must be https and every address its host
resolves to must be publicly routable: no loopback, private, link-local (169.254.169.254 included),
carrier-grade NAT, multicast, reserved or unspecified address, IPv4-mapped IPv6 included. Checked at
submit and again at send, on the resolved addresses; the sender then connects to the address it checked.
Local mode may allow loopback (and plain http to it) by configuration, and nothing else."""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from rx_router.settings import settings

Resolver = Callable[[str, int], list[str]]


class UnsafeCallbackUrl(Exception):
    """`str(exc)` is safe to return to the client: it never includes the URL."""


@dataclass(frozen=True)
class CheckedUrl:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: list[str]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


resolve: Resolver = system_resolver


def loopback_allowed() -> bool:
    return settings().callback_allow_loopback


def _address_allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split('%', 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check(url: str, *, allow_loopback: bool | None = None) -> CheckedUrl:
    allow = loopback_allowed() if allow_loopback is None else allow_loopback
    parts = urlsplit(url)
    host = parts.hostname or ''
    if parts.scheme not in ('https', 'http') or not host:
        raise UnsafeCallbackUrl('Must be an absolute https URL')
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    try:
        addresses = [host] if _is_ip(host) else resolve(host, port)
    except (OSError, UnicodeError):
        raise UnsafeCallbackUrl('Host does not resolve') from None
    if not addresses:
        raise UnsafeCallbackUrl('Host does not resolve')
    if not all(_address_allowed(a, allow) for a in addresses):
        raise UnsafeCallbackUrl('Must resolve to public internet addresses only')
    all_loopback = all(ipaddress.ip_address(a.split('%', 1)[0]).is_loopback for a in addresses)
    if parts.scheme != 'https' and not (allow and all_loopback):
        raise UnsafeCallbackUrl('Must be an https URL')
    target = (parts.path or '/') + (f'?{parts.query}' if parts.query else '')
    return CheckedUrl(scheme=parts.scheme, host=host, port=port, target=target, addresses=addresses)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
