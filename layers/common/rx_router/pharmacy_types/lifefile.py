"""LifeFile, the pharmacy platform behind Belmar and other compounding pharmacies: one type, an instance per
pharmacy (host, vendor / location / network ids, practice id, status ids, shipping service code).

LifeFile's API is not public. What is built here follows the order payload LifeFile support gave
RevelationPharma (`RevelationPharma/lifefile-example`, README.md: body, Data Push sample) and the clients in
shared/reference/pharmacy-apis.md and fulfillment.md §2; everything else is marked ASSUMPTION.

Orders: POST {base_url}/order, HTTP Basic plus `X-Vendor-ID`, `X-Location-ID`, `X-API-Network-ID`; the answer
names the order in `data.orderId`; errors are `{"type": "error", "messages": [...]}`. Test orders go to the
same host with the instance's test status id (`order.general.statusId`). Every order carries a signed hardcopy
PDF (`order.document.pdfBase64`): generated (lifefile_hardcopy.py) for a line that is not a controlled
substance, the prescriber's own signed document (medication.signedPrescriptionPdfBase64) otherwise.
Tracking: LifeFile's Data Push, POST /rx/webhooks/lifefile with HTTP Basic: a JSON array, one element per fill.
"""

import base64
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, ValidationError

from rx_router.clock import utc_now
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.errors import BadRequest, Unprocessable, ValidationFailed
from rx_router.pharmacy_types.base import (
    CatalogMatch,
    PharmacyType,
    TypeSettings,
    WebhookBody,
    WebhookSpec,
)
from rx_router.pharmacy_types.http import post_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.errors import validation_failed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a webhook function never loads the request model
    from rx_router.validation.prescription import PrescriptionSubmission

ORDER_PATH = '/order'
GENDERS = {'male': 'm', 'female': 'f'}
PAYOR_TYPES = {'practice': 'doc', 'patient': 'pat'}
MAX_FILLS = 200  # fill records one Data Push body may carry

Url = Annotated[str, Field(pattern=r'^https?://')]
Id = Annotated[str, Field(min_length=1, max_length=50)]


def _text(value: Any) -> Any:
    # ASSUMPTION: ids the sample sends as strings may also come as JSON numbers; both are taken as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PushText = Annotated[str | None, BeforeValidator(_text)]


class LifeFileSettings(TypeSettings):
    base_url: Url  # e.g. https://host47.lifefile.net:10165/lfapi/v1 (per pharmacy)
    vendor_id: Id
    location_id: Id
    network_id: Id
    practice_id: Id
    # Pharmacy-specific codes: 9 = pickup; FedEx 6223-6231 and UPS 7642 seen (reference).
    shipping_service: Annotated[int, Field(ge=0)]
    # ASSUMPTION: the pharmacy gives one status id for test orders and one for production orders (the fulfillment
    # guide's "test or production status id"); sent as order.general.statusId.
    test_status_id: Id
    production_status_id: Id
    # ASSUMPTION: one quantity unit for the instance's products (LifeFile's sample uses "GM"; its sandbox catalog
    # lists grams / each); a pharmacy whose products differ needs it per catalog entry.
    quantity_units: Annotated[str, Field(min_length=1, max_length=20)] = 'ML'


class LifeFileCredentials(TypeSettings):
    username: Annotated[str, Field(min_length=1)]
    password: Annotated[str, Field(min_length=1)]


class Fill(WebhookBody):
    """One element of a Data Push body (fields of the sample LifeFile's README shows; others are ignored)."""

    orderId: PushText = Field(default=None, max_length=100)  # noqa: N815 - LifeFile's field names
    referenceId: PushText = Field(default=None, max_length=100)  # noqa: N815
    fillId: PushText = Field(default=None, max_length=100)  # noqa: N815
    rxStatus: str | None = Field(default=None, max_length=100)  # noqa: N815
    rxStatusDateTime: str | None = Field(default=None, max_length=50)  # noqa: N815
    trackingNumber: str | None = Field(default=None, max_length=100)  # noqa: N815
    shipCarrier: str | None = Field(default=None, max_length=100)  # noqa: N815
    deliveryService: str | None = Field(default=None, max_length=200)  # noqa: N815


WEBHOOK = WebhookSpec(
    name='lifefile',
    secret_header='authorization',  # noqa: S106 - a header name
    status_field='rxStatus',
    # "Shipping" is the only rxStatus seen publicly (LifeFile's Data Push sample, sent at the shipping event).
    vocabulary={'shipping': Status.SHIPPED},
    refuses_unknown_status=False,  # the vocabulary is not known in full: other words are recorded, change nothing
    basic_auth=True,  # LifeFile requires the receiving endpoint to use HTTP Basic
)


