"""POST /rx/webhooks/beluga: Beluga Health's consult events, the prescription boundary's trigger.

Beluga's partner webhook sends `{masterId, event, ...}` with string values and documents no authentication; the
router accepts a static secret in `Authorization: Bearer <secret>` or `x-beluga-webhook-secret` (the webhook-secrets
entry `beluga`: one, or two while rotating), compared in constant time, and refuses everything when none is
configured.

- `RX_WRITTEN {medsPrescribed[{name, strength, refills, quantity, medId, rxId}]}`: the prescription is recorded as
  written (whether or not an order waits for it yet) and every submission waiting for that masterId is released
  (or held on a mismatch: service/prescription_gate.py).
- `CONSULT_CANCELED`: the submissions still waiting for it are cancelled (one already released is at its pharmacy:
  the event is recorded on its timeline, the order is cancelled through the pharmacy or not at all).
- `PHARMACY_ORDER_*` / `PACKAGE_*`: the status and tracking of the visit's orders at pharmacies in Beluga's network
  (pharmacy_types/beluga.py), forward-only as every pharmacy report; orders at other pharmacies are not Beluga's to
  report on and are never touched.
- Any other event is acknowledged and changes nothing.
"""

import hashlib
from typing import Annotated, Any

from pydantic import Field

from rx_router.api.endpoint import http_endpoint
from rx_router.api.request import ApiRequest, json_body
from rx_router.api.responses import ApiResponse
from rx_router.callbacks import jobs
from rx_router.clock import iso_timestamp
from rx_router.constant_time import matches_any
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.errors import Unauthorized, ValidationFailed
from rx_router.observability import logger
from rx_router.pharmacy_types import beluga
from rx_router.pharmacy_types.base import WebhookBody, parse_body
from rx_router.service import prescription_gate
from rx_router.service.webhook import accepted, apply_report, refusals_counted
from rx_router.store import prescription_gates, secrets, timeline
from rx_router.store.clients import ApiClient

PROVIDER = 'beluga'
# ASSUMPTION: Beluga documents no webhook authentication; its public integrations check a static secret in one of
# these two headers (shared/reference/fulfillment.md §3). Confirm with Beluga before production.
SECRET_KEY = 'beluga'  # noqa: S105 - its entry's name in the webhook-secrets document
SECRET_HEADER = 'x-beluga-webhook-secret'  # noqa: S105 - a header name
SOURCE = 'webhook:beluga'
Text = Annotated[str, Field(max_length=500)]


# ASSUMPTION: `medId` is the id a clinic orders by (Checkout Champ: SKU = Beluga medId); `sig` and `daysSupply` are
# read when present (RX_WRITTEN's documented entries have neither; the visit fetch's rxHistory has daysSupply).
class PrescribedMedication(WebhookBody):
    med_id: Annotated[str, Field(min_length=1, max_length=100, alias='medId')]
    rx_id: Text | None = Field(default=None, alias='rxId')
    name: Text | None = None
    strength: Text | None = None
    quantity: Text | None = None
    refills: Text | None = None
    days_supply: Text | None = Field(default=None, alias='daysSupply')
    sig: Annotated[str, Field(max_length=1000)] | None = None


class BelugaEvent(WebhookBody):
    master_id: Annotated[str, Field(min_length=1, max_length=100, alias='masterId')]
    event: Annotated[str, Field(min_length=1, max_length=100)]
    meds_prescribed: Annotated[list[PrescribedMedication], Field(max_length=50)] | None = Field(
        default=None, alias='medsPrescribed'
    )


def provided_secret(request: ApiRequest) -> str | None:
    bearer = request.header('authorization')
    if bearer is not None:
        scheme, _, token = bearer.strip().partition(' ')
        if scheme.lower() == 'bearer' and token.strip():
            return token.strip()
    return request.header(SECRET_HEADER)


def authenticate(request: ApiRequest) -> None:
    configured = secrets.webhook_secrets(SECRET_KEY)
    if not configured:
        raise Unauthorized('webhook_secret_not_configured', 'Invalid webhook secret')
    if not matches_any(configured, provided_secret(request) or ''):
        raise Unauthorized('webhook_secret_mismatch', 'Invalid webhook secret')


