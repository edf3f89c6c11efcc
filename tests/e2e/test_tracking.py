"""Tracking end to end: sandbox pharmacy webhooks → router → SQS → callback sender → the client's receiver."""

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from rxlocal.client import SignedClient
from tests.e2e.conftest import E2EStack
from tests.e2e.receiver import CallbackReceiver, Received
from tests.support import ROOT, submission


@pytest.fixture(scope='module')
def client(stack: E2EStack) -> SignedClient:
    return stack.client(stack.demo)


def submit_with_receiver(client: SignedClient, receiver: CallbackReceiver, state: str = 'WA') -> tuple[dict[str, Any], str]:
    path = f'/cb/{uuid.uuid4()}'
    body = submission(sourceOrderId=f'e2e-{uuid.uuid4()}', callbackUrl=receiver.url + path, routing={'patientState': state})
    response = client.submit(body)
    assert response.status_code == 201, response.text
    return response.json(), path


def verified_by_spec_node_code(secret: str, received: Received, tmp_path: Path) -> bool:
    if shutil.which('node') is None:
        pytest.fail('Node.js is required (the spec’s verifier is Node)')
    file = tmp_path / f'{uuid.uuid4()}.json'
    file.write_text(json.dumps({'headers': received.headers, 'body': received.body.decode('utf-8')}, ensure_ascii=False))
    out = subprocess.run(
        ['node', str(ROOT / 'tests/node/verify_callback.mjs'), secret, str(file)], capture_output=True, text=True, check=True
    )
    return out.stdout == 'true'


