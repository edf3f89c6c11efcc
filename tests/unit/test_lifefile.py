"""The LifeFile type: its native order (pinned), the signed hardcopy PDF read back, sending to its sandbox, the
Data Push parser and HTTP Basic, and the import cost kept off the handlers."""

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from rx_router.errors import BadRequest, Unprocessable, ValidationFailed
from rx_router.pharmacies.records import PharmacyConfig
from rx_router.pharmacy_types import lifefile, lifefile_hardcopy
from rx_router.pharmacy_types.base import CatalogMatch
from rx_router.pharmacy_types.lifefile import LifeFile
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.routing.resolve import NoPharmacy, resolve
from rx_router.service.submit import routing_request
from rx_router.validation.prescription import PrescriptionSubmission, parse_submission
from tests.fake_pharmacies import FakePharmacies
from tests.lifefile import (
    BELMAR,
    BELMAR_CATALOG,
    BELMAR_CREDENTIALS,
    BELMAR_SETTINGS,
    SIGNATURE_PNG,
    belmar_submission,
    controlled_submission,
    pdf_text,
    signed_pdf,
)

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-000000000001'
NOW = datetime(2026, 3, 19, 14, 30, 5, tzinfo=UTC)
SEMAGLUTIDE = CatalogMatch('semaglutide', '305157958', BELMAR_CATALOG[0])
TESTOSTERONE = CatalogMatch('testosterone-cypionate', 'TC-200', BELMAR_CATALOG[1])


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifefile, 'utc_now', lambda: NOW)


def sandbox() -> FakePharmacies:
    return FakePharmacies.serving([BELMAR], BELMAR_CATALOG, {'belmar': BELMAR_CREDENTIALS})


def belmar(transport: httpx.BaseTransport | None = None, credentials: dict[str, str] | None = None) -> LifeFile:
    return LifeFile(
        BELMAR,
        LifeFile.settings_model.model_validate(BELMAR_SETTINGS),
        LifeFile.credentials_model.model_validate(credentials or BELMAR_CREDENTIALS),
        httpx.Client(transport=transport or sandbox().transport()),
    )


def rx(body: dict[str, Any] | None = None) -> PrescriptionSubmission:
    return parse_submission(body or belmar_submission())


def hardcopy(prescription: PrescriptionSubmission) -> bytes:
    page = lifefile_hardcopy.Hardcopy(SUBMISSION_ID, '2026-03-19', 'Belmar', 'ML')
    return lifefile_hardcopy.render(prescription, page)


# --- the native order ---------------------------------------------------------------------------------------


def test_native_body_pinned() -> None:
    prescription = rx(belmar_submission(clinical={'billTo': 'patient'}))
    native = belmar().translate(SUBMISSION_ID, prescription, SEMAGLUTIDE)
    assert native == {
        'message': {'id': SUBMISSION_ID, 'sentTime': '2026-03-19 14:30:05'},
        'order': {
            'general': {'referenceId': SUBMISSION_ID, 'statusId': 'SBB'},
            'prescriber': {
                'npi': '1982609764',
                'firstName': 'Ali',
                'lastName': 'Nolan',
                'address1': '456 Medical Pkwy',
                'city': 'Dallas',
                'state': 'TX',
                'zip': '75201',
                'phone': '(555) 987-6543',
                'email': 'dr.nolan@example.com',
            },
            'practice': {'id': 988599},
            'patient': {
                'firstName': 'Jane',
                'lastName': 'Smith',
                'gender': 'f',
                'dateOfBirth': '1990-03-15',
                'address1': '123 Main St',
                'address2': 'Apt 4B',
                'city': 'Austin',
                'state': 'TX',
                'zip': '78701',
                'country': 'US',
                'phoneMobile': '(555) 123-4567',
                'email': 'jane.smith@example.com',
            },
            'shipping': {
                'recipientType': 'patient',
                'recipientFirstName': 'Jane',
                'recipientLastName': 'Smith',
                'recipientPhone': '(555) 123-4567',
                'recipientEmail': 'jane.smith@example.com',
                'addressLine1': '123 Main St',
                'addressLine2': 'Apt 4B',
                'city': 'Austin',
                'state': 'TX',
                'zipCode': '78701',
                'country': 'US',
                'service': 6227,
            },
            'billing': {'payorType': 'pat'},
            'rxs': [
                {
                    'rxType': 'new',
                    'drugName': 'Semaglutide 2.5mg/mL',
                    'drugStrength': '2.5 mg/mL',
                    'drugForm': 'Injectable solution',
                    'lfProductID': 305157958,
                    'quantity': 1,
                    'quantityUnits': 'ML',
                    'directions': 'Inject 0.25mL subcutaneously once weekly for 4 weeks',
                    'refills': 0,
                    'dateWritten': '2026-03-19',
                    'daysSupply': 28,
                    'clinicalDifferenceStatement': 'BMI 32, type 2 diabetes',
                }
            ],
            'document': {'pdfBase64': base64.b64encode(hardcopy(prescription)).decode()},
        },
    }


