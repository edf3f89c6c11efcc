"""A sandbox pharmacy served over HTTP on loopback (the local stack)."""

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from rxlocal.loopback import LoopbackServer, read_body, send
from rxlocal.sandboxes.base import TEST_PREFIX, TIMEOUT, Sandbox


class SandboxServer:
    def __init__(self, name: str, port: int = 0) -> None:
        self.sandbox: Sandbox | None = None
        self.server = LoopbackServer(self._serve, f'sandbox-{name}', port)
        self.url = self.server.url

    def start(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.server.start()

    def stop(self) -> None:
        if self.sandbox:
            self.sandbox.stop()
        self.server.stop()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        assert self.sandbox is not None
        url = urlsplit(request.path)
        path, test = url.path, False
        if self.sandbox.test_url_setting and path.startswith(TEST_PREFIX + '/'):
            path, test = path.removeprefix(TEST_PREFIX), True
        status, body = self.sandbox.handle(
            request.command, path, url.query, dict(request.headers.items()), read_body(request), test_environment=test
        )
        if status == TIMEOUT:  # sandbox:timeout - the connection is dropped without an answer
            request.close_connection = True
            return
        send(request, status, {'content-type': 'application/json'}, json.dumps(body).encode())
