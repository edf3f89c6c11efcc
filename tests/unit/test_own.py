"""The OWN type: Standard Webhooks signatures (the specification's vector, the tolerance, rotation, malformed
headers, the static-header mode), its settings, its order body and signed submit, and its events."""

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import standardwebhooks.webhooks
from pydantic import BaseModel, ValidationError

from rx_router.domain.statuses import Status
from rx_router.errors import ValidationFailed
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.pharmacy_types.own import (
    WEBHOOK,
    Own,
    OwnCredentials,
    OwnSettings,
    signature_headers,
    signing_key,
    verify_signature,
)
from rx_router.validation.prescription import parse_submission
from tests.own_support import (
    CREDENTIALS,
    NEW_SECRET,
    OLD_SECRET,
    ORDER_URL,
    SIGNING_SECRET,
    VECTOR_SECRET,
    bind,
    drug,
)
from tests.support import submission

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-0000000000e1'
# The Standard Webhooks specification's test vector.
VECTOR_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Sets the verifier's 'now' (the library reads datetime.now) to a unix time."""
    now = {'at': VECTOR_TIMESTAMP}

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> 'Frozen':
            return cls.fromtimestamp(now['at'], tz or UTC)

    monkeypatch.setattr(standardwebhooks.webhooks, 'datetime', Frozen)

    def set_to(at: int) -> None:
        now['at'] = at

    yield set_to


def vector_headers(**overrides: str) -> dict[str, str]:
    return {
        'webhook-id': VECTOR_ID,
        'webhook-timestamp': str(VECTOR_TIMESTAMP),
        'webhook-signature': VECTOR_SIGNATURE,
        **overrides,
    }


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


# --- the type ------------------------------------------------------------------------------------------------


def test_registered_with_a_per_instance_webhook() -> None:
    assert registry.get('own') is Own
    assert Own.capabilities == frozenset()
    assert Own.webhook is WEBHOOK
    assert WEBHOOK.per_instance
    assert WEBHOOK.path('own-clinic') == '/rx/webhooks/pharmacy/own-clinic'


