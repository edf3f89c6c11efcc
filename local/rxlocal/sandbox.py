"""Sandbox pharmacies on loopback, speaking each pharmacy's native API as far as it is known
(shared/reference/pharmacy-apis.md): Boothwyn's Nucleus B2B (also GMP) and Strive / RxVortex.

They check credentials, validate the native payload (rejecting a malformed one the way the pharmacy
would), return native ids, remember orders, and send the pharmacy's status webhooks back to the router.

Triggers, in the order's note (medication.note): `sandbox:fail-500` answers HTTP 500, `sandbox:reject`
answers the pharmacy's native 4xx rejection, `sandbox:timeout` does not answer in time.
"""

import json
import logging
import re
import secrets
import socket
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger('rxlocal.sandbox')
DATE = r'^\d{4}-\d{2}-\d{2}$'
STRIVE_CATALOG = {'local-strive-semaglutide', 'local-strive-tirzepatide'}
WEBHOOK_STATUSES = {'process': 'processing', 'ship': 'shipped', 'deliver': 'delivered', 'cancel': 'cancelled'}

Text = Annotated[str, Field(min_length=1)]


class Native(BaseModel):
    model_config = ConfigDict(extra='allow')


# --- Boothwyn B2B ---------------------------------------------------------------------------------
class B2BAddress(Native):
    address1: Text
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zipCode: Annotated[str, Field(pattern=r'^\d{5}(-?\d{4})?$')]  # noqa: N815 - the native field name


class B2BPatient(Native):
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815
    email: str
    phoneNumber: Annotated[str, Field(pattern=r'^\d{10}$')]  # noqa: N815
    dateOfBirth: Annotated[str, Field(pattern=DATE)]  # noqa: N815
    gender: Literal['m', 'f']
    address: B2BAddress
    allergies: list[str]
    medications: list[str]
    conditions: list[str]


class B2BLicense(Native):
    type: Literal['npi']
    value: Annotated[str, Field(pattern=r'^\d{10}$')]


class B2BClinician(Native):
    fullName: Text  # noqa: N815
    licenses: Annotated[list[B2BLicense], Field(min_length=1)]


class B2BPrescription(Native):
    sku: Text
    amount: Annotated[float, Field(gt=0)]
    unit: Text
    daysSupply: Annotated[int, Field(gt=0)]  # noqa: N815
    instructions: Text
    notes: str | None = None

    @field_validator('sku')
    @classmethod
    def known_sku(cls, sku: str) -> str:
        if sku not in {'12565', '12850', '12832'}:
            raise ValueError('Unknown SKU')
        return sku


class B2BOrder(Native):
    caseId: Text  # noqa: N815
    orderType: Literal[1]  # noqa: N815
    shippingMethod: int  # noqa: N815
    patient: B2BPatient
    clinician: B2BClinician
    prescriptions: Annotated[list[B2BPrescription], Field(min_length=1)]


# --- Strive / RxVortex ----------------------------------------------------------------------------
Phone = Annotated[str, Field(pattern=r'^\d{3}-\d{3}-\d{4}$')]


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

    @field_validator('preset_catalog_id')
    @classmethod
    def known_catalog_item(cls, catalog_id: str) -> str:
        if catalog_id not in STRIVE_CATALOG:
            raise ValueError('The selected preset catalog id is invalid.')
        return catalog_id


class StriveOrder(Native):
    patient: StrivePatient
    prescriber: StrivePrescriber
    order: StriveOrderInfo
    shipment: StriveShipment
    medication_requests: Annotated[list[StriveMedicationRequest], Field(min_length=1, max_length=3)]


