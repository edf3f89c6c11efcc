"""DispensePro: the minimal contract rx_router.pharmacy_types.dispensepro proposes (none of it is public), in memory.

`authorization: Bearer <api_key>` and `x-site-id`; POST /api/v1/orders (idempotent on externalId), GET
/api/v1/orders/{id}, POST …/{id}/refill (a new order for the same prescription while refills are left), POST
…/{id}/void (only before filled); the test environment is this server under /sandbox. Rejections are 422
`{"error": {"code", "message", "fields"?}}`, conflicts 409 with the order's status. Orders move authorized →
submitted → filled → shipped → delivered; status webhooks `{orderId, externalId, status, trackingNumber?,
carrier?, occurredAt}`."""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from rxlocal.sandboxes.base import TEST_PREFIX, Native, Reply, Sandbox, SandboxOrder, Text, location

ORDERS = '/api/v1/orders'
NO_REFILLS_LEFT = 'no_refills_remaining'
NOT_REFILLABLE = 'not_refillable'
# The order's progress; voided and failed end it.
PROGRESS = ('authorized', 'submitted', 'filled', 'shipped', 'delivered')
VOIDABLE = frozenset({'authorized', 'submitted'})
REFILLABLE = frozenset({'filled', 'shipped', 'delivered'})
ENDED = frozenset({'delivered', 'voided', 'failed'})
# Admin actions: process fills the order (or moves it to the status the options name), cancel voids it.
ACTIONS = {'process': 'filled', 'ship': 'shipped', 'deliver': 'delivered', 'cancel': 'voided'}
# Local-only NDC-like ids (labeler 99999 is not a real one): the local instance's catalog.
LOCAL_NDC = {'semaglutide': '99999-0250-01', 'tirzepatide': '99999-0100-01'}

Digits10 = Annotated[str, Field(pattern=r'^\d{10}$')]


class DPPatient(Native):
    firstName: Text  # noqa: N815 - the native field names
    lastName: Text  # noqa: N815
    dob: Annotated[str, Field(pattern=r'^\d{8}$')]  # MMDDYYYY
    gender: Literal['male', 'female']
    homePhone: Digits10  # noqa: N815


class DPPrescriber(Native):
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815
    npi: Digits10


class DPShipTo(Native):
    firstName: Text  # noqa: N815
    lastName: Text  # noqa: N815
    phone: Digits10
    address: Text
    city: Text
    state: Annotated[str, Field(pattern=r'^[A-Z]{2}$')]
    zip: Annotated[str, Field(pattern=r'^\d{5}(-?\d{4})?$')]


class DPLine(Native):
    lineId: Text  # noqa: N815
    ndc: Text
    qty: Annotated[float, Field(gt=0)]
    refills: Annotated[int, Field(ge=0)]
    sig: Text
    daysSupply: Annotated[int, Field(gt=0)]  # noqa: N815
    note: str | None = None


class DPOrder(Native):
    externalId: Text  # noqa: N815
    patient: DPPatient
    prescriber: DPPrescriber
    shipTo: DPShipTo  # noqa: N815
    lines: Annotated[list[DPLine], Field(min_length=1, max_length=10)]


@dataclass
class Prescription:
    prescription_id: str
    refills_authorized: int
    refills_used: int = 0

    @property
    def refills_left(self) -> int:
        return self.refills_authorized - self.refills_used


@dataclass
class DispenseProOrder(SandboxOrder):
    prescription_id: str = ''
    refill_of: str | None = None
    carrier: str | None = None


def error(http_status: int, code: str, message: str, /, **extra: Any) -> Reply:
    return Reply(http_status, {'error': {'code': code, 'message': message}, **extra})


def native_id(prefix: str) -> str:
    return f'{prefix}-{secrets.randbelow(10**10):010d}'


