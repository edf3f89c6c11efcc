"""Every documented answer of the client routes and a webhook, as the real handlers build it, matches docs/openapi.json:
its status is listed for the route, its body validates against that status's response model (rx_router/api/schemas.py,
strictly: no field the model does not name) and its extra headers are declared."""

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from functions.beluga_webhook.app import lambda_handler as beluga_hook
from functions.cancel_prescription.app import lambda_handler as cancel_handler
from functions.dispensepro_webhook.app import lambda_handler as dispensepro_hook
from functions.get_submission.app import lambda_handler as get_handler
from functions.get_timeline.app import lambda_handler as timeline_handler
from functions.health.app import lambda_handler as health_handler
from functions.own_webhook.app import lambda_handler as own_hook
from functions.refill_prescription.app import lambda_handler as refill_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from rxlocal.openapi_operations import operations
from rxlocal.sandboxes.dispensepro import DispenseProSandbox
from tests.dispensepro_support import INSTANCE, configure
from tests.fake_pharmacies import FakePharmacies
from tests.integration.callback_queue import queued_jobs
from tests.support import Credentials, LambdaContext, action_event, get_event, load_event, submission, submit_event

OPERATIONS = operations()
ALWAYS_SENT = {'content-type', 'cache-control'}

SUBMIT = 'POST /rx/prescriptions/submit'
GET = 'GET /rx/prescriptions/{id}'
TIMELINE = 'GET /rx/prescriptions/{id}/timeline'
CANCEL = 'POST /rx/prescriptions/{id}/cancel'
REFILL = 'POST /rx/prescriptions/{id}/refill'


def conforms(route_key: str, response: dict[str, Any], status: int) -> dict[str, Any]:
    """The response's body, after checking it against the document's answer for its status."""
    assert response['statusCode'] == status, response['body']
    answer = OPERATIONS[route_key].answers.get(status)
    assert answer is not None, f'{route_key} answered {status}, which docs/openapi.json does not list'
    failures = []
    for model in answer.bodies:
        assert isinstance(model, type) and issubclass(model, BaseModel)
        try:
            model.model_validate_json(response['body'])
            break
        except ValidationError as exc:
            failures.append(f'{model.__name__}: {exc}')
    else:
        pytest.fail(f'{route_key} {status} body matches none of its documented models:\n' + '\n'.join(failures))
    undeclared = {name for name in response['headers'] if name not in ALWAYS_SENT} - set(answer.headers)
    assert not undeclared, f'{route_key} {status} sends headers the document does not declare: {undeclared}'
    body: dict[str, Any] = json.loads(response['body'])
    return body


def submit(creds: Credentials, body: dict[str, Any] | str) -> dict[str, Any]:
    return dict(submit_handler(submit_event(creds, body), LambdaContext()))


