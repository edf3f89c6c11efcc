"""The PioneerRx type: its signature, native bodies, lookups, status query and trusted CA, against its sandbox."""

import base64
import hashlib
import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from rx_router import http_clients
from rx_router.domain.statuses import Status
from rx_router.errors import ConfigurationError
from rx_router.pharmacies import adapters
from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from rx_router.pharmacy_types import pioneerrx, registry
from rx_router.pharmacy_types.base import Capability, CatalogMatch
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.pharmacy_types.pioneerrx import PioneerRx, PioneerRxCredentials, PioneerRxSettings
from rx_router.store import secrets  # imported at collection: botocore probes a socket when first imported
from rx_router.validation.prescription import PrescriptionSubmission, parse_submission
from tests.fake_pharmacies import FakePharmacies
from tests.support import submission

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-0000000000aa'
URL = 'https://pioneer.pharmacy.test'
# A self-signed CA made for these tests (openssl req -x509, EC P-256): trusted by nothing else.
CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBuDCCAV2gAwIBAgIUZkWy8IsfUJLhaZNgbCw9Ol/9BwwwCgYIKoZIzj0EAwIw
MDEuMCwGA1UEAwwlUGlvbmVlclJ4IHRlc3QgQ0EgKHJvdXRlciB1bml0IHRlc3Rz
KTAgFw0yNjEyMDIwMDM2MjdaGA8yMTI2MTEwODAwMzYyN1owMDEuMCwGA1UEAwwl
UGlvbmVlclJ4IHRlc3QgQ0EgKHJvdXRlciB1bml0IHRlc3RzKTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABFZRi2Kti2y4AjREzVZt+C1CAJ6nZZcfjecNTOIyScDh
45yXejOCdKpD9pF4k8zP/VhXhfDRBYj4K8pSpPIhn1CjUzBRMB0GA1UdDgQWBBRw
KuxjApw9bJw4DcmzlopeaSUsnTAfBgNVHSMEGDAWgBRwKuxjApw9bJw4Dcmzlope
aSUsnTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDgSYN6vl8P
46qNpvY2Ou7P1SDukkFVAmRGa+JXjOv3AQIhAON6FWZNkaM9RieNf+9oVqL6mZpB
tv42Xm4mp4MXguaD
-----END CERTIFICATE-----"""
SETTINGS = {
    'base_url': URL,
    'ca_certificate_pem': CA_PEM,
    'requested_by_employee_id': '2005',
    'origin_type_id': '5',
    'quantity_type_id': '1',
}
INSTANCE = PharmacyInstance(id='pioneer', type='pioneerrx', label='PioneerRx', settings=SETTINGS, credentials_key='pioneer')
CREDENTIALS = {'api_key': 'prx-key', 'shared_secret': 'prx-shared-secret'}
NDC = '99999000101'
CATALOG = [CatalogEntry(pharmacy='pioneer', product='semaglutide', name='Semaglutide', native_id=NDC, match=('semaglutide',))]
DRUG = CatalogMatch('semaglutide', NDC, CATALOG[0])
WRITTEN = datetime(2026, 12, 2, 10, 15, 30, 123456, tzinfo=UTC)
MAY_HAVE = 'the pharmacy may have received the order; check with the pharmacy before resubmitting'
PHI = ('Jane', 'Smith', '1990-03-15', '555', 'Main St', 'jane.smith@example.com')

FULL = submission(
    prescriber={**submission()['prescriber'], 'signatureBase64': 'JVBERi0xLjQK'},
    medication={**submission()['medication'], 'quantity': 2.5, 'refills': 2, 'note': 'keep refrigerated'},
)


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    http_clients._clients.clear()
    yield
    http_clients._clients.clear()


def rx(body: dict[str, Any] | None = None) -> PrescriptionSubmission:
    return parse_submission(body if body is not None else FULL)


def sandbox() -> FakePharmacies:
    fake = FakePharmacies.serving([INSTANCE], CATALOG, {'pioneer': CREDENTIALS})
    fake.by_pharmacy['pioneer'].config.timeout_seconds = 0
    return fake


def bind(transport: httpx.BaseTransport, credentials: dict[str, str] = CREDENTIALS) -> PioneerRx:
    return PioneerRx(
        INSTANCE,
        PioneerRxSettings.model_validate(SETTINGS),
        PioneerRxCredentials.model_validate(credentials),
        httpx.Client(transport=transport),
    )


def params(body: dict[str, Any]) -> dict[str, str]:
    return {p['Name']: p['Value'] for p in body['ParameterCollection']}


def answering(answer: Callable[[dict[str, Any]], Any]) -> httpx.MockTransport:
    """A pharmacy answering each method call's body with answer(body) (a dict: 200 JSON)."""
    return httpx.MockTransport(lambda request: httpx.Response(200, json=answer(json.loads(request.content))))


