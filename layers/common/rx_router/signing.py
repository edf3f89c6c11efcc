"""HMAC-SHA256 over `timestamp + "." + body`, lowercase hex: the spec's signature, for requests and callbacks.

Pure functions, used by client authentication, callback delivery, the rxrouter client and the local stack.
"""

import hashlib
import hmac

from rx_router.clock import iso_timestamp

# A GET carries no body; the spec signs it as `{}`.
EMPTY_BODY = b'{}'


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode('utf-8'), timestamp.encode('utf-8') + b'.' + body, hashlib.sha256).hexdigest()


def signature_headers(secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """`x-timestamp` (now, as JavaScript's toISOString writes it) and `x-signature` over exactly `body`."""
    timestamp = timestamp or iso_timestamp()
    return {'x-timestamp': timestamp, 'x-signature': signature(secret, timestamp, body or EMPTY_BODY)}
