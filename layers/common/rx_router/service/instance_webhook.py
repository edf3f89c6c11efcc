"""POST /rx/webhooks/<type's webhook>/{pharmacyId}: a webhook whose every instance has its own route and secrets
(`WebhookSpec.per_instance`, the OWN type).

The path names the instance: an unknown id, or an instance of another type, is 404. An instance without a webhook
secret refuses every request (401); otherwise its type checks the request against the instance's settings and
secrets (two during a rotation). Then as every webhook (service/webhook.py): parsed, applied forward-only to the
instance's own orders, one callback per status that moved, refusals recorded on the named order's timeline.

A delivery the sender names (Standard Webhooks' `webhook-id`) is keyed on the timeline by that id: a repeated id is
acknowledged (200) and changes nothing, not even the timeline. The stored keys are the delivery's own timeline
events (one per delivery that reached an order), so recognising replays costs no storage of its own.
"""

from collections.abc import Callable
from typing import Any

from rx_router.api.endpoint import http_endpoint
from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.business_metrics import Metric, count
from rx_router.domain.submission import Submission
from rx_router.errors import NotFound, Unauthorized
from rx_router.pharmacies.adapters import validated_settings
from rx_router.pharmacies.records import PharmacyInstance
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import PharmacyType, WebhookSpec
from rx_router.service.webhook import (
    accepted,
    apply_reports,
    body_digest,
    json_or_none,
    parse_reports,
    record_refusal,
    refusal,
    refusals_counted,
)
from rx_router.store import secrets, timeline
from rx_router.store.clients import ApiClient
from rx_router.store.config import cached_pharmacies

INVALID_SIGNATURE = 'Invalid webhook signature'


def receive(pharmacy_type: type[PharmacyType], request: ApiRequest) -> ApiResponse:
    spec = pharmacy_type.webhook
    assert spec is not None
    pharmacy_id = request.path_parameters.get('pharmacyId', '')
    instance = cached_pharmacies().pharmacies.get(pharmacy_id)
    if instance is None or instance.type != pharmacy_type.name:
        count(Metric.WEBHOOKS_REFUSED)  # for all pharmacies only: the path's id is anyone's to choose
        raise NotFound(f'No pharmacy with this id posts to /rx/webhooks/{spec.name}/')
    with refusals_counted([instance.id]):
        return accepted(_receive(pharmacy_type, spec, instance, request))


def _receive(
    pharmacy_type: type[PharmacyType], spec: WebhookSpec, instance: PharmacyInstance, request: ApiRequest
) -> list[Submission]:
    digest = body_digest(request.raw_body)
    configured = secrets.webhook_secrets(instance.webhook_secret_key) if instance.webhook_secret_key else []
    auth = None  # no secret configured: nothing is authentic (fail closed)
    if configured:
        auth = pharmacy_type.authenticate_webhook(validated_settings(instance), configured, request.headers, request.raw_body)
    if auth is None or not auth.valid:
        reason = auth.reason if auth is not None else 'no webhook secret configured'
        order_id = pharmacy_type.webhook_order_id(json_or_none(request.raw_body))
        record_refusal([instance.id], order_id, refusal(spec, reason, digest, http_status=401))
        raise Unauthorized('webhook_secret_not_configured' if auth is None else 'webhook_signature_invalid', INVALID_SIGNATURE)
    reports = parse_reports(pharmacy_type, [instance.id], json_body(request.raw_body), digest)
    if auth.event_id:
        key = f'webhook#{spec.name}#{instance.id}#{auth.event_id}'
        return apply_reports(spec, [instance.id], reports, key=key, replayed=timeline.holds)
    # a static-secret sender that names no event: identical bodies are the same event, as for other types
    return apply_reports(spec, [instance.id], reports, key=f'webhook#{spec.name}#{instance.id}#{digest}')


def instance_webhook_handler(type_name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of a pharmacy type's per-instance webhook."""
    pharmacy_type = registry.get(type_name)
    if pharmacy_type.webhook is None or not pharmacy_type.webhook.per_instance:
        raise ValueError(f'pharmacy type {type_name} has no per-instance webhook')

    def use_case(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
        return receive(pharmacy_type, request)

    return http_endpoint(use_case, authenticate=None)  # each instance's pharmacy authenticates with its own secret
