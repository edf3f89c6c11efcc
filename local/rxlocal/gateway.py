"""API Gateway (HTTP API, payload 2.0) on loopback: the HttpApi routes declared in template.yaml, each
request turned into the event API Gateway would send and handed to the function's real handler."""

import base64
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rxlocal.loopback import LoopbackServer, read_body, send
from rxlocal.runtime import LocalFunction
from rxlocal.template import HttpRoute

log = logging.getLogger('rxlocal.api')
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
TEXT_TYPES = re.compile(r'^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+json)', re.I)


class CompiledRoute:
    def __init__(self, route: HttpRoute) -> None:
        self.route = route
        self.params = re.findall(r'\{([^}+]+)\+?\}', route.path)
        pattern = re.sub(r'\\\{([^}+]+)\\\+\\\}', r'(?P<\1>.+)', re.escape(route.path))
        pattern = re.sub(r'\\\{([^}]+)\\\}', r'(?P<\1>[^/]+)', pattern)
        self.regex = re.compile(f'^{pattern}$')

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.method not in (method, 'ANY'):
            return None
        found = self.regex.match(path)
        return found.groupdict() if found else None


class Gateway:
    def __init__(self, routes: list[HttpRoute], port: int) -> None:
        # Most specific first, as API Gateway chooses: fewer path variables win.
        self.routes = sorted((CompiledRoute(r) for r in routes), key=lambda c: (len(c.params), -len(c.route.path)))
        self.functions: dict[str, LocalFunction] = {}
        self.server = LoopbackServer(self._timed, 'api-gateway', port)
        self.port = self.server.port
        self.url = self.server.url

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def resolve(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self.routes:
            params = compiled.match(method, path)
            if params is not None:
                return compiled.route, params
        return None

    def _timed(self, request: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        status = self.serve(request)
        log.info('%s %s %s %.1fms', request.command, urlsplit(request.path).path, status, (time.perf_counter() - started) * 1000)

    def serve(self, request: BaseHTTPRequestHandler) -> int:
        url = urlsplit(request.path)
        if int(request.headers.get('content-length') or 0) > MAX_PAYLOAD_BYTES:
            return send(request, 413, {'content-type': 'application/json'}, b'{"message":"Request Entity Too Large"}')
        body = read_body(request)
        resolved = self.resolve(request.command, url.path)
        if resolved is None:
            return send(request, 404, {'content-type': 'application/json'}, b'{"message":"Not Found"}')
        route, params = resolved
        event = build_event(request, route, params, url.path, url.query, body)
        try:
            result = self.functions[route.function].invoke(event)
        except Exception:
            log.exception('function %s raised', route.function)
            return send(request, 500, {'content-type': 'application/json'}, b'{"message":"Internal Server Error"}')
        status, headers, payload = to_http(result)
        return send(request, status, headers, payload)


def build_event(
    request: BaseHTTPRequestHandler, route: HttpRoute, params: dict[str, str], path: str, query: str, body: bytes
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f'{headers[key]},{value}' if key in headers else value
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        'version': '2.0',
        'routeKey': route.route_key,
        'rawPath': path,
        'rawQueryString': query,
        'headers': headers,
        'requestContext': {
            'accountId': '123456789012',
            'apiId': 'local',
            'domainName': headers.get('host', '127.0.0.1'),
            'domainPrefix': 'local',
            'http': {
                'method': request.command,
                'path': path,
                'protocol': request.request_version,
                'sourceIp': request.client_address[0],
                'userAgent': headers.get('user-agent', ''),
            },
            'requestId': str(uuid.uuid4()),
            'routeKey': route.route_key,
            'stage': '$default',
            'time': now.strftime('%d/%b/%Y:%H:%M:%S +0000'),
            'timeEpoch': int(now.timestamp() * 1000),
        },
        'isBase64Encoded': False,
    }
    if query:
        event['queryStringParameters'] = dict(parse_qsl(query, keep_blank_values=True))
    if params:
        event['pathParameters'] = params
    if body:
        text = TEXT_TYPES.match(headers.get('content-type', ''))
        try:
            event['body'] = body.decode('utf-8') if text else None
        except UnicodeDecodeError:
            event['body'] = None
        if event['body'] is None:
            event['body'] = base64.b64encode(body).decode()
            event['isBase64Encoded'] = True
    return event


def to_http(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A Lambda proxy result as API Gateway turns it into HTTP (payload 2.0 rules)."""
    if not (isinstance(result, dict) and 'statusCode' in result):
        return 200, {'content-type': 'application/json'}, json.dumps(result).encode()
    body = result.get('body') or ''
    payload = base64.b64decode(body) if result.get('isBase64Encoded') else str(body).encode()
    headers = {str(k): str(v) for k, v in (result.get('headers') or {}).items()}
    return int(result['statusCode']), headers, payload