def test_test_orders_carry_the_test_status_id_and_the_memo() -> None:
    body = belmar_submission(test=True)
    body['medication'] = {**body['medication'], 'note': 'call before shipping'}
    general = belmar().translate(SUBMISSION_ID, rx(body), SEMAGLUTIDE)['order']['general']
    assert general == {'memo': 'call before shipping', 'referenceId': SUBMISSION_ID, 'statusId': 'SBA'}


def test_practice_billing_by_default_and_prescriber_dea_and_license() -> None:
    body = belmar_submission()
    body['prescriber'] = {**body['prescriber'], 'deaNumber': 'AB1234563', 'licenseNumber': 'M-1234', 'licenseState': 'TX'}
    order = belmar().translate(SUBMISSION_ID, rx(body), SEMAGLUTIDE)['order']
    assert order['billing'] == {'payorType': 'doc'}
    assert (order['prescriber']['dea'], order['prescriber']['licenseNumber'], order['prescriber']['licenseState']) == (
        'AB1234563',
        'M-1234',
        'TX',
    )


# --- the signed hardcopy ------------------------------------------------------------------------------------


def test_hardcopy_pdf_reads_back_with_every_field_and_the_one_signature_image() -> None:
    body = belmar_submission()
    body['prescriber'] = {**body['prescriber'], 'deaNumber': 'AB1234563', 'licenseNumber': 'M-1234', 'licenseState': 'TX'}
    native = belmar().translate(SUBMISSION_ID, rx(body), SEMAGLUTIDE)
    document = base64.b64decode(native['order']['document']['pdfBase64'])
    assert document.startswith(b'%PDF-')
    text, images = pdf_text(document)
    lines = text.splitlines()
    for label, value in [
        ('Date written:', '2026-03-19'),
        ('Patient:', 'Jane Smith'),
        ('Date of birth:', '1990-03-15'),
        ('Patient address:', '123 Main St, Apt 4B, Austin, TX 78701'),
        ('Drug:', 'Semaglutide 2.5mg/mL'),
        ('Strength:', '2.5 mg/mL'),
        ('Dosage form:', 'Injectable solution'),
        ('Quantity:', '1 ML'),
        ('Directions:', 'Inject 0.25mL subcutaneously once weekly for 4 weeks'),
        ('Refills:', '0'),
        ('Clinical difference:', 'BMI 32, type 2 diabetes'),
        ('Prescriber:', 'Ali Nolan'),
        ('Prescriber address:', '456 Medical Pkwy, Dallas, TX 75201'),
        ('NPI:', '1982609764'),
        ('DEA:', 'AB1234563'),
        ('License:', 'TX M-1234'),
        ('Reference:', SUBMISSION_ID),
    ]:
        assert lines[lines.index(label) + 1] == value, label
    assert images == 1
    from io import BytesIO

    from pypdf import PdfReader

    [image] = PdfReader(BytesIO(document)).pages[0].images
    assert image.image is not None and image.image.size == (300, 80)  # the prescriber's image, not a stand-in


