"""GET /rx/health: liveness, no authentication."""

from typing import TYPE_CHECKING

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.clock import iso_timestamp

if TYPE_CHECKING:
    from rx_router.store.clients import ApiClient


def health(request: ApiRequest, client: 'ApiClient | None') -> ApiResponse:
    return ApiResponse(200, {'status': 'ok', 'service': 'pharmacy-router', 'timestamp': iso_timestamp()})
