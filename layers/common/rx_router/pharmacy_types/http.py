"""Calling a pharmacy API over HTTP: one POST, and what each way of failing means for the order.

httpx is imported when a pharmacy is first called, so a webhook function (which parses with the same type
modules) never loads it."""

from typing import TYPE_CHECKING, Any

from rx_router.pharmacy_types.outcomes import PharmacyFailed

if TYPE_CHECKING:
    import httpx


def _json_or_none(response: 'httpx.Response') -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def post_json(
    client: 'httpx.Client', label: str, url: str, body: Any, headers: dict[str, str], *, content: bytes | None = None
) -> Any:
    """POSTs JSON (`body`, or `content` already encoded, e.g. because it is signed); returns the parsed body of a
    2xx answer, raises PharmacyFailed otherwise."""
    return request_json(client, label, 'POST', url, headers, body=body, content=content)


def request_json(
    client: 'httpx.Client',
    label: str,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    body: Any = None,
    content: bytes | None = None,
) -> Any:
    """A request that may change the order (JSON body when given, or `content` as it is); the parsed body of a
    2xx answer, PharmacyFailed otherwise, saying when the pharmacy may have acted on it."""
    import httpx

    try:
        if content is None:
            response = client.request(method, url, json=body, headers=headers)
        else:
            response = client.request(method, url, content=content, headers=headers)
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
    return _answer(label, response, ': the pharmacy may have received the order')


def get_json(client: 'httpx.Client', label: str, url: str, headers: dict[str, str]) -> Any:
    """GETs JSON (a read: nothing at the pharmacy changes, so any failure is safe to retry); returns the parsed
    body of a 2xx answer, raises PharmacyFailed otherwise."""
    import httpx

    try:
        response = client.get(url, headers=headers)
    except httpx.TimeoutException:
        raise PharmacyFailed(f'{label} API timeout while reading the order') from None
    except httpx.TransportError:
        raise PharmacyFailed(f'{label} API unreachable while reading the order') from None
    return _answer(label, response)


def _answer(label: str, response: 'httpx.Response', no_json_means: str = '') -> Any:
    parsed = _json_or_none(response)
    if response.is_error or response.is_redirect:
        raise PharmacyFailed(
            f'{label} API error {response.status_code}: {response.reason_phrase}', raw=parsed, http_status=response.status_code
        )
    if parsed is None:
        raise PharmacyFailed(f'{label} API answered HTTP {response.status_code} without a JSON body{no_json_means}')
    return parsed
