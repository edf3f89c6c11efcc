"""Starts the real local stack on free ports for the e2e tests, and always stops it."""

import json
from collections.abc import Iterator

import pytest

from rxlocal import launcher
from rxlocal.client import SignedClient
from tests.e2e.receiver import CallbackReceiver
from tests.support import Credentials


class E2EStack(launcher.RunningStack):
    @property
    def demo(self) -> Credentials:
        return Credentials(self.state['demoClient']['apiKey'], self.state['demoClient']['apiSecret'])

    def new_client(self, name: str) -> Credentials:
        out = self.cli('clients', 'create', '--name', name)
        assert out.returncode == 0, out.stderr
        created = json.loads(out.stdout)
        return Credentials(created['apiKey'], created['apiSecret'])

    def client(self, creds: Credentials) -> SignedClient:
        return SignedClient(self.url, creds.api_key, creds.api_secret)


@pytest.fixture(scope='session')
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EStack]:
    started = launcher.start(
        tmp_path_factory.mktemp('rxlocal'), PHARMACY_TIMEOUT_SECONDS='2', SANDBOX_TIMEOUT_SECONDS='6', CALLBACK_RETRY_SCHEDULE='1'
    )
    running = E2EStack(started.process, started.state, started.env, started.log)
    try:
        yield running
    finally:
        launcher.stop(running.process)


@pytest.fixture(scope='session')
def receiver() -> Iterator[CallbackReceiver]:
    running = CallbackReceiver()
    try:
        yield running
    finally:
        running.stop()
