"""Boothwyn Nucleus B2B API (also GMP, which fulfils through the same endpoint with its own settings)."""

from typing import Any, ClassVar

from rx_router.adapters.base import AdapterSettings, PharmacyAdapter
from rx_router.adapters.http import post_json
from rx_router.adapters.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.prescription import ClinicalList, PrescriptionSubmission
from rx_router.validation.us import phone_digits

UNKNOWN_SKU = 'UNKNOWN_SKU'
SKUS = (('semaglutide', '12565'), ('tirzepatide', '12850'), ('nad', '12832'))
GENDERS = {'male': 'm', 'female': 'f'}


class BoothwynSettings(AdapterSettings):
    base_url: str
    shipping_method: int = 43
    unit: str = 'vial'


class BoothwynCredentials(AdapterSettings):
    api_key: str


def sku_for(medication_name: str) -> str:
    """The spec's rule: the first keyword contained in the name, case-insensitive; else UNKNOWN_SKU."""
    lowered = medication_name.lower()
    return next((sku for keyword, sku in SKUS if keyword in lowered), UNKNOWN_SKU)


def _entries(item: ClinicalList | None) -> list[str]:
    return list(item.entries or []) if item and item.known else []


class Adapter(PharmacyAdapter):
    config_model: ClassVar[type[AdapterSettings]] = BoothwynSettings
    credentials_model: ClassVar[type[AdapterSettings]] = BoothwynCredentials

    def translate(self, submission_id: str, rx: PrescriptionSubmission) -> dict[str, Any]:
        patient, ship, med, clinical = rx.patient, rx.ship_to, rx.medication, rx.clinical
        address = {'address1': ship.address_line1, 'city': ship.city, 'state': ship.state, 'zipCode': ship.zip}
        if ship.address_line2:
            address['address2'] = ship.address_line2
        prescription: dict[str, Any] = {
            'sku': sku_for(med.name),
            'amount': med.quantity,
            'unit': self.config.unit,
            'daysSupply': med.days_supply,
            'instructions': med.sig,
        }
        if med.note:
            prescription['notes'] = med.note
        return {
            'caseId': submission_id,
            'orderType': 1,
            'shippingMethod': self.config.shipping_method,
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
        url = self.config.base_url.rstrip('/') + '/api/Prescriptions/B2B' + ('?test=true' if test else '')
        headers = {'x-functions-key': self.credentials.api_key}
        _, body = post_json(self.http, self.pharmacy.label, url, native, headers)
        results = body.get('Results') if isinstance(body, dict) else None
        if not (isinstance(body, dict) and body.get('Success') is True and results):
            raise PharmacyFailed(f'{self.pharmacy.label} rejected the order (see responsePayload)', raw=body)
        case_id = results[0].get('CaseId') or native['caseId']
        return PharmacyAccepted(order_id=str(case_id), raw=body)
