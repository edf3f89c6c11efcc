"""Builds docs/openapi.json (OpenAPI 3.1) from the pydantic models the code validates with, for every HttpApi route
of template.yaml: `make openapi` (python -m rxlocal.openapi) writes it; a unit test fails when it is out of date.

Request bodies are the models each route validates its body with; response bodies are rx_router/api/schemas.py,
which the tests hold the real responses to; each route's operation is in rxlocal/openapi_operations.py. A route in
the template without an operation there (or the reverse) is an error, so a new route cannot go undocumented.
Tooling only: no handler imports these modules.
"""

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from rxlocal import template
from rxlocal.openapi_operations import PATH_PARAMETERS, SECURITY_SCHEMES, Body, Operation, operations
from rxlocal.template import ROOT

DOCUMENT = ROOT / 'docs' / 'openapi.json'
REF_TEMPLATE = '#/components/schemas/{model}'


class _Schema(GenerateJsonSchema):
    """JSON Schema 2020-12 as OpenAPI 3.1 takes it; property titles (derived from Python names) left out."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class MissingOperation(Exception):
    pass


def _bodies(ops: dict[str, Operation]) -> list[Body]:
    found: list[Body] = []
    for op in ops.values():
        for body in (op.body, *(b for answer in op.answers.values() for b in answer.bodies)):
            if body is not None and all(body is not seen for seen in found):
                found.append(body)
    return found


def _schemas(bodies: list[Body]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """Each body's schema (a $ref into components for a model), and the components, in one generation."""
    adapters = [body if isinstance(body, TypeAdapter) else TypeAdapter(body) for body in bodies]
    inputs = [(index, 'validation', adapter.core_schema) for index, adapter in enumerate(adapters)]
    generator = _Schema(by_alias=True, ref_template=REF_TEMPLATE)
    mapping, definitions = generator.generate_definitions(inputs)  # type: ignore[arg-type]
    renamed = {str(name): _component_name(name) for name in definitions}
    by_index = {index: _renamed(mapping[(index, 'validation')], renamed) for index in range(len(bodies))}
    return by_index, {renamed[str(name)]: _renamed(schema, renamed) for name, schema in definitions.items()}


def _component_name(name: str) -> str:
    """Models of one name in several modules (each type's StatusUpdate) are named by their module, as
    `RxvortexStatusUpdate`, instead of pydantic's `rx_router__pharmacy_types__rxvortex__StatusUpdate`."""
    *modules, model = name.split('__')
    return ''.join(part.title() for part in modules[-1].split('_')) + model if modules else name


def _renamed(schema: Any, renamed: dict[str, str]) -> Any:
    text = json.dumps(schema)
    for old, new in renamed.items():
        if old != new:
            text = text.replace(f'"{REF_TEMPLATE.format(model=old)}"', f'"{REF_TEMPLATE.format(model=new)}"')
    return json.loads(text)


def _content(schemas_by_body: dict[int, Any], bodies: list[Body], chosen: tuple[Body, ...]) -> dict[str, Any]:
    found = [schemas_by_body[next(i for i, b in enumerate(bodies) if b is body)] for body in chosen]
    return found[0] if len(found) == 1 else {'anyOf': found}


def build() -> dict[str, Any]:
    ops = operations()
    routes = {route.route_key: route for route in template.http_routes()}
    undocumented = sorted(set(routes) - set(ops))
    unknown = sorted(set(ops) - set(routes))
    if undocumented or unknown:
        raise MissingOperation(
            f'template.yaml routes without an operation in rxlocal/openapi.py: {undocumented}; '
            f'operations for routes template.yaml does not declare: {unknown}'
        )
    bodies = _bodies(ops)
    by_body, components = _schemas(bodies)
    paths: dict[str, dict[str, Any]] = {}
    for route_key in sorted(ops, key=lambda key: (key.split(' ')[1], key)):
        op = ops[route_key]
        method, path = route_key.split(' ', 1)
        operation: dict[str, Any] = {
            'operationId': op.operation_id,
            'tags': [op.tag],
            'summary': op.summary,
            'description': op.description,
            'security': op.security,
        }
        parameters = [PATH_PARAMETERS[name] for name in PATH_PARAMETERS if '{' + name + '}' in path]
        if parameters:
            operation['parameters'] = parameters
        if op.body is not None:
            media: dict[str, Any] = {'schema': _content(by_body, bodies, (op.body,))}
            if op.body_examples:
                media['examples'] = op.body_examples
            operation['requestBody'] = {'required': op.body_required, 'content': {'application/json': media}}
        operation['responses'] = {
            str(status): {
                'description': answer.description,
                **({'headers': answer.headers} if answer.headers else {}),
                'content': {
                    'application/json': {
                        'schema': _content(by_body, bodies, answer.bodies),
                        **({'examples': answer.examples} if answer.examples else {}),
                    }
                },
            }
            for status, answer in sorted(op.answers.items())
        }
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        'openapi': '3.1.0',
        'info': {
            'title': 'Pharmacy Router API',
            'version': tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['version'],
            'description': "Routes prescriptions to compounding pharmacies and tracks them to the patient's door. "
            "The spec's API (shared/spec/pharmacy-router-api.txt) and its additions, generated by `make openapi` from "
            'the pydantic models the router validates with (README "OpenAPI document"). Responses may gain fields; '
            'a client should ignore fields it does not know.',
        },
        'servers': [
            {
                'url': '{apiUrl}',
                'variables': {
                    'apiUrl': {
                        'default': 'http://127.0.0.1:3000',
                        'description': "The stack's ApiUrl output; http://127.0.0.1:3000 for `make run`",
                    }
                },
            }
        ],
        'tags': [
            {'name': 'Prescriptions', 'description': 'For API clients: HMAC-signed (README "Calling the API")'},
            {'name': 'Health', 'description': 'No authentication'},
            {'name': 'Pharmacy webhooks', 'description': 'For pharmacies: status updates, authenticated per pharmacy'},
            {'name': 'Prescription providers', 'description': 'The prescription boundary (Beluga)'},
        ],
        'paths': paths,
        'components': {'schemas': dict(sorted(components.items())), 'securitySchemes': SECURITY_SCHEMES},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + '\n'


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else DOCUMENT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(build()))
    print(f'wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
