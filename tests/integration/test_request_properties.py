"""The request properties of tests/unit/test_request_properties.py through the deployed handlers (moto, fake
pharmacies): any body, signed as the route requires, gets a status the README documents for the route, never a 500;
every refusal is in the spec's error shapes and echoes no value; one bad field is named by its path.

The examples of one test share its moto state and fixtures (so `function_scoped_fixture` is not a problem here):
each submission gets a sourceOrderId of its own, so no example sees another's order."""

import base64
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from rx_router.clock import iso_timestamp
from rx_router.signing import signature
from tests.fake_pharmacies import FakePharmacies
from tests.properties import ABSENT_FIELDS, BASE, MARKER, Body, assert_names_the_field, bodies, one_field_replaced
from tests.support import Credentials, LambdaContext, assert_spec_error, load_event, response_json, submission, submit_event

# README "Calling the API" and "Tracking: webhooks in, callbacks out": what each route answers.
SUBMIT_STATUSES = {201, 400, 409, 413, 422, 502, 503}
WEBHOOK_STATUSES = {200, 400, 401, 404}
shared_fixtures = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
_order_ids = itertools.count()


def with_body(event: dict[str, Any], raw: bytes, as_base64: bool) -> dict[str, Any]:
    """The event carrying these bytes as API Gateway passes them: text when they are UTF-8, else base64."""
    try:
        text = None if as_base64 else raw.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    event['isBase64Encoded'] = text is None
    event['body'] = base64.b64encode(raw).decode('ascii') if text is None else text
    return event


def submit_raw(creds: Credentials, raw: bytes, as_base64: bool) -> tuple[int, Any]:
    event = with_body(load_event('submit'), raw, as_base64)
    timestamp = iso_timestamp()
    event['headers'] = {
        'content-type': 'application/json',
        'x-api-key': creds.api_key,
        'x-timestamp': timestamp,
        'x-signature': signature(creds.api_secret, timestamp, raw or b'{}'),
    }
    response = submit_handler(event, LambdaContext())
    return response['statusCode'], response_json(response)


def assert_answer(status: int, body: Any, documented: set[int]) -> None:
    """A documented status with the spec's body for it, echoing no value of the request."""
    assert status in documented, (status, body)
    if 400 <= status < 500:
        assert_spec_error(status, body)
    elif status in (201, 502):  # the spec's Success and Pharmacy Error
        result = {'submissionId', 'pharmacy', 'status', 'pharmacyOrderId'}
        assert set(body) == (result if status == 201 else result | {'error'}), body
        assert body['status'] == ('submitted' if status == 201 else 'failed'), body
    assert MARKER not in json.dumps(body, ensure_ascii=False), body


@shared_fixtures
@given(body=bodies(), as_base64=st.booleans())
def test_any_signed_body_to_submit_gets_a_documented_answer(
    creds: Credentials, pharmacies: FakePharmacies, body: Body, as_base64: bool
) -> None:
    status, answer = submit_raw(creds, body.raw, as_base64)
    assert_answer(status, answer, SUBMIT_STATUSES)
    assert status in (400, 413)  # nothing generated here is a whole submission
    assert pharmacies.orders() == []


@shared_fixtures
@given(mutation=one_field_replaced(BASE, ABSENT_FIELDS))
def test_a_submission_with_one_field_replaced_gets_a_documented_answer_naming_that_field(
    creds: Credentials, pharmacies: FakePharmacies, mutation: tuple[str, Any]
) -> None:
    field, document = mutation
    if field not in ('source', 'sourceOrderId'):
        document['sourceOrderId'] = f'prop-{next(_order_ids)}'
    raw = json.dumps(document, ensure_ascii=False).encode('utf-8', 'surrogatepass')
    status, answer = submit_raw(creds, raw, as_base64=True)
    assert_answer(status, answer, SUBMIT_STATUSES)
    if 'details' in answer:
        assert_names_the_field(field, answer['details'])


# --- webhooks --------------------------------------------------------------------------------------------------

HOOKS = {'strive': strive_hook, 'boothwyn': boothwyn_hook}
ORDER_FIELD = {'strive': 'tracking_id', 'boothwyn': 'caseId'}
STATE = {'strive': 'TX', 'boothwyn': 'WA'}  # where the seed routes to each


def webhook_raw(name: str, raw: bytes, as_base64: bool) -> tuple[int, Any]:
    event = with_body(load_event(f'{name}_webhook'), raw, as_base64)  # with that webhook's valid secret
    response = HOOKS[name](event, LambdaContext())
    return response['statusCode'], response_json(response)


@pytest.mark.parametrize('name', sorted(HOOKS))
@shared_fixtures
@given(body=bodies(), as_base64=st.booleans())
def test_any_body_to_a_webhook_gets_a_documented_answer(
    creds: Credentials, pharmacies: FakePharmacies, name: str, body: Body, as_base64: bool
) -> None:
    status, answer = webhook_raw(name, body.raw, as_base64)
    assert_answer(status, answer, WEBHOOK_STATUSES)
    assert status in (400, 404)  # the secret is right and no generated body names an order


@pytest.mark.parametrize('name', sorted(HOOKS))
def test_a_webhook_for_a_real_order_with_one_field_replaced_gets_a_documented_answer_naming_that_field(
    creds: Credentials, pharmacies: FakePharmacies, name: str
) -> None:
    created = submit_event(creds, submission(routing={'patientState': STATE[name]}))
    response = submit_handler(created, LambdaContext())
    assert response['statusCode'] == 201, response['body']
    example = {**json.loads(load_event(f'{name}_webhook')['body']), ORDER_FIELD[name]: response_json(response)['pharmacyOrderId']}

    @shared_fixtures
    @given(mutation=one_field_replaced(example))
    def check(mutation: tuple[str, Any]) -> None:
        field, document = mutation
        status, answer = webhook_raw(name, json.dumps(document, ensure_ascii=False).encode('utf-8', 'surrogatepass'), True)
        assert_answer(status, answer, WEBHOOK_STATUSES)
        if 'details' in answer:
            assert_names_the_field(field, answer['details'])
        elif status == 404:
            assert field == ORDER_FIELD[name]  # only another order id finds no order

    check()