# --- the signature ------------------------------------------------------------------------------------


def test_signature_known_answer_vectors() -> None:
    # Expected values computed outside Python: printf '%s' "$TS$SECRET" | iconv -t UTF-16LE | openssl dgst -sha512
    # -binary | base64. The UTF-16LE bytes are written out by hand.
    stamp, secret = '2026-12-02T10:15:30.123456Z', 's3cr3t'
    utf16 = (
        b'2\x000\x002\x006\x00-\x001\x002\x00-\x000\x002\x00T\x001\x000\x00:\x001\x005\x00:\x003\x000\x00.\x00'
        b'1\x002\x003\x004\x005\x006\x00Z\x00s\x003\x00c\x00r\x003\x00t\x00'
    )
    expected = 'ZsOLp9sBC7CLcsUfNnDzXo6agIaD2q8SvOVH2J2jQKb91ZydNIHP9nF0OTyQR2mrjudcw3eI4jaRqK66I19ZUQ=='
    assert base64.b64encode(hashlib.sha512(utf16).digest()).decode() == expected
    assert pioneerrx.signature(stamp, secret) == expected
    # Non-ASCII: é is e9 00 and € is ac 20 in UTF-16LE (UTF-8 bytes would give another hash).
    assert pioneerrx.signature('2026-12-02T10:15:30.000001Z', 'sécret€') == (
        'XjDu6xqOL+wQRiUo3satE0/b2mtQqT8k85rTvysejTV1t8r4HJOGs+F+IcTuWeHsh6uEWNFQNrNDM3fhr4/Ypw=='
    )


def test_timestamp_has_six_fractional_digits_in_utc() -> None:
    assert pioneerrx.timestamp(WRITTEN) == '2026-12-02T10:15:30.123456Z'
    assert pioneerrx.timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == '2026-01-02T03:04:05.000000Z'
    eastern = datetime(2026, 12, 2, 5, 15, 30, 7, tzinfo=UTC).astimezone(ZoneInfo('America/New_York'))
    assert pioneerrx.timestamp(eastern) == '2026-12-02T05:15:30.000007Z'


