"""Strive / RxVortex API (the spec's "Strive Adapter").

Auth: POST /api/v1/generate-access-token with JSON {client_id, client_secret} -> a bearer token (cached until
shortly before `expires_in`). Orders: POST /api/v1/orders; test mode uses the instance's sandbox URL for the
token and the order. Drugs are the catalog's `preset_catalog_id`s. Webhooks: POST /rx/webhooks/strive,
`{tracking_id, trackingnumber?, rxstatus?, shippingcarrier?}`, shared secret in `x-webhook-secret`.
Status: GET /api/v1/orders/{id}; cancel: DELETE /api/v1/orders/{id}, until shipped (409 after).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from urllib.parse import quote

from pydantic import Field

from rx_router.cache import TtlCache
from rx_router.clock import iso_timestamp
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.base import (
    Capability,
    CatalogMatch,
    PharmacyType,
    TypeSettings,
    WebhookBody,
    WebhookSpec,
    parse_body,
)
from rx_router.pharmacy_types.http import get_json, post_json, request_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a webhook function never loads the request model
    from rx_router.validation.prescription import ClinicalList, PrescriptionSubmission

TOKEN_PATH = '/api/v1/generate-access-token'  # noqa: S105 - a URL path, not a password
ORDERS_PATH = '/api/v1/orders'
TOKEN_EXPIRY_MARGIN_SECONDS = 60
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600

Url = Annotated[str, Field(pattern=r'^https?://')]


class RxVortexSettings(TypeSettings):
    base_url: Url
    sandbox_url: Url
    quantity_units: str = 'ML'


class RxVortexCredentials(TypeSettings):
    client_id: Annotated[str, Field(min_length=1)]
    client_secret: Annotated[str, Field(min_length=1)]


class StatusUpdate(WebhookBody):
    tracking_id: str = Field(min_length=1, max_length=200)
    trackingnumber: str | None = Field(default=None, max_length=100)
    rxstatus: str | None = Field(default=None, max_length=50)
    shippingcarrier: str | None = Field(default=None, max_length=100)


WEBHOOK = WebhookSpec(
    name='strive',
    secret_header='x-webhook-secret',  # noqa: S106 - a header name
    status_field='rxstatus',
    vocabulary={
        'shipped': Status.SHIPPED,
        'delivered': Status.DELIVERED,
        'cancelled': Status.CANCELLED,
        'processing': Status.PROCESSING,
        'in-transit': Status.SHIPPED,
    },
    refuses_unknown_status=True,  # the spec's list is the whole webhook vocabulary
)

# GET /api/v1/orders/{id}: the three status fields move together; the most advanced one that says something wins.
_QUERIED: tuple[tuple[str, dict[str, Status]], ...] = (
    ('shipping_status', {'delivered': Status.DELIVERED, 'in transit': Status.SHIPPED, 'cancelled': Status.CANCELLED}),
    (
        'orderstatus',
        {'shipping': Status.SHIPPED, 'completed orders': Status.DELIVERED, 'processing': Status.PROCESSING},
    ),
    (
        'rxstatus',
        {
            'cancelled': Status.CANCELLED,
            'fill': Status.PROCESSING,
            'pv1 complete': Status.PROCESSING,
            'compound': Status.PROCESSING,
            'fulfillment complete': Status.PROCESSING,
        },
    ),
)

# (base URL, client id) -> bearer token, each kept until shortly before it expires.
_tokens: TtlCache[tuple[str, str], str] = TtlCache(lambda: DEFAULT_TOKEN_LIFETIME_SECONDS)


def _phone(value: str) -> str:
    digits = phone_digits(value) or ''
    return f'{digits[:3]}-{digits[3:6]}-{digits[6:]}'


def _clinical(flag: str, item: 'ClinicalList') -> dict[str, Any]:
    mapped: dict[str, Any] = {flag: item.known}
    if item.known:
        mapped['entries'] = [{'description': entry} for entry in item.entries or []]
    return mapped


def _address(line1: str, line2: str | None, city: str, state: str, zip_code: str) -> dict[str, Any]:
    address = {'line1': line1, 'line2': line2 or '', 'city': city, 'state': state, 'postal_code': zip_code, 'country': 'US'}
    if line2 is None:
        del address['line2']
    return address


class RxVortex(PharmacyType):
    name: ClassVar[str] = 'rxvortex'
    settings_model = RxVortexSettings
    credentials_model = RxVortexCredentials
    webhook = WEBHOOK
    capabilities = frozenset({Capability.CANCEL, Capability.STATUS})
    cancellable_from = frozenset({Status.SUBMITTED, Status.PROCESSING})  # DELETE answers 409 once shipped

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        patient, ship = rx.patient, rx.ship_to
        address = _address(ship.address_line1, ship.address_line2 or '', ship.city, ship.state, ship.zip)
        native: dict[str, Any] = {
            'patient': {
                'first_name': patient.first_name,
                'last_name': patient.last_name,
                'dob': patient.dob,
                'gender': patient.gender,
                'phone': _phone(patient.phone),
                'email': patient.email or '',
                'address': address,
            },
            'prescriber': self._prescriber(rx),
            'order': {
                'bill_to': (rx.clinical.bill_to if rx.clinical else None) or 'practice',
                'ship_to': 'patient',
                'sender_order_id': submission_id,
            },
            'shipment': {
                'recipient_first_name': ship.first_name,
                'recipient_last_name': ship.last_name,
                'recipient_phone': _phone(ship.phone),
                'recipient_email': patient.email or '',
                'address': address,
            },
            'medication_requests': [self._medication_request(submission_id, rx, drug)],
        }
        clinical = self._clinical(rx)
        if clinical:
            native['clinical'] = clinical
        if rx.prescriber.signature_base64:
            native['signed_prescription_image'] = rx.prescriber.signature_base64
        return native

    def _prescriber(self, rx: 'PrescriptionSubmission') -> dict[str, Any]:
        prescriber = rx.prescriber
        native: dict[str, Any] = {'first_name': prescriber.first_name, 'last_name': prescriber.last_name, 'npi': prescriber.npi}
        optional = {
            'dea_number': prescriber.dea_number,
            'license_number': prescriber.license_number,
            'license_state': prescriber.license_state,
            'phone': prescriber.phone and _phone(prescriber.phone),
        }
        native.update({k: v for k, v in optional.items() if v})
        if prescriber.address:
            a = prescriber.address
            native['address'] = _address(a.line1, None, a.city, a.state, a.zip)
        return native

    def _medication_request(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        med = rx.medication
        request: dict[str, Any] = {
            'type': 'new',
            'preset_catalog_id': drug.native_id,
            'sender_med_request_id': f'{submission_id}-1',
            'medication_name': med.name,
            'quantity': med.quantity,
            'quantity_units': self.settings.quantity_units,
            'days_supply_duration': med.days_supply,
            'refills': med.refills,
            'instructions': med.sig,
            'authored_on_datetime': iso_timestamp(),
        }
        if med.note:
            request['note'] = med.note
        if med.clinical_justification:
            request['clinical_difference'] = med.clinical_justification
        return request

    @staticmethod
    def _clinical(rx: 'PrescriptionSubmission') -> dict[str, Any] | None:
        clinical = rx.clinical
        if not clinical:
            return None
        mapped = {
            'allergies': clinical.allergies and _clinical('has_known_allergies', clinical.allergies),
            'diseases': clinical.conditions and _clinical('has_known_diseases', clinical.conditions),
            'medications': clinical.medications and _clinical('has_known_medications', clinical.medications),
        }
        return {k: v for k, v in mapped.items() if v} or None

    def _base_url(self, test: bool) -> str:
        return str(self.settings.sandbox_url if test else self.settings.base_url).rstrip('/')

    def _token(self, base_url: str, *, refresh: bool = False) -> str:
        key = (base_url, self.credentials.client_id)
        cached = None if refresh else _tokens.peek(key)
        if cached is not None:
            return cached
        credentials = {'client_id': self.credentials.client_id, 'client_secret': self.credentials.client_secret}
        body = post_json(self.http, f'{self.label} token', base_url + TOKEN_PATH, credentials, {})
        token = body.get('access_token') if isinstance(body, dict) else None
        if not token:
            raise PharmacyFailed(f'{self.label} token endpoint returned no access token')
        lifetime = float(body.get('expires_in') or DEFAULT_TOKEN_LIFETIME_SECONDS)
        _tokens.put(key, str(token), ttl=max(lifetime - TOKEN_EXPIRY_MARGIN_SECONDS, 0))
        return str(token)

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        base_url = self._base_url(test)
        url = base_url + ORDERS_PATH
        body = self._with_token(base_url, lambda headers: post_json(self.http, self.label, url, native, headers))
        order_id = body.get('order_tracking_id') if isinstance(body, dict) else None
        if not order_id:
            raise PharmacyFailed(f'{self.label} accepted the request but returned no order_tracking_id', raw=body)
        return PharmacyAccepted(order_id=str(order_id), raw=body)

    def _with_token(self, base_url: str, call: Callable[[dict[str, str]], Any]) -> Any:
        """`call` with the bearer token's headers. A 401 (an expired or revoked token) means the pharmacy did not
        act on the request, so it is made once more with a new token."""
        try:
            return call({'authorization': f'Bearer {self._token(base_url)}'})
        except PharmacyFailed as failure:
            if failure.http_status != 401:
                raise
        return call({'authorization': f'Bearer {self._token(base_url, refresh=True)}'})

    def _authorised(self, method: str, pharmacy_order_id: str, *, test: bool) -> Any:
        """A GET (status) or DELETE (cancel) of one order."""
        base_url = self._base_url(test)
        url = f'{base_url}{ORDERS_PATH}/{quote(pharmacy_order_id, safe="")}'
        if method == 'GET':
            return self._with_token(base_url, lambda headers: get_json(self.http, self.label, url, headers))
        return self._with_token(base_url, lambda headers: request_json(self.http, self.label, method, url, headers))

    def status(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        body = self._authorised('GET', pharmacy_order_id, test=test)
        if not isinstance(body, dict):
            raise PharmacyFailed(f'{self.label} answered the status query without an order', raw=body)
        return _queried_report(pharmacy_order_id, body)

    def cancel(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        try:
            self._authorised('DELETE', pharmacy_order_id, test=test)
        except PharmacyFailed as failure:
            if failure.http_status != 409:
                raise
            return self.status(pharmacy_order_id, test=test)  # too late: where the order is now
        return PharmacyReport(order_id=pharmacy_order_id, raw_status='Cancelled', status=Status.CANCELLED)

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        parsed = parse_body(StatusUpdate, body)
        return PharmacyReport(
            order_id=parsed.tracking_id,
            raw_status=parsed.rxstatus,
            status=WEBHOOK.normalise(parsed.rxstatus),
            tracking_number=parsed.trackingnumber or None,
            carrier=parsed.shippingcarrier or None,
        )

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        value = body.get('tracking_id') if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) and value.strip() else None


def _queried_report(order_id: str, body: dict[str, Any]) -> PharmacyReport:
    """The first status field whose word the router knows sets the status; with none, the first word is kept raw."""
    words = [(word, vocabulary) for field, vocabulary in _QUERIED if (word := _text(body.get(field)))]
    raw, status = next(((w, v[w.lower()]) for w, v in words if w.lower() in v), (words[0][0] if words else None, None))
    return PharmacyReport(
        order_id=order_id,
        raw_status=raw,
        status=status,
        tracking_number=_text(body.get('trackingnumber')),
        carrier=_text(body.get('shippingcarrier')),
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


PHARMACY_TYPE = RxVortex
