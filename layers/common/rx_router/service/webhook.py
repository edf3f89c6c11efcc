"""POST /rx/webhooks/{pharmacy}: a pharmacy's status update, applied forward-only, then a callback."""

from collections.abc import Callable
from typing import Any

from rx_router.api.endpoint import http_endpoint
from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.callbacks import jobs
from rx_router.errors import NotFound
from rx_router.observability import logger
from rx_router.pharmacies import pharmacies_on_webhook
from rx_router.store import submissions
from rx_router.store.clients import ApiClient
from rx_router.webhooks import secrets
from rx_router.webhooks.sources import PARSERS

OK = ApiResponse(200, {'ok': True})


def receive(webhook: str, request: ApiRequest) -> ApiResponse:
    secrets.verify(webhook, request.header('x-webhook-secret'))
    update = PARSERS[webhook](json_body(request.raw_body))
    record = submissions.find_by_pharmacy_order(pharmacies_on_webhook(webhook), update.order_id)
    if record is None:
        logger.warning('webhook for unknown order', extra={'webhook': webhook})
        raise NotFound('No submission has that pharmacy order id')
    change = submissions.apply_update(
        record, source=f'webhook:{webhook}', status=update.status, tracking_number=update.tracking_number, carrier=update.carrier
    )
    logger.info(
        'webhook applied',
        extra={
            'webhook': webhook,
            'submission_id': record.id,
            'reported_status': update.status,
            'from_status': change.from_status,
            'status': change.record.status,
            'moved': change.moved,
            'tracking_added': change.tracking_added,
        },
    )
    if change.moved:
        jobs.enqueue(change.record, initial=False)
    return OK


def webhook_handler(webhook: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    if webhook not in PARSERS:
        raise ValueError(f'no webhook parser for {webhook}')

    def use_case(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
        return receive(webhook, request)

    return http_endpoint(use_case, authenticate=None)  # pharmacies authenticate with their webhook secret