def test_every_call_carries_the_key_timestamp_and_its_signature() -> None:
    fake = sandbox()
    bind(fake.transport()).send(translate(), test=True)
    for call in fake.calls:
        stamp = call.headers['prx-timestamp']
        assert call.headers['prx-api-key'] == 'prx-key'
        assert call.headers['prx-signature'] == pioneerrx.signature(stamp, 'prx-shared-secret')
        assert abs(datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(
            seconds=30
        )


# --- the type and its settings ------------------------------------------------------------------------


def test_registered_with_the_status_capability_only_and_no_webhook() -> None:
    assert registry.get('pioneerrx') is PioneerRx
    assert PioneerRx.capabilities == frozenset({Capability.STATUS})
    assert PioneerRx.webhook is None
    assert PioneerRx.unmatched_native_id is None


def test_settings_defaults_and_the_trusted_ca() -> None:
    settings = PioneerRxSettings.model_validate(SETTINGS)
    assert (settings.dispense_as_written, settings.male_gender_id, settings.female_gender_id) == ('0', '1', '2')
    assert PioneerRx.trusted_ca_pem(settings) == CA_PEM
    loopback = PioneerRxSettings.model_validate({**SETTINGS, 'base_url': 'http://127.0.0.1:8123', 'ca_certificate_pem': None})
    assert PioneerRx.trusted_ca_pem(loopback) is None


@pytest.mark.parametrize(
    ('changes', 'field'),
    [
        ({'ca_certificate_pem': None}, 'ca_certificate_pem'),  # https needs the pharmacy's CA
        ({'ca_certificate_pem': 'not a certificate'}, 'ca_certificate_pem'),
        ({'base_url': 'http://pioneer.pharmacy.test'}, 'base_url'),  # plain http only to loopback
        ({'base_url': 'ftp://127.0.0.1'}, 'base_url'),
        ({'requested_by_employee_id': 'emp-1'}, 'requested_by_employee_id'),
        ({'origin_type_id': ''}, 'origin_type_id'),
        ({'colour': 'red'}, 'colour'),
    ],
)
def test_settings_refuse_what_would_not_work(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        PioneerRxSettings.model_validate({**SETTINGS, **changes})
    assert [e['loc'][0] for e in err.value.errors()] == [field]


def test_credentials_need_key_and_secret() -> None:
    with pytest.raises(ValidationError):
        PioneerRxCredentials.model_validate({'api_key': 'k'})


# --- the native bodies ---------------------------------------------------------------------------------


def translate(body: dict[str, Any] | None = None) -> dict[str, Any]:
    return bind(sandbox().transport()).translate(SUBMISSION_ID, rx(body), DRUG)


def test_native_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pioneerrx, 'utc_now', lambda: WRITTEN)

    def call(name: str, *pairs: tuple[str, str]) -> dict[str, Any]:
        return {'MethodName': name, 'Version': '1.0', 'ParameterCollection': [{'Name': n, 'Value': v} for n, v in pairs]}

    assert translate() == {
        'PatientSearch': call(
            'PatientSearch',
            ('RequestedByEmployeeID', '2005'),
            ('LastName', 'Smith'),
            ('FirstName', 'Jane'),
            ('DateOfBirth', '1990-03-15'),
        ),
        'PatientAdd': call(
            'PatientAdd',
            ('RequestedByEmployeeID', '2005'),
            ('FirstName', 'Jane'),
            ('LastName', 'Smith'),
            ('DateOfBirth', '1990-03-15'),
            ('GenderID', '2'),
            ('AddressLine1', '123 Main St'),
            ('AddressLine2', 'Apt 4B'),
            ('City', 'Austin'),
            ('State', 'TX'),
            ('ZipCode', '78701'),
            ('PrimaryPhone', '5551234567'),
            ('Email', 'jane.smith@example.com'),
        ),
        'PrescriberSearch': call('PrescriberSearch', ('RequestedByEmployeeID', '2005'), ('NPI', '1982609764')),
        'RxAddOnHold': call(
            'RxAddOnHold',
            ('RequestedByEmployeeID', '2005'),
            ('DateWritten', '2026-12-02'),
            ('Directions', 'Inject 0.25mL subcutaneously once weekly for 4 weeks'),
            ('Quantity', '2.5'),
            ('QuantityTypeID', '1'),
            ('NumberOfRefillsAllowed', '2'),
            ('OriginTypeID', '5'),
            ('MedicationNDC', NDC),
            ('DispenseAsWritten', '0'),
            ('ScriptImage', 'JVBERi0xLjQK'),
            ('InformationalComment', 'keep refrigerated'),
            ('PrescriberOrderNumber', SUBMISSION_ID),
        ),
    }


def test_native_body_without_the_optional_parts() -> None:
    body = submission(
        patient={**submission()['patient'], 'gender': 'male', 'email': None},
        shipTo={**submission()['shipTo'], 'addressLine2': None},
    )
    native = translate(body)
    assert 'Email' not in params(native['PatientAdd'])
    assert 'AddressLine2' not in params(native['PatientAdd'])
    assert params(native['PatientAdd'])['GenderID'] == '1'
    order = params(native['RxAddOnHold'])
    assert 'ScriptImage' not in order and 'InformationalComment' not in order
    assert order['Quantity'] == '1'  # an integral quantity is written without a decimal point


def test_every_parameter_value_is_a_string() -> None:
    for call in translate().values():
        assert all(isinstance(p['Value'], str) and isinstance(p['Name'], str) for p in call['ParameterCollection'])


# --- send: lookups, then RxAddOnHold -------------------------------------------------------------------


@pytest.mark.parametrize(('test', 'path'), [(True, pioneerrx.TEST_PATH), (False, pioneerrx.LIVE_PATH)])
def test_send_registers_a_new_patient_then_places_the_order_on_hold(test: bool, path: str) -> None:
    fake = sandbox()
    accepted = bind(fake.transport()).send(translate(), test=test)
    assert [c.url for c in fake.calls] == [URL + path] * 4
    assert [c.body['MethodName'] for c in fake.calls] == ['PatientSearch', 'PatientAdd', 'PrescriberSearch', 'RxAddOnHold']
    order = fake.by_pharmacy['pioneer'].orders[accepted.order_id]
    assert (order.test, order.sender_id, order.status) == (test, SUBMISSION_ID, 'Waiting for Data Entry')
    assert set(accepted.raw['results']['rxTransaction'][0]) == {'rxTransactionID', 'rxID', 'rxNumber', 'refillNumber'}
    assert accepted.raw['results']['rxTransaction'][0]['rxTransactionID'] == accepted.order_id
    sent = params(fake.calls[-1].body)
    patient_id = fake.by_pharmacy['pioneer'].patients[(test, 'Smith', 'Jane', '1990-03-15')]
    assert (sent['PatientID'], sent['WrittenByID']) == (patient_id, 'PRE-1982609764')
    assert list(sent)[:2] == ['PatientID', 'WrittenByID']


def test_a_known_patient_is_found_not_added_again_and_the_databases_are_separate() -> None:
    fake = sandbox()
    pharmacy = bind(fake.transport())
    pharmacy.send(translate(), test=True)
    fake.calls.clear()
    pharmacy.send(translate(), test=True)
    assert [c.body['MethodName'] for c in fake.calls] == ['PatientSearch', 'PrescriberSearch', 'RxAddOnHold']
    fake.calls.clear()
    pharmacy.send(translate(), test=False)  # the live database has not met her
    assert [c.body['MethodName'] for c in fake.calls] == ['PatientSearch', 'PatientAdd', 'PrescriberSearch', 'RxAddOnHold']


def failure(transport: httpx.BaseTransport, native: dict[str, Any] | None = None) -> PharmacyFailed:
    with pytest.raises(PharmacyFailed) as err:
        bind(transport).send(native or translate(), test=True)
    assert not any(value in err.value.message for value in PHI)
    return err.value


def test_several_matching_patients_are_refused_not_guessed_between() -> None:
    def answer(body: dict[str, Any]) -> Any:
        assert body['MethodName'] == 'PatientSearch'
        return {'results': {'patientSearchResults': [{'personID': 'P1'}, {'personID': 'P2'}]}}

    assert failure(answering(answer)).message == (
        'PioneerRx: PatientSearch matched more than one record; the pharmacy must resolve the duplicates '
        'before the order can be sent (the order was not sent)'
    )


def test_an_unregistered_prescriber_is_refused() -> None:
    def answer(body: dict[str, Any]) -> Any:
        rows = {'PatientSearch': {'patientSearchResults': [{'personID': 'P1'}]}, 'PrescriberSearch': {}}
        return {'results': rows[body['MethodName']]}

    assert failure(answering(answer)).message == (
        "PioneerRx: the prescriber's NPI is not registered at the pharmacy; "
        'the pharmacy must add the prescriber before the order can be sent'
    )


def test_patient_add_without_an_id_is_a_failure() -> None:
    answer = failure(answering(lambda body: {'results': {}}))
    assert answer.message == 'PioneerRx registered no patient record: the order was not sent'


def test_a_lookup_that_fails_says_the_order_was_not_sent() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout('slow', request=request)

    assert failure(httpx.MockTransport(timeout)).message == (
        'PioneerRx PatientSearch failed before the order was placed: the order was not sent'
    )
    fake = sandbox()
    fake.fail_with = 503
    answer = failure(fake.transport())
    assert (answer.message, answer.http_status, answer.raw) == (
        'PioneerRx PatientSearch failed with HTTP 503 before the order was placed: the order was not sent',
        503,
        None,  # a lookup's answer may describe other people: never kept
    )


def test_an_answer_without_an_rx_transaction_is_a_failure() -> None:
    def answer(body: dict[str, Any]) -> Any:
        rows = {
            'PatientSearch': {'patientSearchResults': [{'personID': 'P1'}]},
            'PrescriberSearch': {'prescriberSearchResults': [{'personID': 'D1'}]},
            'RxAddOnHold': {'rxTransaction': []},
        }
        return {'results': rows[body['MethodName']]}

    err = failure(answering(answer))
    assert err.message == 'PioneerRx accepted the request but returned no rxTransactionID'
    assert err.raw == {'results': {'rxTransaction': []}}


@pytest.mark.parametrize(
    ('note', 'message', 'status'),
    [
        ('sandbox:fail-500', 'PioneerRx API error 500: Internal Server Error', 500),
        ('sandbox:reject', 'PioneerRx API error 400: Bad Request', 400),
        ('sandbox:timeout', f'PioneerRx API timeout: {MAY_HAVE}', None),
    ],
)  # fmt: skip
def test_sandbox_triggers_in_the_informational_comment(note: str, message: str, status: int | None) -> None:
    body = submission(medication={**submission()['medication'], 'note': note})
    err = failure(sandbox().transport(), translate(body))
    assert (err.message, err.http_status) == (message, status)


def test_sandbox_refuses_an_ndc_its_catalog_lacks() -> None:
    err = failure(sandbox().transport(), bind(sandbox().transport()).translate(SUBMISSION_ID, rx(), DRUG._replace(native_id='1')))
    assert err.http_status == 400
    assert err.raw == {'message': 'The request is invalid.', 'errors': ['MedicationNDC is not an item of this pharmacy']}


# --- the sandbox's authentication and validation -------------------------------------------------------


def test_sandbox_refuses_a_wrong_signature_or_key() -> None:
    for credentials in ({**CREDENTIALS, 'shared_secret': 'other'}, {**CREDENTIALS, 'api_key': 'other'}):
        with pytest.raises(PharmacyFailed) as err:
            bind(sandbox().transport(), credentials).send(translate(), test=True)
        assert err.value.http_status == 401
        assert (
            err.value.message
            == 'PioneerRx PatientSearch failed with HTTP 401 before the order was placed: the order was not sent'
        )


@pytest.mark.parametrize('skew', [timedelta(minutes=-6), timedelta(minutes=6)])
def test_sandbox_refuses_a_stale_timestamp(monkeypatch: pytest.MonkeyPatch, skew: timedelta) -> None:
    monkeypatch.setattr(pioneerrx, 'utc_now', lambda: datetime.now(UTC) + skew)
    with pytest.raises(PharmacyFailed) as err:
        bind(sandbox().transport()).status('any', test=True)
    assert err.value.http_status == 401


def test_sandbox_accepts_a_timestamp_a_little_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pioneerrx, 'utc_now', lambda: datetime.now(UTC) - timedelta(minutes=4))
    assert bind(sandbox().transport()).send(translate(), test=True).order_id


