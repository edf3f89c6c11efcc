"""docs/openapi.json: up to date with the models and template.yaml, a valid OpenAPI 3.1 document, every route
documented, every example valid against what it illustrates."""

import json
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import TypeAdapter, ValidationError

from rx_router.api.schemas import SubmitAccepted
from rxlocal import openapi, openapi_examples, template
from rxlocal.openapi_operations import operations
from rxlocal.template import HttpRoute
from tests.support import ROOT

DOCUMENT = ROOT / 'docs' / 'openapi.json'


def test_the_committed_document_is_up_to_date() -> None:
    committed = DOCUMENT.read_text() if DOCUMENT.is_file() else ''
    assert committed == openapi.render(openapi.build()), (
        'docs/openapi.json is out of date with the models or template.yaml: run `make openapi` and commit it'
    )


def test_the_document_is_valid_openapi_3_1() -> None:
    document = json.loads(DOCUMENT.read_text())
    assert document['openapi'].startswith('3.1')
    validate(document)


def test_every_template_route_and_only_those_is_documented() -> None:
    paths = json.loads(DOCUMENT.read_text())['paths']
    documented = {f'{method.upper()} {path}' for path, item in paths.items() for method in item}
    assert documented == {route.route_key for route in template.http_routes()}


def test_a_route_without_an_operation_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    routes = [*template.http_routes(), HttpRoute('POST', '/rx/prescriptions/{id}/renew', 'RenewFunction')]
    monkeypatch.setattr(openapi.template, 'http_routes', lambda: routes)
    with pytest.raises(openapi.MissingOperation, match='renew'):
        openapi.build()


def test_client_routes_require_all_three_signature_headers_and_health_none() -> None:
    paths = json.loads(DOCUMENT.read_text())['paths']
    for path, item in paths.items():
        for method, operation in item.items():
            if path.startswith('/rx/prescriptions'):
                assert operation['security'] == [{'ApiKey': [], 'Timestamp': [], 'Signature': []}], (method, path)
                assert {'401'} <= operation['responses'].keys()
    assert paths['/rx/health']['get']['security'] == []


def _validates(body: Any, value: Any) -> str | None:
    """Why `value` is not a valid `body` (None: it is), validated as the router reads JSON."""
    adapter = body if isinstance(body, TypeAdapter) else TypeAdapter(body)
    try:
        adapter.validate_json(json.dumps(value))
    except ValidationError as exc:
        return str(exc)
    return None


def examples() -> list[tuple[str, str, Any, tuple[Any, ...]]]:
    found = []
    for route_key, operation in operations().items():
        for name, example in operation.body_examples.items():
            found.append((f'{route_key} request {name}', name, example['value'], (operation.body,)))
        for status, answer in operation.answers.items():
            for name, example in answer.examples.items():
                found.append((f'{route_key} {status} {name}', name, example['value'], answer.bodies))
    return found


@pytest.mark.parametrize(('where', 'name', 'value', 'bodies'), examples(), ids=[e[0] for e in examples()])
def test_every_example_is_valid(where: str, name: str, value: Any, bodies: tuple[Any, ...]) -> None:
    reasons = [_validates(body, value) for body in bodies]
    assert None in reasons, f'{where}: ' + '\n'.join(r for r in reasons if r)


def test_response_models_are_strict_but_the_document_leaves_them_open() -> None:
    schemas = json.loads(DOCUMENT.read_text())['components']['schemas']
    record = schemas['SubmissionRecord']
    assert 'additionalProperties' not in record
    assert set(record['required']) >= {'id', 'status', 'pharmacyOrderId', 'history', 'packages'}
    with pytest.raises(ValidationError, match='undocumented'):
        SubmitAccepted.model_validate_json(
            '{"submissionId":"s","pharmacy":"p","status":"submitted","pharmacyOrderId":"o","undocumented":1}'
        )


def test_the_spec_examples_are_the_documented_ones() -> None:
    paths = json.loads(DOCUMENT.read_text())['paths']
    submit = paths['/rx/prescriptions/submit']['post']
    responses = submit['responses']
    assert responses['201']['content']['application/json']['examples']['spec']['value'] == openapi_examples.SPEC_201
    assert responses['400']['content']['application/json']['examples']['validation']['value'] == openapi_examples.SPEC_400
    assert responses['422']['content']['application/json']['examples']['spec']['value'] == openapi_examples.SPEC_422
    assert responses['502']['content']['application/json']['examples']['spec']['value'] == openapi_examples.SPEC_502
    request = submit['requestBody']['content']['application/json']['examples']['spec']['value']
    assert request == json.loads(json.loads((ROOT / 'events' / 'submit.json').read_text())['body'])
