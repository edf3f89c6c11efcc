"""Callback URL safety (SSRF). In production a callback URL must be https and every address its host
resolves to must be publicly routable: no loopback, private, link-local (169.254.169.254 included),
carrier-grade NAT, multicast, reserved, unspecified or site-local address, and no IPv6 address that embeds a
non-public IPv4 one (IPv4-mapped, 6to4, NAT64). Checked at submit and again at send, on the resolved addresses;
the sender then connects only to the addresses it checked, in connection order (IPv6 and IPv4 interleaved).
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
    addresses: list[str]  # every one checked, in connection order


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses in the resolver's order (RFC 6724 preference), each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connection_order(addresses: list[str]) -> list[str]:
    """Happy-eyeballs order (RFC 8305): the families interleaved, starting with the first address's."""
    v6 = [a for a in addresses if ':' in a]
    v4 = [a for a in addresses if ':' not in a]
    first, second = (v6, v4) if addresses and ':' in addresses[0] else (v4, v6)
    ordered = []
    for index in range(max(len(first), len(second))):
        ordered += [family[index] for family in (first, second) if index < len(family)]
    return ordered


resolve: Resolver = system_resolver


def loopback_allowed() -> bool:
    return settings().callback_allow_loopback


_NAT64 = ipaddress.ip_network('64:ff9b::/96')  # the well-known prefix: the last 32 bits are an IPv4 address


def _address_allowed(address: str, allow_loopback: bool) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split('%', 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:  # fec0::/10, deprecated, and is_global does not know it
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            ip = embedded
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
    return CheckedUrl(scheme=parts.scheme, host=host, port=port, target=target, addresses=connection_order(addresses))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
