"""Strive (RxVortex) API: bearer token from /api/v1/generate-access-token, orders to /api/v1/orders."""

import time
from typing import Any, ClassVar

from rx_router.adapters.base import AdapterSettings, PharmacyAdapter, UnsupportedMedication
from rx_router.adapters.http import post_json
from rx_router.adapters.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.clock import iso_timestamp
from rx_router.validation.prescription import ClinicalList, PrescriptionSubmission
from rx_router.validation.us import phone_digits

TOKEN_PATH = '/api/v1/generate-access-token'  # noqa: S105 - a URL path, not a password
ORDERS_PATH = '/api/v1/orders'
TOKEN_EXPIRY_MARGIN_SECONDS = 60
CATALOG_KEYWORDS = ('semaglutide', 'tirzepatide')


class StriveSettings(AdapterSettings):
    base_url: str
    sandbox_url: str
    catalog_semaglutide: str | None = None
    catalog_tirzepatide: str | None = None
    quantity_units: str = 'ML'


class StriveCredentials(AdapterSettings):
    client_id: str
    client_secret: str


_tokens: dict[tuple[str, str], tuple[float, str]] = {}


def _phone(value: str) -> str:
    digits = phone_digits(value) or ''
    return f'{digits[:3]}-{digits[3:6]}-{digits[6:]}'


def _clinical(flag: str, item: ClinicalList) -> dict[str, Any]:
    mapped: dict[str, Any] = {flag: item.known}
    if item.known:
        mapped['entries'] = [{'description': entry} for entry in item.entries or []]
    return mapped


class Adapter(PharmacyAdapter):
    config_model: ClassVar[type[AdapterSettings]] = StriveSettings
    credentials_model: ClassVar[type[AdapterSettings]] = StriveCredentials

    def catalog_id(self, medication_name: str) -> str:
        lowered = medication_name.lower()
        for keyword in CATALOG_KEYWORDS:
            if keyword in lowered:
                catalog_id: str | None = getattr(self.config, f'catalog_{keyword}')
                if catalog_id:
                    return catalog_id
        raise UnsupportedMedication(
            f'medication.name does not match a catalog item configured for {self.pharmacy.label} '
            f'(supported: {", ".join(k for k in CATALOG_KEYWORDS if getattr(self.config, f"catalog_{k}"))})'
        )

    def translate(self, submission_id: str, rx: PrescriptionSubmission) -> dict[str, Any]:
        patient, ship, prescriber, med = rx.patient, rx.ship_to, rx.prescriber, rx.medication
        address = {
            'line1': ship.address_line1,
            'line2': ship.address_line2 or '',
            'city': ship.city,
            'state': ship.state,
            'postal_code': ship.zip,
            'country': 'US',
        }
        native_prescriber: dict[str, Any] = {
            'first_name': prescriber.first_name,
            'last_name': prescriber.last_name,
            'npi': prescriber.npi,
        }
        optional = {
            'dea_number': prescriber.dea_number,
            'license_number': prescriber.license_number,
            'license_state': prescriber.license_state,
            'phone': prescriber.phone and _phone(prescriber.phone),
        }
        native_prescriber.update({k: v for k, v in optional.items() if v})
        if prescriber.address:
            native_prescriber['address'] = {
                'line1': prescriber.address.line1,
                'city': prescriber.address.city,
                'state': prescriber.address.state,
                'postal_code': prescriber.address.zip,
                'country': 'US',
            }
        request: dict[str, Any] = {
            'type': 'new',
            'preset_catalog_id': self.catalog_id(med.name),
            'sender_med_request_id': f'{submission_id}-1',
            'medication_name': med.name,
            'quantity': med.quantity,
            'quantity_units': self.config.quantity_units,
            'days_supply_duration': med.days_supply,
            'refills': med.refills,
            'instructions': med.sig,
            'authored_on_datetime': iso_timestamp(),
        }
        if med.note:
            request['note'] = med.note
        if med.clinical_justification:
            request['clinical_difference'] = med.clinical_justification
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
            'prescriber': native_prescriber,
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
            'medication_requests': [request],
        }
        clinical = rx.clinical
        if clinical:
            mapped = {
                'allergies': clinical.allergies and _clinical('has_known_allergies', clinical.allergies),
                'diseases': clinical.conditions and _clinical('has_known_diseases', clinical.conditions),
                'medications': clinical.medications and _clinical('has_known_medications', clinical.medications),
            }
            if any(mapped.values()):
                native['clinical'] = {k: v for k, v in mapped.items() if v}
        if prescriber.signature_base64:
            native['signed_prescription_image'] = prescriber.signature_base64
        return native

    def _base_url(self, test: bool) -> str:
        return (self.config.sandbox_url if test else self.config.base_url).rstrip('/')

    def _token(self, base_url: str, *, refresh: bool = False) -> str:
        key = (base_url, self.credentials.client_id)
        cached = _tokens.get(key)
        if cached and not refresh and cached[0] > time.monotonic():
            return cached[1]
        credentials = {'client_id': self.credentials.client_id, 'client_secret': self.credentials.client_secret}
        _, body = post_json(self.http, f'{self.pharmacy.label} token', base_url + TOKEN_PATH, credentials, {})
        token = body.get('access_token') if isinstance(body, dict) else None
        if not token:
            raise PharmacyFailed(f'{self.pharmacy.label} token endpoint returned no access token')
        lifetime = float(body.get('expires_in') or 3600)
        _tokens[key] = (time.monotonic() + max(lifetime - TOKEN_EXPIRY_MARGIN_SECONDS, 0), token)
        return str(token)

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        base_url = self._base_url(test)
        try:
            body = self._post_order(base_url, native, self._token(base_url))
        except PharmacyFailed as failure:
            if failure.http_status != 401:
                raise
            # An expired or revoked token: the order was not accepted, so one retry with a new token is safe.
            body = self._post_order(base_url, native, self._token(base_url, refresh=True))
        order_id = body.get('order_tracking_id') if isinstance(body, dict) else None
        if not order_id:
            raise PharmacyFailed(f'{self.pharmacy.label} accepted the request but returned no order_tracking_id', raw=body)
        return PharmacyAccepted(order_id=str(order_id), raw=body)

    def _post_order(self, base_url: str, native: dict[str, Any], token: str) -> Any:
        _, body = post_json(self.http, self.pharmacy.label, base_url + ORDERS_PATH, native, {'authorization': f'Bearer {token}'})
        return body
