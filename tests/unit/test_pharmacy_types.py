"""The pharmacy types, bound to the seeded instances and driven against the local stack's sandbox pharmacies."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from rx_router import cache
from rx_router.cache import TtlCache
from rx_router.domain.statuses import Status
from rx_router.errors import ConfigurationError
from rx_router.pharmacies.adapters import validated_credentials, validated_settings
from rx_router.pharmacies.records import PharmacyConfig, PharmacyInstance
from rx_router.pharmacies.seed import default_catalog, default_pharmacies, default_routes
from rx_router.pharmacy_types import registry, rxvortex
from rx_router.pharmacy_types.base import Capability, CatalogMatch, PharmacyType
from rx_router.pharmacy_types.boothwyn_b2b import UNKNOWN_SKU, BoothwynB2B, BoothwynCredentials, BoothwynSettings
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.pharmacy_types.rxvortex import RxVortex, RxVortexCredentials, RxVortexSettings
from rx_router.redaction import REDACTED, scrub
from rx_router.routing.resolve import NoPharmacy, Request, resolve
from rx_router.service.submit import routing_request
from rx_router.validation.prescription import PrescriptionSubmission, parse_submission
from tests.fake_pharmacies import FakePharmacies
from tests.support import SEED_PARAMETERS, submission

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-000000000001'
OTHER_ID = '3f1e2d3c-0000-4000-8000-000000000002'

INSTANCES = {p.id: p for p in default_pharmacies(SEED_PARAMETERS)}
CATALOG = tuple(default_catalog(SEED_PARAMETERS))
CONFIG = PharmacyConfig(pharmacies=INSTANCES, catalog=CATALOG, routes=tuple(default_routes()))
CREDENTIALS = {
    'boothwyn': {'api_key': 'boothwyn-key'},
    'gmp': {'api_key': 'gmp-key'},
    'strive': {'client_id': 'cid', 'client_secret': 'csecret'},
}
STRIVE_URL = 'https://strive.pharmacy.test'
STRIVE_SANDBOX_URL = 'https://sandbox.strive.pharmacy.test'

FULL = submission(
    clinical={
        'allergies': {'known': True, 'entries': ['penicillin']},
        'conditions': {'known': True, 'entries': ['type 2 diabetes']},
        'medications': {'known': False},
    },
    prescriber={**submission()['prescriber'], 'signatureBase64': 'aGVsbG8=', 'deaNumber': 'AB1234563'},
    medication={**submission()['medication'], 'note': 'fragile'},
)


@pytest.fixture(autouse=True)
def no_cached_tokens() -> Iterator[None]:
    TtlCache.clear_all()
    yield
    TtlCache.clear_all()


def sandboxes(token_ttl_seconds: int = 86_400, **behaviour: Any) -> FakePharmacies:
    fake = FakePharmacies.serving(INSTANCES.values(), CATALOG, CREDENTIALS, token_ttl_seconds=token_ttl_seconds)
    for name, value in behaviour.items():
        setattr(fake, name, value)
    return fake


def bind(pharmacy: str, transport: httpx.BaseTransport | None = None, instance: PharmacyInstance | None = None) -> Any:
    """The instance's type, bound as the router binds it (settings and credentials validated by the type)."""
    instance = instance or INSTANCES[pharmacy]
    cls = registry.get(instance.type)
    return cls(
        instance,
        cls.settings_model.model_validate(instance.settings),
        cls.credentials_model.model_validate(CREDENTIALS[instance.credentials_key]),
        httpx.Client(transport=transport or sandboxes().transport()),
    )


