"""Boothwyn Nucleus B2B API (the spec's "Boothwyn Adapter"). GMP fulfils through the same endpoint: it is an
instance of this type with its own base URL and key.

Orders: POST {base_url}api/Prescriptions/B2B (`?test=true` in test mode), key in `x-functions-key`.
Webhooks: POST /rx/webhooks/boothwyn, `{caseId, trackingNumber?, rxStatus?}`, shared secret in
`x-webhook-secret`; tracking numbers are FedEx's (spec).
"""

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field

from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.base import (
    CatalogMatch,
    PharmacyType,
    TypeSettings,
    WebhookBody,
    WebhookSpec,
    parse_body,
)
from rx_router.pharmacy_types.http import post_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a webhook function never loads the request model
    from rx_router.validation.prescription import ClinicalList, PrescriptionSubmission

UNKNOWN_SKU = 'UNKNOWN_SKU'
GENDERS = {'male': 'm', 'female': 'f'}
CARRIER = 'FedEx'


class BoothwynSettings(TypeSettings):
    base_url: Annotated[str, Field(pattern=r'^https?://')]
    shipping_method: int = 43
    unit: str = 'vial'


class BoothwynCredentials(TypeSettings):
    api_key: Annotated[str, Field(min_length=1)]


class StatusUpdate(WebhookBody):
    caseId: str = Field(min_length=1, max_length=200)  # noqa: N815 - Boothwyn's field names
    trackingNumber: str | None = Field(default=None, max_length=100)  # noqa: N815
    rxStatus: str | None = Field(default=None, max_length=50)  # noqa: N815


WEBHOOK = WebhookSpec(
    name='boothwyn',
    secret_header='x-webhook-secret',  # noqa: S106 - a header name
    status_field='rxStatus',
    vocabulary={
        'shipped': Status.SHIPPED,
        'delivered': Status.DELIVERED,
        'cancelled': Status.CANCELLED,
        'processing': Status.PROCESSING,
    },
    refuses_unknown_status=True,  # the spec's list is Boothwyn's whole documented vocabulary
)


def _entries(item: 'ClinicalList | None') -> list[str]:
    return list(item.entries or []) if item and item.known else []


class BoothwynB2B(PharmacyType):
    name: ClassVar[str] = 'boothwyn_b2b'
    settings_model = BoothwynSettings
    credentials_model = BoothwynCredentials
    webhook = WEBHOOK
    # The spec: a medication no SKU rule matches is sent as UNKNOWN_SKU, and the pharmacy rejects the order.
    unmatched_native_id = UNKNOWN_SKU

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        patient, ship, med, clinical = rx.patient, rx.ship_to, rx.medication, rx.clinical
        address = {'address1': ship.address_line1, 'city': ship.city, 'state': ship.state, 'zipCode': ship.zip}
        if ship.address_line2:
            address['address2'] = ship.address_line2
        prescription: dict[str, Any] = {
            'sku': drug.native_id,
            'amount': med.quantity,
            'unit': self.settings.unit,
            'daysSupply': med.days_supply,
            'instructions': med.sig,
        }
        if med.note:
            prescription['notes'] = med.note
        return {
            'caseId': submission_id,
            'orderType': 1,
            'shippingMethod': self.settings.shipping_method,
            'patient': {
                'firstName': patient.first_name,
                'lastName': patient.last_name,
                'email': patient.email or '',
                'phoneNumber': phone_digits(patient.phone),
                'dateOfBirth': patient.dob,
                'gender': GENDERS[patient.gender],
                'address': address,
                'allergies': _entries(clinical.allergies if clinical else None),
                'medications': _entries(clinical.medications if clinical else None),
                'conditions': _entries(clinical.conditions if clinical else None),
            },
            'clinician': {
                'fullName': f'{rx.prescriber.first_name} {rx.prescriber.last_name}',
                'licenses': [{'type': 'npi', 'value': rx.prescriber.npi}],
            },
            'prescriptions': [prescription],
        }

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        url = self.settings.base_url.rstrip('/') + '/api/Prescriptions/B2B' + ('?test=true' if test else '')
        body = post_json(self.http, self.label, url, native, {'x-functions-key': self.credentials.api_key})
        results = body.get('Results') if isinstance(body, dict) else None
        if not (isinstance(body, dict) and body.get('Success') is True and results):
            raise PharmacyFailed(f'{self.label} rejected the order (see responsePayload)', raw=body)
        case_id = results[0].get('CaseId') or native['caseId']
        return PharmacyAccepted(order_id=str(case_id), raw=body)

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        parsed = parse_body(StatusUpdate, body)
        tracking = parsed.trackingNumber or None
        return PharmacyReport(
            order_id=parsed.caseId,
            raw_status=parsed.rxStatus,
            status=WEBHOOK.normalise(parsed.rxStatus),
            tracking_number=tracking,
            carrier=CARRIER if tracking else None,
        )

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        value = body.get('caseId') if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) and value.strip() else None


PHARMACY_TYPE = BoothwynB2B
