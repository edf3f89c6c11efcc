"""OWN: a clinic's own pharmacy built from the README's OWN contract (rx_router.pharmacy_types.own), in memory.

POST / (the instance's order_url): the order, whose Standard Webhooks signature (the instance's signing secret) it verifies first
(401 otherwise); idempotent on webhook-id (the router's submission id): a repeat answers the same order (200).
Rejections are 422 `{"error": {"code", "message", "fields"?}}`. Its events go to
/rx/webhooks/pharmacy/{pharmacyId}, signed with the instance's webhook secret (or, for an instance configured with
`webhook_auth=static_header`, the secret in that header). Admin actions: ship (options `event`: order.fulfilled or
order.out_for_delivery instead of order.shipped; `carrier`, `trackingUrl`), deliver, cancel; `badSignature`
signs with a wrong secret; POST /_sandbox/orders/{id}/replay sends the order's last event again, same webhook-id.
"""

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import Field, ValidationError

from rx_router.pharmacy_types.own import ID_HEADER, signature_headers, signing_key, verify_signature
from rxlocal.sandboxes.base import Native, Reply, Sandbox, SandboxOrder, Text, _json, location

ORDERS = '/'  # the order URL is the sandbox's root
EVENTS = {'ship': 'order.shipped', 'deliver': 'order.delivered', 'cancel': 'order.cancelled'}
SHIPPING_EVENTS = frozenset({'order.shipped', 'order.fulfilled', 'order.out_for_delivery'})
ENDED = frozenset({'order.delivered', 'order.cancelled'})
# Local-only product ids: the local instance's catalog.
LOCAL_PRODUCTS = {'semaglutide': 'OWN-SEMA-025', 'tirzepatide': 'OWN-TIRZ-010'}


class OwnPerson(Native):
    firstName: Text  # noqa: N815 - the contract's field names
    lastName: Text  # noqa: N815


class OwnPatient(OwnPerson):
    dob: Annotated[str, Field(pattern=r'^\d{4}-\d{2}-\d{2}$')]
    gender: Literal['male', 'female']
    phone: Text


class OwnShipTo(OwnPerson):
    phone: Text
    addressLine1: Text  # noqa: N815
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zip: Text


class OwnPrescriber(OwnPerson):
    npi: Annotated[str, Field(pattern=r'^\d{10}$')]


class OwnMedication(Native):
    pharmacyProductId: Text  # noqa: N815
    name: Text
    quantity: Annotated[float, Field(gt=0)]
    daysSupply: Annotated[int, Field(gt=0)]  # noqa: N815
    refills: Annotated[int, Field(ge=0)]
    sig: Text
    note: str | None = None


class OwnOrderBody(Native):
    submissionId: Text  # noqa: N815
    test: bool
    patient: OwnPatient
    shipTo: OwnShipTo  # noqa: N815
    prescriber: OwnPrescriber
    medication: OwnMedication


@dataclass
class OwnOrder(SandboxOrder):
    carrier: str | None = None
    tracking_url: str | None = None


def local_secret(seed: str) -> str:
    """A Standard Webhooks secret made from a local seed (a seed that already is one is kept)."""
    if signing_key(seed) is not None:
        return seed
    return 'whsec_' + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def error(http_status: int, code: str, message: str, /, **extra: Any) -> Reply:
    return Reply(http_status, {'error': {'code': code, 'message': message}, **extra})


