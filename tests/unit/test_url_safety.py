from collections.abc import Iterator

import pytest

from rx_router.callbacks import url_safety
from rx_router.callbacks.url_safety import UnsafeCallbackUrl, check
from rx_router.settings import settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {
        'public.example': ['93.184.215.14'],
        'mixed.example': ['93.184.215.14', '10.0.0.7'],
        'metadata.example': ['169.254.169.254'],
        'v6.example': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
        'localhost': ['127.0.0.1', '::1'],
        'dual.example': ['2606:2800:21f:cb07::1', '2606:2800:21f:cb07::2', '93.184.215.14', '93.184.215.15'],
        'v4first.example': ['93.184.215.14', '2606:2800:21f:cb07::1', '2606:2800:21f:cb07::2'],
    }

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError('unknown host')
        return table[host]

    monkeypatch.setattr(url_safety, 'resolve', resolve)
    monkeypatch.delenv('CALLBACK_ALLOW_LOOPBACK', raising=False)


def test_public_https_passes_with_resolved_addresses() -> None:
    checked = check('https://public.example/hooks/rx?x=1')
    assert checked.addresses == ['93.184.215.14']
    assert (checked.host, checked.port, checked.target) == ('public.example', 443, '/hooks/rx?x=1')
    assert check('https://v6.example:8443/').port == 8443


@pytest.mark.parametrize(
    'address',
    [
        '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
        '240.0.0.1', '255.255.255.255', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
        '::ffff:169.254.169.254', 'ff02::1', '::', '192.0.2.1', '198.18.0.1',
        # IPv6 that embeds a non-public IPv4 address (6to4, NAT64), and deprecated site-local
        '2002:c0a8:101::1', '2002:a00:1::1', '2002:a9fe:a9fe::1', '64:ff9b::a00:1', '64:ff9b::a9fe:a9fe', 'fec0::1',
        'feff::1',
    ],
)  # fmt: skip
def test_non_public_literal_addresses_are_refused(address: str) -> None:
    host = f'[{address}]' if ':' in address else address
    with pytest.raises(UnsafeCallbackUrl, match='public internet'):
        check(f'https://{host}/cb')


@pytest.mark.parametrize('host', ['mixed.example', 'metadata.example'])
def test_hostnames_are_judged_by_every_resolved_address(host: str) -> None:
    with pytest.raises(UnsafeCallbackUrl, match='public internet'):
        check(f'https://{host}/cb')


def test_http_is_refused_in_production() -> None:
    with pytest.raises(UnsafeCallbackUrl, match='https'):
        check('http://public.example/cb')


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(UnsafeCallbackUrl, match='does not resolve'):
        check('https://nowhere.example/cb')


def test_local_mode_allows_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('CALLBACK_ALLOW_LOOPBACK', 'true')
    assert check('http://127.0.0.1:8080/cb').addresses == ['127.0.0.1']
    assert check('http://localhost:8080/cb').addresses == ['127.0.0.1', '::1']
    for url in ('https://10.1.2.3/cb', 'https://[::ffff:169.254.169.254]/cb', 'http://public.example/cb'):
        with pytest.raises(UnsafeCallbackUrl):
            check(url)


def test_messages_never_contain_the_url() -> None:
    with pytest.raises(UnsafeCallbackUrl) as err:
        check('https://10.9.8.7/secret-path')
    assert '10.9.8.7' not in str(err.value) and 'secret-path' not in str(err.value)


@pytest.mark.parametrize('address', ['2002:808:808::1', '64:ff9b::808:808', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'])
def test_ipv6_embedding_a_public_ipv4_address_is_allowed(address: str) -> None:
    assert check(f'https://[{address}]/cb').addresses == [address]


def test_addresses_are_tried_in_happy_eyeballs_order() -> None:
    """The families interleaved, starting with the resolver's first choice; every one of them checked."""
    assert check('https://dual.example/').addresses == [
        '2606:2800:21f:cb07::1',
        '93.184.215.14',
        '2606:2800:21f:cb07::2',
        '93.184.215.15',
    ]
    assert check('https://v4first.example/').addresses == ['93.184.215.14', '2606:2800:21f:cb07::1', '2606:2800:21f:cb07::2']


def test_the_system_resolver_keeps_the_resolver_order(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [
        (10, 1, 6, '', ('2606:2800::1', 443, 0, 0)),
        (2, 1, 6, '', ('93.184.215.14', 443)),
        (10, 1, 6, '', ('2606:2800::1', 443, 0, 0)),
    ]
    monkeypatch.setattr(url_safety.socket, 'getaddrinfo', lambda *args, **kwargs: answers)
    assert url_safety.system_resolver('dual.example', 443) == ['2606:2800::1', '93.184.215.14']