def test_hardcopy_is_deterministic_and_wraps_long_directions() -> None:
    body = belmar_submission()
    body['medication'] = {**body['medication'], 'sig': 'Inject 0.25mL weekly. ' * 20}
    prescription = rx(body)
    assert hardcopy(prescription) == hardcopy(prescription)
    text, _ = pdf_text(hardcopy(prescription))
    assert ' '.join(text.split()).count('Inject 0.25mL weekly.') == 20  # nothing cut off
    assert text.count('\n') > 40  # on several lines


def test_a_hardcopy_needs_strength_form_prescriber_address_and_signature() -> None:
    body = belmar_submission()
    body['medication'] = {k: v for k, v in body['medication'].items() if k not in ('strength', 'dosageForm')}
    body['prescriber'] = {k: v for k, v in body['prescriber'].items() if k not in ('address', 'signatureBase64')}
    with pytest.raises(Unprocessable) as refused:
        belmar().translate(SUBMISSION_ID, rx(body), SEMAGLUTIDE)
    assert refused.value.message == (
        'Belmar orders carry a signed hardcopy prescription, which needs: medication.strength, medication.dosageForm, '
        'prescriber.address, prescriber.signatureBase64 (or send the signed PDF as medication.signedPrescriptionPdfBase64)'
    )


@pytest.mark.parametrize('image', [b'GIF89a not a png', b'\x89PNG\r\n\x1a\n truncated'])
def test_a_signature_that_is_not_a_readable_image_is_refused(image: bytes) -> None:
    body = belmar_submission()
    body['prescriber'] = {**body['prescriber'], 'signatureBase64': base64.b64encode(image).decode()}
    with pytest.raises(Unprocessable) as refused:
        belmar().translate(SUBMISSION_ID, rx(body), SEMAGLUTIDE)
    assert 'prescriber.signatureBase64' in refused.value.message


def test_a_controlled_line_is_never_given_a_generated_signature() -> None:
    with pytest.raises(Unprocessable) as refused:
        belmar().translate(SUBMISSION_ID, rx(controlled_submission()), TESTOSTERONE)
    assert refused.value.message.startswith(
        'Belmar needs the signed prescription of a Schedule III controlled substance: send the prescriber-signed PDF as '
        'medication.signedPrescriptionPdfBase64'
    )


def test_a_controlled_line_sends_the_prescribers_signed_pdf_and_its_schedule() -> None:
    signed = base64.b64encode(signed_pdf()).decode()
    order = belmar().translate(SUBMISSION_ID, rx(controlled_submission(signedPrescriptionPdfBase64=signed)), TESTOSTERONE)[
        'order'
    ]
    assert order['document'] == {'pdfBase64': signed}
    assert (order['rxs'][0]['scheduleCode'], order['rxs'][0]['lfProductID'], order['prescriber']['dea']) == (
        'III',
        'TC-200',
        'AB1234563',
    )


def test_routing_refuses_a_controlled_belmar_product_without_a_dea_number() -> None:
    config = PharmacyConfig(pharmacies={'belmar': BELMAR}, catalog=BELMAR_CATALOG)
    body = controlled_submission()
    body['prescriber'] = {k: v for k, v in body['prescriber'].items() if k != 'deaNumber'}
    with pytest.raises(NoPharmacy) as refused:
        resolve(routing_request(rx(body)), config)
    assert refused.value.status == 422
    assert refused.value.message == (
        'routing.preferredPharmacy belmar cannot fill this prescription: product testosterone-cypionate is a Schedule III '
        'controlled substance: prescriber.deaNumber is required'
    )