@pytest.mark.parametrize(
    ('model', 'values'),
    [
        (OwnSettings, {}),
        (OwnSettings, {'order_url': 'orders.clinic.test'}),
        (OwnSettings, {'order_url': ORDER_URL, 'webhook_auth': 'hmac'}),
        (OwnSettings, {'order_url': ORDER_URL, 'webhook_auth': 'static_header'}),
        (OwnSettings, {'order_url': ORDER_URL, 'webhook_auth': 'static_header', 'static_header': 'X Secret'}),
        (OwnSettings, {'order_url': ORDER_URL, 'webhook_auth': 'static_header', 'static_header': 'webhook-signature'}),
        (OwnSettings, {'order_url': ORDER_URL, 'base_url': ORDER_URL}),
        (OwnCredentials, {}),
        (OwnCredentials, {'signing_secret': 'plain-text-secret'}),
        (OwnCredentials, {'signing_secret': 'whsec_c2hvcnQ='}),  # 5 bytes: too short
        (OwnCredentials, {'signing_secret': SIGNING_SECRET, 'api_key': 'k'}),
    ],
)
def test_settings_and_credentials_models_refuse_bad_values(model: type[BaseModel], values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(values)


def test_settings_defaults_and_static_header_mode() -> None:
    assert OwnSettings.model_validate({'order_url': ORDER_URL}).webhook_auth == 'standard'
    static = OwnSettings.model_validate(
        {'order_url': ORDER_URL, 'webhook_auth': 'static_header', 'static_header': 'x-clinic-secret'}
    )
    assert (static.webhook_auth, static.static_header) == ('static_header', 'x-clinic-secret')


# --- signatures ----------------------------------------------------------------------------------------------


def test_whsec_secrets_are_base64_after_the_prefix() -> None:
    key = signing_key(VECTOR_SECRET)
    assert key is not None and len(key) == 24
    assert signing_key(VECTOR_SECRET.removeprefix('whsec_')) == key  # the prefix is optional
    assert signing_key(f' {VECTOR_SECRET}\n') == key
    assert signing_key(NEW_SECRET.rstrip('=')) == signing_key(NEW_SECRET)  # unpadded base64
    for bad in ('whsec_', 'whsec_not base64!', 'whsec_c2hvcnQ=', 'whsec_' + 'QUFB' * 30, 'local-webhook-secret'):
        assert signing_key(bad) is None


def test_signing_reproduces_the_specification_vector() -> None:
    headers = signature_headers(VECTOR_SECRET, VECTOR_ID, VECTOR_BODY, at=at(VECTOR_TIMESTAMP))
    assert headers == vector_headers()


def test_the_specification_vector_verifies(clock: Callable[[int], None]) -> None:
    assert verify_signature([VECTOR_SECRET], vector_headers(), VECTOR_BODY) == (True, '', VECTOR_ID)
    assert verify_signature([VECTOR_SECRET.removeprefix('whsec_')], vector_headers(), VECTOR_BODY).valid


@pytest.mark.parametrize(
    ('skew', 'valid'),
    [(0, True), (-299, True), (299, True), (-300, True), (300, True), (-301, False), (301, False), (-86_400, False)],
)
def test_timestamp_tolerance_is_five_minutes_either_way(clock: Callable[[int], None], skew: int, valid: bool) -> None:
    """The request was signed at VECTOR_TIMESTAMP; the router's clock reads that minus the skew."""
    clock(VECTOR_TIMESTAMP - skew)
    verdict = verify_signature([VECTOR_SECRET], vector_headers(), VECTOR_BODY)
    assert verdict.valid is valid
    if not valid:
        assert verdict.reason == 'webhook-timestamp outside 5 minutes'


def test_one_valid_signature_among_several_is_enough(clock: Callable[[int], None]) -> None:
    other = signature_headers(NEW_SECRET, VECTOR_ID, VECTOR_BODY, at=at(VECTOR_TIMESTAMP))['webhook-signature']
    for listed in (f'{other} {VECTOR_SIGNATURE}', f'{VECTOR_SIGNATURE} {other}', f'v2,abc {VECTOR_SIGNATURE}'):
        assert verify_signature([VECTOR_SECRET], vector_headers(**{'webhook-signature': listed}), VECTOR_BODY).valid
    assert not verify_signature([VECTOR_SECRET], vector_headers(**{'webhook-signature': other}), VECTOR_BODY).valid


def test_during_a_rotation_both_secrets_verify_and_no_other() -> None:
    body = b'{"type":"order.shipped"}'
    for signer in (OLD_SECRET, NEW_SECRET):
        assert verify_signature([OLD_SECRET, NEW_SECRET], signature_headers(signer, 'msg_1', body), body).valid
    assert not verify_signature([NEW_SECRET], signature_headers(OLD_SECRET, 'msg_1', body), body).valid  # rotated out
    assert not verify_signature([OLD_SECRET, NEW_SECRET], signature_headers(VECTOR_SECRET, 'msg_1', body), body).valid


@pytest.mark.parametrize(
    ('headers', 'body', 'reason'),
    [
        (vector_headers(), b'{"test": 2432232315}', 'invalid signature'),  # the body changed
        (vector_headers(**{'webhook-id': 'msg_other'}), VECTOR_BODY, 'invalid signature'),
        (vector_headers(**{'webhook-timestamp': str(VECTOR_TIMESTAMP + 1)}), VECTOR_BODY, 'invalid signature'),
        (vector_headers(**{'webhook-signature': 'v1,' + 'A' * 44}), VECTOR_BODY, 'invalid signature'),
        (vector_headers(**{'webhook-signature': VECTOR_SIGNATURE.replace('v1,', 'v1a,')}), VECTOR_BODY, 'invalid signature'),
        (vector_headers(**{'webhook-signature': 'v1'}), VECTOR_BODY, 'malformed webhook-signature'),
        (vector_headers(**{'webhook-signature': ''}), VECTOR_BODY, 'missing or malformed webhook headers'),
        (vector_headers(**{'webhook-timestamp': ''}), VECTOR_BODY, 'missing or malformed webhook headers'),
        (vector_headers(**{'webhook-timestamp': 'yesterday'}), VECTOR_BODY, 'missing or malformed webhook headers'),
        (vector_headers(**{'webhook-id': ''}), VECTOR_BODY, 'missing or malformed webhook-id'),
        (vector_headers(**{'webhook-id': 'msg#1'}), VECTOR_BODY, 'missing or malformed webhook-id'),
        (vector_headers(**{'webhook-id': 'm' * 201}), VECTOR_BODY, 'missing or malformed webhook-id'),
        (vector_headers(), b'\xff\xfe', 'malformed webhook-signature'),
    ],
)
def test_what_does_not_verify_and_why(clock: Callable[[int], None], headers: dict[str, str], body: bytes, reason: str) -> None:
    assert verify_signature([VECTOR_SECRET], headers, body) == (False, reason, None)


def test_missing_headers_do_not_verify(clock: Callable[[int], None]) -> None:
    for name in ('webhook-id', 'webhook-timestamp', 'webhook-signature'):
        headers = {k: v for k, v in vector_headers().items() if k != name}
        assert not verify_signature([VECTOR_SECRET], headers, VECTOR_BODY).valid


def test_secrets_that_are_not_standard_webhooks_secrets_verify_nothing(clock: Callable[[int], None]) -> None:
    verdict = verify_signature(['plain-secret', 'whsec_c2hvcnQ='], vector_headers(), VECTOR_BODY)
    assert verdict == (False, 'no usable webhook secret configured', None)
    assert verify_signature(['plain-secret', VECTOR_SECRET], vector_headers(), VECTOR_BODY).valid


STATIC = OwnSettings.model_validate({'order_url': ORDER_URL, 'webhook_auth': 'static_header', 'static_header': 'x-clinic-secret'})
STANDARD = OwnSettings.model_validate({'order_url': ORDER_URL})


def test_static_header_mode_compares_the_configured_header() -> None:
    secrets = ['legacy-old', 'legacy-new']
    for presented in secrets:
        assert Own.authenticate_webhook(STATIC, secrets, {'x-clinic-secret': presented}, b'{}') == (True, '', None)
    for headers in ({}, {'x-clinic-secret': ''}, {'x-clinic-secret': 'legacy-new '}, {'x-webhook-secret': 'legacy-new'}):
        assert Own.authenticate_webhook(STATIC, secrets, headers, b'{}') == (False, 'invalid secret', None)
    # A Standard Webhooks signature is not what such an instance checks.
    signed = signature_headers(NEW_SECRET, 'msg_1', b'{}')
    assert not Own.authenticate_webhook(STATIC, [NEW_SECRET], signed, b'{}').valid
    # A webhook-id it sends names the event.
    named = {'x-clinic-secret': 'legacy-new', 'webhook-id': 'evt_7'}
    assert Own.authenticate_webhook(STATIC, secrets, named, b'{}') == (True, '', 'evt_7')


def test_standard_mode_ignores_a_static_secret() -> None:
    body = b'{}'
    assert not Own.authenticate_webhook(STANDARD, [NEW_SECRET], {'x-clinic-secret': NEW_SECRET}, body).valid
    assert Own.authenticate_webhook(STANDARD, [NEW_SECRET], signature_headers(NEW_SECRET, 'msg_9', body), body) == (
        True,
        '',
        'msg_9',
    )


# --- events --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('event', 'status'),
    [
        ('order.shipped', Status.SHIPPED),
        ('order.fulfilled', Status.SHIPPED),
        ('order.out_for_delivery', Status.SHIPPED),
        ('order.delivered', Status.DELIVERED),
        ('order.cancelled', Status.CANCELLED),
    ],
)
def test_events_map_to_statuses_and_keep_the_raw_event(event: str, status: Status) -> None:
    report = Own.parse_webhook(
        {
            'type': event,
            'pharmacyOrderId': 'OWN-1',
            'submissionId': SUBMISSION_ID,
            'occurredAt': '2026-03-19T14:30:00Z',
            'tracking': {'carrier': 'UPS', 'number': '1Z999', 'url': 'https://track.example/1Z999'},
            'lineIds': ['1'],
        }
    )
    assert report == (
        'OWN-1',
        event,
        status,
        '1Z999',
        'UPS',
        SUBMISSION_ID,
        'https://track.example/1Z999',
    )