def signed(body: Any, path: str = pioneerrx.TEST_PATH) -> tuple[int, Any]:
    stamp = pioneerrx.timestamp(datetime.now(UTC))
    headers = {'prx-api-key': 'prx-key', 'prx-timestamp': stamp, 'prx-signature': pioneerrx.signature(stamp, 'prx-shared-secret')}
    fake = sandbox()
    return fake.by_pharmacy['pioneer'].handle('POST', path, '', headers, json.dumps(body).encode())


@pytest.mark.parametrize(
    ('body', 'error'),
    [
        ({'MethodName': 'GetRxTransaction', 'Version': '1.0', 'ParameterCollection': [{'Name': 'RxTransactionID', 'Value': 7}]},
         'Every ParameterCollection item must be {"Name": string, "Value": string}'),
        ({'MethodName': 'GetRxTransaction', 'Version': 1.0, 'ParameterCollection': []}, 'Version must be "1.0"'),
        ({'Version': '1.0', 'ParameterCollection': []}, 'MethodName is required'),
        ({'MethodName': 'Test', 'Version': '1.0', 'ParameterCollection': []}, 'Unknown MethodName Test'),
    ],
)  # fmt: skip
def test_sandbox_validates_the_envelope(body: dict[str, Any], error: str) -> None:
    assert signed(body) == (400, {'message': 'The request is invalid.', 'errors': [error]})