def receive(request: ApiRequest) -> ApiResponse:
    """Consult events concern no pharmacy: they are counted for all pharmacies only; pharmacy events for the
    pharmacy whose orders they named."""
    with refusals_counted([]):
        authenticate(request)
        event = parse_body(BelugaEvent, json_body(request.raw_body))
        return _event(request, event)


def _event(request: ApiRequest, event: BelugaEvent) -> ApiResponse:
    gate = prescription_gates.Gate(PROVIDER, event.master_id)
    digest = hashlib.sha256(request.raw_body).hexdigest()[:32]
    if event.event == 'RX_WRITTEN':
        return _rx_written(gate, event, digest)
    if event.event == 'CONSULT_CANCELED':
        return _consult_canceled(gate, digest)
    if beluga.is_pharmacy_event(event.event):
        return _pharmacy_event(gate, request.raw_body, digest)
    logger.info('beluga event without effect', extra={'event': event.event[:40]})
    return accepted([])


# ASSUMPTION: a later RX_WRITTEN for the same masterId is a re-send or a corrected prescription: the latest stands.
def _rx_written(gate: prescription_gates.Gate, event: BelugaEvent, digest: str) -> ApiResponse:
    if not event.meds_prescribed:
        raise ValidationFailed({'medsPrescribed': ['RX_WRITTEN must list the medications prescribed']})
    meds = [m.model_dump(by_alias=True, exclude_none=True) for m in event.meds_prescribed]
    written: dict[str, Any] = {'event': 'RX_WRITTEN', 'source': SOURCE, 'key': digest, 'receivedAt': iso_timestamp()}
    written['meds'] = meds
    prescription_gates.record_written(gate, written)
    outcomes = prescription_gate.release_waiting(gate, written, source=SOURCE)
    logger.info(
        'prescription written',
        extra={
            'provider': gate.provider,
            'waiting': len(outcomes),
            'released': sum(o.released for o in outcomes),
            'held': sum(o.held for o in outcomes),
        },
    )
    return accepted([])


def _consult_canceled(gate: prescription_gates.Gate, digest: str) -> ApiResponse:
    key = f'prescription#consult_canceled#{digest}'
    cancelled = 0
    for submission in prescription_gate.gated_submissions(gate):
        if not submission.awaits_prescription:
            event = TimelineEvent(
                iso_timestamp(),
                EventKind.PRESCRIPTION,
                SOURCE,
                detail={'event': 'CONSULT_CANCELED', 'outcome': 'already released: the pharmacy has the order'},
                key=key,
            )
            timeline.record(submission.id, event)
            continue
        report = PharmacyReport(order_id='', status=Status.CANCELLED)
        submission, change = apply_report(submission, report, source=SOURCE, key=key, kind=EventKind.PRESCRIPTION)
        if change.moved:
            cancelled += 1
            jobs.enqueue(submission)
    logger.info('consult cancelled', extra={'provider': gate.provider, 'cancelled': cancelled})
    return accepted([])


def _pharmacy_event(gate: prescription_gates.Gate, raw: bytes, digest: str) -> ApiResponse:
    report = beluga.BelugaNetwork.parse_webhook(json_body(raw))
    key = f'webhook#beluga#{digest}'
    moved = 0
    gated = prescription_gate.gated_submissions(gate)
    orders = [s for s in gated if s.pharmacy_type == beluga.NAME and s.pharmacy_order_id == gate.master_id]
    for submission in orders:
        submission, change = apply_report(submission, report, source=SOURCE, key=key)
        if change.moved:
            moved += 1
            jobs.enqueue(submission)
    logger.info('beluga pharmacy event', extra={'event': report.raw_status, 'orders': len(orders), 'moved': moved})
    return accepted(orders)


def use_case(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    return receive(request)


def webhook_handler() -> Any:
    return http_endpoint(use_case, authenticate=None)  # Beluga authenticates with its webhook secret
