"""Properties of the request path every body takes (api/request.py json_body, then the route's validator:
validation/prescription.py parse_submission or a pharmacy type's webhook parser), over bodies of any shape, depth
and encoding: never an unhandled exception; every refusal a 4xx in the spec's error shapes (as
api/responses.py renders it); no error body echoes a value; one bad field is named by its path."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rx_router.api.request import MAX_DEPTH, json_body
from rx_router.api.responses import error_response
from rx_router.errors import BadRequest, PayloadTooLarge, RouterError, ValidationFailed
from rx_router.pharmacy_types import registry
from rx_router.pharmacy_types.base import PharmacyType
from rx_router.validation.prescription import parse_submission
from tests.properties import (
    ABSENT_FIELDS,
    BASE,
    BOM,
    MARKER,
    PARSER_MESSAGES,
    Body,
    assert_names_the_field,
    bodies,
    depth,
    field_values,
    json_values,
    nested,
    one_field_replaced,
    strings,
)
from tests.support import EVENTS, assert_spec_error

WEBHOOK_TYPES = [name for name in registry.names() if registry.get(name).webhook is not None]


def rendered(exc: RouterError) -> tuple[int, Any]:
    """The refusal as the endpoint answers it (status, parsed body)."""
    response = error_response(exc).to_lambda()
    return response['statusCode'], json.loads(response['body'])


def refused(exc: RouterError) -> Any:
    status, body = rendered(exc)
    assert_spec_error(status, body)
    assert MARKER not in json.dumps(body, ensure_ascii=False), body
    return body


def parsed_or_refused(raw: bytes) -> tuple[Any, RouterError | None]:
    """json_body's document, or its refusal; any other exception fails the test."""
    try:
        return json_body(raw), None
    except (BadRequest, PayloadTooLarge) as exc:
        return None, exc


# --- the one parser ------------------------------------------------------------------------------------------


@given(bodies())
def test_any_bytes_are_parsed_or_refused_in_words(body: Body) -> None:
    document, refusal = parsed_or_refused(body.raw)
    if refusal is not None:
        assert refused(refusal) == {'error': refusal.message}
        assert isinstance(refusal, BadRequest) and refusal.message in PARSER_MESSAGES
        if body.raw.startswith(BOM):
            assert refusal.message == 'Request body must be UTF-8 JSON without a byte-order mark'
        if body.clean:  # well-formed UTF-8 JSON is refused only for its depth
            assert depth(body.value) > MAX_DEPTH
            assert refusal.message == f'Request body is nested more than {MAX_DEPTH} levels deep'
        return
    assert depth(document) <= MAX_DEPTH
    for text in strings(document):
        text.encode('utf-8')  # no lone surrogate got through
    if body.clean:
        assert document == body.value
    assert not body.raw.startswith(BOM)


# --- the submit validator ------------------------------------------------------------------------------------


def submit_path(raw: bytes) -> None:
    """What the submit route does with a body before routing: parse, then validate (errors rendered as answered)."""
    document, refusal = parsed_or_refused(raw)
    if refusal is None:
        try:
            parse_submission(document)
            return
        except ValidationFailed as exc:
            refusal = exc
    refused(refusal)


def test_the_base_submission_is_valid() -> None:
    assert parse_submission(BASE).wire()['clinical']['allergies']['entries'] == ['penicillin']
    assert ('prescriber', 'deaNumber') in ABSENT_FIELDS and ('medication', 'productId') in ABSENT_FIELDS


@given(bodies())
def test_any_body_through_the_submit_path_is_valid_or_a_spec_refusal(body: Body) -> None:
    submit_path(body.raw)


@given(st.one_of(json_values, nested(), st.dictionaries(st.sampled_from(sorted(BASE)), field_values)))
def test_any_json_document_is_a_submission_or_a_validation_error_without_its_values(document: Any) -> None:
    try:
        parse_submission(document)
    except ValidationFailed as exc:
        body = refused(exc)
        assert body['details']['formErrors'] == ([] if isinstance(document, dict) else ['Request body must be a JSON object'])


@given(one_field_replaced(BASE, ABSENT_FIELDS))
def test_a_submission_with_one_field_replaced_is_valid_or_names_that_field(mutation: tuple[str, Any]) -> None:
    field, document = mutation
    raw = json.dumps(document, ensure_ascii=False).encode('utf-8', 'surrogatepass')
    parsed, refusal = parsed_or_refused(raw)
    if refusal is not None:  # the new value is not JSON the router reads (a lone surrogate)
        assert refused(refusal)['error'] in PARSER_MESSAGES
        return
    try:
        parse_submission(parsed)
    except ValidationFailed as exc:
        assert_names_the_field(field, refused(exc)['details'])


# --- the webhook parsers -------------------------------------------------------------------------------------


def webhook_type(name: str) -> type[PharmacyType]:
    return registry.get(name)


def webhook_path(pharmacy_type: type[PharmacyType], raw: bytes) -> None:
    """What a webhook route does with a body after the secret: parse, find the order id, parse the reports."""
    document, refusal = parsed_or_refused(raw)
    if refusal is None:
        order_id = pharmacy_type.webhook_order_id(document)  # also read from bodies it then refuses
        assert order_id is None or (isinstance(order_id, str) and order_id == order_id.strip() and order_id)
        try:
            reports = pharmacy_type.parse_webhook_reports(document)
        except (BadRequest, ValidationFailed) as exc:
            refusal = exc
        else:
            assert reports and all(isinstance(r.order_id, str) for r in reports)
            return
    refused(refusal)


@pytest.mark.parametrize('type_name', WEBHOOK_TYPES)
@given(body=bodies())
def test_any_body_through_a_webhook_parser_is_reports_or_a_spec_refusal(type_name: str, body: Body) -> None:
    webhook_path(webhook_type(type_name), body.raw)


@pytest.mark.parametrize('type_name', WEBHOOK_TYPES)
@given(document=st.one_of(json_values, st.lists(json_values, max_size=3)))
def test_any_json_document_is_webhook_reports_or_a_refusal_without_its_values(type_name: str, document: Any) -> None:
    webhook_path(webhook_type(type_name), json.dumps(document).encode('utf-8', 'surrogatepass'))


def webhook_example(type_name: str) -> Any:
    """The sample event's body of the type's webhook route (events/ holds one per route)."""
    spec = webhook_type(type_name).webhook
    assert spec is not None
    route = 'POST ' + spec.path('{pharmacyId}')
    [found] = [e for e in (json.loads(p.read_text()) for p in EVENTS.glob('*.json')) if e.get('routeKey') == route]
    return json.loads(found['body'])


@pytest.mark.parametrize('type_name', WEBHOOK_TYPES)
def test_the_webhook_examples_parse(type_name: str) -> None:
    assert webhook_type(type_name).parse_webhook_reports(webhook_example(type_name))


@pytest.mark.parametrize('type_name', WEBHOOK_TYPES)
@given(data=st.data())
def test_a_webhook_body_with_one_field_replaced_parses_or_names_that_field(type_name: str, data: st.DataObject) -> None:
    field, document = data.draw(one_field_replaced(webhook_example(type_name)))
    try:
        webhook_type(type_name).parse_webhook_reports(document)
    except ValidationFailed as exc:
        assert_names_the_field(field, refused(exc)['details'])
