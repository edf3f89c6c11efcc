"""The API Gateway emulation: routes come from the template; events look like API Gateway's."""

import base64
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from rxlocal import template
from rxlocal.gateway import Gateway, to_http
from rxlocal.runtime import LocalFunction
from tests.support import ROOT


def echo_function(name: str, seen: list[dict[str, Any]]) -> LocalFunction:
    definition = template.Function(name=name, code_dir=ROOT, handler='app.handler', timeout=30, memory=128, environment={})

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return {'statusCode': 200, 'headers': {'content-type': 'application/json'}, 'body': json.dumps({'fn': name})}

    return LocalFunction(definition, handler)


@pytest.fixture
def served() -> Any:
    gateway = Gateway(template.http_routes(), port=0)
    seen: list[dict[str, Any]] = []
    gateway.functions = {fn: echo_function(fn, seen) for fn in template.functions()}
    gateway.start()
    yield gateway, seen
    gateway.stop()


def test_every_template_route_is_served_by_its_function(served: Any) -> None:
    gateway, seen = served
    for route in template.http_routes():
        path = route.path.replace('{id}', 'abc')
        response = httpx.request(route.method, gateway.url + path, content=b'{}')
        assert response.json() == {'fn': route.function}
        assert seen[-1]['routeKey'] == route.route_key
    assert httpx.post(gateway.url + '/rx/health').status_code == 404  # method matters


@pytest.mark.parametrize('method', ['TRACE', 'CONNECT', 'PROPFIND', 'DELETE'])
def test_a_method_no_route_declares_is_404_as_api_gateway_answers(served: Any, method: str) -> None:
    gateway, _ = served
    response = httpx.request(method, gateway.url + '/rx/health')
    assert (response.status_code, response.json()) == (404, {'message': 'Not Found'})


def test_event_shape(served: Any) -> None:
    gateway, seen = served
    raw = '{"a": "é"}'.encode()
    httpx.post(
        gateway.url + '/rx/prescriptions/submit?x=1', content=raw, headers={'X-Api-Key': 'k', 'content-type': 'application/json'}
    )
    event = seen[-1]
    assert event['version'] == '2.0'
    assert event['rawPath'] == '/rx/prescriptions/submit'
    assert event['rawQueryString'] == 'x=1'
    assert event['headers']['x-api-key'] == 'k'
    assert event['body'].encode() == raw and event['isBase64Encoded'] is False
    assert event['requestContext']['http']['method'] == 'POST'
    httpx.get(gateway.url + '/rx/prescriptions/5e1f')
    assert seen[-1]['pathParameters'] == {'id': '5e1f'}


def test_binary_bodies_are_base64_encoded(served: Any) -> None:
    gateway, seen = served
    httpx.post(
        gateway.url + '/rx/prescriptions/submit', content=b'\x00\xff', headers={'content-type': 'application/octet-stream'}
    )
    assert seen[-1]['isBase64Encoded'] is True
    assert base64.b64decode(seen[-1]['body']) == b'\x00\xff'


def test_route_added_to_the_template_is_served_without_code_changes(tmp_path: Path) -> None:
    text = (ROOT / 'template.yaml').read_text()
    extra = """
  PingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/health/
      Handler: app.lambda_handler
      Events:
        Ping:
          Type: HttpApi
          Properties:
            ApiId: !Ref RouterHttpApi
            Path: /rx/ping/{name}
            Method: GET
"""
    copy = tmp_path / 'template.yaml'
    copy.write_text(text.replace('\nResources:\n', '\nResources:\n' + extra, 1))
    shutil.copytree(ROOT / 'functions', tmp_path / 'functions')
    routes = template.http_routes(copy)
    assert ('GET', '/rx/ping/{name}', 'PingFunction') in [(r.method, r.path, r.function) for r in routes]
    gateway = Gateway(routes, port=0)
    assert gateway.resolve('GET', '/rx/ping/bob') == (next(r for r in routes if r.function == 'PingFunction'), {'name': 'bob'})


def test_handler_results_become_http() -> None:
    assert to_http({'statusCode': 201, 'headers': {'a': 'b'}, 'body': '{}'}) == (201, {'a': 'b'}, b'{}')
    assert to_http({'statusCode': 200, 'body': base64.b64encode(b'\x01').decode(), 'isBase64Encoded': True})[2] == b'\x01'
    assert to_http({'ok': True}) == (200, {'content-type': 'application/json'}, b'{"ok": true}')


def test_concurrent_requests_are_served(served: Any) -> None:
    gateway, _ = served
    codes: list[int] = []
    threads = [
        threading.Thread(target=lambda: codes.append(httpx.get(gateway.url + '/rx/health').status_code)) for _ in range(10)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 10


def test_the_gateway_queues_dozens_of_simultaneous_connections() -> None:
    """Python's default listen backlog (5) drops connections when tests open dozens at once: with the server not
    accepting at all, 60 simultaneous connects must all complete (a backlog of 5 completes about 6)."""
    import select
    import socket

    gateway = Gateway(template.http_routes(), port=0)  # bound and listening, not accepting
    clients = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(60)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(('127.0.0.1', gateway.port))
        _, writable, _ = select.select([], clients, [], 2.0)
        connected = [c for c in writable if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
        assert len(connected) == len(clients)
    finally:
        for client in clients:
            client.close()
        gateway.stop()