def test_an_event_without_tracking() -> None:
    report = Own.parse_webhook({'type': 'order.delivered', 'pharmacyOrderId': 'OWN-1', 'occurredAt': '2026-03-19T14:30:00Z'})
    assert (report.status, report.tracking_number, report.carrier, report.tracking_url, report.reference_id) == (
        Status.DELIVERED,
        None,
        None,
        None,
        None,
    )


def test_an_unknown_event_is_unknown() -> None:
    report = Own.parse_webhook({'type': 'order.created', 'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now'})
    assert report.unknown_status and report.raw_status == 'order.created'
    assert WEBHOOK.refuses_unknown_status


@pytest.mark.parametrize(
    'body',
    [
        {'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now'},
        {'type': 'order.shipped', 'occurredAt': 'now'},
        {'type': 'order.shipped', 'pharmacyOrderId': 'OWN-1'},
        {'type': 'order.shipped', 'pharmacyOrderId': 7, 'occurredAt': 'now'},
        {'type': 'order.shipped', 'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now', 'tracking': {'url': 'javascript:x'}},
        {'type': 'order.shipped', 'pharmacyOrderId': 'OWN-1', 'occurredAt': 'now', 'tracking': 'T1'},
    ],
)
def test_malformed_events_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        Own.parse_webhook(body)
    assert Own.webhook_order_id(body) == (body['pharmacyOrderId'] if isinstance(body.get('pharmacyOrderId'), str) else None)


