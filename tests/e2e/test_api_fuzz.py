"""A bounded property-based fuzz of every route in docs/openapi.json against the local stack (schemathesis): each
generated request is authenticated as its route requires (client routes: HMAC over the exact bytes sent; webhooks:
the local stack's webhook secrets), and every answer must be documented — its status listed for the route, its body
and headers matching the document — and no server error (5xx) but the 502 a pharmacy failure is documented as.

Path ids are sometimes replaced with submissions the demo client owns (one submitted, one gated), so GET, timeline,
cancel and refill answer with real records too, not only 404s."""

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rx_router.clock import iso_timestamp
from rx_router.pharmacy_types.own import signature_headers as own_signature_headers
from rx_router.signing import EMPTY_BODY, signature
from rxlocal.sandboxes.own import local_secret
from rxlocal.stack import LocalConfig
from tests.e2e.conftest import E2EStack
from tests.support import ROOT, submission

DOCUMENT = json.loads((ROOT / 'docs' / 'openapi.json').read_text())
# The coverage phase (every boundary case the schema defines) runs for every operation but submit, whose schema
# defines some 900 of them: submit gets the examples and the bounded fuzzing phases.
SCHEMA = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            'operations': [
                {
                    'include-operation-id': 'submitPrescription',
                    'phases': {'coverage': {'enabled': False}},
                    'generation': {'max-examples': 60},
                }
            ]
        }
    ),
)
SCHEMA.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=25,
    deterministic=True,
    with_security_parameters=False,
)
# Where a 502 is documented: the pharmacy refused or failed (submit, refill, cancel).
PHARMACY_FAILURE = {'POST /rx/prescriptions/submit', 'POST /rx/prescriptions/{id}/refill', 'POST /rx/prescriptions/{id}/cancel'}
OWN_PHARMACY = 'own-local'
# Submissions of the demo client the fuzz may name in paths (filled once the stack runs).
OWNED: list[str] = []


def _webhook_secret(key: str) -> str:
    """The secret the local stack configured for a webhook-secrets key (rxlocal/stack.py, default environment)."""
    return LocalConfig(port=0, aws_port=0, log_level='WARNING', sandbox_timeout_seconds=0).webhook_secret(key)


class Signed(requests.auth.AuthBase):
    """Authenticates a prepared request as its route requires, over the exact body bytes it carries."""

    def __init__(self, route: str, api_key: str, api_secret: str) -> None:
        self.route, self.api_key, self.api_secret = route, api_key, api_secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b''
        raw = body.encode('utf-8') if isinstance(body, str) else body
        request.headers.update(self.headers(raw))
        return request

    def headers(self, raw: bytes) -> dict[str, str]:
        if self.route.startswith('/rx/prescriptions'):
            timestamp = iso_timestamp()
            return {
                'X-API-Key': self.api_key,
                'X-Timestamp': timestamp,
                'X-Signature': signature(self.api_secret, timestamp, raw or EMPTY_BODY),
            }
        if self.route in ('/rx/webhooks/boothwyn', '/rx/webhooks/strive', '/rx/webhooks/dispensepro'):
            return {'x-webhook-secret': _webhook_secret(self.route.rsplit('/', 1)[1])}
        if self.route == '/rx/webhooks/lifefile':
            return {'authorization': 'Basic ' + base64.b64encode(_webhook_secret('belmar').encode()).decode()}
        if self.route == '/rx/webhooks/beluga':
            return {'authorization': 'Bearer ' + _webhook_secret('beluga')}
        if self.route == '/rx/webhooks/pharmacy/{pharmacyId}':
            message_id = 'msg_' + hashlib.sha256(raw).hexdigest()[:24]
            try:
                return own_signature_headers(local_secret(_webhook_secret(OWN_PHARMACY)), message_id, raw)
            except UnicodeDecodeError:  # Standard Webhooks signs text: such a body goes unsigned (and is refused)
                return {}
        return {}


@SCHEMA.hook
def map_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    """A well-formed id is sometimes swapped for one the demo client owns; the OWN webhook names the local instance."""
    if not path_parameters:
        return path_parameters
    if 'pharmacyId' in path_parameters and isinstance(path_parameters['pharmacyId'], str) and path_parameters['pharmacyId']:
        path_parameters['pharmacyId'] = OWN_PHARMACY
    value = path_parameters.get('id')
    if OWNED and isinstance(value, str) and _is_uuid(value):
        choice = int(hashlib.sha256(value.encode()).hexdigest(), 16) % (len(OWNED) + 1)
        if choice < len(OWNED):
            path_parameters['id'] = OWNED[choice]
    return path_parameters


