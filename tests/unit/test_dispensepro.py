"""The DispensePro type: its models, native body, status vocabulary and webhook body, and how it reads answers."""

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from rx_router.domain.statuses import Status
from rx_router.domain.submission import PharmacyReport
from rx_router.errors import ValidationFailed
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import Capability
from rx_router.pharmacy_types.dispensepro import (
    WEBHOOK,
    DispensePro,
    DispenseProCredentials,
    DispenseProSettings,
)
from rx_router.pharmacy_types.outcomes import PharmacyFailed
from rx_router.validation.prescription import parse_submission
from tests.dispensepro_support import BASE_URL, SANDBOX_URL, bind, drug
from tests.support import load_event, submission

SUBMISSION_ID = '3f1e2d3c-0000-4000-8000-000000000001'


def answering(status: int, body: Any) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def test_registered_with_its_capabilities_and_void_window() -> None:
    assert registry.get('dispensepro') is DispensePro
    assert DispensePro.capabilities == {Capability.CANCEL, Capability.REFILL, Capability.STATUS}
    assert DispensePro.cancellable_from == {Status.SUBMITTED}  # void only before filled (processing)
    assert DispensePro.unmatched_native_id is None  # no NDC, no order
    assert DispensePro.webhook is WEBHOOK
    assert (WEBHOOK.name, WEBHOOK.secret_header, WEBHOOK.status_field) == ('dispensepro', 'x-webhook-secret', 'status')


@pytest.mark.parametrize(
    ('model', 'values'),
    [
        (DispenseProSettings, {'base_url': 'https://d.example'}),
        (DispenseProSettings, {'base_url': 'd.example', 'sandbox_url': 'https://t.example'}),
        (DispenseProSettings, {'base_url': 'https://d.example', 'sandbox_url': 'https://t.example', 'environment': 'test'}),
        (DispenseProCredentials, {'site_id': '1234', 'api_key': 'k'}),
        (DispenseProCredentials, {'site_id': '123456', 'api_key': 'k'}),
        (DispenseProCredentials, {'site_id': 'abcde', 'api_key': 'k'}),
        (DispenseProCredentials, {'site_id': '12345', 'api_key': ' '}),
        (DispenseProCredentials, {'site_id': '12345', 'api_key': 'k', 'password': 'p'}),
    ],
)
def test_settings_and_credentials_models_refuse_bad_values(model: type[BaseModel], values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(values)


FULL = submission(
    prescriber={**submission()['prescriber'], 'deaNumber': 'AB1234563'},
    medication={**submission()['medication'], 'note': 'fragile', 'refills': 2},
)


def test_native_body() -> None:
    native = bind(answering(500, None)).translate(SUBMISSION_ID, parse_submission(FULL), drug('semaglutide'))
    assert native == {
        'externalId': SUBMISSION_ID,
        'patient': {
            'firstName': 'Jane',
            'lastName': 'Smith',
            'dob': '03151990',
            'gender': 'female',
            'homePhone': '5551234567',
            'email': 'jane.smith@example.com',
        },
        'prescriber': {'firstName': 'Ali', 'lastName': 'Nolan', 'npi': '1982609764', 'deaNumber': 'AB1234563'},
        'shipTo': {
            'firstName': 'Jane',
            'lastName': 'Smith',
            'phone': '5551234567',
            'address': '123 Main St',
            'address2': 'Apt 4B',
            'city': 'Austin',
            'state': 'TX',
            'zip': '78701',
        },
        'lines': [
            {
                'lineId': '1',
                'ndc': '99999-0250-01',
                'qty': 1,
                'refills': 2,
                'sig': 'Inject 0.25mL subcutaneously once weekly for 4 weeks',
                'daysSupply': 28,
                'note': 'fragile',
            }
        ],
    }


def test_native_body_without_the_optional_parts() -> None:
    body = submission(
        patient={k: v for k, v in submission()['patient'].items() if k != 'email'},
        shipTo={k: v for k, v in submission()['shipTo'].items() if k != 'addressLine2'},
    )
    native = bind(answering(500, None)).translate(SUBMISSION_ID, parse_submission(body), drug('tirzepatide'))
    assert 'email' not in native['patient']
    assert 'address2' not in native['shipTo']
    assert 'deaNumber' not in native['prescriber']
    assert native['lines'] == [
        {
            'lineId': '1',
            'ndc': '99999-0100-01',
            'qty': 1,
            'refills': 0,
            'sig': 'Inject 0.25mL subcutaneously once weekly for 4 weeks',
            'daysSupply': 28,
        }
    ]


@pytest.mark.parametrize(
    ('raw', 'status'),
    [
        ('authorized', Status.SUBMITTED),
        ('submitted', Status.SUBMITTED),
        ('filled', Status.PROCESSING),
        ('shipped', Status.SHIPPED),
        ('delivered', Status.DELIVERED),
        ('voided', Status.VOIDED),
        ('failed', Status.FAILED),
        ('Shipped', Status.SHIPPED),
        (' FILLED ', Status.PROCESSING),
    ],
)
def test_status_vocabulary(raw: str, status: Status) -> None:
    assert WEBHOOK.normalise(raw) is status
    report = DispensePro.parse_webhook({'orderId': 'DP-1', 'status': raw})
    assert (report.raw_status, report.status) == (raw.strip(), status)


def test_status_vocabulary_is_the_guides_seven_words() -> None:
    assert sorted(WEBHOOK.vocabulary) == ['authorized', 'delivered', 'failed', 'filled', 'shipped', 'submitted', 'voided']


def test_an_unknown_status_is_kept_raw_and_accepted() -> None:
    assert WEBHOOK.refuses_unknown_status is False  # the guide says statuses "may include" its list
    report = DispensePro.parse_webhook({'orderId': 'DP-1', 'status': 'on-the-truck'})
    assert report == PharmacyReport(order_id='DP-1', raw_status='on-the-truck', status=None)
    assert report.unknown_status


def test_webhook_body_as_the_sample_event_sends_it() -> None:
    body = json.loads(load_event('dispensepro_webhook')['body'])
    assert DispensePro.parse_webhook(body) == PharmacyReport(
        order_id='DP-4000000001',
        raw_status='shipped',
        status=Status.SHIPPED,
        tracking_number='9400111899223856123456',
        carrier='USPS',
    )
    assert DispensePro.webhook_order_id(body) == 'DP-4000000001'


@pytest.mark.parametrize(
    'body',
    [
        {'status': 'shipped'},
        {'orderId': '', 'status': 'shipped'},
        {'orderId': 'DP-1'},
        {'orderId': 7, 'status': 'shipped'},
        {'orderId': 'DP-1', 'status': 'shipped', 'trackingNumber': 12},
    ],
)
def test_malformed_webhook_bodies_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        DispensePro.parse_webhook(body)


@pytest.mark.parametrize('body', [{'orderId': '  '}, {'orderId': 3}, [], None])
def test_webhook_order_id_of_bodies_without_one(body: Any) -> None:
    assert DispensePro.webhook_order_id(body) is None


def test_order_ids_are_quoted_into_the_path() -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={'orderId': 'DP-1', 'status': 'filled'})

    pharmacy = bind(httpx.MockTransport(record))
    pharmacy.status('../x?y', test=False)
    pharmacy.status('DP-1', test=True)
    assert seen == [f'{BASE_URL}/api/v1/orders/..%2Fx%3Fy', f'{SANDBOX_URL}/api/v1/orders/DP-1']


