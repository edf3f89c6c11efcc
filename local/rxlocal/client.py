"""A client that signs like the spec's Node example: serialise once, sign `timestamp + "." + bytes`, send those bytes."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx


def signature(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f'{timestamp}.{body}'.encode(), hashlib.sha256).hexdigest()


class SignedClient:
    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.api_key = api_key
        self.api_secret = api_secret

    def headers(self, body: str) -> dict[str, str]:
        timestamp = datetime.now(UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
        return {
            'content-type': 'application/json',
            'x-api-key': self.api_key,
            'x-timestamp': timestamp,
            'x-signature': signature(self.api_secret, timestamp, body or '{}'),
        }

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body, separators=(',', ':'), ensure_ascii=False)
        return self.http.post('/rx/prescriptions/submit', content=raw.encode(), headers=self.headers(raw))

    def get(self, submission_id: str) -> httpx.Response:
        return self.http.get(f'/rx/prescriptions/{submission_id}', headers=self.headers(''))
