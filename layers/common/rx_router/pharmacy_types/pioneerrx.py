"""PioneerRx Enterprise API: an on-premises pharmacy system reached over HTTPS with a self-issued certificate.

Confirmed by the official documentation (support.pioneerrx.com/apidoc/PioneerRxEnterpriseAPI): headers
`prx-api-key`, `prx-timestamp`, `prx-signature` = Base64(SHA-512(UTF-16LE(timestamp + shared secret))); HTTPS
with a certificate the client must trust. From public clients (shared/reference/pharmacy-apis.md): every call is
`POST {base}/api/enterprise/method/process` (executeMethod; `/method/test/process`, executeMethodTest, for the
separate "DayOld" test database) with `{MethodName, Version: "1.0", ParameterCollection: [{Name, Value}]}`, every
Value a string; `RxAddOnHold` places the prescription on hold in the pharmacy's queue and answers
`results.rxTransaction[0].rxTransactionID`; `GetRxTransaction` is its status query (`fillState`, texts below).

An RxAddOnHold names the patient and the prescriber by the pharmacy's own ids, so send() first looks them up:
PatientSearch (PatientAdd when nobody matches) and PrescriberSearch by NPI. Nothing about those three methods'
parameters or answers is published; every such name below is marked ASSUMPTION. The type sends no webhooks to
the router: the RxEvents push carries no authentication in the public samples, and the router accepts no
unauthenticated webhook, so PioneerRx orders are tracked by status query (capability `status`).
"""

import base64
import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from rx_router.clock import utc_now
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.pharmacy_types.base import Capability, CatalogMatch, PharmacyType, TypeSettings
from rx_router.pharmacy_types.http import post_json
from rx_router.pharmacy_types.outcomes import PharmacyAccepted, PharmacyFailed
from rx_router.validation.us import phone_digits

if TYPE_CHECKING:  # a status query never loads the request model
    from rx_router.validation.prescription import PrescriptionSubmission

LIVE_PATH = '/api/enterprise/method/process'  # executeMethod
TEST_PATH = '/api/enterprise/method/test/process'  # executeMethodTest: the separate "DayOld" test database
VERSION = '1.0'
LOOPBACK_HOSTS = frozenset({'127.0.0.1', 'localhost', '::1'})
PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----'

# ASSUMPTION: fillState texts as two public clients read them (pharmacy-apis.md); the numeric status ids differ
# between sources, so only the texts are mapped. "Waiting for Data Entry" is where an RxAddOnHold lands: the order
# is in the pharmacy's queue, which the router calls processing. "Completed" is taken to mean the fill reached the
# patient (delivered); a shipping pharmacy must confirm it. Any other text is kept raw and changes nothing.
FILL_STATES: dict[str, Status] = {
    'waiting for data entry': Status.PROCESSING,
    'fill in progress': Status.PROCESSING,
    'ready for pharmacist review': Status.PROCESSING,
    'verified': Status.PROCESSING,
    'ready for shipping': Status.PROCESSING,
    'shipped': Status.SHIPPED,
    'completed': Status.DELIVERED,
    'cancelled': Status.CANCELLED,
}


def timestamp(moment: datetime) -> str:
    """`yyyy-MM-ddTHH:mm:ss.ffffffZ` in UTC.

    ASSUMPTION: six fractional digits, as the official C# example formats it; one public client sends three
    (JavaScript's toISOString). Confirm against the pharmacy's test endpoint."""
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def signature(stamp: str, shared_secret: str) -> str:
    """prx-signature: Base64(SHA-512(UTF-16LE(timestamp + shared secret))), a plain hash (not an HMAC)."""
    return base64.b64encode(hashlib.sha512((stamp + shared_secret).encode('utf-16-le')).digest()).decode('ascii')