# --- the order -----------------------------------------------------------------------------------------------

FULL = submission(
    prescriber={**submission()['prescriber'], 'deaNumber': 'AB1234563'},
    medication={**submission()['medication'], 'note': 'fragile', 'refills': 2},
    test=True,
)


def answering(status: int, body: Any, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


def test_native_order_body() -> None:
    native = bind(answering(500, None)).translate(SUBMISSION_ID, parse_submission(FULL), drug('semaglutide'))
    assert native == {
        'submissionId': SUBMISSION_ID,
        'test': True,
        'patient': {
            'firstName': 'Jane',
            'lastName': 'Smith',
            'dob': '1990-03-15',
            'gender': 'female',
            'phone': '5551234567',
            'email': 'jane.smith@example.com',
        },
        'shipTo': {
            'firstName': 'Jane',
            'lastName': 'Smith',
            'phone': '5551234567',
            'addressLine1': '123 Main St',
            'addressLine2': 'Apt 4B',
            'city': 'Austin',
            'state': 'TX',
            'zip': '78701',
        },
        'prescriber': {'firstName': 'Ali', 'lastName': 'Nolan', 'npi': '1982609764', 'deaNumber': 'AB1234563'},
        'medication': {
            'productId': 'semaglutide',
            'pharmacyProductId': 'OWN-SEMA-025',
            'name': 'Semaglutide 2.5mg/mL',
            'quantity': 1,
            'daysSupply': 28,
            'refills': 2,
            'sig': 'Inject 0.25mL subcutaneously once weekly for 4 weeks',
            'note': 'fragile',
        },
    }


def test_native_order_body_without_the_optional_parts() -> None:
    body = submission(
        patient={k: v for k, v in submission()['patient'].items() if k != 'email'},
        shipTo={k: v for k, v in submission()['shipTo'].items() if k != 'addressLine2'},
    )
    native = bind(answering(500, None)).translate(SUBMISSION_ID, parse_submission(body), drug('tirzepatide'))
    assert 'email' not in native['patient'] and 'addressLine2' not in native['shipTo']
    assert 'deaNumber' not in native['prescriber'] and 'note' not in native['medication']
    assert native['test'] is False
    assert native['medication']['pharmacyProductId'] == 'OWN-TIRZ-010'


def test_send_posts_the_order_signed_with_the_submission_id_as_webhook_id() -> None:
    seen: list[httpx.Request] = []
    pharmacy = bind(answering(201, {'pharmacyOrderId': 'OWN-77', 'status': 'received'}, seen))
    native = pharmacy.translate(SUBMISSION_ID, parse_submission(FULL), drug('semaglutide'))
    accepted = pharmacy.send(native, test=False)
    assert (accepted.order_id, accepted.raw) == ('OWN-77', {'pharmacyOrderId': 'OWN-77', 'status': 'received'})
    [request] = seen
    assert (request.method, str(request.url), request.headers['content-type']) == ('POST', ORDER_URL, 'application/json')
    assert json.loads(request.content) == {**native, 'test': False}  # the router's test decision is the one sent
    assert request.headers['webhook-id'] == SUBMISSION_ID
    headers = {name: request.headers[name] for name in ('webhook-id', 'webhook-timestamp', 'webhook-signature')}
    assert verify_signature([CREDENTIALS['signing_secret']], headers, request.content).valid
    assert not verify_signature([NEW_SECRET], headers, request.content).valid
    assert abs(int(headers['webhook-timestamp']) - datetime.now(UTC).timestamp()) < 5


@pytest.mark.parametrize(
    ('status', 'answer'), [(201, {}), (200, {'pharmacyOrderId': ' '}), (200, ['OWN-1']), (422, {'error': 'no'})]
)
def test_send_without_an_order_id_or_refused_fails(status: int, answer: Any) -> None:
    pharmacy = bind(answering(status, answer))
    native = pharmacy.translate(SUBMISSION_ID, parse_submission(FULL), drug('semaglutide'))
    with pytest.raises(PharmacyFailed) as failed:
        pharmacy.send(native, test=True)
    assert failed.value.http_status == (status if status >= 400 else None)


def test_the_webhook_function_loads_no_http_client_and_no_request_model() -> None:
    probe = (
        'import sys, functions.own_webhook.app;'
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', 'reportlab')}"
        " | ({'prescription'} if 'rx_router.validation.prescription' in sys.modules else set())))"
    )
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'
