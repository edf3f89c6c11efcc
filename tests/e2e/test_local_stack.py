"""End to end over real HTTP on loopback: the local stack's router, emulated AWS and sandbox pharmacies."""

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from rxlocal import launcher, sandboxes
from rxlocal.client import SignedClient
from tests.e2e.conftest import E2EStack as RunningStack
from tests.e2e.receiver import CallbackReceiver
from tests.support import ROOT, Credentials, submission

CALLBACKS: dict[str, str] = {}


@pytest.fixture(autouse=True, scope='module')
def callbacks_to_receiver(receiver: CallbackReceiver) -> None:
    CALLBACKS['url'] = receiver.url + '/cb/local-stack'


def unique(**overrides: Any) -> dict[str, Any]:
    """A new submission whose callbacks go to the test receiver on loopback."""
    return submission(sourceOrderId=f'e2e-{uuid.uuid4()}', callbackUrl=CALLBACKS['url'], **overrides)


def with_note(note: str, **overrides: Any) -> dict[str, Any]:
    return unique(medication={**submission()['medication'], 'note': note}, **overrides)


def sandbox_orders(stack: RunningStack, pharmacy: str) -> dict[str, Any]:
    orders = httpx.get(stack.state['sandboxes'][pharmacy] + '/_sandbox/orders', timeout=5).json()
    return {o['order_id']: o for o in orders}


@pytest.fixture(scope='module')
def client(stack: RunningStack) -> SignedClient:
    return stack.client(stack.demo)


def test_health(stack: RunningStack) -> None:
    response = httpx.get(stack.url + '/rx/health')
    assert response.status_code == 200
    assert response.json()['status'] == 'ok'


