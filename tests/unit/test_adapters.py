from typing import Any

import httpx
import pytest

from rx_router.adapters import boothwyn_b2b, strive
from rx_router.adapters.base import UnsupportedMedication
from rx_router.adapters.outcomes import PharmacyFailed
from rx_router.pharmacies import PHARMACIES
from rx_router.redaction import REDACTED, scrub
from rx_router.validation.prescription import parse_submission
from tests.fake_pharmacies import FakePharmacies
from tests.support import submission

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-000000000001'


def boothwyn(name: str = 'boothwyn', fake: FakePharmacies | None = None) -> boothwyn_b2b.Adapter:
    config = boothwyn_b2b.BoothwynSettings(base_url=f'https://{name}.example/')
    creds = boothwyn_b2b.BoothwynCredentials(api_key=f'{name}-key')
    return boothwyn_b2b.Adapter(PHARMACIES[name], config, creds, httpx.Client(transport=(fake or FakePharmacies()).transport()))


def strive_adapter(fake: FakePharmacies | None = None, **config: Any) -> strive.Adapter:
    defaults = {'catalog_semaglutide': 'cat-sema', 'catalog_tirzepatide': 'cat-tirz'}
    settings = strive.StriveSettings(
        base_url='https://strive.example', sandbox_url='https://sandbox.strive.example', **{**defaults, **config}
    )
    creds = strive.StriveCredentials(client_id='cid', client_secret='csecret')
    return strive.Adapter(PHARMACIES['strive'], settings, creds, httpx.Client(transport=(fake or FakePharmacies()).transport()))


@pytest.fixture(autouse=True)
def no_cached_tokens() -> None:
    strive._tokens.clear()


FULL = submission(
    clinical={
        'allergies': {'known': True, 'entries': ['penicillin']},
        'conditions': {'known': True, 'entries': ['type 2 diabetes']},
        'medications': {'known': False},
    },
    prescriber={**submission()['prescriber'], 'signatureBase64': 'aGVsbG8=', 'deaNumber': 'AB1234563'},
    medication={**submission()['medication'], 'note': 'fragile'},
)


# --- Boothwyn B2B -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('name', 'sku'),
    [
        ('Semaglutide 2.5mg/mL', '12565'),
        ('TIRZEPATIDE 10mg/mL', '12850'),
        ('NAD+ 100mg/mL', '12832'),
        ('Sermorelin 9mg', 'UNKNOWN_SKU'),
    ],
)
def test_boothwyn_sku_mapping(name: str, sku: str) -> None:
    assert boothwyn_b2b.sku_for(name) == sku


def test_boothwyn_native_body() -> None:
    native = boothwyn().translate(SUBMISSION_ID, parse_submission(FULL))
    assert native == {
        'caseId': SUBMISSION_ID,
        'orderType': 1,
        'shippingMethod': 43,
        'patient': {
            'firstName': 'Jane',
            'lastName': 'Smith',
            'email': 'jane.smith@example.com',
            'phoneNumber': '5551234567',
            'dateOfBirth': '1990-03-15',
            'gender': 'f',
            'address': {'address1': '123 Main St', 'address2': 'Apt 4B', 'city': 'Austin', 'state': 'TX', 'zipCode': '78701'},
            'allergies': ['penicillin'],
            'medications': [],
            'conditions': ['type 2 diabetes'],
        },
        'clinician': {'fullName': 'Ali Nolan', 'licenses': [{'type': 'npi', 'value': '1982609764'}]},
        'prescriptions': [
            {
                'sku': '12565',
                'amount': 1,
                'unit': 'vial',
                'daysSupply': 28,
                'instructions': FULL['medication']['sig'],
                'notes': 'fragile',
            }
        ],
    }


def test_boothwyn_male_maps_to_m() -> None:
    body = submission(patient={**submission()['patient'], 'gender': 'male'})
    assert boothwyn().translate(SUBMISSION_ID, parse_submission(body))['patient']['gender'] == 'm'


@pytest.mark.parametrize(
    ('name', 'test', 'url'),
    [
        ('boothwyn', False, 'https://boothwyn.example/api/Prescriptions/B2B'),
        ('boothwyn', True, 'https://boothwyn.example/api/Prescriptions/B2B?test=true'),
        ('gmp', False, 'https://gmp.example/api/Prescriptions/B2B'),
    ],
)
def test_boothwyn_send(name: str, test: bool, url: str) -> None:
    fake = FakePharmacies()
    adapter = boothwyn(name, fake)
    accepted = adapter.send(adapter.translate(SUBMISSION_ID, parse_submission(submission())), test=test)
    assert accepted.order_id == SUBMISSION_ID
    [call] = fake.calls
    assert call.url == url
    assert call.headers['x-functions-key'] == f'{name}-key'