def method(name: str, **parameters: str | None) -> dict[str, Any]:
    """A method call's body; parameters left None are omitted, the rest are strings."""
    collection = [{'Name': key, 'Value': value} for key, value in parameters.items() if value is not None]
    return {'MethodName': name, 'Version': VERSION, 'ParameterCollection': collection}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class PioneerRxSettings(TypeSettings):
    base_url: str
    # A setting, not a secret: a CA certificate is public (the server shows it to anyone who connects); what matters
    # is its integrity, which the configuration table's access control gives, and operators can see which one is
    # pinned (`rxrouter pharmacies show`). Trusted instead of the public CAs, with verification on.
    ca_certificate_pem: str | None = Field(default=None, validate_default=True)
    requested_by_employee_id: Annotated[str, Field(pattern=r'^\d{1,18}$')]
    # ASSUMPTION: the pharmacy's own type ids (its PioneerRx configuration): no public list exists.
    origin_type_id: Annotated[str, Field(pattern=r'^\d{1,9}$')]
    quantity_type_id: Annotated[str, Field(pattern=r'^\d{1,9}$')]
    # ASSUMPTION: an NCPDP DAW code ('0': no product selection indicated); the router's API carries no DAW field.
    dispense_as_written: Annotated[str, Field(pattern=r'^\d$')] = '0'
    # ASSUMPTION: PatientAdd's GenderID codes as one public client sends them.
    male_gender_id: Annotated[str, Field(pattern=r'^\d{1,9}$')] = '1'
    female_gender_id: Annotated[str, Field(pattern=r'^\d{1,9}$')] = '2'

    @field_validator('base_url')
    @classmethod
    def https_or_loopback(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
        except ValueError:
            raise ValueError('must be a URL') from None
        if parts.scheme == 'https' and parts.hostname:
            return value
        if parts.scheme == 'http' and parts.hostname in LOOPBACK_HOSTS:
            return value  # the local stack's sandbox on loopback
        raise ValueError('must be an https URL (plain http only to a loopback address)')

    @field_validator('ca_certificate_pem')
    @classmethod
    def pem_for_https(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and PEM_CERTIFICATE not in value:
            raise ValueError('must be a PEM certificate (-----BEGIN CERTIFICATE-----)')
        if value is None and str(info.data.get('base_url', '')).startswith('https:'):
            raise ValueError("required: PioneerRx servers present a self-issued certificate; give the pharmacy's CA in PEM")
        return value


class PioneerRxCredentials(TypeSettings):
    api_key: Annotated[str, Field(min_length=1)]
    shared_secret: Annotated[str, Field(min_length=1)]


class PioneerRx(PharmacyType):
    name: ClassVar[str] = 'pioneerrx'
    settings_model = PioneerRxSettings
    credentials_model = PioneerRxCredentials
    capabilities = frozenset({Capability.STATUS})

    @classmethod
    def trusted_ca_pem(cls, settings: Any) -> str | None:
        pem: str | None = settings.ca_certificate_pem
        return pem

    def translate(self, submission_id: str, rx: 'PrescriptionSubmission', drug: CatalogMatch) -> dict[str, Any]:
        """The calls send() makes, in order: the lookups of the pharmacy's patient and prescriber ids (PatientAdd
        only when the search finds nobody), then RxAddOnHold, to which send() adds PatientID and WrittenByID."""
        s, patient, ship, med = self.settings, rx.patient, rx.ship_to, rx.medication
        employee = s.requested_by_employee_id
        return {
            # ASSUMPTION: parameter names of PatientSearch / PatientAdd / PrescriberSearch as one public client sends
            # them; dates as ISO yyyy-MM-dd, which .NET parses in every culture (M/d/yyyy does not).
            'PatientSearch': method(
                'PatientSearch',
                RequestedByEmployeeID=employee,
                LastName=patient.last_name,
                FirstName=patient.first_name,
                DateOfBirth=patient.dob,
            ),
            'PatientAdd': method(
                'PatientAdd',
                RequestedByEmployeeID=employee,
                FirstName=patient.first_name,
                LastName=patient.last_name,
                DateOfBirth=patient.dob,
                GenderID=s.male_gender_id if patient.gender == 'male' else s.female_gender_id,
                # ASSUMPTION: the patient lives at the ship-to address (the router's API has no patient address).
                AddressLine1=ship.address_line1,
                AddressLine2=ship.address_line2,
                City=ship.city,
                State=ship.state,
                ZipCode=ship.zip,
                PrimaryPhone=phone_digits(patient.phone),
                Email=patient.email,
            ),
            'PrescriberSearch': method('PrescriberSearch', RequestedByEmployeeID=employee, NPI=rx.prescriber.npi),
            'RxAddOnHold': method(
                'RxAddOnHold',
                RequestedByEmployeeID=employee,  # ASSUMPTION: as the public clients pass it to every method
                # ASSUMPTION: written when submitted; the router's API carries no written date.
                DateWritten=utc_now().date().isoformat(),
                Directions=med.sig,
                Quantity=_number(med.quantity),
                QuantityTypeID=s.quantity_type_id,
                NumberOfRefillsAllowed=str(med.refills),
                OriginTypeID=s.origin_type_id,
                MedicationNDC=drug.native_id,
                DispenseAsWritten=s.dispense_as_written,
                ScriptImage=rx.prescriber.signature_base64,
                InformationalComment=med.note,
                PrescriberOrderNumber=submission_id,
            ),
        }

    def send(self, native: dict[str, Any], *, test: bool) -> PharmacyAccepted:
        patient_id = self._patient_id(native, test)
        prescriber_id = self._lookup(native['PrescriberSearch'], 'prescriberSearchResults', test)
        if prescriber_id is None:
            raise PharmacyFailed(
                f"{self.label}: the prescriber's NPI is not registered at the pharmacy; "
                'the pharmacy must add the prescriber before the order can be sent'
            )
        order = native['RxAddOnHold']
        ids = [{'Name': 'PatientID', 'Value': patient_id}, {'Name': 'WrittenByID', 'Value': prescriber_id}]
        body = {**order, 'ParameterCollection': ids + order['ParameterCollection']}
        answer = self._call(body, test)
        transaction = _first(answer, 'rxTransaction')
        order_id = transaction.get('rxTransactionID') if transaction else None
        if not order_id:
            raise PharmacyFailed(f'{self.label} accepted the request but returned no rxTransactionID', raw=answer)
        return PharmacyAccepted(order_id=str(order_id), raw=answer)

    def status(self, pharmacy_order_id: str, *, test: bool) -> PharmacyReport:
        # ASSUMPTION: GetRxTransaction takes the id as `RxTransactionID` (one public client).
        body = method(
            'GetRxTransaction', RequestedByEmployeeID=self.settings.requested_by_employee_id, RxTransactionID=pharmacy_order_id
        )
        answer = self._call(body, test)
        transaction = _first(answer, 'rxTransaction')
        if transaction is None:
            raise PharmacyFailed(f'{self.label} has no transaction {pharmacy_order_id}', raw=answer)
        fill_state = transaction.get('fillState')
        raw = fill_state.strip() if isinstance(fill_state, str) and fill_state.strip() else None
        # ASSUMPTION: a tracking number, when PioneerRx has one, as `trackingNumber` (one public client reads it).
        tracking = str(transaction.get('trackingNumber') or '').strip()
        return PharmacyReport(
            order_id=pharmacy_order_id,
            raw_status=raw,
            status=FILL_STATES.get(raw.lower()) if raw else None,
            tracking_number=tracking or None,
        )

    def _patient_id(self, native: dict[str, Any], test: bool) -> str:
        found = self._lookup(native['PatientSearch'], 'patientSearchResults', test)
        if found is not None:
            return found
        added = self._lookup(native['PatientAdd'], 'patient', test)
        if added is None:
            raise PharmacyFailed(f'{self.label} registered no patient record: the order was not sent')
        return added

    def _lookup(self, body: dict[str, Any], collection: str, test: bool) -> str | None:
        """The one person id a lookup answers (None: nobody). Several matches are refused, never guessed between.

        ASSUMPTION: the answer's `results.<collection>[].personID`, as one public client reads it."""
        name = body['MethodName']
        try:
            answer = self._call(body, test)
        except PharmacyFailed as failure:
            how = f' with HTTP {failure.http_status}' if failure.http_status else ''
            # No raw answer is kept: a lookup's answer may describe other people (it reaches the client's GET).
            raise PharmacyFailed(
                f'{self.label} {name} failed{how} before the order was placed: the order was not sent',
                http_status=failure.http_status,
            ) from None
        ids = {str(row['personID']) for row in _rows(answer, collection) if row.get('personID')}
        if len(ids) > 1:
            raise PharmacyFailed(
                f'{self.label}: {name} matched more than one record; the pharmacy must resolve the duplicates '
                'before the order can be sent (the order was not sent)'
            )
        return ids.pop() if ids else None

    def _call(self, body: dict[str, Any], test: bool) -> Any:
        url = self.settings.base_url.rstrip('/') + (TEST_PATH if test else LIVE_PATH)
        stamp = timestamp(utc_now())
        headers = {
            'prx-api-key': self.credentials.api_key,
            'prx-timestamp': stamp,
            'prx-signature': signature(stamp, self.credentials.shared_secret),
        }
        return post_json(self.http, self.label, url, body, headers)


def _rows(answer: Any, collection: str) -> list[dict[str, Any]]:
    """`results.<collection>`: the rows of a method's answer (objects only)."""
    results = answer.get('results') if isinstance(answer, dict) else None
    rows = results.get(collection) if isinstance(results, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _first(answer: Any, collection: str) -> dict[str, Any] | None:
    rows = _rows(answer, collection)
    return rows[0] if rows else None


PHARMACY_TYPE = PioneerRx
