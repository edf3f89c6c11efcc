"""In-memory pharmacy APIs behind httpx.MockTransport: Boothwyn/GMP B2B and Strive with its token endpoint.

Each records what it received, and can be told to fail in the ways real pharmacies do.
"""

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakePharmacies:
    calls: list[Call] = field(default_factory=list)
    fail_with: int | None = None
    timeout: bool = False
    strive_token_ttl: int = 86_400
    on_order: Any = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def orders(self) -> list[Call]:
        return [c for c in self.calls if 'generate-access-token' not in c.url]

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if 'generate-access-token' in c.url]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append(Call(request.method, str(request.url), dict(request.headers), body))
        if request.url.path.endswith('/generate-access-token'):
            return httpx.Response(
                200, json={'access_token': f'tok-{next(self._ids)}', 'token_type': 'Bearer', 'expires_in': self.strive_token_ttl}
            )
        if self.on_order:
            self.on_order(request)
        if self.timeout:
            raise httpx.ReadTimeout('timed out', request=request)
        if self.fail_with:
            return httpx.Response(self.fail_with, json={'message': 'failure', 'access_token': 'leaked-token'})
        if request.url.path.endswith('/api/Prescriptions/B2B'):
            return httpx.Response(
                200,
                json={
                    'Results': [{'CaseId': body['caseId'], 'TimeStamp': '2026-03-19T14:30:00Z'}],
                    'TotalCount': 1,
                    'Message': 'OK',
                    'Success': True,
                },
            )
        if request.url.path.endswith('/api/v1/orders'):
            return httpx.Response(
                201,
                json={
                    'success': True,
                    'message': 'Created',
                    'order_tracking_id': f'STV-ORD-{next(self._ids)}',
                    'sender_order_id': body['order']['sender_order_id'],
                    'status': 'Created',
                },
            )
        return httpx.Response(404, json={'message': 'not found'})
