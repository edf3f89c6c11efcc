"""rxrouter --stack NAME finds a deployed stack's tables through its CloudFormation outputs."""

import json

import boto3
import pytest

from rx_router.settings import Settings
from rx_router.store.models import ApiClientModel, TimelineModel
from rxlocal import cli
from tests.integration.callback_queue import queued_jobs
from tests.integration.deployed_stack import OUTPUTS, create_stack
from tests.template import template


def test_clients_create_and_routes_list_against_a_named_stack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    create_stack('rx-prod')
    monkeypatch.setenv('RXROUTER_STATE_DIR', '/nonexistent-rxrouter-state')  # proves the local state is not used
    assert cli.main(['--stack', 'rx-prod', '--region', 'us-east-1', 'clients', 'create', '--name', 'prod clinic']) == 0
    created = json.loads(capsys.readouterr().out)
    assert ApiClientModel.get(created['apiKey']).name == 'prod clinic'
    assert cli.main(['--stack', 'rx-prod', 'routes', 'list']) == 0
    assert {'state': 'TX', 'pharmacy': 'strive', 'priority': 100, 'isActive': True} in json.loads(capsys.readouterr().out)


def test_stack_without_router_outputs_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    create_stack('other', outputs={})
    assert cli.main(['--stack', 'other', 'routes', 'list']) == 2
    assert 'lacks outputs' in capsys.readouterr().err


def test_no_local_stack_and_no_stack_name_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv('RXROUTER_STATE_DIR', '/nonexistent-rxrouter-state')
    assert cli.main(['routes', 'list']) == 2
    assert 'make run' in capsys.readouterr().err


def test_every_setting_the_layer_needs_comes_from_a_template_output() -> None:
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    assert set(cli.STACK_OUTPUT_ENV.values()) == required
    outputs = template()['Outputs']
    assert set(cli.STACK_OUTPUT_ENV) | set(cli.QUEUE_OUTPUTS.values()) <= outputs.keys()
    assert set(OUTPUTS) == set(cli.STACK_OUTPUT_ENV) | set(cli.QUEUE_OUTPUTS.values())


def test_redrive_moves_dead_lettered_jobs_back_to_the_callback_queue(capsys: pytest.CaptureFixture[str]) -> None:
    create_stack('rx-prod')
    job = {'eventId': 'e-1', 'submissionId': 'sub-1'}
    boto3.client('sqs').send_message(QueueUrl=OUTPUTS['CallbackDeadLetterQueueUrl'], MessageBody=json.dumps(job))
    assert cli.main(['--stack', 'rx-prod', 'callbacks', 'redrive']) == 0
    assert json.loads(capsys.readouterr().out) == {'redriven': 1}
    assert queued_jobs() == [job]
    [action] = [item.event for item in TimelineModel.query('sub-1')]
    assert (action['kind'], action['source'], action['detail']) == (
        'operator_action',
        'rxrouter',
        {'action': 'callbacks redrive', 'eventId': 'e-1'},
    )
    assert action['actor'].startswith('arn:aws:')
