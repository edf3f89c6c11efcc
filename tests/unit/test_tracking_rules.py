"""The pharmacies' webhook bodies and status vocabularies (the spec's "Webhook: Boothwyn / Strive"), through their types."""

import json
from typing import Any

import pytest

from rx_router.api.request import ApiRequest
from rx_router.domain.events import EventKind, TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport, Submission
from rx_router.errors import BadRequest, NotFound, ValidationFailed
from rx_router.pharmacies.records import PharmacyConfig
from rx_router.pharmacies.seed import default_pharmacies
from rx_router.pharmacy_types import boothwyn_b2b, registry, rxvortex
from rx_router.pharmacy_types.base import PharmacyType
from rx_router.pharmacy_types.boothwyn_b2b import BoothwynB2B
from rx_router.pharmacy_types.rxvortex import RxVortex
from rx_router.service import webhook  # imported here, where sockets are allowed (urllib3 probes IPv6 on import)
from tests.support import SEED_PARAMETERS, load_event


@pytest.mark.parametrize(
    ('raw', 'status'),
    [
        ('shipped', Status.SHIPPED),
        ('Shipped', Status.SHIPPED),
        ('SHIPPED', Status.SHIPPED),
        ('delivered', Status.DELIVERED),
        ('cancelled', Status.CANCELLED),
        ('processing', Status.PROCESSING),
        ('Processing', Status.PROCESSING),
    ],
)
def test_boothwyn_status_mapping(raw: str, status: Status) -> None:
    assert BoothwynB2B.parse_webhook({'caseId': 'c-1', 'rxStatus': raw}) == PharmacyReport('c-1', raw, status, None, None)


def test_boothwyn_vocabulary_is_the_specs() -> None:
    assert boothwyn_b2b.WEBHOOK.vocabulary == {
        'shipped': Status.SHIPPED,
        'delivered': Status.DELIVERED,
        'cancelled': Status.CANCELLED,
        'processing': Status.PROCESSING,
    }


def test_boothwyn_tracking_is_fedex() -> None:
    report = BoothwynB2B.parse_webhook({'caseId': 'c-1', 'trackingNumber': '794644790132', 'rxStatus': 'shipped'})
    assert report == PharmacyReport('c-1', 'shipped', Status.SHIPPED, '794644790132', 'FedEx')
    assert BoothwynB2B.parse_webhook({'caseId': 'c-1', 'rxStatus': 'processing'}).carrier is None
    assert BoothwynB2B.parse_webhook({'caseId': 'c-1', 'trackingNumber': '', 'rxStatus': 'shipped'}) == PharmacyReport(
        'c-1', 'shipped', Status.SHIPPED, None, None
    )


def test_boothwyn_values_are_stripped() -> None:
    report = BoothwynB2B.parse_webhook({'caseId': ' c-1 ', 'trackingNumber': ' 7946 ', 'rxStatus': ' Shipped '})
    assert report == PharmacyReport('c-1', 'Shipped', Status.SHIPPED, '7946', 'FedEx')


@pytest.mark.parametrize(
    ('raw', 'status'),
    [
        ('in-transit', Status.SHIPPED),
        ('In-Transit', Status.SHIPPED),
        ('shipped', Status.SHIPPED),
        ('delivered', Status.DELIVERED),
        ('DELIVERED', Status.DELIVERED),
        ('cancelled', Status.CANCELLED),
        ('processing', Status.PROCESSING),
    ],
)
def test_strive_status_mapping(raw: str, status: Status) -> None:
    report = RxVortex.parse_webhook({'tracking_id': 'STV-1', 'rxstatus': raw, 'trackingnumber': '1Z9', 'shippingcarrier': 'UPS'})
    assert report == PharmacyReport('STV-1', raw, status, '1Z9', 'UPS')


def test_strive_vocabulary_is_the_specs() -> None:
    assert rxvortex.WEBHOOK.vocabulary == {
        'shipped': Status.SHIPPED,
        'delivered': Status.DELIVERED,
        'cancelled': Status.CANCELLED,
        'processing': Status.PROCESSING,
        'in-transit': Status.SHIPPED,
    }


def test_strive_carrier_is_the_pharmacys() -> None:
    assert RxVortex.parse_webhook({'tracking_id': 'STV-1', 'rxstatus': 'shipped', 'trackingnumber': '1Z9'}).carrier is None
    report = RxVortex.parse_webhook({'tracking_id': 'STV-1', 'rxstatus': 'shipped', 'trackingnumber': '', 'shippingcarrier': ''})
    assert (report.tracking_number, report.carrier) == (None, None)