def test_spec_node_client_submits_to_strive_sandbox(stack: RunningStack, tmp_path: Path) -> None:
    if shutil.which('node') is None:
        pytest.fail('Node.js is required (the spec’s client example is Node)')
    body_file = tmp_path / 'body.json'
    body_file.write_text(json.dumps(unique(test=True)))
    creds = stack.demo
    out = subprocess.run(
        ['node', str(ROOT / 'tests/node/spec_client.mjs'), 'submit', creds.api_key, creds.api_secret, str(body_file), stack.url],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    assert result['status'] == 201, result
    assert result['body']['pharmacy'] == 'strive'
    order = sandbox_orders(stack, 'strive')[result['body']['pharmacyOrderId']]
    assert order['test'] is True
    assert order['sender_id'] == result['body']['submissionId']


@pytest.mark.parametrize(('state', 'pharmacy'), [('TX', 'strive'), ('NY', 'gmp'), ('WA', 'boothwyn')])
def test_routing_reaches_the_right_sandbox(stack: RunningStack, client: SignedClient, state: str, pharmacy: str) -> None:
    response = client.submit(unique(routing={'patientState': state}))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body['pharmacy'] == pharmacy
    assert body['pharmacyOrderId'] in sandbox_orders(stack, pharmacy)


def test_get_owner_other_client_and_unknown(stack: RunningStack, client: SignedClient) -> None:
    created = client.submit(unique()).json()
    mine = client.get(created['submissionId'])
    assert mine.status_code == 200
    assert mine.json()['pharmacyOrderId'] == created['pharmacyOrderId']
    other = stack.client(stack.new_client('other clinic'))
    assert other.get(created['submissionId']).status_code == 403
    assert client.get(str(uuid.uuid4())).status_code == 404


def test_duplicates_replay_and_conflict(stack: RunningStack, client: SignedClient) -> None:
    body = unique()
    first = client.submit(body)
    again = client.submit(body)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers['idempotent-replayed'] == 'true'
    changed = client.submit({**body, 'medication': {**body['medication'], 'refills': 3}})
    assert changed.status_code == 409
    strive_orders = [o for o in sandbox_orders(stack, 'strive').values() if o['sender_id'] == first.json()['submissionId']]
    assert len(strive_orders) == 1


def test_authentication_and_validation_errors(stack: RunningStack, client: SignedClient) -> None:
    wrong = stack.client(Credentials(stack.demo.api_key, 'wrong-secret'))
    assert wrong.submit(unique()).status_code == 401
    assert wrong.submit(unique()).json() == {'error': 'Invalid signature'}
    invalid = unique(patient={**submission()['patient'], 'dob': '1990-13-45'})
    response = client.submit(invalid)
    assert response.status_code == 400
    assert response.json()['details']['fieldErrors'] == {'patient.dob': ['Must be a real calendar date']}


def test_excluded_state_is_422(client: SignedClient) -> None:
    response = client.submit(unique(routing={'patientState': 'MN'}))
    assert response.status_code == 422
    assert response.json() == {'error': 'No pharmacy route configured for state: MN'}


@pytest.mark.parametrize(
    ('note', 'state', 'error'),
    [
        ('sandbox:fail-500', 'WA', 'Boothwyn API error 500: Internal Server Error'),
        ('sandbox:reject', 'TX', 'Strive API error 422: Unprocessable Entity'),
        ('sandbox:reject', 'NY', 'GMP API error 400: Bad Request'),
        ('sandbox:timeout', 'WA', 'Boothwyn API timeout'),
    ],
)
def test_pharmacy_failures_are_502(client: SignedClient, note: str, state: str, error: str) -> None:
    response = client.submit(with_note(note, routing={'patientState': state}))
    assert response.status_code == 502, response.text
    body = response.json()
    assert body['status'] == 'failed'
    assert body['error'].startswith(error)
    record = client.get(body['submissionId']).json()
    assert record['status'] == 'failed'
    assert record['errorMessage'] == body['error']


def test_boothwyn_test_mode_reaches_its_test_database(stack: RunningStack, client: SignedClient) -> None:
    body = client.submit(unique(test=True, routing={'patientState': 'WA'})).json()
    assert sandbox_orders(stack, 'boothwyn')[body['pharmacyOrderId']]['test'] is True
    record = client.get(body['submissionId']).json()
    assert record['test'] is True


def test_cli_routes_and_submissions_show(stack: RunningStack, client: SignedClient) -> None:
    created = client.submit(unique()).json()
    shown = stack.cli('submissions', 'show', created['submissionId'])
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record['status'] == 'submitted'
    assert 'requestPayload' not in record
    assert 'Jane' not in shown.stdout
    routes = json.loads(stack.cli('routes', 'list').stdout)
    assert {'state': 'TX', 'pharmacy': 'strive', 'priority': 100, 'isActive': True} in routes
    assert stack.cli('routes', 'set', 'ZZ', 'strive', '--priority', '1').returncode == 2


def test_cli_rotate_and_revoke(stack: RunningStack) -> None:
    creds = stack.new_client('rotating clinic')
    rotated = json.loads(stack.cli('clients', 'rotate-secret', creds.api_key).stdout)
    for secret in (creds.api_secret, rotated['apiSecret']):
        assert stack.client(Credentials(creds.api_key, secret)).submit(unique()).status_code == 201
    listed = {c['apiKey']: c for c in json.loads(stack.cli('clients', 'list').stdout)}
    assert listed[creds.api_key]['activeSecrets'] == 2
    assert 'apiSecret' not in json.dumps(listed)
    assert stack.cli('clients', 'revoke', creds.api_key).returncode == 0


def test_sandbox_sends_its_native_ship_webhook(stack: RunningStack, client: SignedClient) -> None:
    created = client.submit(unique(routing={'patientState': 'WA'})).json()
    out = stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132')
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result['webhook'] == {'caseId': created['pharmacyOrderId'], 'rxStatus': 'shipped', 'trackingNumber': '794644790132'}
    assert result['order']['status'] == 'shipped'
    assert result['routerStatus'] == 200


def test_stack_stops_cleanly_and_leaves_nothing(tmp_path: Path) -> None:
    running = launcher.start(tmp_path)
    ports = [running.url, *running.state['sandboxes'].values(), running.state['awsEndpoint']]
    assert launcher.stop(running.process) == 0
    assert not (tmp_path / 'local-stack.json').exists()
    for url in ports:
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)


def test_pharmacies_are_records_and_routing_explains_itself(stack: RunningStack, client: SignedClient) -> None:
    listed = {p['id']: p for p in json.loads(stack.cli('pharmacies', 'list').stdout)}
    local = {i.id: i.type for kind in sandboxes.TYPES.values() for i in kind.local_seed()[0]}  # the local stack's extras
    expected = {'boothwyn': 'boothwyn_b2b', 'gmp': 'boothwyn_b2b', 'strive': 'rxvortex', **local}
    assert {i: p['type'] for i, p in listed.items()} == expected
    for name, record in listed.items():  # each record points at its sandbox (a type may add its API's base path)
        urls = [v for v in record['settings'].values() if isinstance(v, str) and v.startswith(('http://', 'https://'))]
        called = bool(sandboxes.TYPES[record['type']].url_settings('http://127.0.0.1:9'))  # beluga's are never called
        assert bool(urls) == called and all(url.startswith(stack.state['sandboxes'][name]) for url in urls), name
    explained = stack.cli('routes', 'explain', '--state', 'NY', '--medication', 'Tirzepatide 10mg/mL')
    assert explained.returncode == 0, explained.stderr
    decision = json.loads(explained.stdout)
    assert (decision['pharmacy'], decision['rule'], decision['nativeDrugId']) == ('gmp', 'state_route', '12850')
    created = client.submit(
        unique(routing={'patientState': 'NY'}, medication={**submission()['medication'], 'name': 'Tirzepatide 10mg/mL'})
    )
    assert created.status_code == 201, created.text
    assert client.get(created.json()['submissionId']).json()['routingDecision'] == decision
