"""Turns a use case `(request, client) -> ApiResponse` into a Lambda handler for an HTTP API route.

The route's authenticator is passed in, so routes without client authentication (health, pharmacy
webhooks) do not import the client store at all. The invocation's business metrics are published when it ends.
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths

from rx_router import business_metrics
from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse, error_response
from rx_router.observability import logger

if TYPE_CHECKING:
    from rx_router.store.clients import ApiClient

UseCase = Callable[[ApiRequest, 'ApiClient | None'], ApiResponse]
Authenticator = Callable[[ApiRequest], 'ApiClient']


def http_endpoint(use_case: UseCase, *, authenticate: Authenticator | None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @business_metrics.flushed
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        response: ApiResponse
        try:
            request = ApiRequest.from_event(event)
            client = None
            if authenticate is not None:
                client = authenticate(request)
                logger.thread_safe_append_keys(api_key_id=client.id)
            response = use_case(request, client)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a response in error_response
            response = error_response(exc)
        http = event.get('requestContext', {}).get('http', {})
        logger.info(
            'request',
            extra={
                'method': http.get('method'),
                'route': event.get('routeKey'),
                'status': response.status,
                'duration_ms': round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response.to_lambda()

    return handler
