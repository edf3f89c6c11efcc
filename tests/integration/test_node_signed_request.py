"""A request signed by the spec's own Node.js example code is accepted (and a tampered one is not)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from functions.submit.app import lambda_handler as submit_handler
from tests.fake_pharmacies import FakePharmacies
from tests.support import ROOT, Credentials, LambdaContext, load_event, response_json, submission

pytestmark = pytest.mark.node


def node_signed(creds: Credentials, body: dict, tmp_path: Path) -> dict:
    if shutil.which('node') is None:
        pytest.fail('Node.js is required for this test (the spec’s client example is Node)')
    body_file = tmp_path / 'body.json'
    body_file.write_text(json.dumps(body, ensure_ascii=False))
    out = subprocess.run(
        ['node', str(ROOT / 'tests/node/spec_client.mjs'), 'sign', creds.api_key, creds.api_secret, str(body_file)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    signed: dict = json.loads(out.stdout)
    return signed


def as_event(signed: dict) -> dict:
    event = load_event('submit')
    event['headers'] = {k.lower(): v for k, v in signed['headers'].items()}  # API Gateway lower-cases names
    event['body'] = signed['body']
    return event


def test_node_signed_submission_is_accepted(creds: Credentials, pharmacies: FakePharmacies, tmp_path: Path) -> None:
    body = submission(patient={**submission()['patient'], 'firstName': 'José', 'lastName': 'Müller-Ōta'})
    response = submit_handler(as_event(node_signed(creds, body, tmp_path)), LambdaContext())
    assert response['statusCode'] == 201, response['body']
    assert response_json(response)['status'] == 'submitted'


def test_node_signed_but_altered_body_is_rejected(creds: Credentials, pharmacies: FakePharmacies, tmp_path: Path) -> None:
    event = as_event(node_signed(creds, submission(), tmp_path))
    event['body'] = event['body'].replace('"quantity":1', '"quantity":2')
    assert submit_handler(event, LambdaContext())['statusCode'] == 401
    assert pharmacies.calls == []
