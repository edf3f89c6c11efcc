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


# Deeper than any body the router accepts needs (a submission is 4 levels deep, a LifeFile Data Push 3); checked
# before anything walks the document, so no later code can recurse on a hostile body.
MAX_DEPTH = 32
_BOM = b'\xef\xbb\xbf'


def json_body(raw: bytes) -> Any:
    """The decoded JSON body, after the size limit. The body must be JSON (RFC 8259) in UTF-8 without a byte-order
    mark, at most MAX_DEPTH levels deep, without NaN / Infinity and without lone surrogates; anything else is a
    400 saying which. (The Content-Type header is not consulted: the body is always read as that.)"""
    from rx_router.settings import settings  # routes without a body (health) never load the settings model

    limit = settings().max_body_bytes
    if len(raw) > limit:
        raise PayloadTooLarge(f'Request body is larger than {limit} bytes')
    if raw.startswith(_BOM):
        raise BadRequest('Request body must be UTF-8 JSON without a byte-order mark')
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest('Request body must be UTF-8 encoded JSON') from None
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest(f'Request body is nested more than {MAX_DEPTH} levels deep') from None
    except ValueError:
        raise BadRequest('Request body is not valid JSON') from None
    _check_shape(document)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f'{name} is not JSON')


def _check_shape(document: Any) -> None:
    """Depth and text, without recursion (a deep document must not exhaust the stack here either)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _utf8(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BadRequest(f'Request body is nested more than {MAX_DEPTH} levels deep')
            if isinstance(value, dict):
                for key, item in value.items():
                    _utf8(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _utf8(text: str) -> None:
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:  # a lone surrogate escape (e.g. "\ud800"): no text can be stored or signed with it
        raise BadRequest('Request body contains an invalid \\u escape (a lone surrogate)') from None