@pytest.mark.parametrize('answer', [{'status': 'authorized'}, {'orderId': ''}, ['DP-1']])
def test_send_needs_an_order_id(answer: Any) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(201, answer)).send({'externalId': SUBMISSION_ID}, test=False)
    assert err.value.message == 'DispensePro accepted the request but returned no orderId'


@pytest.mark.parametrize('answer', [{'status': 'authorized'}, {'orderId': 'DP-1', 'status': 'authorized'}])
def test_refill_needs_a_new_order_id(answer: Any) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(201, answer)).refill('DP-1', refill_id='refill-1', test=False)
    assert err.value.message == 'DispensePro accepted the refill but returned no new orderId'


def test_status_answer_without_a_status_is_a_report_without_one() -> None:
    report = bind(answering(200, {'orderId': 'DP-1'})).status('DP-1', test=False)
    assert report == PharmacyReport(order_id='DP-1')
    with pytest.raises(PharmacyFailed):
        bind(answering(200, ['DP-1'])).status('DP-1', test=False)


@pytest.mark.parametrize(
    ('status', 'message'),
    [(404, 'DispensePro API error 404: Not Found'), (401, 'DispensePro API error 401: Unauthorized')],
)
def test_status_http_errors(status: int, message: str) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(status, {'error': {'code': 'x'}})).status('DP-1', test=False)
    assert (err.value.message, err.value.http_status) == (message, status)


def test_status_read_timeout_says_it_was_a_read() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout('slow', request=request)

    with pytest.raises(PharmacyFailed) as err:
        bind(httpx.MockTransport(timeout)).status('DP-1', test=False)
    assert err.value.message == 'DispensePro API timeout while reading the order'


@pytest.mark.parametrize('answer', [{'error': {'code': 'not_voidable'}}, {'status': 'teleported'}, None])
def test_void_refused_without_a_known_status_is_a_409_failure(answer: Any) -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(409, answer)).cancel('DP-1', test=False)
    assert err.value.http_status == 409
    assert err.value.message == 'DispensePro refused to void the order (too late); it gave no current status the router knows'


def test_void_other_failures_pass_through() -> None:
    with pytest.raises(PharmacyFailed) as err:
        bind(answering(500, {'message': 'boom'})).cancel('DP-1', test=False)
    assert (err.value.http_status, err.value.message) == (500, 'DispensePro API error 500: Internal Server Error')
