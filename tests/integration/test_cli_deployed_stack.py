"""rxrouter --stack NAME finds a deployed stack's tables through its CloudFormation outputs."""

import json

import pytest

from rx_router.store.models import ApiClientModel
from rxlocal import cli
from tests.integration.deployed_stack import create_stack


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
