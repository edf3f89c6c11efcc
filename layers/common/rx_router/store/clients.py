"""API clients: a public key, up to two active secrets (rotation without downtime), revocable."""

import secrets as random
import uuid
from dataclasses import dataclass
from typing import Any

from rx_router.cache import TtlCache
from rx_router.clock import iso_timestamp
from rx_router.errors import Conflict, NotFound
from rx_router.settings import settings
from rx_router.store import table
from rx_router.store.models import ApiClientModel

MAX_ACTIVE_SECRETS = 2


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    api_key: str
    secrets: list[str]

    @property
    def signing_secret(self) -> str:
        """The newest secret: the one the router signs callbacks with."""
        return self.secrets[0]


@dataclass(frozen=True)
class IssuedCredentials:
    client: ApiClient
    api_secret: str


_cache: TtlCache[str, ApiClient | None] = TtlCache(lambda: settings().api_client_cache_seconds)
# A key that is unknown or revoked is remembered briefly too, so requests with it cannot each cost a read.
UNKNOWN_KEY_SECONDS = 5
# At most one fresh read per key and second per container when a signature does not match the cached record.
RECHECK_SECONDS = 1
_rechecked: TtlCache[str, bool] = TtlCache(lambda: RECHECK_SECONDS)


def _secrets(item: ApiClientModel) -> list[str]:
    # pynamodb types a ListAttribute of UnicodeAttribute as a list of attributes; its values are strings.
    return [str(secret) for secret in item.secrets]


def _to_client(item: ApiClientModel) -> ApiClient:
    return ApiClient(id=item.client_id, name=item.name, api_key=item.api_key, secrets=_secrets(item))


def find_active_client(api_key: str) -> ApiClient | None:
    """Active client for a key, cached per container for API_CLIENT_CACHE_SECONDS (an unknown or revoked key
    for UNKNOWN_KEY_SECONDS)."""
    found = _cache.peek_entry(api_key)
    if found is not None:
        return found[0]
    return read_active_client(api_key)


def read_active_client(api_key: str) -> ApiClient | None:
    """The client as stored now (a consistent read), which the cache then keeps."""
    item = table.get(ApiClientModel, {'api_key': api_key}, consistent=True)
    if item is None or not item.active or not item.secrets:
        _cache.put(api_key, None, ttl=UNKNOWN_KEY_SECONDS)
        return None
    client = _to_client(item)
    _cache.put(api_key, client)
    return client


def recheck_client(api_key: str) -> ApiClient | None:
    """After a signature failed against the cached record: the stored record, read fresh at most once per key
    and RECHECK_SECONDS (so a secret rotated a moment ago is accepted at once); None when no fresh read is due."""
    if _rechecked.peek(api_key):
        return None
    _rechecked.put(api_key, True)
    return read_active_client(api_key)


def create_client(name: str) -> IssuedCredentials:
    return _put_client(name, api_key=f'rxk_{random.token_urlsafe(18)}', secret=random.token_urlsafe(32))


def ensure_client(name: str, *, api_key: str, api_secret: str) -> None:
    """Creates a client with given credentials unless the key exists (local demo client)."""
    try:
        _put_client(name, api_key=api_key, secret=api_secret)
    except table.ConditionFailed:
        pass


def _put_client(name: str, *, api_key: str, secret: str) -> IssuedCredentials:
    now = iso_timestamp()
    item = ApiClientModel(
        api_key=api_key,
        client_id=str(uuid.uuid4()),
        name=name,
        secrets=[secret],
        active=True,
        created_at=now,
        updated_at=now,
    )
    table.put(item, table.missing(ApiClientModel.api_key))
    return IssuedCredentials(_to_client(item), secret)


def _get(api_key: str) -> ApiClientModel:
    item = table.get(ApiClientModel, {'api_key': api_key})
    if item is None:
        raise NotFound('No API client with that key')
    return item


def _change(item: ApiClientModel, changes: dict[str, Any]) -> None:
    """Sets attributes of the client as read; refused if another operator changed it meanwhile."""
    try:
        table.update(
            ApiClientModel,
            {'api_key': item.api_key},
            set_values={**changes, 'updated_at': iso_timestamp()},
            condition=table.equals(ApiClientModel.updated_at, item.updated_at),
        )
    except table.ConditionFailed:
        raise Conflict('the API client changed while this ran; run the command again') from None


def rotate_secret(api_key: str) -> IssuedCredentials:
    """Adds a new secret; the previous one stays valid until the next rotation retires it."""
    item = _get(api_key)
    secret = random.token_urlsafe(32)
    secrets = [secret, *_secrets(item)][:MAX_ACTIVE_SECRETS]
    _change(item, {'secrets': secrets})
    item.secrets = secrets  # type: ignore[assignment]
    return IssuedCredentials(_to_client(item), secret)


def revoke(api_key: str) -> None:
    _change(_get(api_key), {'active': False})
    _cache.pop(api_key)


def list_clients() -> list[ApiClientModel]:
    return list(table.scan(ApiClientModel))
