"""`make invoke` in-process against the real local stack (no Docker here): functions answer events re-signed at
invoke time, and the stack's env-vars file for `sam local invoke` names every function and the emulated AWS."""

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from rx_router.signing import signature
from rxlocal import events, template
from rxlocal.template import ROOT
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver
from tests.support import submission


def run(stack: E2EStack, function: str, event: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, '-m', 'rxlocal.invoke', '--in-process', function, str(event)]
    return subprocess.run(command, cwd=ROOT, env=env or stack.env, capture_output=True, text=True, timeout=120, check=False)


def invoked(stack: E2EStack, function: str, event: Path) -> Any:
    done = run(stack, function, event)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def written(tmp_path: Path, sample: str, event: dict[str, Any]) -> Path:
    path = tmp_path / sample
    path.write_text(json.dumps(event))
    return path


def on_path(sample: str, path: str, **parameters: str) -> dict[str, Any]:
    event = events.load(events.SAMPLES / sample)
    event['rawPath'] = event['requestContext']['http']['path'] = path
    event['pathParameters'] = parameters
    return event


def test_the_stack_writes_the_env_vars_file_for_every_function(stack: E2EStack) -> None:
    env_vars = json.loads((Path(stack.env['RXROUTER_STATE_DIR']) / 'sam-env-vars.json').read_text())
    assert set(env_vars) == set(template.functions())
    for name, variables in env_vars.items():
        assert variables['AWS_ENDPOINT_URL'] == stack.state['awsEndpoint'], name
        assert variables['SUBMISSIONS_TABLE'] == stack.state['environment']['SUBMISSIONS_TABLE'], name
        assert variables['CALLBACK_ALLOW_LOOPBACK'] == 'true', name
    assert env_vars['ReconcileFunction']['RECONCILE_AFTER_SECONDS'] == stack.state['environment']['RECONCILE_AFTER_SECONDS']
    assert 'RECONCILE_AFTER_SECONDS' not in env_vars['SubmitFunction']


def test_submit_get_webhook_and_callback_functions_answer_signed_events(
    stack: E2EStack, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    # Submit: the sample with a body of ours; its stale signature is replaced by the demo client's
    path = f'/cb/{uuid.uuid4()}'
    body = submission(
        sourceOrderId=f'e2e-invoke-{uuid.uuid4()}',
        callbackUrl=receiver.url + path,
        routing={'preferredPharmacy': 'own-local', 'patientState': 'WA'},
    )
    event = events.load(events.SAMPLES / 'submit.json')
    event['body'] = json.dumps(body, separators=(',', ':'))
    response = invoked(stack, 'SubmitFunction', written(tmp_path, 'submit.json', event))
    assert response['statusCode'] == 201, response
    created = json.loads(response['body'])
    assert (created['pharmacy'], created['status']) == ('own-local', 'submitted')
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)  # the stack's own callback sender delivered the first

    submission_id = created['submissionId']
    get = on_path('get_submission.json', f'/rx/prescriptions/{submission_id}', id=submission_id)
    response = invoked(stack, 'GetSubmissionFunction', written(tmp_path, 'get.json', get))
    assert response['statusCode'] == 200, response
    assert json.loads(response['body'])['id'] == submission_id

    # The pharmacy's webhook, signed with the local OWN instance's webhook secret (Standard Webhooks)
    hook = events.load(events.SAMPLES / 'own_webhook.json')
    shipped = json.loads(hook['body']) | {'pharmacyOrderId': created['pharmacyOrderId'], 'submissionId': submission_id}
    hook['body'] = json.dumps(shipped)
    response = invoked(stack, 'OwnWebhookFunction', written(tmp_path, 'own_webhook.json', hook))
    assert response['statusCode'] == 200, response
    assert stack.client(stack.demo).get(submission_id).json()['status'] == 'shipped'
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)

    # The callback sender, given an SQS batch with one job for the demo client
    again = f'/cb/{uuid.uuid4()}'
    job = {
        'eventId': str(uuid.uuid4()),
        'submissionId': submission_id,
        'apiKey': stack.demo.api_key,
        'callbackUrl': receiver.url + again,
        'payload': {'submissionId': submission_id, 'status': 'shipped'},
    }
    batch = events.load(events.SAMPLES / 'callback_sqs.json')
    batch['Records'][0]['body'] = json.dumps(job)
    assert invoked(stack, 'CallbackSenderFunction', written(tmp_path, 'callback.json', batch)) == {'batchItemFailures': []}
    [delivered] = receiver.at(again)
    assert json.loads(delivered.body) == job['payload']
    assert delivered.headers['x-signature'] == signature(stack.demo.api_secret, delivered.headers['x-timestamp'], delivered.body)


def test_a_stale_sample_is_signed_again(stack: E2EStack) -> None:
    response = invoked(stack, 'GetTimelineFunction', events.SAMPLES / 'get_timeline.json')
    assert response['statusCode'] == 404, response  # authenticated (not 401): the sample's id is unknown here


def test_a_webhook_sample_gets_the_local_secret(stack: E2EStack) -> None:
    response = invoked(stack, 'BoothwynB2BWebhookFunction', events.SAMPLES / 'boothwyn_webhook.json')
    assert response['statusCode'] == 404, response  # authenticated (not 401): no such Boothwyn case here
    assert json.loads(response['body']) == {'error': 'No submission has that pharmacy order id'}


def test_reconcile_runs_on_its_schedule_event(stack: E2EStack) -> None:
    summary = invoked(stack, 'ReconcileFunction', events.SAMPLES / 'reconcile_schedule.json')
    assert set(summary) == {'asked', 'repaired', 'failed', 'prescriptionsAsked', 'releasedByPolling', 'stale'}
    assert summary['failed'] == 0 and all(isinstance(v, int) for v in summary.values())


def test_config_seed_answers_cloudformation_and_keeps_the_seeded_tables(stack: E2EStack) -> None:
    done = run(stack, 'ConfigSeedFunction', events.SAMPLES / 'config_seed.json')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) is None  # a custom resource answers CloudFormation, not its caller
    [line] = [x for x in done.stderr.splitlines() if x.startswith('CloudFormation response: ')]
    answer = json.loads(line.removeprefix('CloudFormation response: '))
    assert (answer['Status'], answer['LogicalResourceId']) == ('SUCCESS', 'ConfigSeed')
    assert answer['Data'] == {'RoutesWritten': 0, 'ConfigItemsWritten': 0}  # seeded only while empty


def test_a_handler_exception_exits_1_with_lambdas_error_document(stack: E2EStack, tmp_path: Path) -> None:
    event = events.load(events.SAMPLES / 'config_seed.json')
    del event['StackId']  # its answer to CloudFormation cannot be written
    done = run(stack, 'ConfigSeedFunction', written(tmp_path, 'seed.json', event))
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert (error['errorType'], error['errorMessage']) == ('KeyError', "'StackId'")


def test_an_event_for_another_function_or_no_running_stack_is_refused(stack: E2EStack, tmp_path: Path) -> None:
    done = run(stack, 'SubmitFunction', events.SAMPLES / 'health.json')
    assert done.returncode == 2
    assert 'is a HTTP API request for HealthFunction, not for SubmitFunction' in done.stderr
    done = run(stack, 'HealthFunction', events.SAMPLES / 'health.json', env=stack.env | {'RXROUTER_STATE_DIR': str(tmp_path)})
    assert done.returncode == 2
    assert 'no local stack is running' in done.stderr and 'start it with `make run`' in done.stderr
