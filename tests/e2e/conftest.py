"""Starts the real local stack (`python -m rxlocal`) on free ports for the e2e tests, and always stops it."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT, Credentials, sign

SCRUBBED = ('API_CLIENTS_TABLE', 'ROUTING_TABLE', 'SUBMISSIONS_TABLE', 'PHARMACY_CREDENTIALS_SECRET', 'AWS_SESSION_TOKEN')


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    state: dict[str, Any]
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return str(self.state['apiUrl'])

    @property
    def demo(self) -> Credentials:
        return Credentials(self.state['demoClient']['apiKey'], self.state['demoClient']['apiSecret'])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        rxrouter = Path(sys.executable).parent / 'rxrouter'
        return subprocess.run([str(rxrouter), *args], env=self.env, capture_output=True, text=True, timeout=60)

    def new_client(self, name: str) -> Credentials:
        out = self.cli('clients', 'create', '--name', name)
        assert out.returncode == 0, out.stderr
        created = json.loads(out.stdout)
        return Credentials(created['apiKey'], created['apiSecret'])


def stack_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith(('STRIVE_', 'BOOTHWYN_', 'GMP_'))}
    env.update(PORT='0', RXROUTER_STATE_DIR=str(state_dir), PYTHONUNBUFFERED='1', **extra)
    return env


def start_stack(state_dir: Path, **extra: str) -> RunningStack:
    env = stack_env(state_dir, **extra)
    log = state_dir / 'stack.log'
    process = subprocess.Popen(
        [sys.executable, '-m', 'rxlocal'],
        cwd=ROOT,
        env=env,
        stdout=log.open('wb'),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    state_file = state_dir / 'local-stack.json'
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'local stack exited with {process.returncode}:\n{log.read_text()}')
        if state_file.is_file():
            state = json.loads(state_file.read_text())
            try:
                if httpx.get(state['apiUrl'] + '/rx/health', timeout=2).status_code == 200:
                    return RunningStack(process, state, env, log)
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    stop_stack(process)
    raise RuntimeError(f'local stack not healthy in 90 s:\n{log.read_text()}')


def stop_stack(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    try:  # anything else left in the group (there should be nothing)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return int(process.returncode)


@pytest.fixture(scope='session')
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp('rxlocal'), PHARMACY_TIMEOUT_SECONDS='2', SANDBOX_TIMEOUT_SECONDS='6')
    try:
        yield running
    finally:
        stop_stack(running.process)


class SignedClient:
    """Signs like the spec's Node example: serialise once, sign timestamp + '.' + those bytes, send them."""

    def __init__(self, base_url: str, creds: Credentials) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.creds = creds

    def _headers(self, body: str) -> dict[str, str]:
        timestamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime()) + '.000Z'
        return {
            'content-type': 'application/json',
            'x-api-key': self.creds.api_key,
            'x-timestamp': timestamp,
            'x-signature': sign(self.creds.api_secret, timestamp, body or '{}'),
        }

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body, separators=(',', ':'), ensure_ascii=False)
        return self.http.post('/rx/prescriptions/submit', content=raw.encode(), headers=self._headers(raw))

    def get(self, submission_id: str) -> httpx.Response:
        return self.http.get(f'/rx/prescriptions/{submission_id}', headers=self._headers(''))
