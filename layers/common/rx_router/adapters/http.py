"""The pharmacy HTTP client (one per container, explicit timeouts, no redirects) and its error mapping."""

from typing import Any

import httpx

from rx_router.adapters.outcomes import PharmacyFailed
from rx_router.settings import settings

_client: httpx.Client | None = None


def http_client() -> httpx.Client:
    global _client
    if _client is None:
        timeout = settings().pharmacy_timeout_seconds
        _client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)), follow_redirects=False)
    return _client


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def post_json(client: httpx.Client, label: str, url: str, body: Any, headers: dict[str, str]) -> tuple[httpx.Response, Any]:
    """POSTs JSON; returns (response, parsed body) for 2xx, raises PharmacyFailed otherwise."""
    try:
        response = client.post(url, json=body, headers=headers)
    except httpx.TimeoutException:
        raise PharmacyFailed(
            f'{label} API timeout: the pharmacy may have received the order; check with the pharmacy before resubmitting'
        ) from None
    except httpx.ConnectError:
        raise PharmacyFailed(f'{label} API unreachable: the order was not sent') from None
    except httpx.TransportError:
        raise PharmacyFailed(
            f'{label} API connection failed mid-request: the pharmacy may have received the order; check before resubmitting'
        ) from None
    parsed = _json_or_none(response)
    if response.is_error or response.is_redirect:
        raise PharmacyFailed(
            f'{label} API error {response.status_code}: {response.reason_phrase}',
            raw=parsed,
            http_status=response.status_code,
        )
    if parsed is None:
        raise PharmacyFailed(
            f'{label} API answered HTTP {response.status_code} without a JSON body: the pharmacy may have received the order'
        )
    return response, parsed