# --- the servers ----------------------------------------------------------------------------------
@dataclass
class SandboxOrder:
    order_id: str
    sender_id: str
    test: bool
    status: str = 'received'
    tracking_number: str | None = None
    received_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class Reply(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


@dataclass
class SandboxConfig:
    name: str
    kind: Literal['boothwyn_b2b', 'strive']
    credentials: dict[str, str]
    webhook_path: str
    webhook_secret: str
    timeout_seconds: float = 30.0


class SandboxPharmacy:
    def __init__(self, config: SandboxConfig, port: int = 0) -> None:
        self.config = config
        self.router_url = ''
        self.orders: dict[str, SandboxOrder] = {}
        self.tokens: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(('127.0.0.1', port), self._handler_class())
        self.server.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'

    @property
    def sandbox_url(self) -> str:
        """Strive's separate sandbox environment (test mode) is this server under /sandbox."""
        return f'{self.url}/sandbox'

    def start(self, router_url: str) -> None:
        self.router_url = router_url
        threading.Thread(target=self.server.serve_forever, name=f'sandbox-{self.config.name}', daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes; without this, Nagle + delayed ACK add ~40 ms per response.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _serve(self) -> None:
                length = int(self.headers.get('content-length') or 0)
                raw = self.rfile.read(length) if length else b''
                try:
                    status, body = sandbox.handle(self.command, urlsplit(self.path), dict(self.headers.items()), raw)
                except Reply as reply:
                    status, body = reply.status, reply.body
                if status == 0:  # sandbox:timeout - the connection is dropped without an answer
                    self.close_connection = True
                    return
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('content-type', 'application/json')
                self.send_header('content-length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # noqa: N815

        return Handler

    def handle(self, method: str, url: Any, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in headers.items()}
        path, test = url.path, url.query == 'test=true'
        if path.startswith('/sandbox/'):
            path, test = path.removeprefix('/sandbox'), True
        admin = re.fullmatch(r'/_sandbox/orders/([^/]+)/(process|ship|deliver|cancel)', path)
        if method == 'GET' and path == '/_sandbox/orders':
            return 200, [asdict(o) for o in self.orders.values()]
        if method == 'POST' and admin:
            return self.send_status_webhook(admin.group(1), admin.group(2), _json(raw) or {})
        body = _json(raw)
        if self.config.kind == 'boothwyn_b2b' and method == 'POST' and path == '/api/Prescriptions/B2B':
            return self.boothwyn_order(headers, body, test)
        if self.config.kind == 'strive' and method == 'POST' and path == '/api/v1/generate-access-token':
            return self.strive_token(body)
        if self.config.kind == 'strive' and method == 'POST' and path == '/api/v1/orders':
            return self.strive_order(headers, body, test)
        return 404, {'message': 'Not Found'}

    # Boothwyn B2B -----------------------------------------------------------------------------
    def boothwyn_order(self, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if not secrets.compare_digest(headers.get('x-functions-key', ''), self.config.credentials['api_key']):
            return 401, {'Message': 'Unauthorized', 'Success': False}
        notes = ' '.join(str(p.get('notes') or '') for p in (body or {}).get('prescriptions', []) if isinstance(p, dict))
        self.apply_triggers(notes, lambda: (400, _b2b_rejection('Order rejected by sandbox:reject')))
        try:
            order = B2BOrder.model_validate(body)
        except ValidationError as exc:
            return 400, _b2b_rejection('; '.join(f'{_loc(e)}: {e["msg"]}' for e in exc.errors()))
        with self.lock:
            self.orders[order.caseId] = SandboxOrder(order_id=order.caseId, sender_id=order.caseId, test=test)
        stamp = datetime.now(UTC).isoformat()
        return 200, {
            'Results': [{'CaseId': order.caseId, 'TimeStamp': stamp}],
            'TotalCount': 1,
            'Message': 'Created',
            'Success': True,
        }

    # Strive --------------------------------------------------------------------------------------
    def strive_token(self, body: Any) -> tuple[int, Any]:
        creds = self.config.credentials
        if (
            not isinstance(body, dict)
            or body.get('client_id') != creds['client_id']
            or body.get('client_secret') != creds['client_secret']
        ):
            return 401, {'message': 'Invalid client credentials.'}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {'access_token': token, 'token_type': 'Bearer', 'expires_in': 86400}

    def strive_order(self, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if headers.get('authorization', '').removeprefix('Bearer ') not in self.tokens:
            return 401, {'message': 'Unauthenticated.'}
        requests = (body or {}).get('medication_requests', []) if isinstance(body, dict) else []
        notes = ' '.join(str(r.get('note') or '') for r in requests if isinstance(r, dict))
        self.apply_triggers(
            notes, lambda: (422, {'message': 'The given data was invalid.', 'errors': {'sandbox': ['sandbox:reject']}})
        )
        try:
            order = StriveOrder.model_validate(body)
        except ValidationError as exc:
            errors: dict[str, list[str]] = {}
            for e in exc.errors():
                errors.setdefault(_loc(e), []).append(e['msg'])
            return 422, {'message': 'The given data was invalid.', 'errors': errors}
        sender_id = order.order.sender_order_id
        with self.lock:
            if any(o.sender_id == sender_id for o in self.orders.values()):
                return 409, {'message': 'Duplicate sender_order_id.'}
            tracking_id = f'STV-{uuid.uuid4().hex[:10].upper()}'
            self.orders[tracking_id] = SandboxOrder(order_id=tracking_id, sender_id=sender_id, test=test)
        return 201, {
            'success': True,
            'message': 'Order created',
            'order_tracking_id': tracking_id,
            'sender_order_id': sender_id,
            'status': 'Created',
        }

    # triggers and webhooks -------------------------------------------------------------------------
    def apply_triggers(self, notes: str, rejection: Any) -> None:
        if 'sandbox:fail-500' in notes:
            raise Reply(500, {'message': 'Internal Server Error'})
        if 'sandbox:reject' in notes:
            raise Reply(*rejection())
        if 'sandbox:timeout' in notes:
            self.stopping.wait(self.config.timeout_seconds)
            raise Reply(0, None)

    def send_status_webhook(self, order_id: str, action: str, options: dict[str, Any]) -> tuple[int, Any]:
        order = self.orders.get(order_id)
        if order is None:
            return 404, {'message': f'No sandbox order {order_id}'}
        status = WEBHOOK_STATUSES[action]
        tracking = options.get('trackingNumber') or order.tracking_number
        if action == 'ship' and not tracking:
            tracking = f'{secrets.randbelow(10**12):012d}'
        order.status, order.tracking_number = status, tracking
        if self.config.kind == 'boothwyn_b2b':
            payload: dict[str, Any] = {'caseId': order.order_id, 'rxStatus': status}
            if tracking:
                payload['trackingNumber'] = tracking
        else:
            payload = {'tracking_id': order.order_id, 'rxstatus': options.get('rxstatus') or status}
            if tracking:
                payload['trackingnumber'] = tracking
                payload['shippingcarrier'] = options.get('carrier') or 'UPS'
        response = httpx.post(
            self.router_url + self.config.webhook_path,
            json=payload,
            headers={'x-webhook-secret': self.config.webhook_secret},
            timeout=10,
        )
        return 200, {
            'order': asdict(order),
            'webhook': payload,
            'routerStatus': response.status_code,
            'routerBody': _json(response.content),
        }


def _b2b_rejection(message: str) -> dict[str, Any]:
    return {'Results': [], 'TotalCount': 0, 'Message': message, 'Success': False}


def _loc(error: Any) -> str:
    return '.'.join(str(p) for p in error['loc'])


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
