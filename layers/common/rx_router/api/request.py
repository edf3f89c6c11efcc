"""The parts of an API Gateway HTTP API (payload v2) event the router uses."""

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from rx_router.errors import BadRequest, PayloadTooLarge


@dataclass(frozen=True)
class ApiRequest:
    headers: dict[str, str]
    raw_body: bytes
    path_parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> 'ApiRequest':
        body = event.get('body') or ''
        if event.get('isBase64Encoded'):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise BadRequest('Request body is not valid base64') from exc
        else:
            raw = body.encode('utf-8')
        return cls(
            headers={name.lower(): value for name, value in (event.get('headers') or {}).items()},
            raw_body=raw,
            path_parameters=event.get('pathParameters') or {},
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def json_body(raw: bytes) -> Any:
    """The decoded JSON body, after the size limit; malformed JSON is a 400."""
    from rx_router.settings import settings  # routes without a body (health) never load the settings model

    limit = settings().max_body_bytes
    if len(raw) > limit:
        raise PayloadTooLarge(f'Request body is larger than {limit} bytes')
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest('Request body is not valid JSON') from None
