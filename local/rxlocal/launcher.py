"""Starts `python -m rxlocal` as a child process group and stops all of it (used by tests and benchmarks)."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from rxlocal import template
from rxlocal.template import ROOT

# Function settings the launching environment may override locally (everything else comes from the template).
OVERRIDABLE = ('PHARMACY_TIMEOUT_SECONDS', 'POWERTOOLS_LOG_LEVEL', 'CALLBACK_RETRY_SCHEDULE')


def inherited_noise() -> set[str]:
    """Variables a caller's environment may carry that must not leak into the stack: it derives every other
    function setting from the template itself."""
    declared = {name for fn in template.functions().values() for name in fn.environment}
    return declared - set(OVERRIDABLE) | {'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL'}


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    state: dict[str, Any]
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return str(self.state['apiUrl'])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        rxrouter = Path(sys.executable).parent / 'rxrouter'
        return subprocess.run([str(rxrouter), *args], env=self.env, capture_output=True, text=True, timeout=60)


def start(state_dir: Path, timeout: float = 90, **extra: str) -> RunningStack:
    noise = inherited_noise()
    env = {k: v for k, v in os.environ.items() if k not in noise}
    env.update(PORT='0', RXROUTER_STATE_DIR=str(state_dir), PYTHONUNBUFFERED='1', **extra)
    log = state_dir / 'stack.log'
    process = subprocess.Popen(
        [sys.executable, '-m', 'rxlocal'],
        cwd=ROOT,
        env=env,
        stdout=log.open('wb'),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
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
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f'local stack not healthy in {timeout:.0f} s:\n{log.read_text()}')


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM to the whole group, SIGKILL if it lingers; returns the stack's exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return int(process.returncode)