@pytest.mark.parametrize(
    ('value', 'message'),
    [
        ('not base64!', 'Must be a base64-encoded PDF'),
        (
            base64.b64encode(b'GIF89a, not a pdf').decode(),
            'Must be a base64-encoded PDF (the decoded bytes must start with %PDF-)',
        ),
        (base64.b64encode(b'%PDF-' + b'0' * 150_000).decode(), 'String should have at most 200000 characters'),
    ],
)
def test_signed_pdf_field_is_validated(value: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_submission(controlled_submission(signedPrescriptionPdfBase64=value))
    assert refused.value.field_errors == {'medication.signedPrescriptionPdfBase64': [message]}


# --- sending ------------------------------------------------------------------------------------------------


def send(body: dict[str, Any] | None = None, fake: FakePharmacies | None = None, **kwargs: Any) -> Any:
    fake = fake or sandbox()
    pharmacy = belmar(fake.transport(), **kwargs)
    prescription = rx(body)
    return pharmacy.send(pharmacy.translate(SUBMISSION_ID, prescription, SEMAGLUTIDE), test=prescription.test)


def test_send_authenticates_with_basic_and_the_account_headers_and_returns_the_order_id() -> None:
    fake = sandbox()
    accepted = send(fake=fake)
    [call] = fake.calls
    assert call.url == 'https://host47.lifefile.test:10165/lfapi/v1/order'
    assert call.headers['authorization'] == 'Basic ' + base64.b64encode(b'belmar-api:belmar-api-password').decode()
    assert (call.headers['x-vendor-id'], call.headers['x-location-id'], call.headers['x-api-network-id']) == (
        '11208',
        '110',
        '1104',
    )
    assert accepted.order_id.isdigit() and accepted.raw == {'type': 'success', 'data': {'orderId': accepted.order_id}}
    order = fake.by_pharmacy['belmar'].orders[accepted.order_id]
    assert (order.sender_id, order.test) == (SUBMISSION_ID, False)


def test_test_orders_reach_the_sandbox_as_test_orders() -> None:
    fake = sandbox()
    accepted = send(belmar_submission(test=True), fake=fake)
    assert fake.by_pharmacy['belmar'].orders[accepted.order_id].test is True


def test_wrong_credentials_are_a_401_failure() -> None:
    with pytest.raises(PharmacyFailed) as failed:
        send(credentials={'username': 'belmar-api', 'password': 'wrong'})
    assert (failed.value.http_status, failed.value.message) == (401, 'Belmar API error 401: Unauthorized')
    assert failed.value.raw == {'type': 'error', 'messages': ['Unauthorized']}


@pytest.mark.parametrize(
    ('note', 'status', 'message'),
    [
        ('sandbox:reject', 400, 'Belmar API error 400: Bad Request'),
        ('sandbox:fail-500', 500, 'Belmar API error 500: Internal Server Error'),
    ],
)
def test_sandbox_triggers(note: str, status: int, message: str) -> None:
    body = belmar_submission()
    body['medication'] = {**body['medication'], 'note': note}
    with pytest.raises(PharmacyFailed) as failed:
        send(body)
    assert (failed.value.http_status, failed.value.message) == (status, message)


def test_timeout_says_the_pharmacy_may_have_the_order() -> None:
    fake = sandbox()
    fake.timeout = True
    with pytest.raises(PharmacyFailed) as failed:
        send(fake=fake)
    assert failed.value.message.startswith('Belmar API timeout: the pharmacy may have received the order')


def test_unknown_product_is_rejected_by_the_sandbox_in_lifefile_shape() -> None:
    pharmacy = belmar()
    native = pharmacy.translate(SUBMISSION_ID, rx(), CatalogMatch('semaglutide', '999', BELMAR_CATALOG[0]))
    with pytest.raises(PharmacyFailed) as failed:
        pharmacy.send(native, test=False)
    assert failed.value.raw == {'type': 'error', 'messages': ['order.rxs.0.lfProductID: Unknown product']}


@pytest.mark.parametrize(
    ('answer', 'message'),
    [
        ({'type': 'error', 'messages': ['Invalid practice']}, 'Belmar rejected the order (see responsePayload)'),
        ({'type': 'success', 'data': {}}, 'Belmar accepted the request but returned no data.orderId'),
    ],
)
def test_a_2xx_error_or_an_answer_without_order_id_is_a_failure(answer: dict[str, Any], message: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    with pytest.raises(PharmacyFailed) as failed:
        belmar(transport).send({'order': {}}, test=False)
    assert (failed.value.message, failed.value.raw) == (message, answer)


# --- Data Push ----------------------------------------------------------------------------------------------


def test_data_push_array_becomes_one_report_per_fill() -> None:
    body = [
        {'orderId': '12345678', 'fillId': '1', 'rxStatus': 'Shipping', 'trackingNumber': '1Z1', 'shipCarrier': 'UPS'},
        {'orderId': 12345678, 'fillId': 2, 'rxStatus': 'Shipping', 'trackingNumber': '1Z1', 'shipCarrier': 'UPS'},
        {'referenceId': SUBMISSION_ID, 'rxStatus': 'Refill Due', 'shipAddressLine1': '123 Main St'},
    ]
    reports = LifeFile.parse_webhook_reports(body)
    assert [(r.order_id, r.reference_id, r.status, r.raw_status, r.tracking_number, r.carrier) for r in reports] == [
        ('12345678', None, 'shipped', 'Shipping', '1Z1', 'UPS'),
        ('12345678', None, 'shipped', 'Shipping', '1Z1', 'UPS'),
        ('', SUBMISSION_ID, None, 'Refill Due', None, None),
    ]
    assert reports[2].unknown_status
    assert LifeFile.webhook_order_id(body) == '12345678'


@pytest.mark.parametrize('body', [{'orderId': '1'}, [], 'Shipping'])
def test_data_push_must_be_a_non_empty_array(body: Any) -> None:
    with pytest.raises(BadRequest) as refused:
        LifeFile.parse_webhook_reports(body)
    assert refused.value.message == 'Data Push body must be a JSON array with at least one fill record'


def test_data_push_field_errors_name_the_fill() -> None:
    with pytest.raises(ValidationFailed) as refused:
        LifeFile.parse_webhook_reports([{'orderId': '1'}, {'rxStatus': 'Shipping'}, 'x', {'orderId': '2', 'trackingNumber': 5}])
    assert refused.value.field_errors == {
        '1.orderId': ['Required (or referenceId)'],
        '2': ['Must be a JSON object (a fill record)'],
        '3.trackingNumber': ['Input should be a valid string'],
    }


@pytest.mark.parametrize(
    ('header', 'presented'),
    [
        ('Basic ' + base64.b64encode(b'push:secret').decode(), 'push:secret'),
        ('basic   ' + base64.b64encode(b'push:secret').decode(), 'push:secret'),
        ('Bearer push:secret', None),
        ('Basic not*base64', None),
        ('Basic ' + base64.b64encode(b'\xff\xfe').decode(), None),
        (None, None),
    ],
)
def test_basic_credentials_are_what_a_lifefile_request_presents(header: str | None, presented: str | None) -> None:
    assert lifefile.WEBHOOK.provided_secret(header) == presented


def test_secret_header_types_present_the_header_itself() -> None:
    from rx_router.pharmacy_types.boothwyn_b2b import WEBHOOK

    assert WEBHOOK.provided_secret('Basic abc') == 'Basic abc'


# --- import cost --------------------------------------------------------------------------------------------


def test_handlers_never_import_reportlab_or_pillow() -> None:
    probe = (
        'import sys, functions.submit.app, functions.lifefile_webhook.app;'
        'from rx_router.pharmacy_types import registry; registry.get("lifefile");'
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('reportlab', 'PIL', 'pypdf')))"
    )
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().replace("'", '"')) == []


def test_the_hardcopy_module_loads_reportlab_only_when_it_renders() -> None:
    probe = "import sys; from rx_router.pharmacy_types import lifefile_hardcopy;print('reportlab' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'False'
    assert SIGNATURE_PNG.startswith(lifefile_hardcopy.PNG)