class DispenseProSandbox(Sandbox):
    type_name = 'dispensepro'
    test_url_setting = 'sandbox_url'

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prescriptions: dict[str, Prescription] = {}

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'base_url': url, 'sandbox_url': url + TEST_PREFIX}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'site_id': '00001', 'api_key': f'local-{pharmacy}-api-key'}

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance

        instance = PharmacyInstance(
            id='dispensepro-local',
            type=cls.type_name,
            label='DispensePro (local)',
            settings=cls.url_settings('http://127.0.0.1:9/replaced-by-the-sandbox'),
            credentials_key='dispensepro-local',
            webhook_secret_key='dispensepro',  # noqa: S106 - the key of the secret, not a secret
        )
        entries = [
            CatalogEntry(pharmacy=instance.id, product=product, name=product.title(), native_id=ndc, match=(product,))
            for product, ndc in LOCAL_NDC.items()
        ]
        return [instance], entries

    # --- the API ---------------------------------------------------------------------------------------------

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if not path.startswith(ORDERS):
            return 404, {'error': {'code': 'not_found', 'message': 'Not Found'}}
        self.authenticate(headers)
        if method == 'POST' and path == ORDERS:
            return self.create(body, test)
        found = re.fullmatch(ORDERS + r'/([^/]+)(?:/(refill|void))?', path)
        if found is None:
            return 404, {'error': {'code': 'not_found', 'message': 'Not Found'}}
        order = self.order(found.group(1), test)
        action = found.group(2)
        if method == 'GET' and action is None:
            return 200, self.view(order)
        if method == 'POST' and action == 'refill':
            return self.refill(order, body)
        if method == 'POST' and action == 'void':
            return self.void(order)
        return 405, {'error': {'code': 'method_not_allowed', 'message': 'Method Not Allowed'}}

    def authenticate(self, headers: dict[str, str]) -> None:
        creds = self.config.credentials
        key = headers.get('authorization', '').removeprefix('Bearer ')
        site_ok = secrets.compare_digest(headers.get('x-site-id', ''), creds['site_id'])
        if not (secrets.compare_digest(key, creds['api_key']) and site_ok):
            raise error(401, 'unauthorized', 'Invalid site id or API key.')

    def create(self, body: Any, test: bool) -> tuple[int, Any]:
        lines = body.get('lines', []) if isinstance(body, dict) else []
        notes = ' '.join(str(line.get('note') or '') for line in lines if isinstance(line, dict))
        self.apply_triggers(notes, (422, {'error': {'code': 'rejected', 'message': 'Order rejected by sandbox:reject'}}))
        try:
            native = DPOrder.model_validate(body)
        except ValidationError as exc:
            fields: dict[str, list[str]] = {}
            for e in exc.errors():
                fields.setdefault(location(e), []).append(e['msg'])
            raise error(422, 'invalid_order', 'The order is invalid.', fields=fields) from None
        unknown = {
            f'lines.{i}.ndc': ['Unknown NDC'] for i, line in enumerate(native.lines) if line.ndc not in self.config.drug_ids
        }
        if unknown:
            raise error(422, 'unknown_ndc', 'The order names an NDC this site does not dispense.', fields=unknown)
        with self.lock:
            originals = (o for o in self.orders.values() if isinstance(o, DispenseProOrder) and o.refill_of is None)
            existing = next((o for o in originals if o.sender_id == native.externalId and o.test == test), None)
            if existing is not None:  # idempotent on externalId: the order it already has, never a second fill
                return 200, self.view(existing)
            prescription = Prescription(native_id('RX'), refills_authorized=native.lines[0].refills)
            self.prescriptions[prescription.prescription_id] = prescription
            order = self._new_order(native.externalId, test, prescription)
        return 201, self.view(order)

    def order(self, order_id: str, test: bool) -> DispenseProOrder:
        order = self.orders.get(order_id)
        if not isinstance(order, DispenseProOrder) or order.test != test:
            raise error(404, 'order_not_found', 'No such order.')
        return order

    def refill(self, order: DispenseProOrder, body: Any) -> tuple[int, Any]:
        external_id = body.get('externalId') if isinstance(body, dict) else None
        if not isinstance(external_id, str) or not external_id:
            raise error(422, 'invalid_request', 'externalId is required.')
        with self.lock:
            prescription = self.prescriptions[order.prescription_id]
            repeated = next(
                (
                    o
                    for o in self.orders.values()
                    if isinstance(o, DispenseProOrder) and o.refill_of and o.sender_id == external_id
                ),
                None,
            )
            if repeated is not None:  # the same refill asked again: the same fill
                return 200, self.view(repeated)
            if order.status not in REFILLABLE:
                raise error(409, NOT_REFILLABLE, 'Only a filled order can be refilled.', status=order.status)
            if prescription.refills_left <= 0:
                raise error(409, NO_REFILLS_LEFT, 'The prescription has no refills remaining.', status=order.status)
            prescription.refills_used += 1
            fill = self._new_order(external_id, order.test, prescription, refill_of=order.order_id)
        return 201, self.view(fill)

    def void(self, order: DispenseProOrder) -> tuple[int, Any]:
        with self.lock:
            if order.status == 'voided':
                return 200, self.view(order)
            if order.status not in VOIDABLE:
                raise error(409, 'not_voidable', f'An order that is {order.status} cannot be voided.', **self.view(order))
            order.status = 'voided'
        return 200, self.view(order)

    def _new_order(
        self, external_id: str, test: bool, prescription: Prescription, refill_of: str | None = None
    ) -> DispenseProOrder:
        order = DispenseProOrder(
            order_id=native_id('DP'),
            sender_id=external_id,
            test=test,
            status='authorized',
            prescription_id=prescription.prescription_id,
            refill_of=refill_of,
        )
        self.orders[order.order_id] = order
        return order

    def view(self, order: DispenseProOrder) -> dict[str, Any]:
        prescription = self.prescriptions[order.prescription_id]
        view: dict[str, Any] = {
            'orderId': order.order_id,
            'externalId': order.sender_id,
            'prescriptionId': order.prescription_id,
            'status': order.status,
            'refillsRemaining': prescription.refills_left,
        }
        if order.refill_of:
            view['refillOf'] = order.refill_of
        if order.tracking_number:
            view['trackingNumber'] = order.tracking_number
            view['carrier'] = order.carrier or 'USPS'
        return view

    # --- the pharmacy acting on an order (admin actions) ---------------------------------------------------

    def action_status(self, order: SandboxOrder, action: str, options: dict[str, Any]) -> str:
        """Forward only along PROGRESS; void only before filled; `options.status` names another word (e.g. an
        unknown one, which the machine does not check)."""
        target = str(options.get('status') or ACTIONS[action])
        if order.status in ENDED:
            raise error(409, 'order_closed', f'The order is {order.status}.', status=order.status)
        if target == 'voided' and order.status not in VOIDABLE:
            raise error(409, 'not_voidable', f'An order that is {order.status} cannot be voided.', status=order.status)
        if target in PROGRESS and order.status in PROGRESS and PROGRESS.index(target) < PROGRESS.index(order.status):
            raise error(409, 'backwards', f'The order is already {order.status}.', status=order.status)
        if isinstance(order, DispenseProOrder) and options.get('carrier'):
            order.carrier = str(options['carrier'])
        return target

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            'orderId': order.order_id,
            'externalId': order.sender_id,
            'status': order.status,
            'occurredAt': datetime.now(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z'),
        }
        if order.tracking_number:
            payload['trackingNumber'] = order.tracking_number
            payload['carrier'] = (order.carrier if isinstance(order, DispenseProOrder) else None) or 'USPS'
        return payload
