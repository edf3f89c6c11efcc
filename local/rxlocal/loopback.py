"""The one HTTP server scaffolding of the local stack (gateway, sandbox pharmacies) and the tests' receivers:
threaded, on 127.0.0.1, TCP_NODELAY, quiet, each request handed to one function."""

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Serve = Callable[[BaseHTTPRequestHandler], None]


def send(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes) -> int:
    request.send_response(status)
    for name, value in headers.items():
        if name.lower() not in ('content-length', 'connection'):
            request.send_header(name, value)
    request.send_header('content-length', str(len(payload)))
    request.end_headers()
    if request.command != 'HEAD':
        request.wfile.write(payload)
    return status


def read_body(request: BaseHTTPRequestHandler) -> bytes:
    length = int(request.headers.get('content-length') or 0)
    return request.rfile.read(length) if length else b''


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 resets connections when tests open dozens at once


class LoopbackServer:
    def __init__(self, serve: Serve, name: str, port: int = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes; without this, Nagle + delayed ACK add ~40 ms per response.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
                pass

            def _serve(self) -> None:
                serve(self)

            def __getattr__(self, name: str) -> Any:
                # Every method reaches `serve` (TRACE, CONNECT, ... too): it answers what the real server would (the
                # gateway: 404 for a method no route declares), never http.server's own 501 page.
                if name.startswith('do_'):
                    return self._serve
                raise AttributeError(name)

        self.name = name
        self.server = _Server(('127.0.0.1', port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'

    def start(self) -> None:
        self.serving = threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True)
        self.serving.start()

    def stop(self) -> None:
        if getattr(self, 'serving', None) is not None:  # shutdown() waits for serve_forever: never if it never ran
            self.server.shutdown()
        self.server.server_close()
