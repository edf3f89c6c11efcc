"""The sample events (events/*.json): one for every function of the template, each valid for its function, client
requests signed for the local demo client; the checks that say so; the env-vars file and the template `make invoke`
gives `sam local invoke`."""

import copy
import json
from pathlib import Path

import pytest

from rx_router.signing import signature
from rxlocal import events, invoke, state, template
from rxlocal.stack import DEMO_API_KEY, DEMO_API_SECRET

FUNCTIONS = template.functions()
SAMPLES = {path.name: events.load(path) for path in sorted(events.SAMPLES.glob('*.json'))}


def sample(name: str) -> events.Event:
    return copy.deepcopy(SAMPLES[name])


def test_every_function_has_a_sample_event() -> None:
    covered = {name for event in SAMPLES.values() for name in events.functions_for(event)}
    assert covered == set(FUNCTIONS)


@pytest.mark.parametrize('name', sorted(SAMPLES))
def test_each_sample_is_valid_for_its_one_function(name: str) -> None:
    [function] = events.functions_for(SAMPLES[name])
    assert events.problems(SAMPLES[name], FUNCTIONS[function]) == []


def test_client_requests_are_signed_by_the_local_demo_client_and_nothing_else_is() -> None:
    client_routes = {r.route_key for r in template.http_routes() if r.path.startswith('/rx/prescriptions/')}
    signed = {e['routeKey'] for e in SAMPLES.values() if events.is_client_request(e)}
    assert signed == client_routes
    for name, event in SAMPLES.items():
        if events.is_client_request(event):
            assert events.signature_problems(event, DEMO_API_KEY, DEMO_API_SECRET) == [], name
        else:
            assert 'x-signature' not in (event.get('headers') or {}), name


def test_every_webhook_route_is_a_pharmacy_types_webhook() -> None:
    webhooks = [r.path for r in template.http_routes() if r.path.startswith('/rx/webhooks/')]
    assert webhooks
    assert all(events.webhook_type(path) for path in webhooks)
    assert events.webhook_type('/rx/webhooks/pharmacy/{pharmacyId}') == 'own'
    assert events.webhook_type('/rx/health') is None


def test_an_event_for_another_function_is_refused_naming_the_right_one() -> None:
    [problem] = events.problems(sample('health.json'), FUNCTIONS['SubmitFunction'])
    assert problem == 'a HTTP API request for HealthFunction, not for SubmitFunction'
    [problem] = events.problems({'hello': 'world'}, FUNCTIONS['ReconcileFunction'])
    assert 'no function of template.yaml' in problem


def test_http_checks_catch_a_wrong_path_parameters_body_and_header() -> None:
    event = sample('get_submission.json')
    event['pathParameters'] = {'id': 'another'}
    assert events.problems(event, FUNCTIONS['GetSubmissionFunction']) == [
        "pathParameters must be {'id': 'a1b2c3d4-e5f6-7890-abcd-ef1234567890'} (the rawPath's)"
    ]
    event = sample('get_submission.json')
    event['rawPath'] = event['requestContext']['http']['path'] = '/rx/prescriptions/x/y'
    assert events.problems(event, FUNCTIONS['GetSubmissionFunction']) == [
        'rawPath /rx/prescriptions/x/y is not a path of /rx/prescriptions/{id}'
    ]
    event = sample('submit.json')
    event['body'] = event['body'][:-1]
    event['headers']['X-Api-Key'] = event['headers'].pop('x-api-key')
    event['requestContext']['http']['method'] = 'GET'
    found = events.problems(event, FUNCTIONS['SubmitFunction'])
    assert found[0] == 'requestContext.http.method must be POST'
    assert found[1] == 'header names must be lower case, as API Gateway passes them'
    assert found[2].startswith('body is not JSON')


def test_sqs_schedule_and_custom_resource_checks() -> None:
    event = sample('callback_sqs.json')
    event['Records'][0]['body'] = 'not json'
    del event['Records'][0]['receiptHandle']
    found = events.problems(event, FUNCTIONS['CallbackSenderFunction'])
    assert found[0] == 'Records[0].receiptHandle is missing' and found[1].startswith('Records[0].body is not JSON')
    event = sample('reconcile_schedule.json')
    event['detail'] = {'x': 1}
    assert events.problems(event, FUNCTIONS['ReconcileFunction']) == ['detail must be {} (a scheduled event carries none)']
    event = sample('config_seed.json')
    del event['ResourceProperties']['GmpBaseUrl']
    event['ResponseURL'] = 'http://insecure.invalid/'
    assert events.problems(event, FUNCTIONS['ConfigSeedFunction']) == [
        'ResponseURL must be https (CloudFormation gives a presigned S3 URL)',
        'ResourceProperties must have the properties the template gives it: BoothwynBaseUrl, GmpBaseUrl, ServiceToken, '
        'StriveBaseUrl, StriveCatalogSemaglutide, StriveCatalogTirzepatide, StriveSandboxUrl',
    ]