def test_sandbox_has_no_other_paths() -> None:
    assert signed({}, '/api/enterprise/method/other')[0] == 404


# --- status: GetRxTransaction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('fill_state', 'status'),
    [
        ('Waiting for Data Entry', Status.PROCESSING),
        ('Fill in Progress', Status.PROCESSING),
        ('Ready for Pharmacist Review', Status.PROCESSING),
        ('Verified', Status.PROCESSING),
        ('Ready for Shipping', Status.PROCESSING),
        ('Shipped', Status.SHIPPED),
        ('Completed', Status.DELIVERED),
        ('Cancelled', Status.CANCELLED),
        ('  cancelled ', Status.CANCELLED),
        ('Will Call', None),  # unknown: kept raw, changes nothing
    ],
)
def test_status_maps_every_fill_state(fill_state: str, status: Status | None) -> None:
    def answer(body: dict[str, Any]) -> Any:
        assert (body['MethodName'], params(body)) == (
            'GetRxTransaction',
            {'RequestedByEmployeeID': '2005', 'RxTransactionID': 'tx-1'},
        )
        return {'results': {'rxTransaction': [{'rxTransactionID': 'tx-1', 'fillState': fill_state}]}}

    report = bind(answering(answer)).status('tx-1', test=False)
    assert (report.order_id, report.raw_status, report.status, report.tracking_number) == (
        'tx-1',
        fill_state.strip(),
        status,
        None,
    )
    assert report.unknown_status is (status is None)