def test_webhook_moves_to_shipped_and_client_gets_verified_callbacks(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    created, path = submit_with_receiver(client, receiver)
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    shipped = stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132')
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    initial, update = receiver.at(path)
    assert json.loads(initial.body) == {
        'submissionId': created['submissionId'],
        'sourceOrderId': json.loads(initial.body)['sourceOrderId'],
        'pharmacy': 'boothwyn',
        'status': 'submitted',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'error': None,
    }
    assert json.loads(update.body) | {'sourceOrderId': None} == {
        'submissionId': created['submissionId'],
        'sourceOrderId': None,
        'pharmacy': 'boothwyn',
        'status': 'shipped',
        'pharmacyOrderId': created['pharmacyOrderId'],
        'trackingNumber': '794644790132',
        'carrier': 'FedEx',
    }
    secret = stack.demo.api_secret
    assert verified_by_spec_node_code(secret, initial, tmp_path)
    assert verified_by_spec_node_code(secret, update, tmp_path)
    assert initial.headers['x-event-id'] != update.headers['x-event-id']
    record = client.get(created['submissionId']).json()
    assert (record['status'], record['trackingNumber'], record['carrier']) == ('shipped', '794644790132', 'FedEx')
    # a repeated ship webhook changes nothing and sends no second callback
    stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132')
    stack.cli('sandbox', 'deliver', created['submissionId'])
    receiver.wait_for(lambda: len(receiver.at(path)) == 3)
    assert [json.loads(r.body)['status'] for r in receiver.at(path)] == ['submitted', 'shipped', 'delivered']


def test_strive_webhook_in_transit(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    created, path = submit_with_receiver(client, receiver, state='TX')
    out = stack.cli('sandbox', 'ship', created['submissionId'])
    assert json.loads(out.stdout)['routerStatus'] == 200
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    update = json.loads(receiver.at(path)[1].body)
    assert (update['status'], update['carrier']) == ('shipped', 'UPS')


def test_receiver_failing_twice_still_gets_the_callback_once_accepted(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver
) -> None:
    path_holder: dict[str, str] = {}
    path = f'/cb/{uuid.uuid4()}'
    path_holder['p'] = path
    receiver.scripts[path] = [500, 503]
    body = submission(sourceOrderId=f'e2e-{uuid.uuid4()}', callbackUrl=receiver.url + path, routing={'patientState': 'WA'})
    created = client.submit(body).json()
    receiver.wait_for(lambda: any(r.answered == 200 for r in receiver.at(path)))
    attempts = receiver.at(path)
    assert [r.answered for r in attempts] == [500, 503, 200]
    assert len({r.headers['x-event-id'] for r in attempts}) == 1
    receiver.wait_for(lambda: (client.get(created['submissionId']).json()['lastCallback'] or {}).get('outcome') == 'delivered')
    assert client.get(created['submissionId']).json()['lastCallback']['attempt'] == 3


def test_receiver_that_always_fails_ends_in_the_dlq_and_can_be_redriven(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver
) -> None:
    path = f'/cb/{uuid.uuid4()}'
    receiver.scripts[path] = [500] * 10
    body = submission(sourceOrderId=f'e2e-{uuid.uuid4()}', callbackUrl=receiver.url + path, routing={'patientState': 'WA'})
    created = client.submit(body).json()
    receiver.wait_for(lambda: len(receiver.at(path)) == 10, timeout=90)
    receiver.wait_for(lambda: client.get(created['submissionId']).json()['lastCallback']['outcome'] == 'dead-lettered')
    sqs = boto3.client('sqs', endpoint_url=stack.state['awsEndpoint'], region_name='us-east-1',
                       aws_access_key_id='local', aws_secret_access_key='local')  # fmt: skip
    dlq = stack.state['queues']['CallbackDeadLetterQueue']

    def dlq_depth() -> int:
        attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['ApproximateNumberOfMessages'])['Attributes']
        return int(attrs['ApproximateNumberOfMessages'])

    # Other tests' callbacks to closed loopback ports dead-letter on the same stack: this one is among them.
    receiver.wait_for(lambda: dlq_depth() >= 1, timeout=30)
    assert len(receiver.at(path)) == 10  # no eleventh attempt
    redriven = stack.cli('callbacks', 'redrive')
    assert redriven.returncode == 0, redriven.stderr
    assert json.loads(redriven.stdout)['redriven'] >= 1
    receiver.wait_for(lambda: any(r.answered == 200 for r in receiver.at(path)))
    receiver.wait_for(lambda: client.get(created['submissionId']).json()['lastCallback']['outcome'] == 'delivered')


def test_the_timeline_over_http_and_from_the_cli(stack: E2EStack, client: SignedClient, receiver: CallbackReceiver) -> None:
    created, path = submit_with_receiver(client, receiver)
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132')
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    receiver.wait_for(
        lambda: len([e for e in client.get(created['submissionId'], 'timeline').json()['events'] if e['kind'] == 'callback']) == 2
    )
    response = client.get(created['submissionId'], 'timeline')
    assert response.status_code == 200
    kinds = [e['kind'] for e in response.json()['events']]
    assert kinds[:4] == ['received', 'routed', 'sent_to_pharmacy', 'pharmacy_answered']
    assert kinds.count('webhook_accepted') == 1 and kinds.count('callback') == 2
    shown = stack.cli('submissions', 'timeline', created['submissionId'])
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == response.json()
    assert 'Jane' not in shown.stdout and 'Smith' not in shown.stdout
    other = stack.client(stack.new_client('timeline outsider'))
    assert other.get(created['submissionId'], 'timeline').status_code == 403


def test_cancel_over_http_reaches_the_sandbox_and_calls_back_verified(
    stack: E2EStack, client: SignedClient, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    created, path = submit_with_receiver(client, receiver, state='TX')  # Strive: cancels until shipped
    receiver.wait_for(lambda: len(receiver.at(path)) == 1)
    response = client.act(created['submissionId'], 'cancel')
    assert response.status_code == 200, response.text
    assert response.json()['status'] == 'cancelled'
    receiver.wait_for(lambda: len(receiver.at(path)) == 2)
    cancelled = receiver.at(path)[1]
    assert json.loads(cancelled.body)['status'] == 'cancelled'
    assert verified_by_spec_node_code(stack.demo.api_secret, cancelled, tmp_path)
    assert client.act(created['submissionId'], 'cancel').status_code == 200  # again: the same answer
    synced = stack.cli('submissions', 'sync', created['submissionId'])
    assert synced.returncode != 0 and 'nothing to ask its pharmacy' in synced.stderr