SUBMISSION_SCHEMA = Draft202012Validator(
    {'$ref': '#/components/schemas/PrescriptionSubmission', 'components': DOCUMENT['components']}
)
# What the document cannot say of a valid submission (check digits, real dates, a reachable callback URL), for half of
# the schema-valid bodies, so that the fuzz reaches routing and the pharmacies (201, 202, 409, 422, 502) too.
PLAUSIBLE = {
    ('medication', 'name'): 'Semaglutide 2.5mg/mL',
    ('patient', 'dob'): '1990-03-15',
    ('patient', 'phone'): '(555) 123-4567',
    ('patient', 'email'): 'patient@example.com',
    ('shipTo', 'phone'): '(555) 123-4567',
    ('prescriber', 'npi'): '1982609764',
    ('prescriber', 'phone'): '(555) 987-6543',
    ('prescriber', 'fax'): '(555) 987-6544',
    ('prescriber', 'email'): 'prescriber@example.com',
}
DROPPED = (('prescriber', 'deaNumber'), ('prescriber', 'signatureBase64'), ('medication', 'signedPrescriptionPdfBase64'))


@SCHEMA.hook
def map_body(ctx: Any, body: Any) -> Any:
    if ctx.operation.path != '/rx/prescriptions/submit' or not isinstance(body, dict) or not SUBMISSION_SCHEMA.is_valid(body):
        return body  # negative cases, and other routes, as generated
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    if int(digest, 16) % 2:
        return body
    body.update(source='fuzz', sourceOrderId=f'fuzz-{digest[:16]}', callbackUrl='http://127.0.0.1:9/callback')
    for (parent, name), value in PLAUSIBLE.items():
        if isinstance(body.get(parent), dict) and name in body[parent]:
            body[parent][name] = value
    for parent, name in DROPPED:
        if isinstance(body.get(parent), dict):
            body[parent].pop(name, None)
    return body


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def not_a_server_error(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    """No 5xx, except the documented 502 of a pharmacy failure."""
    route = f'{case.method.upper()} {case.path}'
    if response.status_code >= 500 and not (response.status_code == 502 and route in PHARMACY_FAILURE):
        raise AssertionError(f'{route} answered {response.status_code}: {response.text[:500]}')
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope='module')
def owned(stack: E2EStack) -> list[str]:
    client = stack.client(stack.demo)
    made = [
        client.submit(submission(sourceOrderId=f'fuzz-{uuid.uuid4()}', callbackUrl='http://127.0.0.1:9/cb', test=True)),
        client.submit(
            submission(
                sourceOrderId=f'fuzz-{uuid.uuid4()}',
                callbackUrl='http://127.0.0.1:9/cb',
                test=True,
                prescription={'provider': 'beluga', 'masterId': f'fuzz-{uuid.uuid4()}'},
            )
        ),
    ]
    assert [r.status_code for r in made] == [201, 202], [r.text for r in made]
    OWNED[:] = [r.json()['submissionId'] for r in made]
    return OWNED


@pytest.fixture(scope='module')
def answered() -> Iterator[dict[str, set[int]]]:
    """The statuses each operation answered. A 401 is documented, so a fuzz whose signing were broken would pass on
    401s alone: every operation must also have answered something else (its requests were authenticated)."""
    seen: dict[str, set[int]] = {}
    yield seen
    unauthenticated = sorted(operation for operation, statuses in seen.items() if statuses <= {401})
    assert not unauthenticated, f'every request was refused 401: the fuzz does not authenticate {unauthenticated}'


@SCHEMA.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), print_blob=False)
def test_every_answer_is_documented_and_no_server_error(
    case: Case, stack: E2EStack, owned: list[str], answered: dict[str, set[int]]
) -> None:
    creds = stack.demo
    auth = Signed(case.path, creds.api_key, creds.api_secret)
    response = case.call_and_validate(base_url=stack.url, checks=CHECKS, auth=auth, timeout=15)
    answered.setdefault(f'{case.method.upper()} {case.path}', set()).add(response.status_code)
