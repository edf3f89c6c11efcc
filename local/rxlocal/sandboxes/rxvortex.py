"""Strive / RxVortex: a bearer token from POST /api/v1/generate-access-token, orders to POST /api/v1/orders;
the separate sandbox environment is this server under /sandbox; 422 `{"message", "errors"}` rejections; 409 on a
repeated sender_order_id; status webhooks `{tracking_id, rxstatus, trackingnumber?, shippingcarrier?}`."""

import re
import secrets
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from rxlocal.sandboxes.base import DATE, TEST_PREFIX, Native, Sandbox, SandboxOrder, Text, location

Phone = Annotated[str, Field(pattern=r'^\d{3}-\d{3}-\d{4}$')]
INVALID = 'The given data was invalid.'


class StriveAddress(Native):
    line1: Text
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    postal_code: Text
    country: Literal['US']


class StrivePatient(Native):
    first_name: Text
    last_name: Text
    dob: Annotated[str, Field(pattern=DATE)]
    gender: Literal['male', 'female']
    phone: Phone
    email: str
    address: StriveAddress


class StrivePrescriber(Native):
    first_name: Text
    last_name: Text
    npi: Annotated[str, Field(pattern=r'^\d{10}$')]


class StriveOrderInfo(Native):
    bill_to: Literal['practice', 'patient']
    ship_to: Literal['patient', 'practice']
    sender_order_id: Text


class StriveShipment(Native):
    recipient_first_name: Text
    recipient_last_name: Text
    recipient_phone: Phone
    address: StriveAddress


class StriveMedicationRequest(Native):
    type: Literal['new']
    preset_catalog_id: Text
    sender_med_request_id: Text
    quantity: Annotated[float, Field(gt=0)]
    quantity_units: Literal['each', 'ML', 'grams']
    days_supply_duration: Annotated[int, Field(gt=0)]
    refills: Annotated[int, Field(ge=0)]
    instructions: Text
    note: str | None = None


class StriveOrder(Native):
    patient: StrivePatient
    prescriber: StrivePrescriber
    order: StriveOrderInfo
    shipment: StriveShipment
    medication_requests: Annotated[list[StriveMedicationRequest], Field(min_length=1, max_length=3)]


class RxVortexSandbox(Sandbox):
    type_name = 'rxvortex'
    test_url_setting = 'sandbox_url'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tokens: set[str] = set()

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'base_url': url, 'sandbox_url': url + TEST_PREFIX}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'client_id': f'local-{pharmacy}-client', 'client_secret': f'local-{pharmacy}-client-secret'}

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if method == 'POST' and path == '/api/v1/generate-access-token':
            return self.token(body)
        if method == 'POST' and path == '/api/v1/orders':
            return self.order(headers, body, test)
        one = re.fullmatch(r'/api/v1/orders/([^/]+)', path)
        if one and method in ('GET', 'DELETE'):
            return self.existing(method, headers, one.group(1))
        return 404, {'message': 'Not Found'}

    def token(self, body: Any) -> tuple[int, Any]:
        creds = self.config.credentials
        if (
            not isinstance(body, dict)
            or body.get('client_id') != creds['client_id']
            or body.get('client_secret') != creds['client_secret']
        ):
            return 401, {'message': 'Invalid client credentials.'}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {'access_token': token, 'token_type': 'Bearer', 'expires_in': self.config.token_ttl_seconds}

    def order(self, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if headers.get('authorization', '').removeprefix('Bearer ') not in self.tokens:
            return 401, {'message': 'Unauthenticated.'}
        requests = body.get('medication_requests', []) if isinstance(body, dict) else []
        notes = ' '.join(str(r.get('note') or '') for r in requests if isinstance(r, dict))
        self.apply_triggers(notes, (422, {'message': INVALID, 'errors': {'sandbox': ['sandbox:reject']}}))
        try:
            order = StriveOrder.model_validate(body)
        except ValidationError as exc:
            errors: dict[str, list[str]] = {}
            for e in exc.errors():
                errors.setdefault(location(e), []).append(e['msg'])
            return 422, {'message': INVALID, 'errors': errors}
        unknown = {
            f'medication_requests.{i}.preset_catalog_id': ['The selected preset catalog id is invalid.']
            for i, r in enumerate(order.medication_requests)
            if r.preset_catalog_id not in self.config.drug_ids
        }
        if unknown:
            return 422, {'message': INVALID, 'errors': unknown}
        sender_id = order.order.sender_order_id
        with self.lock:
            if any(o.sender_id == sender_id for o in self.orders.values()):
                return 409, {'message': 'Duplicate sender_order_id.'}
            tracking_id = f'STV-ORD-{uuid.uuid4().hex[:10].upper()}'
            self.orders[tracking_id] = SandboxOrder(order_id=tracking_id, sender_id=sender_id, test=test)
        return 201, {
            'success': True,
            'message': 'Order created',
            'order_tracking_id': tracking_id,
            'sender_order_id': sender_id,
            'status': 'Created',
        }

    def existing(self, method: str, headers: dict[str, str], order_id: str) -> tuple[int, Any]:
        """GET: the order's status fields; DELETE: cancels it until it ships (409 after)."""
        if headers.get('authorization', '').removeprefix('Bearer ') not in self.tokens:
            return 401, {'message': 'Unauthenticated.'}
        with self.lock:
            order = self.orders.get(order_id) or next((o for o in self.orders.values() if o.sender_id == order_id), None)
            if order is None:
                return 404, {'message': 'Order not found.'}
            if method == 'DELETE':
                if order.status in ('shipped', 'delivered', 'cancelled'):
                    return 409, {'message': f'Order cannot be cancelled: it is {order.status}.'}
                order.status = 'cancelled'
                return 200, {'success': True, 'message': 'Order cancelled'}
        return 200, _status_fields(order)

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {'tracking_id': order.order_id, 'rxstatus': options.get('rxstatus') or order.status}
        if order.tracking_number:
            payload['trackingnumber'] = order.tracking_number
            payload['shippingcarrier'] = options.get('carrier') or 'UPS'
        return payload


_FIELDS = {  # the sandbox's status -> (rxstatus, orderstatus, shipping_status)
    'received': ('Created', 'Created', 'Pending'),
    'processing': ('Compound', 'Processing', 'Pending'),
    'shipped': ('Fulfillment Complete', 'Shipping', 'In Transit'),
    'delivered': ('Fulfillment Complete', 'Completed Orders', 'Delivered'),
    'cancelled': ('Cancelled', 'Cancelled', 'Cancelled'),
}


def _status_fields(order: SandboxOrder) -> dict[str, Any]:
    rxstatus, orderstatus, shipping = _FIELDS[order.status]
    body: dict[str, Any] = {
        'order_tracking_id': order.order_id,
        'sender_order_id': order.sender_id,
        'rxstatus': rxstatus,
        'orderstatus': orderstatus,
        'shipping_status': shipping,
        'cancellable': order.status in ('received', 'processing'),
    }
    if order.tracking_number:
        body.update(trackingnumber=order.tracking_number, shippingcarrier='UPS')
    return body