def test_a_changed_body_or_another_key_breaks_the_signature_check() -> None:
    event = sample('refill_prescription.json')
    event['body'] = '{"note":"changed"}'
    assert events.signature_problems(event, DEMO_API_KEY, DEMO_API_SECRET) == [
        'x-signature is not the HMAC of x-timestamp + "." + body (re-sign: python -m rxlocal.events --sign)'
    ]
    assert (
        events.signature_problems(sample('get_timeline.json'), 'rxk_other', DEMO_API_SECRET)[0] == 'x-api-key must be rxk_other'
    )


def test_signing_a_client_request_again_signs_its_exact_body_now() -> None:
    stale = sample('submit.json')
    signed = events.sign_client_request(stale, 'rxk_someone', 'their-secret')
    headers = signed['headers']
    assert headers['x-api-key'] == 'rxk_someone' and headers['x-timestamp'] != stale['headers']['x-timestamp']
    assert headers['x-signature'] == signature('their-secret', headers['x-timestamp'], stale['body'].encode())
    assert signed['body'] == stale['body'] and stale['headers']['x-api-key'] == DEMO_API_KEY  # a copy
    get = events.sign_client_request(sample('get_submission.json'), 'k', 's')
    assert get['headers']['x-signature'] == signature('s', get['headers']['x-timestamp'], b'{}')  # GET signs {}


def test_env_vars_file_gives_each_function_its_variables_the_stacks_additions_and_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv('RXROUTER_STATE_DIR', str(tmp_path))
    declared = {name for fn in FUNCTIONS.values() for name in fn.environment}
    environment = {name: f'local-{name}' for name in declared} | {'CALLBACK_ALLOW_LOOPBACK': 'true'}
    path = state.write_env_vars(environment, 'http://127.0.0.1:4566')
    assert path == tmp_path / 'sam-env-vars.json' and state.env_vars_file() == path
    written = json.loads(path.read_text())
    assert set(written) == set(FUNCTIONS)
    for name, fn in FUNCTIONS.items():
        expected = {v: f'local-{v}' for v in fn.environment} | {'CALLBACK_ALLOW_LOOPBACK': 'true'}
        assert written[name] == expected | {'AWS_ENDPOINT_URL': 'http://127.0.0.1:4566'}
    assert (
        'RECONCILE_AFTER_SECONDS' in written['ReconcileFunction'] and 'RECONCILE_AFTER_SECONDS' not in written['SubmitFunction']
    )
    state.write({'pid': 42})
    state.remove(42)
    assert not path.exists() and not state.state_file().exists()


def test_the_template_sam_invokes_declares_every_variable_of_the_env_vars_file(tmp_path: Path) -> None:
    built = tmp_path / 'template.yaml'
    built.write_text(template.TEMPLATE.read_text())
    env_vars = {
        name: {**{v: 'x' for v in fn.environment}, 'AWS_ENDPOINT_URL': 'http://127.0.0.1:1', 'CALLBACK_ALLOW_LOOPBACK': 'true'}
        for name, fn in FUNCTIONS.items()
    }
    derived = invoke.sam_template(env_vars, built)
    assert derived == tmp_path / 'template.invoke.yaml'
    functions = template.functions(derived)
    for name in FUNCTIONS:
        assert set(env_vars[name]) <= set(functions[name].environment)
        own = template.load(derived)['Resources'][name]['Properties']['Environment']['Variables']
        assert own['AWS_ENDPOINT_URL'] == '' and 'API_CLIENTS_TABLE' not in own  # the Globals' stay the Globals'
    assert template.load(derived)['Globals'] == template.load()['Globals']


def test_sam_local_invoke_runs_on_the_hosts_network_with_the_env_vars_file() -> None:
    command = invoke.sam_command('SubmitFunction', Path('t.yaml'), Path('e.json'), Path('env.json'), 'us-east-1')
    assert command[1:] == [
        'local', 'invoke', 'SubmitFunction', '--template-file', 't.yaml', '--event', 'e.json',
        '--env-vars', 'env.json', '--docker-network', 'host', '--region', 'us-east-1',
    ]  # fmt: skip
    assert command[0].endswith('.tools/sam/bin/sam')


def test_bodies_are_what_their_use_cases_accept() -> None:
    from rx_router.service.refill import parse_refill
    from rx_router.validation.prescription import parse_submission

    assert parse_submission(json.loads(SAMPLES['submit.json']['body'])).source_order_id == 'ord_abc123'
    assert parse_refill(events.raw_body(SAMPLES['refill_prescription.json'])).refill_request_id == 'refill-0001'
    job = json.loads(SAMPLES['callback_sqs.json']['Records'][0]['body'])
    assert job['apiKey'] == DEMO_API_KEY and job['callbackUrl'].startswith('http://127.0.0.1:')  # never leaves the host