def test_submit_answers(creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = conforms(SUBMIT, submit(creds, submission()), 201)
    replayed = submit(creds, submission())
    assert replayed['headers']['idempotent-replayed'] == 'true'
    conforms(SUBMIT, replayed, 201)
    conforms(SUBMIT, submit(creds, submission(test=True)), 409)
    gated = submission(sourceOrderId='gated-1', prescription={'provider': 'beluga', 'masterId': 'BLG-1'})
    conforms(SUBMIT, submit(creds, gated), 202)
    conforms(SUBMIT, submit(creds, submission(sourceOrderId='mn', routing={'patientState': 'MN'})), 422)
    conforms(SUBMIT, submit(creds, submission(patient={})), 400)
    conforms(SUBMIT, submit(creds, '{not json'), 400)
    conforms(SUBMIT, submit(Credentials(creds.api_key, 'wrong-secret'), submission()), 401)
    conforms(SUBMIT, submit(creds, submission(sourceOrderId='large', medication={'note': 'x' * 300_000})), 413)
    pharmacies.fail_with = 500
    failed = conforms(SUBMIT, submit(creds, submission(sourceOrderId='fails', routing={'patientState': 'WA'})), 502)
    assert failed['status'] == 'failed'
    assert created['status'] == 'submitted'


def test_record_timeline_and_cancel_answers(creds: Credentials, other_creds: Credentials, pharmacies: FakePharmacies) -> None:
    created = conforms(SUBMIT, submit(creds, submission()), 201)
    submission_id = created['submissionId']
    event = load_event('strive_webhook')
    event['body'] = json.dumps({'tracking_id': created['pharmacyOrderId'], 'rxstatus': 'processing'})
    assert strive_hook(event, LambdaContext())['statusCode'] == 200
    queued_jobs()
    record = conforms(GET, get_handler(get_event(creds, submission_id), LambdaContext()), 200)
    assert record['status'] == 'processing'
    conforms(GET, get_handler(get_event(other_creds, submission_id), LambdaContext()), 403)
    conforms(GET, get_handler(get_event(creds, '3f1e2d3c-0000-4000-8000-00000000dead'), LambdaContext()), 404)
    timeline = conforms(TIMELINE, timeline_handler(_view_event(get_event(creds, submission_id)), LambdaContext()), 200)
    assert [e['kind'] for e in timeline['events']][:2] == ['received', 'routed']
    cancelled = conforms(CANCEL, cancel_handler(action_event(creds, 'cancel', submission_id), LambdaContext()), 200)
    assert cancelled['status'] == 'cancelled'
    boothwyn = conforms(SUBMIT, submit(creds, submission(sourceOrderId='wa', routing={'patientState': 'WA'})), 201)
    conforms(CANCEL, cancel_handler(action_event(creds, 'cancel', boothwyn['submissionId']), LambdaContext()), 409)
    strive = conforms(SUBMIT, submit(creds, submission(sourceOrderId='tx-2')), 201)
    pharmacies.fail_with = 500
    refused = conforms(CANCEL, cancel_handler(action_event(creds, 'cancel', strive['submissionId']), LambdaContext()), 502)
    assert refused['submissionId'] == strive['submissionId']


def test_refill_answers(creds: Credentials, pharmacies: FakePharmacies) -> None:
    sandbox: DispenseProSandbox = configure(pharmacies)
    body = submission(
        routing={'preferredPharmacy': INSTANCE.id, 'patientState': 'WA'}, medication={**submission()['medication'], 'refills': 1}
    )
    created = conforms(SUBMIT, submit(creds, body), 201)
    sandbox.orders[created['pharmacyOrderId']].status = 'shipped'
    event = load_event('dispensepro_webhook')
    event['body'] = json.dumps({'orderId': created['pharmacyOrderId'], 'status': 'shipped', 'trackingNumber': '9400'})
    event['headers']['x-webhook-secret'] = 'dispensepro-hook-new'
    conforms('POST /rx/webhooks/dispensepro', dispensepro_hook(event, LambdaContext()), 200)

    def refill(request_id: Any) -> dict[str, Any]:
        return dict(
            refill_handler(
                action_event(creds, 'refill', created['submissionId'], {'refillRequestId': request_id}), LambdaContext()
            )
        )

    refilled = conforms(REFILL, refill('r-1'), 201)
    assert refilled['refillOf'] == created['submissionId']
    conforms(REFILL, refill('r-2'), 409)
    conforms(REFILL, refill(7), 400)


def test_health_and_webhook_answers() -> None:
    conforms('GET /rx/health', health_handler(load_event('health'), LambdaContext()), 200)
    event = load_event('strive_webhook')
    route = 'POST /rx/webhooks/strive'
    conforms(route, strive_hook(event, LambdaContext()), 404)
    conforms(route, strive_hook({**event, 'body': '{"rxstatus":"shipped"}'}, LambdaContext()), 400)
    conforms(route, strive_hook({**event, 'headers': {'x-webhook-secret': 'wrong'}}, LambdaContext()), 401)
    beluga = load_event('beluga_webhook')
    conforms('POST /rx/webhooks/beluga', beluga_hook(beluga, LambdaContext()), 200)  # RX_WRITTEN for a visit no order waits on
    beluga['headers'] = {'authorization': 'Bearer wrong'}
    conforms('POST /rx/webhooks/beluga', beluga_hook(beluga, LambdaContext()), 401)
    own = load_event('own_webhook')
    own['pathParameters'] = {'pharmacyId': 'no-such-pharmacy'}
    conforms('POST /rx/webhooks/pharmacy/{pharmacyId}', own_hook(own, LambdaContext()), 404)


def _view_event(event: dict[str, Any]) -> dict[str, Any]:
    timeline = load_event('get_timeline')
    submission_id = event['pathParameters']['id']
    timeline['pathParameters'] = {'id': submission_id}
    timeline['rawPath'] = f'/rx/prescriptions/{submission_id}/timeline'
    timeline['headers'] = event['headers']
    return timeline