def test_status_without_a_transaction_is_a_failure() -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(lambda body: {'results': {'rxTransaction': []}})).status('tx-9', test=False)
    assert err.value.message == 'PioneerRx has no transaction tx-9'


def test_status_follows_the_sandbox_order_through_its_fill_states() -> None:
    fake = sandbox()
    pharmacy = bind(fake.transport())
    order_id = pharmacy.send(translate(), test=True).order_id
    assert pharmacy.status(order_id, test=True)[1:3] == ('Waiting for Data Entry', Status.PROCESSING)
    box = fake.by_pharmacy['pioneer']
    for action, raw, status, tracking in [
        ('process', 'Fill in Progress', Status.PROCESSING, None),
        ('ship', 'Shipped', Status.SHIPPED, '1Z999'),
        ('deliver', 'Completed', Status.DELIVERED, '1Z999'),
    ]:
        answer = box.handle('POST', f'/_sandbox/orders/{order_id}/{action}', '', {}, b'{"trackingNumber": "1Z999"}')
        assert answer[0] == 200 and answer[1]['webhook'] is None  # PioneerRx posts no webhook
        report = pharmacy.status(order_id, test=True)
        assert (report.raw_status, report.status, report.tracking_number) == (raw, status, tracking)
    assert fake.calls[-1].url == URL + pioneerrx.TEST_PATH
    with pytest.raises(PharmacyFailed):  # the live database does not have a test order
        pharmacy.status(order_id, test=False)


def test_sandbox_cancel_and_unknown_orders() -> None:
    fake = sandbox()
    pharmacy = bind(fake.transport())
    order_id = pharmacy.send(translate(), test=False).order_id
    box = fake.by_pharmacy['pioneer']
    assert box.handle('POST', f'/_sandbox/orders/{order_id}/cancel', '', {}, b'')[0] == 200
    assert pharmacy.status(order_id, test=False)[1:3] == ('Cancelled', Status.CANCELLED)
    assert box.handle('POST', '/_sandbox/orders/nope/ship', '', {}, b'')[0] == 404


# --- the trusted CA ------------------------------------------------------------------------------------


def test_a_trusted_ca_keeps_verification_on_and_trusts_only_that_ca() -> None:
    context = http_clients.trusting(CA_PEM)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert [dict(part[0] for part in ca['subject']) for ca in context.get_ca_certs()] == [
        {'commonName': 'PioneerRx test CA (router unit tests)'}
    ]


def test_one_client_per_trusted_ca() -> None:
    client = http_clients.pharmacy_trusting(CA_PEM)
    assert http_clients.pharmacy_trusting(CA_PEM) is client
    assert client is not http_clients.pharmacy()
    assert client.follow_redirects is False
    assert client.timeout.connect == http_clients.PHARMACY_CONNECT_SECONDS


@pytest.mark.parametrize('pem', ['', 'garbage', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'])
def test_an_unloadable_ca_is_refused(pem: str) -> None:
    with pytest.raises(http_clients.InvalidCaCertificate):
        http_clients.trusting(pem)


def test_binding_uses_the_instances_trusted_ca_and_a_bad_one_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, 'pharmacy_credentials', lambda key: CREDENTIALS if key == 'pioneer' else None)
    bound = adapters._bind(INSTANCE)
    assert bound.http is http_clients.pharmacy_trusting(CA_PEM)
    broken = INSTANCE.model_copy(
        update={'settings': {**SETTINGS, 'ca_certificate_pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'}}
    )
    with pytest.raises(ConfigurationError) as err:
        adapters._bind(broken)
    assert err.value.detail == 'pioneer settings invalid: its trusted CA certificate cannot be loaded as PEM'
    loopback = INSTANCE.model_copy(
        update={'settings': {**SETTINGS, 'base_url': 'http://127.0.0.1:1', 'ca_certificate_pem': None}}
    )
    assert adapters._bind(loopback).http is http_clients.pharmacy()