def handler(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(answer)


def drug(pharmacy: str, product: str) -> CatalogMatch:
    entry = CONFIG.entry(pharmacy, product)
    assert entry is not None
    return CatalogMatch(entry.product, entry.native_id, entry)


def rx(body: dict[str, Any] | None = None, **overrides: Any) -> PrescriptionSubmission:
    return parse_submission(body if body is not None else submission(**overrides))


def routed(body: dict[str, Any]) -> Request:
    return routing_request(parse_submission(body))


def with_medication(name: str, state: str = 'WA') -> dict[str, Any]:
    return submission(
        medication={**submission()['medication'], 'name': name},
        shipTo={**submission()['shipTo'], 'state': state},
        routing={'patientState': state},
    )


# --- the registry and the types' models ----------------------------------------------------------------


def test_registry() -> None:
    assert registry.names() == ['beluga', 'boothwyn_b2b', 'dispensepro', 'lifefile', 'own', 'pioneerrx', 'rxvortex']
    assert registry.get('boothwyn_b2b') is BoothwynB2B
    assert registry.get('rxvortex') is RxVortex
    for name in registry.names():
        assert registry.get(name).name == name


@pytest.mark.parametrize('name', ['strive', 'Boothwyn_B2B', '', 'base'])
def test_unknown_types(name: str) -> None:
    with pytest.raises(registry.UnknownType):
        registry.get(name)
    assert issubclass(registry.UnknownType, KeyError)


@pytest.mark.parametrize(
    ('model', 'values'),
    [
        (BoothwynSettings, {'base_url': 'https://b.example/', 'colour': 'red'}),
        (BoothwynCredentials, {'api_key': 'k', 'client_id': 'c'}),
        (RxVortexSettings, {'base_url': 'https://s.example', 'sandbox_url': 'https://t.example', 'catalog_semaglutide': 'x'}),
        (RxVortexCredentials, {'client_id': 'c', 'client_secret': 's', 'api_key': 'k'}),
    ],
)
def test_settings_models_refuse_unknown_keys(model: type, values: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as err:
        model.model_validate(values)
    assert [e['type'] for e in err.value.errors()] == ['extra_forbidden']


@pytest.mark.parametrize(
    ('model', 'values'),
    [
        (BoothwynSettings, {'base_url': 'ftp://b.example/'}),
        (BoothwynSettings, {}),
        (BoothwynCredentials, {'api_key': ''}),
        (RxVortexSettings, {'base_url': 'https://s.example'}),
        (RxVortexSettings, {'base_url': 's.example', 'sandbox_url': 'https://t.example'}),
        (RxVortexCredentials, {'client_id': 'c', 'client_secret': '  '}),
    ],
)
def test_settings_models_refuse_missing_and_invalid_values(model: type, values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(values)


def test_settings_defaults() -> None:
    assert BoothwynSettings(base_url='https://b.example/') == BoothwynSettings(
        base_url='https://b.example/', shipping_method=43, unit='vial'
    )
    assert RxVortexSettings(base_url='https://s.example', sandbox_url='https://t.example').quantity_units == 'ML'


def test_the_router_binds_an_instance_with_its_types_models() -> None:
    bad = INSTANCES['boothwyn'].model_copy(update={'settings': {'base_url': 'ftp://nowhere', 'colour': 'red'}})
    with pytest.raises(ConfigurationError) as err:
        validated_settings(bad)
    assert err.value.detail == 'boothwyn settings invalid or missing: base_url, colour'
    assert 'ftp://nowhere' not in err.value.detail
    with pytest.raises(ConfigurationError) as err:
        validated_credentials(INSTANCES['strive'], {'client_id': 'cid', 'client_secret': 'the-secret-value', 'extra': 1})
    assert err.value.detail == 'strive credentials missing or incomplete under "strive" in the credentials secret'
    assert validated_credentials(INSTANCES['gmp'], {'api_key': 'k'}) == BoothwynCredentials(api_key='k')
    assert validated_settings(INSTANCES['strive']) == RxVortexSettings(base_url=STRIVE_URL, sandbox_url=STRIVE_SANDBOX_URL)


def test_unmatched_medications() -> None:
    assert BoothwynB2B.unmatched_native_id == UNKNOWN_SKU == 'UNKNOWN_SKU'
    assert RxVortex.unmatched_native_id is None
    assert PharmacyType.unmatched_native_id is None


# --- Boothwyn B2B (Boothwyn and GMP) -------------------------------------------------------------------


@pytest.mark.parametrize('state', ['WA', 'NY'])  # a Boothwyn state and a GMP state: one type, one table
@pytest.mark.parametrize(
    ('name', 'sku'),
    [
        ('Semaglutide 2.5mg/mL', '12565'),
        ('TIRZEPATIDE 10mg/mL', '12850'),
        ('NAD+ 100mg/mL', '12832'),
        ('Sermorelin 9mg', 'UNKNOWN_SKU'),
    ],
)
def test_boothwyn_sku_mapping(state: str, name: str, sku: str) -> None:
    body = with_medication(name, state)
    decision = resolve(routed(body), CONFIG)
    assert (decision.pharmacy, decision.pharmacy_type) == ({'WA': 'boothwyn', 'NY': 'gmp'}[state], 'boothwyn_b2b')
    assert decision.drug.native_id == sku
    native = bind(decision.pharmacy).translate(SUBMISSION_ID, rx(body), decision.drug)
    assert [p['sku'] for p in native['prescriptions']] == [sku]


def test_boothwyn_native_body() -> None:
    native = bind('boothwyn').translate(SUBMISSION_ID, rx(FULL), drug('boothwyn', 'semaglutide'))
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


def test_boothwyn_native_body_without_the_optional_parts() -> None:
    body = submission(
        patient={k: v for k, v in submission()['patient'].items() if k != 'email'},
        shipTo={k: v for k, v in submission()['shipTo'].items() if k != 'addressLine2'},
    )
    native = bind('gmp').translate(SUBMISSION_ID, rx(body), drug('gmp', 'tirzepatide'))
    assert native['patient']['email'] == ''
    assert native['patient']['address'] == {'address1': '123 Main St', 'city': 'Austin', 'state': 'TX', 'zipCode': '78701'}
    assert (native['patient']['allergies'], native['patient']['medications'], native['patient']['conditions']) == ([], [], [])
    assert native['prescriptions'] == [
        {'sku': '12850', 'amount': 1, 'unit': 'vial', 'daysSupply': 28, 'instructions': body['medication']['sig']}
    ]


def test_boothwyn_settings_shape_the_body() -> None:
    instance = INSTANCES['boothwyn'].model_copy(
        update={'settings': {'base_url': 'https://boothwyn.pharmacy.test/', 'shipping_method': 7, 'unit': 'pen'}}
    )
    native = bind('boothwyn', instance=instance).translate(SUBMISSION_ID, rx(), drug('boothwyn', 'semaglutide'))
    assert (native['shippingMethod'], native['prescriptions'][0]['unit']) == (7, 'pen')


@pytest.mark.parametrize(('gender', 'code'), [('male', 'm'), ('female', 'f')])
def test_boothwyn_gender_mapping(gender: str, code: str) -> None:
    body = submission(patient={**submission()['patient'], 'gender': gender})
    assert bind('boothwyn').translate(SUBMISSION_ID, rx(body), drug('boothwyn', 'semaglutide'))['patient']['gender'] == code


@pytest.mark.parametrize(
    ('name', 'test', 'url'),
    [
        ('boothwyn', False, 'https://boothwyn.pharmacy.test/api/Prescriptions/B2B'),
        ('boothwyn', True, 'https://boothwyn.pharmacy.test/api/Prescriptions/B2B?test=true'),
        ('gmp', False, 'https://gmp.pharmacy.test/api/Prescriptions/B2B'),
        ('gmp', True, 'https://gmp.pharmacy.test/api/Prescriptions/B2B?test=true'),
    ],
)
def test_boothwyn_send(name: str, test: bool, url: str) -> None:
    fake = sandboxes()
    pharmacy = bind(name, fake.transport())
    native = pharmacy.translate(SUBMISSION_ID, rx(), drug(name, 'semaglutide'))
    accepted = pharmacy.send(native, test=test)
    assert accepted.order_id == SUBMISSION_ID
    assert accepted.raw['Success'] is True
    [call] = fake.calls
    assert (call.method, call.url, call.body) == ('POST', url, native)
    assert call.headers['x-functions-key'] == f'{name}-key'
    assert fake.by_pharmacy[name].orders[SUBMISSION_ID].test is test


def test_boothwyn_unsuccessful_answer_is_a_rejection() -> None:
    def reject(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={'Results': [], 'TotalCount': 0, 'Message': 'Invalid SKU', 'Success': False})

    with pytest.raises(PharmacyFailed) as err:
        bind('gmp', handler(reject)).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == 'GMP rejected the order (see responsePayload)'
    assert err.value.raw['Message'] == 'Invalid SKU'


@pytest.mark.parametrize(
    'answer', [{'Success': True, 'Results': []}, {'Success': True}, {'Success': 'true', 'Results': [{'CaseId': 'c'}]}, [1]]
)
def test_boothwyn_success_needs_results(answer: Any) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind('boothwyn', handler(lambda request: httpx.Response(200, json=answer))).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == 'Boothwyn rejected the order (see responsePayload)'
    assert err.value.raw == answer


def test_boothwyn_case_id_defaults_to_ours() -> None:
    answer = {'Success': True, 'Results': [{'TimeStamp': 'now'}]}
    accepted = bind('boothwyn', handler(lambda request: httpx.Response(200, json=answer))).send(
        {'caseId': SUBMISSION_ID}, test=False
    )
    assert accepted.order_id == SUBMISSION_ID


def test_boothwyn_unknown_sku_is_sent_and_the_pharmacy_rejects_it() -> None:
    body = with_medication('Sermorelin 9mg')
    decision = resolve(routed(body), CONFIG)
    fake = sandboxes()
    pharmacy = bind(decision.pharmacy, fake.transport())
    with pytest.raises(PharmacyFailed) as err:
        pharmacy.send(pharmacy.translate(SUBMISSION_ID, rx(body), decision.drug), test=False)
    assert err.value.message == 'Boothwyn API error 400: Bad Request'
    assert err.value.http_status == 400
    assert err.value.raw == {'Results': [], 'TotalCount': 0, 'Message': 'prescriptions.0.sku: Unknown SKU', 'Success': False}
    assert [c.body['prescriptions'][0]['sku'] for c in fake.orders()] == ['UNKNOWN_SKU']


@pytest.mark.parametrize(
    ('status', 'message'),
    [
        (500, 'Boothwyn API error 500: Internal Server Error'),
        (400, 'Boothwyn API error 400: Bad Request'),
        (302, 'Boothwyn API error 302: Found'),
    ],
)
def test_boothwyn_http_errors(status: int, message: str) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind('boothwyn', sandboxes(fail_with=status).transport()).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == message
    assert err.value.http_status == status
    assert err.value.raw == {'message': 'failure', 'access_token': 'leaked-token'}


def test_connect_error_says_order_was_not_sent_and_read_timeout_says_it_may_have_been() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError('refused', request=request)

    with pytest.raises(PharmacyFailed) as err:
        bind('boothwyn', handler(refuse)).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == 'Boothwyn API unreachable: the order was not sent'
    with pytest.raises(PharmacyFailed) as err:
        bind('boothwyn', sandboxes(timeout=True).transport()).send({'caseId': SUBMISSION_ID}, test=False)
    assert err.value.message == (
        'Boothwyn API timeout: the pharmacy may have received the order; check with the pharmacy before resubmitting'
    )
    assert (err.value.raw, err.value.http_status) == (None, None)


def test_a_connection_lost_mid_request_may_have_delivered_the_order() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError('peer closed connection', request=request)

    with pytest.raises(PharmacyFailed) as err:
        bind('gmp', handler(drop)).send({'caseId': SUBMISSION_ID}, test=False)
    assert (
        err.value.message
        == 'GMP API connection failed mid-request: the pharmacy may have received the order; check before resubmitting'
    )


def test_a_2xx_without_json_may_have_delivered_the_order() -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind('boothwyn', handler(lambda request: httpx.Response(200, text='<html>ok</html>'))).send({'caseId': 'c'}, test=False)
    assert err.value.message == 'Boothwyn API answered HTTP 200 without a JSON body: the pharmacy may have received the order'


# --- Strive (RxVortex) ----------------------------------------------------------------------------------


def test_strive_native_body() -> None:
    native = bind('strive').translate(SUBMISSION_ID, rx(FULL), drug('strive', 'semaglutide'))
    address = {
        'line1': '123 Main St',
        'line2': 'Apt 4B',
        'city': 'Austin',
        'state': 'TX',
        'postal_code': '78701',
        'country': 'US',
    }
    [request] = native.pop('medication_requests')
    authored = request.pop('authored_on_datetime')
    assert authored.endswith('Z')
    assert request == {
        'type': 'new',
        'preset_catalog_id': 'cat-sema-25',
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
    assert native == {
        'patient': {
            'first_name': 'Jane',
            'last_name': 'Smith',
            'dob': '1990-03-15',
            'gender': 'female',
            'phone': '555-123-4567',
            'email': 'jane.smith@example.com',
            'address': address,
        },
        'prescriber': {
            'first_name': 'Ali',
            'last_name': 'Nolan',
            'npi': '1982609764',
            'dea_number': 'AB1234563',
            'phone': '555-987-6543',
            'address': {'line1': '456 Medical Pkwy', 'city': 'Dallas', 'state': 'TX', 'postal_code': '75201', 'country': 'US'},
        },
        'order': {'bill_to': 'practice', 'ship_to': 'patient', 'sender_order_id': SUBMISSION_ID},
        'shipment': {
            'recipient_first_name': 'Jane',
            'recipient_last_name': 'Smith',
            'recipient_phone': '555-123-4567',
            'recipient_email': 'jane.smith@example.com',
            'address': address,
        },
        'clinical': {
            'allergies': {'has_known_allergies': True, 'entries': [{'description': 'penicillin'}]},
            'diseases': {'has_known_diseases': True, 'entries': [{'description': 'type 2 diabetes'}]},
            'medications': {'has_known_medications': False},
        },
        'signed_prescription_image': 'aGVsbG8=',
    }


def test_strive_native_body_without_the_optional_parts() -> None:
    body = submission(
        shipTo={k: v for k, v in submission()['shipTo'].items() if k != 'addressLine2'},
        medication={k: v for k, v in submission()['medication'].items() if k != 'clinicalJustification'},
    )
    native = bind('strive').translate(SUBMISSION_ID, rx(body), drug('strive', 'semaglutide'))
    assert native['patient']['address']['line2'] == ''
    assert 'clinical' not in native and 'signed_prescription_image' not in native
    assert not {'note', 'clinical_difference'} & native['medication_requests'][0].keys()


def test_strive_bill_to_follows_clinical_bill_to() -> None:
    body = submission(clinical={'billTo': 'patient'})
    native = bind('strive').translate(SUBMISSION_ID, rx(body), drug('strive', 'semaglutide'))
    assert native['order']['bill_to'] == 'patient'
    assert 'clinical' not in native


def test_strive_tirzepatide_catalog_and_unmapped_medication() -> None:
    tirz = with_medication('Tirzepatide 10mg/mL', 'TX')
    decision = resolve(routed(tirz), CONFIG)
    assert (decision.pharmacy, decision.drug) == ('strive', drug('strive', 'tirzepatide'))
    native = bind('strive').translate(SUBMISSION_ID, rx(tirz), decision.drug)
    assert native['medication_requests'][0]['preset_catalog_id'] == 'cat-tirz-10'
    for name, reason in (
        ('NAD+ 100mg/mL', 'no catalog item for product nad'),
        ('Sermorelin 9mg', 'no catalog item matches the medication (set medication.productId, or add a catalog rule)'),
    ):
        with pytest.raises(NoPharmacy) as err:
            resolve(routed(with_medication(name, 'TX')), CONFIG)
        assert err.value.status == 422
        assert err.value.message == f'No pharmacy can fill this prescription for state TX: strive (state route): {reason}'
        assert name not in err.value.message and 'NAD' not in err.value.message


def test_strive_without_configured_catalog_id_refuses() -> None:
    parameters = {**SEED_PARAMETERS, 'StriveCatalogSemaglutide': ''}
    config = PharmacyConfig(pharmacies=INSTANCES, catalog=tuple(default_catalog(parameters)), routes=CONFIG.routes)
    with pytest.raises(NoPharmacy) as err:
        resolve(routed(submission()), config)
    assert (
        err.value.message
        == 'No pharmacy can fill this prescription for state TX: strive (state route): no catalog item for product semaglutide'
    )


def test_strive_token_is_fetched_once_and_reused_until_expiry() -> None:
    fake = sandboxes()
    pharmacy = bind('strive', fake.transport())
    first = pharmacy.send(pharmacy.translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide')), test=False)
    second = pharmacy.send(pharmacy.translate(OTHER_ID, rx(), drug('strive', 'semaglutide')), test=False)
    assert first.order_id != second.order_id
    assert first.order_id.startswith('STV-ORD-')
    [token_call] = fake.token_calls()
    assert token_call.url == 'https://strive.pharmacy.test/api/v1/generate-access-token'
    assert token_call.body == {'client_id': 'cid', 'client_secret': 'csecret'}
    assert 'authorization' not in token_call.headers
    [token] = fake.by_pharmacy['strive'].tokens
    assert [c.url for c in fake.orders()] == ['https://strive.pharmacy.test/api/v1/orders'] * 2
    assert [c.headers['authorization'] for c in fake.orders()] == [f'Bearer {token}'] * 2


def test_strive_token_is_shared_by_bindings_of_the_same_instance() -> None:
    fake = sandboxes()
    bind('strive', fake.transport()).send(
        bind('strive').translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide')), test=False
    )
    bind('strive', fake.transport()).send(bind('strive').translate(OTHER_ID, rx(), drug('strive', 'semaglutide')), test=False)
    assert len(fake.token_calls()) == 1


def test_strive_expired_token_is_refetched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = sandboxes(token_ttl_seconds=61)  # lifetime minus the 60 s margin: expires after one second
    pharmacy = bind('strive', fake.transport())
    pharmacy.send(pharmacy.translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide')), test=False)
    start = cache.time.monotonic()
    monkeypatch.setattr(cache.time, 'monotonic', lambda: start + 0.5)
    pharmacy.send(pharmacy.translate(OTHER_ID, rx(), drug('strive', 'semaglutide')), test=False)
    assert len(fake.token_calls()) == 1  # still fresh
    monkeypatch.setattr(cache.time, 'monotonic', lambda: start + 5)
    pharmacy.send(pharmacy.translate('3f1e2d3c-0000-4000-8000-000000000003', rx(), drug('strive', 'semaglutide')), test=False)
    assert len(fake.token_calls()) == 2
    tokens = [c.headers['authorization'] for c in fake.orders()]
    assert tokens[0] == tokens[1] != tokens[2]


def test_strive_test_mode_uses_sandbox_for_token_and_order() -> None:
    fake = sandboxes()
    pharmacy = bind('strive', fake.transport())
    accepted = pharmacy.send(pharmacy.translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide')), test=True)
    assert [c.url for c in fake.calls] == [
        'https://sandbox.strive.pharmacy.test/api/v1/generate-access-token',
        'https://sandbox.strive.pharmacy.test/api/v1/orders',
    ]
    assert fake.by_pharmacy['strive'].orders[accepted.order_id].test is True
    # The live environment needs its own token.
    pharmacy.send(pharmacy.translate(OTHER_ID, rx(), drug('strive', 'semaglutide')), test=False)
    assert [c.url for c in fake.token_calls()] == [
        'https://sandbox.strive.pharmacy.test/api/v1/generate-access-token',
        'https://strive.pharmacy.test/api/v1/generate-access-token',
    ]


def test_strive_401_retries_once_with_a_new_token() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': f'tok-{len(seen)}', 'expires_in': 3600})
        seen.append(request.headers['authorization'])
        if len(seen) == 1:
            return httpx.Response(401, json={'message': 'Unauthenticated'})
        return httpx.Response(201, json={'order_tracking_id': 'STV-1'})

    rxvortex._tokens.put((STRIVE_URL, 'cid'), 'revoked', ttl=1000)
    assert bind('strive', handler(answer)).send({'order': {}}, test=False).order_id == 'STV-1'
    assert seen == ['Bearer revoked', 'Bearer tok-1']
    assert rxvortex._tokens.peek((STRIVE_URL, 'cid')) == 'tok-1'


def test_strive_revoked_token_against_the_sandbox() -> None:
    fake = sandboxes()
    rxvortex._tokens.put((STRIVE_URL, 'cid'), 'revoked', ttl=1000)
    pharmacy = bind('strive', fake.transport())
    assert pharmacy.send(pharmacy.translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide')), test=False).order_id
    [token] = fake.by_pharmacy['strive'].tokens
    assert [c.headers['authorization'] for c in fake.orders()] == ['Bearer revoked', f'Bearer {token}']


def test_strive_401_twice_is_a_failure_after_one_retry() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': 't', 'expires_in': 3600})
        return httpx.Response(401, json={'message': 'Unauthenticated'})

    with pytest.raises(PharmacyFailed) as err:
        bind('strive', handler(answer)).send({}, test=False)
    assert (err.value.message, err.value.http_status) == ('Strive API error 401: Unauthorized', 401)
    assert calls == ['/api/v1/generate-access-token', '/api/v1/orders', '/api/v1/generate-access-token', '/api/v1/orders']


def test_strive_refused_credentials() -> None:
    fake = sandboxes()
    instance = INSTANCES['strive']
    pharmacy = RxVortex(
        instance,
        RxVortexSettings.model_validate(instance.settings),
        RxVortexCredentials(client_id='cid', client_secret='wrong'),
        httpx.Client(transport=fake.transport()),
    )
    with pytest.raises(PharmacyFailed) as err:
        pharmacy.send({}, test=False)
    assert (err.value.message, err.value.http_status) == ('Strive token API error 401: Unauthorized', 401)
    assert fake.orders() == []


@pytest.mark.parametrize('answer', [{'token_type': 'Bearer'}, {'access_token': ''}, ['tok']])
def test_strive_token_endpoint_without_a_token(answer: Any) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind('strive', handler(lambda request: httpx.Response(200, json=answer))).send({}, test=False)
    assert err.value.message == 'Strive token endpoint returned no access token'


def test_strive_answer_without_an_order_id_is_a_failure() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': 't', 'expires_in': 3600})
        return httpx.Response(201, json={'success': True})

    with pytest.raises(PharmacyFailed) as err:
        bind('strive', handler(answer)).send({}, test=False)
    assert err.value.message == 'Strive accepted the request but returned no order_tracking_id'
    assert err.value.raw == {'success': True}


def test_strive_422_is_a_failure_with_the_native_error_kept() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith('generate-access-token'):
            return httpx.Response(200, json={'access_token': 't', 'expires_in': 3600})
        return httpx.Response(422, json={'message': 'The given data was invalid.', 'errors': {'patient.dob': ['invalid']}})

    with pytest.raises(PharmacyFailed) as err:
        bind('strive', handler(answer)).send({}, test=False)
    assert err.value.message == 'Strive API error 422: Unprocessable Entity'
    assert err.value.http_status == 422
    assert err.value.raw['errors'] == {'patient.dob': ['invalid']}


def test_strive_repeated_order_is_refused_by_the_pharmacy() -> None:
    fake = sandboxes()
    pharmacy = bind('strive', fake.transport())
    native = pharmacy.translate(SUBMISSION_ID, rx(), drug('strive', 'semaglutide'))
    pharmacy.send(native, test=False)
    with pytest.raises(PharmacyFailed) as err:
        pharmacy.send(native, test=False)
    assert (err.value.message, err.value.raw) == ('Strive API error 409: Conflict', {'message': 'Duplicate sender_order_id.'})


# --- redaction ----------------------------------------------------------------------------------------


def test_scrub_removes_credentials_at_any_depth() -> None:
    raw = {'access_token': 'a', 'data': [{'client_secret': 'b', 'Authorization': 'c', 'x-functions-key': 'd', 'ok': 1}]}
    assert scrub(raw) == {
        'access_token': REDACTED,
        'data': [{'client_secret': REDACTED, 'Authorization': REDACTED, 'x-functions-key': REDACTED, 'ok': 1}],
    }
    assert scrub({'apiKey': 'e', 'api_key': 'f', 'Password': 'g', 'credentials': {'x': 1}, 'tracking': 'h'}) == {
        'apiKey': REDACTED,
        'api_key': REDACTED,
        'Password': REDACTED,
        'credentials': REDACTED,
        'tracking': 'h',
    }
    assert scrub(['token', 3, None]) == ['token', 3, None]


def test_what_each_type_can_be_asked_is_the_documented_matrix() -> None:
    """README "Cancel and refill" and "Status queries": who can cancel from which status, refill, be asked."""
    cancel, refill, status = Capability.CANCEL, Capability.REFILL, Capability.STATUS
    found = {}
    for name in registry.names():
        kind = registry.get(name)
        found[name] = (kind.capabilities, kind.cancellable_from, kind.webhook.name if kind.webhook else None)
    assert found == {
        'beluga': (frozenset(), frozenset(), 'beluga'),
        'boothwyn_b2b': (frozenset(), frozenset(), 'boothwyn'),
        'dispensepro': (frozenset({cancel, refill, status}), frozenset({Status.SUBMITTED}), 'dispensepro'),
        'lifefile': (frozenset(), frozenset(), 'lifefile'),
        'own': (frozenset(), frozenset(), 'pharmacy'),  # per instance: /rx/webhooks/pharmacy/{pharmacyId}
        'pioneerrx': (frozenset({status}), frozenset(), None),
        'rxvortex': (frozenset({cancel, status}), frozenset({Status.SUBMITTED, Status.PROCESSING}), 'strive'),
    }
    for capabilities, cancellable, _ in found.values():
        assert bool(cancellable) == (cancel in capabilities)  # a type that cancels says from where, and only it
