"""PrescriptionSubmission: the request body of POST /rx/prescriptions/submit, validated in full.

Field names on the wire are the spec's camelCase; every message is safe to return (no input echoed).
"""

import base64
import binascii
import math
import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from rx_router.clock import utc_now
from rx_router.errors import ValidationFailed
from rx_router.validation.errors import validation_failed
from rx_router.validation.us import US_STATES, is_dea_number, is_npi, is_zip, phone_digits

MAX_QUANTITY = 100_000
# A signed prescription PDF travels inside the JSON body (max_body_bytes, 256 KiB): at most ~146 KiB of PDF.
MAX_SIGNED_PDF_BASE64 = 200_000


def _check(condition_fn: Any, message: str) -> AfterValidator:
    def check(value: Any) -> Any:
        if not condition_fn(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _date_of_birth(value: str) -> str:
    if not re.fullmatch(r'\d{4}-\d{2}-\d{2}', value):
        raise ValueError('Must be a date in YYYY-MM-DD format')
    try:
        born = date.fromisoformat(value)
    except ValueError:
        raise ValueError('Must be a real calendar date') from None
    if born > utc_now().date():
        raise ValueError('Must not be in the future')
    if born.year < 1900:
        raise ValueError('Must be on or after 1900-01-01')
    return value


def _callback_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError('Must be a valid URL') from None
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError('Must be an absolute http(s) URL')
    if parts.username or parts.password:
        raise ValueError('Must not contain credentials')
    if port == 0 or re.search(r'[\s\x00-\x1f\x7f]', value):
        raise ValueError('Must be a valid URL (no spaces or control characters)')
    return value


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError('Must be base64-encoded') from None
    return value


def _pdf_base64(value: str) -> str:
    try:
        document = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError('Must be a base64-encoded PDF') from None
    if not document.startswith(b'%PDF-'):
        raise ValueError('Must be a base64-encoded PDF (the decoded bytes must start with %PDF-)')
    return value


def _whole(value: Any) -> Any:
    """A JSON number without a fraction is an integer whatever its spelling (28.0 is 28, as JSON Schema's `integer`
    and JavaScript have it); anything else is left for the strict integer check to refuse."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _positive_number(value: Any) -> int | float:
    """A JSON number > 0; integral values become int, as JavaScript writes them (1, not 1.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError('Must be a number')
    if value <= 0:
        raise ValueError('Must be positive')
    if value > MAX_QUANTITY:
        raise ValueError(f'Must be at most {MAX_QUANTITY}')
    whole: int | float = _whole(value)
    return whole


# Identifiers the router derives keys from (the dedup key joins source and sourceOrderId with \x1f): printable
# text only, so no two different pairs can join to the same key.
_PRINTABLE = _check(lambda value: not re.search(r'[\x00-\x1f\x7f]', value), 'Must not contain control characters')
_IDENTIFIER = 'No control characters'
Identifier100 = Annotated[str, Field(min_length=1, max_length=100, description=_IDENTIFIER), _PRINTABLE]
Identifier200 = Annotated[str, Field(min_length=1, max_length=200, description=_IDENTIFIER), _PRINTABLE]
Text50 = Annotated[str, Field(min_length=1, max_length=50)]
Text100 = Annotated[str, Field(min_length=1, max_length=100)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Text500 = Annotated[str, Field(min_length=1, max_length=500)]
Text1000 = Annotated[str, Field(min_length=1, max_length=1000)]
Name = Text100
# The `json_schema_extra` / WithJsonSchema parts only describe the checks in docs/openapi.json (and let its fuzz
# generate plausible values); the validators enforce them.
StateCode = Annotated[
    str,
    Field(min_length=2, max_length=2, json_schema_extra={'enum': sorted(US_STATES)}),
    _check(US_STATES.__contains__, 'Must be a two-letter US state code'),
]
Zip = Annotated[
    str,
    Field(max_length=10, json_schema_extra={'pattern': r'^\d{5}(-?\d{4})?$'}),
    _check(is_zip, 'Must be a 5- or 9-digit ZIP code'),
]
Phone = Annotated[
    str,
    Field(max_length=30, description='A 10-digit US phone number (an optional leading 1; digits, spaces, ().+-)'),
    _check(lambda v: phone_digits(v) is not None, 'Must be a 10-digit US phone number'),
]
Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={'format': 'email'}),
    _check(re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$').match, 'Must be a valid email address'),
]
Npi = Annotated[
    str,
    Field(
        json_schema_extra={'pattern': r'^\d{10}$', 'description': 'NPI: 10 digits, the last a Luhn check digit (80840 prefix)'}
    ),
    _check(is_npi, 'Must be a valid 10-digit NPI'),
]
Dea = Annotated[
    str,
    Field(json_schema_extra={'pattern': r'^[A-Z]{2}\d{7}$', 'description': 'DEA registration number, with its check digit'}),
    _check(is_dea_number, 'Must be a valid DEA registration number'),
]
PositiveNumber = Annotated[
    int | float,
    PlainValidator(_positive_number),
    WithJsonSchema({'type': 'number', 'exclusiveMinimum': 0, 'maximum': MAX_QUANTITY}),
]


class WireModel(BaseModel):
    model_config = ConfigDict(
        strict=True,
        alias_generator=to_camel,
        validate_by_name=True,
        str_strip_whitespace=True,
        frozen=True,
    )


class Patient(WireModel):
    first_name: Name
    last_name: Name
    dob: Annotated[
        str,
        Field(description='YYYY-MM-DD, a real date, not in the future, from 1900-01-01', json_schema_extra={'format': 'date'}),
        AfterValidator(_date_of_birth),
    ]
    gender: Literal['male', 'female']
    phone: Phone
    email: Email | None = None


class ShipTo(WireModel):
    first_name: Name
    last_name: Name
    phone: Phone
    address_line1: Text200
    address_line2: Text200 | None = None
    city: Text100
    state: StateCode
    zip: Zip


class Address(WireModel):
    line1: Text200
    city: Text100
    state: StateCode
    zip: Zip


class Prescriber(WireModel):
    first_name: Name
    last_name: Name
    npi: Npi
    dea_number: Dea | None = None
    license_number: Text50 | None = None
    license_state: StateCode | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    signature_base64: Annotated[str, Field(min_length=4, max_length=200_000), AfterValidator(_base64)] | None = None


class Medication(WireModel):
    name: Text200
    sig: Text1000
    quantity: PositiveNumber
    days_supply: Annotated[int, Field(gt=0, le=365), BeforeValidator(_whole)]
    refills: Annotated[int, Field(ge=0, le=99), BeforeValidator(_whole)]
    clinical_justification: Text1000 | None = None
    note: Text1000 | None = None
    # Additive: the catalog product this medication is (rxrouter catalog list); otherwise matched by name.
    product_id: Text50 | None = None
    # Additive: the drug's strength and dosage form, as a prescription states them (LifeFile orders need both).
    strength: Text50 | None = None
    dosage_form: Text50 | None = None
    # Additive: the prescription as a PDF the prescriber signed (a wet-signed scan or an EPCS print), sent to
    # pharmacies that take a document; required for a controlled line at a LifeFile pharmacy.
    signed_prescription_pdf_base64: (
        Annotated[str, Field(min_length=8, max_length=MAX_SIGNED_PDF_BASE64), AfterValidator(_pdf_base64)] | None
    ) = None


class Routing(WireModel):
    patient_state: StateCode | None = None
    preferred_pharmacy: Annotated[str, Field(min_length=1, max_length=50)] | None = None


class ClinicalList(WireModel):
    """`entries` must list at least one item when `known` is true."""

    known: bool
    entries: Annotated[list[Text500], Field(max_length=50)] | None = None

    @model_validator(mode='after')
    def entries_when_known(self) -> 'ClinicalList':
        if self.known and not self.entries:
            raise ValueError('entries must list at least one item when known is true')
        return self


class Clinical(WireModel):
    allergies: ClinicalList | None = None
    conditions: ClinicalList | None = None
    medications: ClinicalList | None = None
    bill_to: Literal['patient', 'practice'] | None = None


class PrescriptionGate(WireModel):
    """Additive: the prescription the order waits for. The router holds the order until the prescriber has written
    it (the provider's webhook, or a poll of the provider), and sends nothing to a pharmacy before."""

    provider: Literal['beluga']
    master_id: Identifier100
    # The provider's id of the medication ordered (Beluga medId); otherwise medication.productId is matched.
    med_id: Identifier100 | None = None


class PrescriptionSubmission(WireModel):
    source: Identifier100
    source_order_id: Identifier200
    callback_url: Annotated[
        str,
        Field(
            max_length=2048,
            description='An absolute http(s) URL without credentials or spaces; deployed: https, resolving to public '
            'addresses only (README "Callback URL safety")',
            json_schema_extra={'format': 'uri'},
        ),
        AfterValidator(_callback_url),
    ]
    patient: Patient
    ship_to: ShipTo
    prescriber: Prescriber
    medication: Medication
    routing: Routing | None = None
    test: bool = False
    clinical: Clinical | None = None
    prescription: PrescriptionGate | None = None

    @property
    def routing_state(self) -> str:
        """routing.patientState when given, else the shipping state."""
        if self.routing and self.routing.patient_state:
            return self.routing.patient_state
        return self.ship_to.state

    @property
    def preferred_pharmacy(self) -> str | None:
        return self.routing.preferred_pharmacy if self.routing else None

    def wire(self) -> dict[str, Any]:
        """The validated submission in the spec's camelCase shape (what requestPayload stores)."""
        return self.model_dump(by_alias=True, exclude_none=True)


def parse_submission(payload: Any) -> PrescriptionSubmission:
    """Validates a decoded JSON body; raises ValidationFailed in the spec's 400 shape."""
    if not isinstance(payload, dict):
        raise ValidationFailed({}, ['Request body must be a JSON object'])
    try:
        return PrescriptionSubmission.model_validate(payload)
    except ValidationError as exc:
        raise validation_failed(exc) from None