class OwnSandbox(Sandbox):
    type_name = 'own'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_delivery: dict[str, tuple[bytes, dict[str, str]]] = {}  # per order: its last event as sent
        self.orders_received: list[dict[str, str]] = []  # the signature headers of every order received

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'order_url': url}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'signing_secret': local_secret(f'local-{pharmacy}-signing-secret')}

    @classmethod
    def local_webhook_secret(cls, seed: str) -> str:
        return local_secret(seed)

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance

        instance = PharmacyInstance(
            id='own-local',
            type=cls.type_name,
            label='Clinic pharmacy (local OWN)',
            settings=cls.url_settings('http://127.0.0.1:9/replaced-by-the-sandbox'),
            credentials_key='own-local',
            webhook_secret_key='own-local',  # noqa: S106 - the key of the secret, not a secret
        )
        entries = [
            CatalogEntry(pharmacy=instance.id, product=product, name=product.title(), native_id=native, match=(product,))
            for product, native in LOCAL_PRODUCTS.items()
        ]
        return [instance], entries

    # --- the pharmacy's side of the contract ------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes, *, test_environment: bool = False
    ) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in headers.items()}
        if method == 'POST' and path.startswith('/_sandbox/orders/') and path.endswith('/replay'):
            return self.replay(path.removeprefix('/_sandbox/orders/').removesuffix('/replay'))
        if method == 'POST' and path == ORDERS:
            verdict = verify_signature([self.config.credentials['signing_secret']], headers, raw)
            if not verdict.valid:
                return 401, {'error': {'code': 'invalid_signature', 'message': verdict.reason}}
            self.orders_received.append({k: v for k, v in headers.items() if k.startswith('webhook-')})
        return super().handle(method, path, query, headers, raw, test_environment=test_environment)

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if path != ORDERS:
            return 404, {'error': {'code': 'not_found', 'message': 'Not Found'}}
        if method != 'POST':
            return 405, {'error': {'code': 'method_not_allowed', 'message': 'Method Not Allowed'}}
        medication = body.get('medication') if isinstance(body, dict) else None
        notes = str(medication.get('note') or '') if isinstance(medication, dict) else ''
        self.apply_triggers(notes, (422, {'error': {'code': 'rejected', 'message': 'Order rejected by sandbox:reject'}}))
        try:
            order = OwnOrderBody.model_validate(body)
        except ValidationError as exc:
            fields: dict[str, list[str]] = {}
            for e in exc.errors():
                fields.setdefault(location(e), []).append(e['msg'])
            raise error(422, 'invalid_order', 'The order is invalid.', fields=fields) from None
        if order.medication.pharmacyProductId not in self.config.drug_ids:
            unknown = {'medication.pharmacyProductId': ['Unknown product']}
            raise error(422, 'unknown_product', 'This pharmacy has no such product.', fields=unknown)
        message_id = headers.get(ID_HEADER, '')
        with self.lock:
            existing = next((o for o in self.orders.values() if o.sender_id == message_id), None)
            if existing is not None:  # the same order again (a retry): the same pharmacy order
                return 200, {'pharmacyOrderId': existing.order_id, 'status': existing.status}
            placed = OwnOrder(order_id=f'OWN-{secrets.randbelow(10**10):010d}', sender_id=message_id, test=order.test)
            self.orders[placed.order_id] = placed
        return 201, {'pharmacyOrderId': placed.order_id, 'status': placed.status}

    # --- the pharmacy acting on an order (admin actions) -------------------------------------------------------

    def action_status(self, order: SandboxOrder, action: str, options: dict[str, Any]) -> str:
        """The event the action sends: ship may name order.fulfilled / order.out_for_delivery; no processing event."""
        if action not in EVENTS:
            raise error(409, 'no_such_event', f'OWN pharmacies send no {action} event; events: {", ".join(sorted(EVENTS))}')
        event = str(options.get('event') or EVENTS[action])
        if action == 'ship' and event not in SHIPPING_EVENTS:
            raise error(409, 'no_such_event', f'ship sends one of {", ".join(sorted(SHIPPING_EVENTS))}')
        if order.status in ENDED and event != order.status:  # the same event may be sent again
            raise error(409, 'order_closed', f'The order is {order.status}.', status=order.status)
        if isinstance(order, OwnOrder):
            order.carrier = str(options.get('carrier') or order.carrier or 'USPS')
            order.tracking_url = str(options['trackingUrl']) if options.get('trackingUrl') else order.tracking_url
        return event

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            'type': order.status,
            'pharmacyOrderId': order.order_id,
            'submissionId': order.sender_id,
            'occurredAt': datetime.now(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z'),
        }
        if order.tracking_number and isinstance(order, OwnOrder):
            url = order.tracking_url or f'https://tracking.example/{order.tracking_number}'
            payload['tracking'] = {'carrier': order.carrier, 'number': order.tracking_number, 'url': url}
        return payload

    def webhook_headers(self, body: bytes) -> dict[str, str]:
        message_id = f'msg_{secrets.token_hex(12)}'
        settings = self.config.settings
        if settings.get('webhook_auth') == 'static_header':
            return {str(settings['static_header']): self.config.webhook_secret, ID_HEADER: message_id}
        return signature_headers(self.config.webhook_secret, message_id, body)

    def post_webhook(self, body: bytes, options: dict[str, Any]) -> httpx.Response:
        headers = {'content-type': 'application/json', **self.webhook_headers(body)}
        if options.get('badSignature'):
            headers.update(signature_headers(local_secret('not-the-secret'), headers[ID_HEADER], body))
        order_id = _json(body)['pharmacyOrderId']
        self.last_delivery[order_id] = (body, headers)
        return httpx.post(self.config.webhook_url, content=body, headers=headers, timeout=10)

    def send_status_webhook(self, order_id: str, action: str, options: dict[str, Any]) -> tuple[int, Any]:
        status, answer = super().send_status_webhook(order_id, action, options)
        if order_id in self.last_delivery and isinstance(answer, dict) and 'webhook' in answer:
            answer['webhookId'] = self.last_delivery[order_id][1][ID_HEADER]
        return status, answer

    def replay(self, order_id: str) -> tuple[int, Any]:
        """The order's last event sent again as it was (same webhook-id, timestamp and signature)."""
        delivered = self.last_delivery.get(order_id)
        if delivered is None:
            return 404, {'message': f'No event sent for sandbox order {order_id}'}
        body, headers = delivered
        response = httpx.post(self.config.webhook_url, content=body, headers=headers, timeout=10)
        order = self.orders[order_id]
        return 200, {
            'order': asdict(order),
            'webhook': _json(body),
            'webhookId': headers.get(ID_HEADER),
            'routerStatus': response.status_code,
            'routerBody': _json(response.content),
        }