def test_status_is_optional() -> None:
    report = RxVortex.parse_webhook({'tracking_id': 'STV-1', 'trackingnumber': '1Z9'})
    assert report == PharmacyReport('STV-1', None, None, '1Z9', None)
    assert not report.unknown_status
    assert BoothwynB2B.parse_webhook({'caseId': 'c-1'}) == PharmacyReport('c-1')


@pytest.mark.parametrize('pharmacy_type', [BoothwynB2B, RxVortex])
def test_unknown_status_is_a_report_without_status_and_the_raw_kept(pharmacy_type: type[PharmacyType]) -> None:
    body = (
        {'caseId': 'c-1', 'rxStatus': 'teleported'}
        if pharmacy_type is BoothwynB2B
        else {'tracking_id': 'c-1', 'rxstatus': 'teleported'}
    )
    report = pharmacy_type.parse_webhook(body)
    assert report == PharmacyReport('c-1', 'teleported', None)
    assert report.unknown_status
    assert pharmacy_type.webhook is not None
    assert pharmacy_type.webhook.refuses_unknown_status is True  # the webhook service answers 400


def test_webhook_specs() -> None:
    assert (boothwyn_b2b.WEBHOOK.name, boothwyn_b2b.WEBHOOK.secret_header, boothwyn_b2b.WEBHOOK.status_field) == (
        'boothwyn',
        'x-webhook-secret',
        'rxStatus',
    )
    assert (rxvortex.WEBHOOK.name, rxvortex.WEBHOOK.secret_header, rxvortex.WEBHOOK.status_field) == (
        'strive',
        'x-webhook-secret',
        'rxstatus',
    )
    assert BoothwynB2B.webhook is boothwyn_b2b.WEBHOOK and RxVortex.webhook is rxvortex.WEBHOOK
    assert boothwyn_b2b.WEBHOOK.normalise(None) is None
    assert boothwyn_b2b.WEBHOOK.normalise('  Delivered ') is Status.DELIVERED


@pytest.mark.parametrize(
    'body',
    [
        {},
        {'caseId': ''},
        {'caseId': '   '},
        {'caseId': 7},
        {'caseId': 'c', 'rxStatus': 5},
        {'caseId': 'c', 'trackingNumber': 794644790132},
        {'caseId': 'c' * 201},
        {'caseId': 'c', 'rxStatus': 's' * 51},
    ],
)
def test_malformed_boothwyn_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as err:
        BoothwynB2B.parse_webhook(body)
    assert err.value.status == 400
    assert set(err.value.field_errors) <= {'caseId', 'rxStatus', 'trackingNumber'}


def test_malformed_body_errors_name_the_field_never_the_value() -> None:
    with pytest.raises(ValidationFailed) as err:
        BoothwynB2B.parse_webhook({'rxStatus': 'shipped'})
    assert err.value.body() == {
        'error': 'Validation failed',
        'details': {'fieldErrors': {'caseId': ['Required']}, 'formErrors': []},
    }
    with pytest.raises(ValidationFailed) as err:
        RxVortex.parse_webhook({'tracking_id': 'STV-1', 'trackingnumber': 12345678})
    assert list(err.value.field_errors) == ['trackingnumber']
    assert '12345678' not in json.dumps(err.value.body())


@pytest.mark.parametrize(
    'body', [{}, {'tracking_id': ''}, {'tracking_id': 1}, {'tracking_id': 'STV-1', 'shippingcarrier': ['UPS']}]
)
def test_malformed_strive_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        RxVortex.parse_webhook(body)


@pytest.mark.parametrize('pharmacy_type', [BoothwynB2B, RxVortex])
@pytest.mark.parametrize('body', [['tracking_id'], 'caseId', None, 7])
def test_non_object_body(pharmacy_type: type[PharmacyType], body: Any) -> None:
    with pytest.raises(BadRequest) as err:
        pharmacy_type.parse_webhook(body)
    assert err.value.body() == {'error': 'Webhook body must be a JSON object'}


def test_webhook_order_ids_are_read_without_validating_the_rest() -> None:
    assert BoothwynB2B.webhook_order_id({'caseId': ' c-1 ', 'rxStatus': 5}) == 'c-1'
    assert RxVortex.webhook_order_id({'tracking_id': 'STV-1', 'rxstatus': []}) == 'STV-1'
    for body in ({'caseId': ''}, {'caseId': 7}, [], None, {'tracking_id': 'STV-1'}):
        assert BoothwynB2B.webhook_order_id(body) is None
    assert RxVortex.webhook_order_id({'caseId': 'c-1'}) is None


