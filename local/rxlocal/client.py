"""A client that signs like the spec's Node example: serialise once, sign `timestamp + "." + bytes`, send those bytes."""

import json
from typing import Any

import httpx

from rx_router.signing import signature_headers


class SignedClient:
    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.api_key = api_key
        self.api_secret = api_secret

    def headers(self, body: bytes) -> dict[str, str]:
        return {'content-type': 'application/json', 'x-api-key': self.api_key, **signature_headers(self.api_secret, body)}

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body, separators=(',', ':'), ensure_ascii=False).encode()
        return self.http.post('/rx/prescriptions/submit', content=raw, headers=self.headers(raw))

    def act(self, submission_id: str, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """POST /rx/prescriptions/{id}/<action> (cancel, refill)."""
        raw = json.dumps(body, separators=(',', ':')).encode() if body is not None else b''
        return self.http.post(f'/rx/prescriptions/{submission_id}/{action}', content=raw, headers=self.headers(raw))

    def get(self, submission_id: str, view: str = '') -> httpx.Response:
        """GET /rx/prescriptions/{id}, or one of its views (`timeline`)."""
        path = f'/rx/prescriptions/{submission_id}' + (f'/{view}' if view else '')
        return self.http.get(path, headers=self.headers(b''))