def test_boothwyn_unsuccessful_answer_is_a_rejection() -> None:
    def reject(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={'Results': [], 'TotalCount': 0, 'Message': 'Invalid SKU', 'Success': False})

    adapter = boothwyn_b2b.Adapter(
        PHARMACIES['gmp'],
        boothwyn_b2b.BoothwynSettings(base_url='https://gmp.example/'),
        boothwyn_b2b.BoothwynCredentials(api_key='k'),
        httpx.Client(transport=httpx.MockTransport(reject)),
    )
    with pytest.raises(PharmacyFailed) as err:
        adapter.send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == 'GMP rejected the order (see responsePayload)'
    assert err.value.raw['Message'] == 'Invalid SKU'


@pytest.mark.parametrize(
    ('status', 'message'),
    [
        (500, 'Boothwyn API error 500: Internal Server Error'),
        (400, 'Boothwyn API error 400: Bad Request'),
        (302, 'Boothwyn API error 302: Found'),
    ],
)
def test_boothwyn_http_errors(status: int, message: str) -> None:
    fake = FakePharmacies(fail_with=status)
    with pytest.raises(PharmacyFailed) as err:
        boothwyn('boothwyn', fake).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == message
    assert err.value.http_status == status


def test_connect_error_says_order_was_not_sent_and_read_timeout_says_it_may_have_been() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError('refused', request=request)

    adapter = boothwyn_b2b.Adapter(
        PHARMACIES['boothwyn'],
        boothwyn_b2b.BoothwynSettings(base_url='https://b.example/'),
        boothwyn_b2b.BoothwynCredentials(api_key='k'),
        httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    with pytest.raises(PharmacyFailed, match='was not sent'):
        adapter.send({'caseId': SUBMISSION_ID}, test=False)
    with pytest.raises(PharmacyFailed, match='may have received'):
        boothwyn('boothwyn', FakePharmacies(timeout=True)).send({'caseId': SUBMISSION_ID}, test=False)


# --- Strive -----------------------------------------------------------------------------------


def test_strive_native_body() -> None:
    native = strive_adapter().translate(SUBMISSION_ID, parse_submission(FULL))
    address = {
        'line1': '123 Main St',
        'line2': 'Apt 4B',
        'city': 'Austin',
        'state': 'TX',
        'postal_code': '78701',
        'country': 'US',
    }
    assert native['patient'] == {
        'first_name': 'Jane',
        'last_name': 'Smith',
        'dob': '1990-03-15',
        'gender': 'female',
        'phone': '555-123-4567',
        'email': 'jane.smith@example.com',
        'address': address,
    }
    assert native['prescriber'] == {
        'first_name': 'Ali',
        'last_name': 'Nolan',
        'npi': '1982609764',
        'dea_number': 'AB1234563',
        'phone': '555-987-6543',
        'address': {'line1': '456 Medical Pkwy', 'city': 'Dallas', 'state': 'TX', 'postal_code': '75201', 'country': 'US'},
    }
    assert native['order'] == {'bill_to': 'practice', 'ship_to': 'patient', 'sender_order_id': SUBMISSION_ID}
    assert native['shipment'] == {
        'recipient_first_name': 'Jane',
        'recipient_last_name': 'Smith',
        'recipient_phone': '555-123-4567',
        'recipient_email': 'jane.smith@example.com',
        'address': address,
    }
    assert native['clinical'] == {
        'allergies': {'has_known_allergies': True, 'entries': [{'description': 'penicillin'}]},
        'diseases': {'has_known_diseases': True, 'entries': [{'description': 'type 2 diabetes'}]},
        'medications': {'has_known_medications': False},
    }
    assert native['signed_prescription_image'] == 'aGVsbG8='
    [request] = native['medication_requests']
    authored = request.pop('authored_on_datetime')
    assert authored.endswith('Z')
    assert request == {
        'type': 'new',
        'preset_catalog_id': 'cat-sema',
        'sender_med_request_id': f'{SUBMISSION_ID}-1',
        'medication_name': 'Semaglutide 2.5mg/mL',
        'quantity': 1,
        'quantity_units': 'ML',
        'days_supply_duration': 28,
        'refills': 0,
        'instructions': FULL['medication']['sig'],
        'note': 'fragile',
        'clinical_difference': 'BMI 32, type 2 diabetes',
    }


def test_strive_bill_to_follows_clinical_bill_to() -> None:
    body = submission(clinical={'billTo': 'patient'})
    assert strive_adapter().translate(SUBMISSION_ID, parse_submission(body))['order']['bill_to'] == 'patient'


def test_strive_tirzepatide_catalog_and_unmapped_medication() -> None:
    tirz = submission(medication={**submission()['medication'], 'name': 'Tirzepatide 10mg/mL'})
    native = strive_adapter().translate(SUBMISSION_ID, parse_submission(tirz))
    assert native['medication_requests'][0]['preset_catalog_id'] == 'cat-tirz'
    nad = submission(medication={**submission()['medication'], 'name': 'NAD+ 100mg/mL'})
    with pytest.raises(UnsupportedMedication) as err:
        strive_adapter().translate(SUBMISSION_ID, parse_submission(nad))
    assert err.value.status == 422
    assert 'NAD' not in err.value.message


def test_strive_without_configured_catalog_id_refuses() -> None:
    with pytest.raises(UnsupportedMedication):
        strive_adapter(catalog_semaglutide=None).catalog_id('Semaglutide 2.5mg/mL')


def test_strive_token_is_fetched_once_and_reused_until_expiry() -> None:
    fake = FakePharmacies()
    adapter = strive_adapter(fake)
    native = adapter.translate(SUBMISSION_ID, parse_submission(submission()))
    first = adapter.send(native, test=False)
    second = adapter.send(native, test=False)
    assert first.order_id != second.order_id
    [token_call] = fake.token_calls()
    assert token_call.url == 'https://strive.example/api/v1/generate-access-token'
    assert token_call.body == {'client_id': 'cid', 'client_secret': 'csecret'}
    assert all(c.headers['authorization'] == 'Bearer tok-1' for c in fake.orders())


def test_strive_expired_token_is_refetched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePharmacies(strive_token_ttl=61)  # lifetime minus the 60 s margin: expires after one second
    adapter = strive_adapter(fake)
    native = adapter.translate(SUBMISSION_ID, parse_submission(submission()))
    adapter.send(native, test=False)
    clock = strive.time.monotonic() + 5
    monkeypatch.setattr(strive.time, 'monotonic', lambda: clock)
    adapter.send(native, test=False)
    assert len(fake.token_calls()) == 2


def test_strive_test_mode_uses_sandbox_for_token_and_order() -> None:
    fake = FakePharmacies()
    adapter = strive_adapter(fake)
    adapter.send(adapter.translate(SUBMISSION_ID, parse_submission(submission())), test=True)
    assert [c.url for c in fake.calls] == [
        'https://sandbox.strive.example/api/v1/generate-access-token',
        'https://sandbox.strive.example/api/v1/orders',
    ]


def test_strive_401_retries_once_with_a_new_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': f'tok-{len(seen)}', 'expires_in': 3600})
        seen.append(request.headers['authorization'])
        if len(seen) == 1:
            return httpx.Response(401, json={'message': 'Unauthenticated'})
        return httpx.Response(201, json={'order_tracking_id': 'STV-1'})

    strive._tokens[('https://strive.example', 'cid')] = (strive.time.monotonic() + 1000, 'revoked')
    adapter = strive_adapter()
    adapter.http = httpx.Client(transport=httpx.MockTransport(handler))
    assert adapter.send({'order': {}}, test=False).order_id == 'STV-1'
    assert seen == ['Bearer revoked', 'Bearer tok-1']


def test_strive_422_is_a_failure_with_the_native_error_kept() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': 't', 'expires_in': 3600})
        return httpx.Response(422, json={'message': 'The given data was invalid.', 'errors': {'patient.dob': ['invalid']}})

    adapter = strive_adapter()
    adapter.http = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(PharmacyFailed) as err:
        adapter.send({}, test=False)
    assert err.value.message == 'Strive API error 422: Unprocessable Entity'
    assert err.value.raw['errors'] == {'patient.dob': ['invalid']}


def test_scrub_removes_credentials_at_any_depth() -> None:
    raw = {'access_token': 'a', 'data': [{'client_secret': 'b', 'Authorization': 'c', 'x-functions-key': 'd', 'ok': 1}]}
    assert scrub(raw) == {
        'access_token': REDACTED,
        'data': [{'client_secret': REDACTED, 'Authorization': REDACTED, 'x-functions-key': REDACTED, 'ok': 1}],
    }
