"""The local stack's sandbox pharmacies (rxlocal.sandboxes, one per pharmacy type) behind httpx.MockTransport,
one per configured instance, found by the URL a request goes to. Records every call, and can be told to fail
the ways real pharmacies do (the sandboxes validate and answer like the pharmacies otherwise)."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rxlocal import sandboxes
from rxlocal.sandboxes.base import TIMEOUT


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str]
    body: Any


@dataclass
class Mount:
    prefix: str
    sandbox: sandboxes.Sandbox
    test_environment: bool


@dataclass
class FakePharmacies:
    calls: list[Call] = field(default_factory=list)
    fail_with: int | None = None
    timeout: bool = False
    on_order: Callable[[httpx.Request], None] | None = None
    mounts: list[Mount] = field(default_factory=list)
    by_pharmacy: dict[str, sandboxes.Sandbox] = field(default_factory=dict)

    @classmethod
    def serving(
        cls,
        instances: Iterable[PharmacyInstance],
        catalog: Iterable[CatalogEntry],
        credentials: dict[str, dict[str, str]],
        token_ttl_seconds: int = 86_400,
    ) -> 'FakePharmacies':
        fake = cls()
        entries = list(catalog)
        for instance in instances:
            fake.add(instance, entries, credentials[instance.credentials_key], token_ttl_seconds)
        return fake

    def add(
        self, instance: PharmacyInstance, catalog: list[CatalogEntry], credentials: dict[str, str], token_ttl_seconds: int
    ) -> None:
        kind = sandboxes.TYPES[instance.type]
        sandbox = kind(
            sandboxes.SandboxConfig(
                pharmacy=instance.id,
                credentials=credentials,
                drug_ids=frozenset(e.native_id for e in catalog if e.pharmacy == instance.id),
                token_ttl_seconds=token_ttl_seconds,
                settings=dict(instance.settings),
            )
        )
        self.by_pharmacy[instance.id] = sandbox
        for name, value in instance.settings.items():
            if isinstance(value, str) and value.startswith(('http://', 'https://')):
                self.mounts.append(Mount(value.rstrip('/'), sandbox, name == kind.test_url_setting))
        self.mounts.sort(key=lambda m: -len(m.prefix))  # the most specific URL first

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def orders(self) -> list[Call]:
        return [c for c in self.calls if 'generate-access-token' not in c.url]

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if 'generate-access-token' in c.url]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, str(request.url), dict(request.headers), body))
        url = str(request.url.copy_with(query=None))
        mount = next((m for m in self.mounts if url == m.prefix or url.startswith(m.prefix + '/')), None)
        if mount is None:
            return httpx.Response(404, json={'message': 'no fake pharmacy at this URL'})
        path = url.removeprefix(mount.prefix) or '/'
        if not path.endswith('/generate-access-token'):
            if self.on_order:
                self.on_order(request)
            if self.timeout:
                raise httpx.ReadTimeout('timed out', request=request)
            if self.fail_with:
                return httpx.Response(self.fail_with, json={'message': 'failure', 'access_token': 'leaked-token'})
        status, answer = mount.sandbox.handle(
            request.method,
            path,
            request.url.query.decode(),
            dict(request.headers),
            request.content,
            test_environment=mount.test_environment,
        )
        if status == TIMEOUT:
            raise httpx.ReadTimeout('the sandbox did not answer', request=request)
        return httpx.Response(status, json=answer)
