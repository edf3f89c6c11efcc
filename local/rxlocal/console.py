"""`rxrouter console`: a read-only operator page on loopback, against the local stack or a deployed one (`--stack`,
with the operator's own AWS credentials: nothing new is exposed in AWS).

It finds a submission by its id, its source order id or its pharmacy order id, and shows its status, its timeline
(drawn), the routing decision, the diagnosis, what the patient may see and the callback deliveries; and the
callback dead-letter queue's depth, with a redrive behind a confirmation. Patient data is shown only on an
explicit reveal, which is recorded on the submission's timeline with the operator's identity.

The server listens on 127.0.0.1 only. Every API call needs the session's random token in `x-console-token` (a
header a page from another origin cannot send without a CORS preflight this server never grants), and the page
itself is served only with the token in its URL.
"""

import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = Path(__file__).with_name('console.html')
MAX_FOUND = 20
SUBMISSION = re.compile(r'/api/submissions/([0-9a-f-]{36})(/reveal)?')


class ConsoleError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Console:
    """What the page asks for, answered from the stack's store (the layer, pointed at it by `rxrouter`)."""

    def __init__(self, operator: Callable[[], str], record_action: Callable[..., None], dlq_depth: Callable[[], int],
                 redrive: Callable[[int | None, str], int]) -> None:  # fmt: skip
        self.operator = operator
        self.record_action = record_action
        self.dlq_depth = dlq_depth
        self.redrive = redrive

    def find(self, query: str) -> list[dict[str, Any]]:
        from rx_router.store import submissions, table
        from rx_router.store.config import load_pharmacies
        from rx_router.store.models import SubmissionModel

        query = query.strip()
        if not query:
            raise ConsoleError(400, 'Type a submission id, a source order id or a pharmacy order id')
        found: dict[str, Any] = {}
        if _is_uuid(query):
            submission = submissions.get(query)
            if submission is not None:
                found[submission.id] = submission
        by_order = submissions.find_by_pharmacy_order(sorted(load_pharmacies().pharmacies), query)
        if by_order is not None:
            found[by_order.id] = by_order
        if query not in found:  # source order ids have no index: an operator's scan, unless the id itself was found
            for item in table.scan(SubmissionModel, consistent=False):
                if len(found) >= MAX_FOUND:
                    break
                if item.source_order_id == query and item.id not in found:
                    found[item.id] = submissions.get(item.id)
        return [
            {
                'id': s.id,
                'status': s.status.value,
                'pharmacy': s.pharmacy,
                'source': s.source,
                'sourceOrderId': s.source_order_id,
                'pharmacyOrderId': s.pharmacy_order_id,
                'createdAt': s.created_at,
            }
            for s in found.values()
            if s is not None
        ]

    def submission(self, submission_id: str) -> dict[str, Any]:
        from rx_router.api.views import submission_view
        from rx_router.domain.events import EventKind
        from rx_router.service.diagnosis import diagnose
        from rx_router.service.tracking import tracking_view
        from rx_router.store.config import load_pharmacies
        from rx_router.store.timeline import events_of

        submission = self._existing(submission_id)
        events = events_of(submission)
        record = submission_view(submission, events)
        for patient_data in ('requestPayload', 'responsePayload'):  # only on an explicit reveal
            record.pop(patient_data)
        return {
            'record': record,
            'timeline': [e.view() for e in events],
            'diagnosis': diagnose(submission, events, load_pharmacies()),
            'tracking': tracking_view(submission, events),
            'callbacks': [e.view() for e in events if e.kind is EventKind.CALLBACK],
        }

    def reveal(self, submission_id: str) -> dict[str, Any]:
        submission = self._existing(submission_id)
        self.record_action(submission.id, self.operator(), 'patient data revealed', via='console')
        return {'requestPayload': submission.request_payload, 'responsePayload': submission.response_payload}

    def dead_letters(self) -> dict[str, Any]:
        return {'depth': self.dlq_depth()}

    def redrive_dead_letters(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or body.get('confirm') is not True:
            raise ConsoleError(400, 'Redrive needs {"confirm": true}')
        return {'redriven': self.redrive(None, self.operator())}

    @staticmethod
    def _existing(submission_id: str) -> Any:
        from rx_router.store import submissions

        submission = submissions.get(submission_id)
        if submission is None:
            raise ConsoleError(404, f'No submission {submission_id}')
        return submission


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class ConsoleServer:
    def __init__(self, console: Console, port: int = 0) -> None:
        self.console = console
        self.token = secrets.token_urlsafe(24)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass  # request lines could carry a search for a patient's order id: nothing is logged

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.serve(self, 'GET')

            def do_POST(self) -> None:  # noqa: N802
                server.serve(self, 'POST')

        self.httpd = ThreadingHTTPServer(('127.0.0.1', port), Handler)
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'

    @property
    def page_url(self) -> str:
        return f'{self.url}/?token={self.token}'

    def start(self) -> None:
        threading.Thread(target=self.httpd.serve_forever, name='console', daemon=True).start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        try:
            if method == 'GET' and parts.path == '/':
                if not secrets.compare_digest(parse_qs(parts.query).get('token', [''])[0], self.token):
                    raise ConsoleError(403, 'Open the URL rxrouter console printed (it carries the session token)')
                return _send(request, 200, PAGE.read_bytes(), 'text/html; charset=utf-8')
            if not secrets.compare_digest(request.headers.get('x-console-token', ''), self.token):
                raise ConsoleError(403, 'Missing or wrong console token')
            return _send_json(request, 200, self.route(method, parts.path, parse_qs(parts.query), _body(request)))
        except ConsoleError as exc:
            return _send_json(request, exc.status, {'error': str(exc)})
        except Exception as exc:  # noqa: BLE001 - the page shows the failure instead of hanging
            return _send_json(request, 500, {'error': f'{type(exc).__name__}: see the terminal running rxrouter console'})

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        found = SUBMISSION.fullmatch(path)
        if method == 'GET' and path == '/api/find':
            return self.console.find(query.get('q', [''])[0])
        if method == 'GET' and found and not found.group(2):
            return self.console.submission(found.group(1))
        if method == 'POST' and found and found.group(2):
            return self.console.reveal(found.group(1))
        if method == 'GET' and path == '/api/dlq':
            return self.console.dead_letters()
        if method == 'POST' and path == '/api/dlq/redrive':
            return self.console.redrive_dead_letters(body)
        raise ConsoleError(404, 'Not found')


def _body(request: BaseHTTPRequestHandler) -> Any:
    length = int(request.headers.get('content-length') or 0)
    if not length:
        return None
    try:
        return json.loads(request.rfile.read(min(length, 65_536)))
    except ValueError:
        raise ConsoleError(400, 'The body must be JSON') from None


def _send_json(request: BaseHTTPRequestHandler, status: int, value: Any) -> None:
    _send(request, status, json.dumps(value).encode(), 'application/json')


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    request.send_response(status)
    request.send_header('content-type', content_type)
    request.send_header('content-length', str(len(body)))
    request.send_header('cache-control', 'no-store')
    request.send_header('x-frame-options', 'DENY')
    request.send_header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
    request.end_headers()
    request.wfile.write(body)