def _phone(value: str | None) -> str | None:
    digits = phone_digits(value) if value else None
    return f'({digits[:3]}) {digits[3:6]}-{digits[6:]}' if digits else None


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _numeric(value: str) -> int | str:
    # ASSUMPTION: ids LifeFile's sample sends as JSON numbers (lfProductID, practice.id) are sent as numbers
    # when they are all digits; anything else as given.
    return int(value) if value.isdigit() else value


class LifeFile(PharmacyType):
    name: ClassVar[str] = 'lifefile'
    sends_hardcopy = True
    settings_model = LifeFileSettings
    credentials_model = LifeFileCredentials
    webhook = WEBHOOK
    # No cancel, refill or status query: LifeFile's answers to them are not known publicly (README).

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        document = self._document(submission_id, rx, drug)
        patient, ship, med = rx.patient, rx.ship_to, rx.medication
        settings = self.settings
        now = utc_now()
        return {
            # ASSUMPTION: message.id takes the router's submission id (LifeFile's sample sends a number).
            'message': {'id': submission_id, 'sentTime': now.strftime('%Y-%m-%d %H:%M:%S')},
            'order': {
                'general': _compact(
                    {
                        'memo': med.note,
                        'referenceId': submission_id,
                        'statusId': settings.test_status_id if rx.test else settings.production_status_id,
                    }
                ),
                'prescriber': self._prescriber(rx),
                'practice': {'id': _numeric(settings.practice_id)},
                # ASSUMPTION: the patient's address is the shipping address (the request has no other).
                'patient': _compact(
                    {
                        'firstName': patient.first_name,
                        'lastName': patient.last_name,
                        'gender': GENDERS[patient.gender],
                        'dateOfBirth': patient.dob,
                        'address1': ship.address_line1,
                        'address2': ship.address_line2,
                        'city': ship.city,
                        'state': ship.state,
                        'zip': ship.zip,
                        'country': 'US',
                        'phoneMobile': _phone(patient.phone),
                        'email': patient.email,
                    }
                ),
                'shipping': _compact(
                    {
                        'recipientType': 'patient',
                        'recipientFirstName': ship.first_name,
                        'recipientLastName': ship.last_name,
                        'recipientPhone': _phone(ship.phone),
                        'recipientEmail': patient.email,
                        'addressLine1': ship.address_line1,
                        'addressLine2': ship.address_line2,
                        'city': ship.city,
                        'state': ship.state,
                        'zipCode': ship.zip,
                        'country': 'US',
                        'service': settings.shipping_service,
                    }
                ),
                'billing': {'payorType': PAYOR_TYPES[(rx.clinical.bill_to if rx.clinical else None) or 'practice']},
                'rxs': [
                    _compact(
                        {
                            'rxType': 'new',
                            'drugName': med.name,
                            'drugStrength': med.strength,
                            'drugForm': med.dosage_form,
                            'lfProductID': _numeric(drug.native_id),
                            'quantity': med.quantity,
                            'quantityUnits': settings.quantity_units,
                            'directions': med.sig,
                            'refills': med.refills,
                            'dateWritten': now.date().isoformat(),
                            'daysSupply': med.days_supply,
                            # ASSUMPTION: LifeFile's schedule code is the DEA schedule as the catalog names it (II,
                            # III, ...); LifeFile's own code list is not public.
                            'scheduleCode': drug.entry.schedule if drug.entry else None,
                            'clinicalDifferenceStatement': med.clinical_justification,
                        }
                    )
                ],
                'document': {'pdfBase64': document},
            },
        }

    @staticmethod
    def _prescriber(rx: 'PrescriptionSubmission') -> dict[str, Any]:
        prescriber = rx.prescriber
        address = prescriber.address
        return _compact(
            {
                'npi': prescriber.npi,
                'licenseState': prescriber.license_state,
                'licenseNumber': prescriber.license_number,
                'dea': prescriber.dea_number,
                'firstName': prescriber.first_name,
                'lastName': prescriber.last_name,
                'address1': address.line1 if address else None,
                'city': address.city if address else None,
                'state': address.state if address else None,
                'zip': address.zip if address else None,
                'phone': _phone(prescriber.phone),
                'fax': _phone(prescriber.fax),
                'email': prescriber.email,
            }
        )

    def _document(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> str:
        """The signed prescription, base64: the caller's signed PDF, else one generated from the order (never for a
        controlled line). Unprocessable, naming what to add, when neither can be."""
        med = rx.medication
        if med.signed_prescription_pdf_base64:
            return med.signed_prescription_pdf_base64
        schedule = drug.entry.schedule if drug.entry else None
        if schedule:
            raise Unprocessable(
                f'{self.label} needs the signed prescription of a Schedule {schedule} controlled substance: send the '
                'prescriber-signed PDF as medication.signedPrescriptionPdfBase64 (a generated copy with a signature '
                'image is not a manual signature)'
            )
        missing = [
            name
            for name, value in (
                ('medication.strength', med.strength),
                ('medication.dosageForm', med.dosage_form),
                ('prescriber.address', rx.prescriber.address),
                ('prescriber.signatureBase64', rx.prescriber.signature_base64),
            )
            if not value
        ]
        if missing:
            raise Unprocessable(
                f'{self.label} orders carry a signed hardcopy prescription, which needs: {", ".join(missing)} '
                '(or send the signed PDF as medication.signedPrescriptionPdfBase64)'
            )
        from rx_router.pharmacy_types import lifefile_hardcopy

        page = lifefile_hardcopy.Hardcopy(
            reference=submission_id,
            date_written=utc_now().date().isoformat(),
            pharmacy_label=self.label,
            quantity_units=self.settings.quantity_units,
        )
        return base64.b64encode(lifefile_hardcopy.render(rx, page)).decode('ascii')

    def _headers(self) -> dict[str, str]:
        pair = f'{self.credentials.username}:{self.credentials.password}'.encode()
        return {
            'authorization': 'Basic ' + base64.b64encode(pair).decode('ascii'),
            'x-vendor-id': self.settings.vendor_id,
            'x-location-id': self.settings.location_id,
            'x-api-network-id': self.settings.network_id,
        }

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        # Test orders differ by their status id only (translate): the same host takes both.
        url = self.settings.base_url.rstrip('/') + ORDER_PATH
        body = post_json(self.http, self.label, url, native, self._headers())
        if isinstance(body, dict) and body.get('type') == 'error':
            raise PharmacyFailed(f'{self.label} rejected the order (see responsePayload)', raw=body)
        data = body.get('data') if isinstance(body, dict) else None
        order_id = data.get('orderId') if isinstance(data, dict) else None
        if order_id is None or str(order_id).strip() == '':
            raise PharmacyFailed(f'{self.label} accepted the request but returned no data.orderId', raw=body)
        return PharmacyAccepted(order_id=str(order_id), raw=body)

    @classmethod
    def parse_webhook(cls, body: Any) -> PharmacyReport:
        reports = cls.parse_webhook_reports(body)
        if len(reports) != 1:
            raise BadRequest('Expected a Data Push body with exactly one fill record')
        return reports[0]

    @classmethod
    def parse_webhook_reports(cls, body: Any) -> list[PharmacyReport]:
        if not isinstance(body, list) or not body:
            raise BadRequest('Data Push body must be a JSON array with at least one fill record')
        if len(body) > MAX_FILLS:
            raise BadRequest(f'Data Push body has more than {MAX_FILLS} fill records')
        reports: list[PharmacyReport] = []
        errors: dict[str, list[str]] = {}
        for index, element in enumerate(body):
            if not isinstance(element, dict):
                errors[str(index)] = ['Must be a JSON object (a fill record)']
                continue
            try:
                fill = Fill.model_validate(element)
            except ValidationError as exc:
                for name, messages in validation_failed(exc).field_errors.items():
                    errors[f'{index}.{name}'] = messages
                continue
            if not (fill.orderId or fill.referenceId):
                errors[f'{index}.orderId'] = ['Required (or referenceId)']
                continue
            reports.append(
                PharmacyReport(
                    order_id=fill.orderId or '',
                    raw_status=fill.rxStatus or None,
                    status=WEBHOOK.normalise(fill.rxStatus or None),
                    tracking_number=fill.trackingNumber or None,
                    # ASSUMPTION: shipCarrier names the carrier (the sample's is "EASYPOST", a label service;
                    # deliveryService names the carrier's service, e.g. "UPS NEXT DAY SAVER - HOME").
                    carrier=(fill.shipCarrier or None) if fill.trackingNumber else None,
                    reference_id=fill.referenceId or None,
                )
            )
        if errors:
            raise ValidationFailed(errors)
        return reports

    @classmethod
    def webhook_order_id(cls, body: Any) -> str | None:
        elements = body if isinstance(body, list) else []
        for element in elements:
            value = _text(element.get('orderId')) if isinstance(element, dict) else None
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None


PHARMACY_TYPE = LifeFile
