"""A client's callback endpoint on loopback: records what arrives and answers as scripted per path."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from rxlocal.loopback import LoopbackServer, read_body, send


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


class CallbackReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.server = LoopbackServer(self._serve, 'callback-receiver')
        self.url = self.server.url
        self.server.start()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        body = read_body(request)
        with self.lock:
            script = self.scripts.get(request.path, [])
            status = script.pop(0) if script else 200
            self.received.append(Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body, status))
        send(request, status, {}, b'')

    def stop(self) -> None:
        self.server.stop()

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f'condition not met in {timeout} s; received: {[(r.path, r.answered) for r in self.received]}')