# --- the webhook service's answer to an unknown status (the exact 400 of the spec) -----------------------


SECRET = 'hook-secret'


def webhook_service(monkeypatch: pytest.MonkeyPatch, known: Submission | None) -> list[tuple[str, TimelineEvent]]:
    """The webhook service with its stores replaced: the seeded pharmacies, one secret, `known` as the only order."""
    recorded: list[tuple[str, TimelineEvent]] = []
    config = PharmacyConfig(pharmacies={p.id: p for p in default_pharmacies(SEED_PARAMETERS)})
    monkeypatch.setattr(webhook, 'cached_pharmacies', lambda: config)
    monkeypatch.setattr(webhook.secrets, 'webhook_secrets', lambda key: [SECRET])
    monkeypatch.setattr(webhook.submissions, 'find_by_pharmacy_order', lambda pharmacies, order_id: known)
    monkeypatch.setattr(webhook.timeline, 'record', lambda submission_id, event: recorded.append((submission_id, event)) or True)
    monkeypatch.setattr(webhook.submissions, 'save', lambda submission: pytest.fail('an unknown status must not be saved'))
    monkeypatch.setattr(webhook.jobs, 'enqueue', lambda submission: pytest.fail('an unknown status must not call back'))
    return recorded


def post(type_name: str, body: dict[str, Any]) -> None:
    """The type's webhook event (events/*_webhook.json) with this body and the secret."""
    event = load_event('boothwyn_webhook' if type_name == 'boothwyn_b2b' else 'strive_webhook')
    event['body'] = json.dumps(body)
    event['headers']['x-webhook-secret'] = SECRET
    webhook.receive(registry.get(type_name), ApiRequest.from_event(event))


def shipped_submission(pharmacy: str, pharmacy_type: str) -> Submission:
    return Submission(
        id='sub-1',
        api_key_id='client-1',
        api_key='key-1',
        source='guide-glp',
        source_order_id='ord-1',
        callback_url='https://api.example.com/hook',
        patient_state='WA',
        medication_name='Semaglutide',
        pharmacy=pharmacy,
        pharmacy_type=pharmacy_type,
        status=Status.SHIPPED,
        test=False,
        body_hash='h',
        request_payload={},
        created_at='2025-01-01T00:00:00.000Z',
        updated_at='2025-01-01T00:00:00.000Z',
        pharmacy_order_id='c-1',
        pharmacy_status='shipped',
    )


@pytest.mark.parametrize(
    ('type_name', 'pharmacy', 'body', 'field', 'known'),
    [
        (
            'boothwyn_b2b',
            'boothwyn',
            {'caseId': 'c-1', 'rxStatus': 'teleported'},
            'rxStatus',
            'cancelled, delivered, processing, shipped',
        ),
        (
            'rxvortex',
            'strive',
            {'tracking_id': 'c-1', 'rxstatus': 'teleported'},
            'rxstatus',
            'cancelled, delivered, in-transit, processing, shipped',
        ),
    ],
)
def test_unknown_status_is_a_clear_400(
    monkeypatch: pytest.MonkeyPatch, type_name: str, pharmacy: str, body: dict[str, Any], field: str, known: str
) -> None:
    submission = shipped_submission(pharmacy, type_name)
    recorded = webhook_service(monkeypatch, submission)
    with pytest.raises(ValidationFailed) as err:
        post(type_name, body)
    assert err.value.status == 400
    assert err.value.field_errors == {field: [f'Unknown status; expected one of: {known}']}
    # The refusal is on the order's timeline; the order itself is untouched.
    [(submission_id, event)] = recorded
    assert (submission_id, event.kind, event.raw_status, event.detail) == (
        'sub-1',
        EventKind.WEBHOOK_REFUSED,
        'teleported',
        {'reason': 'unknown status', 'httpStatus': 400},
    )
    assert (submission.status, submission.pharmacy_status, submission.new_events) == (Status.SHIPPED, 'shipped', [])


def test_unknown_status_is_a_400_even_for_an_unknown_order(monkeypatch: pytest.MonkeyPatch) -> None:
    webhook_service(monkeypatch, None)
    try:
        post('boothwyn_b2b', {'caseId': 'x', 'rxStatus': 'teleported'})
    except NotFound:
        pytest.fail('404 for a body whose status is not in the vocabulary')
    except ValidationFailed as exc:
        assert exc.field_errors == {'rxStatus': ['Unknown status; expected one of: cancelled, delivered, processing, shipped']}
