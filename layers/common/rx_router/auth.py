"""Client authentication: HMAC-SHA256 over `timestamp + "." + raw body`, as the spec's Node example signs.

The body is verified exactly as received (never re-serialised); an empty body is signed as `{}`.
"""

from datetime import datetime

from rx_router.api.request import ApiRequest
from rx_router.clock import utc_now
from rx_router.constant_time import matches_any
from rx_router.errors import Unauthorized
from rx_router.settings import settings
from rx_router.signing import EMPTY_BODY, signature
from rx_router.store.clients import ApiClient, find_active_client, recheck_client


def parse_timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Unauthorized('timestamp_unparseable') from exc
    if moment.tzinfo is None:
        raise Unauthorized('timestamp_without_zone')
    return moment


def check_fresh(timestamp: str, tolerance_seconds: int, now: datetime | None = None) -> None:
    skew = abs(((now or utc_now()) - parse_timestamp(timestamp)).total_seconds())
    if skew > tolerance_seconds:
        raise Unauthorized('timestamp_outside_tolerance')


def verify_request(request: ApiRequest) -> ApiClient:
    api_key = request.header('x-api-key')
    timestamp = request.header('x-timestamp')
    provided = request.header('x-signature')
    if not (api_key and timestamp and provided):
        raise Unauthorized('missing_header')
    check_fresh(timestamp, settings().signature_tolerance_seconds)
    body = request.raw_body or EMPTY_BODY
    client = find_active_client(api_key)
    if client is None:
        raise Unauthorized('unknown_or_revoked_key')
    if _signed_by(client, timestamp, body, provided):
        return client
    # The cached record may predate a rotation: one fresh read, at most one per key and RECHECK_SECONDS.
    fresh = recheck_client(api_key)
    if fresh is not None and _signed_by(fresh, timestamp, body, provided):
        return fresh
    raise Unauthorized('signature_mismatch')


def _signed_by(client: ApiClient, timestamp: str, body: bytes, provided: str) -> bool:
    return matches_any((signature(secret, timestamp, body) for secret in client.secrets), provided.strip().lower())
