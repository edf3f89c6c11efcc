"""Beluga Health's visit fetch: how a missed RX_WRITTEN is recovered.

Known (shared/reference/fulfillment.md §3, from a public client): `GET /visit/externalFetch/{masterId}` answers
`{visitStatus, resolvedStatus, rxHistory: [{rxTimestamp, name, medId, refills, quantity, strength, daysSupply, unit,
pharmacyNotes, pharmacyName, rxId}]}`, and Beluga may answer HTTP 200 with `{status: 400, error}` in the body.
ASSUMPTIONS: the API key is sent as `Authorization: Bearer <api_key>`; a non-empty `rxHistory` means the
prescription is written (each entry a medication prescribed, as RX_WRITTEN's `medsPrescribed`).

Configured by the stack parameter `BelugaApiUrl` (empty: no recovery polling) and the credentials `{"api_key"}`
under `beluga` in the pharmacy-credentials secret.
"""

from typing import Any
from urllib.parse import quote

from rx_router import http_clients
from rx_router.errors import ConfigurationError
from rx_router.pharmacy_types.http import get_json
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.settings import settings
from rx_router.store import secrets

PROVIDER = 'beluga'
CREDENTIALS_KEY = 'beluga'
LABEL = 'Beluga'
FIELDS = ('medId', 'rxId', 'name', 'strength', 'quantity', 'refills', 'daysSupply', 'sig')


def enabled() -> bool:
    return bool(settings().beluga_api_url)


def prescribed(master_id: str) -> list[dict[str, str]]:
    """The medications Beluga's visit shows prescribed (empty: none written yet), as RX_WRITTEN lists them (string
    values). Raises PharmacyFailed when Beluga does not answer usefully."""
    url = f'{str(settings().beluga_api_url).rstrip("/")}/visit/externalFetch/{quote(master_id, safe="")}'
    body = get_json(http_clients.pharmacy(), LABEL, url, {'authorization': f'Bearer {_api_key()}'})
    if not isinstance(body, dict) or (isinstance(body.get('status'), int) and body['status'] >= 400):
        raise PharmacyFailed(f'{LABEL} API refused the visit fetch', raw=body)
    history = body.get('rxHistory') or []
    if not isinstance(history, list):
        raise PharmacyFailed(f'{LABEL} API answered a visit without a readable rxHistory')
    return [_as_strings(entry) for entry in history if isinstance(entry, dict) and entry.get('medId') not in (None, '')]


def _as_strings(entry: dict[str, Any]) -> dict[str, str]:
    return {name: str(entry[name]).strip() for name in FIELDS if entry.get(name) not in (None, '')}


def _api_key() -> str:
    document = secrets.pharmacy_credentials(CREDENTIALS_KEY)
    key = document.get('api_key') if isinstance(document, dict) else None
    if not isinstance(key, str) or not key.strip():
        raise ConfigurationError(f'Beluga API credentials missing under "{CREDENTIALS_KEY}" in the credentials secret')
    return key.strip()
