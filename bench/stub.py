"""The network the bench processes see: AWS answered in-process by a botocore `before-send` handler over a tiny
in-memory store, the pharmacy and callback receivers by httpx.MockTransport.

`install()` patches `botocore.session.Session.create_client` (every client built afterwards, the router's at
init included, answers from the store), so it runs before a handler module is imported. Only what the handlers
would import anyway is imported here (json, os, time, datetime, hashlib, hmac, botocore.session); httpx is
imported when the HTTP mocks are installed, after the handler's import.

The store's state (tables, secrets, API client, events) is written by bench/prepare.py into .bench/state.json
from the real seed, the real API client code and a real submit and webhook, so it matches the models as the
router writes them.
"""

import hashlib
import hmac
import json
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.client
import botocore.session
from botocore.awsrequest import AWSResponse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / '.bench'
STATE_FILE = BENCH_DIR / 'state.json'
MODES = ('submit', 'webhook', 'callback')
HANDLER_MODULES = {
    'submit': 'functions.submit.app',
    'webhook': 'functions.rxvortex_webhook.app',
    'callback': 'functions.callback_sender.app',
}
TEMPLATE_FUNCTIONS = {'submit': 'SubmitFunction', 'webhook': 'RxVortexWebhookFunction', 'callback': 'CallbackSenderFunction'}
CALLBACK_URL = 'https://127.0.0.1/cb'
STRIVE_ORDER_ID = 'STV-BENCH-0001'
RESULT_PREFIX = 'BENCH-RESULT '
# The bench's resources, as the functions' environment names them.
RESOURCES = {
    'API_CLIENTS_TABLE': 'bench-api-clients',
    'ROUTING_TABLE': 'bench-routing',
    'PHARMACY_CONFIG_TABLE': 'bench-pharmacy-config',
    'SUBMISSIONS_TABLE': 'bench-submissions',
    'TIMELINE_TABLE': 'bench-timeline',
    'PRESCRIPTION_GATES_TABLE': 'bench-prescription-gates',
    'PHARMACY_CREDENTIALS_SECRET': 'bench/pharmacy-credentials',
    'WEBHOOK_SECRETS_SECRET': 'bench/webhook-secrets',
    'CALLBACK_QUEUE_URL': 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-callbacks',
    'CALLBACK_ALLOW_LOOPBACK': 'true',
}

_EQUALITY = re.compile(r'(#\w+)\s*=\s*(:\w+)')
_OK_MD5 = '0' * 32  # botocore (1.44) does not check MD5OfMessageBody; the router never reads it


def calls_file(mode: str) -> Path:
    return BENCH_DIR / f'calls-{mode}.json'


def keys_of(model: Any) -> tuple[str, ...]:
    """The attribute names of a pynamodb model's table key (hash, then range if any)."""
    range_key = model._range_key_attribute()
    return (model._hash_key_attribute().attr_name, *((range_key.attr_name,) if range_key else ()))


def load_state() -> dict[str, Any]:
    state: dict[str, Any] = json.loads(STATE_FILE.read_text())
    return state


class _Body:
    """The raw stream botocore reads an answer from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Any:
        yield self._data

    def read(self, *args: Any) -> bytes:
        data, self._data = self._data, b''
        return data


class Store:
    """Tables keyed by the attributes of their key schema, secrets by id. Writes are kept only when asked
    (bench/prepare.py); a measured process answers every write with success and changes nothing, so each of
    its requests finds the same state (a webhook always moves the submission from submitted to shipped)."""

    def __init__(self, state: dict[str, Any] | None, *, keep_writes: bool) -> None:
        state = state or {}
        self.keep_writes = keep_writes
        self.keys: dict[str, list[str]] = state.get('keys', {})
        self.indexes: dict[str, dict[str, dict[str, Any]]] = state.get('indexes', {})
        self.secrets: dict[str, str] = dict(state.get('secrets', {}))
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        for table, items in state.get('tables', {}).items():
            for item in items:
                self._put(table, item)
        self.sent: list[dict[str, Any]] = []  # SendMessage requests (prepare reads the callback jobs from them)
        self.puts: list[dict[str, Any]] = []  # PutItem requests, kept with the writes

    def _key(self, table: str, item: dict[str, Any]) -> str:
        return json.dumps([item.get(name) for name in self.keys.get(table, sorted(item))], sort_keys=True)

    def _put(self, table: str, item: dict[str, Any]) -> None:
        self.tables.setdefault(table, {})[self._key(table, item)] = item

    def items(self, table: str) -> list[dict[str, Any]]:
        return list(self.tables.get(table, {}).values())

    def dynamodb(self, operation: str, body: bytes) -> dict[str, Any]:
        if operation in ('PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems') and not self.keep_writes:
            return {}
        request = json.loads(body)
        if operation == 'GetItem':
            found = self.tables.get(request['TableName'], {}).get(self._key(request['TableName'], request['Key']))
            return {'Item': found} if found is not None else {}
        if operation == 'PutItem':
            self.puts.append(request)
            self._put(request['TableName'], request['Item'])
            return {}
        if operation == 'UpdateItem':
            self._update(request)
            return {}
        if operation == 'TransactWriteItems':
            for entry in request['TransactItems']:
                if 'Put' in entry:
                    self._put(entry['Put']['TableName'], entry['Put']['Item'])
            return {}
        if operation in ('Query', 'Scan'):
            return self._read(operation, request)
        return {}  # DeleteItem: success, nothing changed (bench/prepare.py needs none)

    def _update(self, request: dict[str, Any]) -> None:
        """SET and REMOVE of whole attributes, as rx_router.store.table writes them (`#name = :value`)."""
        table, names, values = request['TableName'], request['ExpressionAttributeNames'], request['ExpressionAttributeValues']
        item = dict(self.tables.get(table, {}).get(self._key(table, request['Key']), request['Key']))
        setting, _, removing = request['UpdateExpression'].removeprefix('SET ').partition('REMOVE ')
        for name, value in _EQUALITY.findall(setting):
            item[names[name]] = values[value]
        for name in removing.replace(',', ' ').split():
            item.pop(names[name], None)
        self._put(table, item)

    def _read(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        table = request['TableName']
        items = self.items(table)
        if operation == 'Query':
            names, values = request.get('ExpressionAttributeNames', {}), request.get('ExpressionAttributeValues', {})
            wanted = {names[name]: values[value] for name, value in _EQUALITY.findall(request['KeyConditionExpression'])}
            items = [item for item in items if all(item.get(k) == v for k, v in wanted.items())]
            index = self.indexes.get(table, {}).get(request.get('IndexName', ''))
            if index is not None and index['projection'] == 'KEYS_ONLY':
                kept = {*self.keys[table], *index['keys']}
                items = [{k: v for k, v in item.items() if k in kept} for item in items]
        if 'Limit' in request:
            items = items[: request['Limit']]
        return {'Items': items, 'Count': len(items), 'ScannedCount': len(items)}

    def answer(self, request: Any, **kwargs: Any) -> AWSResponse:
        target = request.headers.get('X-Amz-Target', b'')
        target = target.decode() if isinstance(target, bytes) else target
        service, _, operation = target.rpartition('.')
        if service.startswith('DynamoDB'):
            body = self.dynamodb(operation, request.body)
        elif service == 'AmazonSQS':
            body = self.sqs(operation, request.body)
        elif service == 'secretsmanager':
            secret_id = json.loads(request.body)['SecretId']
            body = {'ARN': f'arn:aws:secretsmanager:us-east-1:123456789012:secret:{secret_id}', 'Name': secret_id}
            body['SecretString'] = self.secrets[secret_id]
        else:
            raise AssertionError(f'the bench stub does not answer {target!r}')
        raw = json.dumps(body).encode()
        return AWSResponse(request.url, 200, {'content-type': 'application/x-amz-json-1.0'}, _Body(raw))

    def sqs(self, operation: str, body: bytes) -> dict[str, Any]:
        if operation == 'SendMessage':
            if self.keep_writes:
                self.sent.append(json.loads(body))
            return {'MessageId': '6c1b8b0e-0000-4000-8000-000000000001', 'MD5OfMessageBody': _OK_MD5}
        return {}  # ChangeMessageVisibility, DeleteMessage


class Recorder:
    """Wraps BaseClient._make_api_call: `calls` (when recording) gets (service, operation, params) of every
    call; `cpu` (when timing) the process time spent inside them."""

    def __init__(self) -> None:
        self.recording = False
        self.timing = False
        self.calls: list[list[Any]] = []
        self.cpu = 0.0
        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if recorder.recording:
                recorder.calls.append(['aws', client.meta.service_model.service_name, operation, params])
            if not recorder.timing:
                return original(client, operation, params)
            started = time.process_time()
            try:
                return original(client, operation, params)
            finally:
                recorder.cpu += time.process_time() - started

        botocore.client.BaseClient._make_api_call = make_api_call

    def operations(self) -> list[str]:
        return [f'{c[1]}:{c[2]}' if c[0] == 'aws' else f'http:{c[1]}' for c in self.calls]


def install(state: dict[str, Any] | None, *, keep_writes: bool = False, record: bool = False) -> tuple[Store, Recorder | None]:
    """Answers every botocore client created from now on from the store."""
    store = Store(state, keep_writes=keep_writes)
    create_client = botocore.session.Session.create_client

    def create_stubbed_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        client.meta.events.register_first('before-send', store.answer)
        return client

    botocore.session.Session.create_client = create_stubbed_client
    return store, Recorder() if record else None


# --- HTTP: the pharmacy (Strive / RxVortex) and the callback receiver --------------------------------------------


def pharmacy_answer(method: str, url: str) -> tuple[int, dict[str, Any]]:
    if url.endswith('/generate-access-token'):
        return 200, {'access_token': 'bench-token', 'token_type': 'Bearer', 'expires_in': 86400}
    return 201, {'order_tracking_id': STRIVE_ORDER_ID, 'status': 'Created'}


def mock_http(recorder: Recorder | None = None) -> None:
    """Replaces the router's pharmacy and callback clients by MockTransport ones (recording their requests)."""
    import httpx

    from rx_router import http_clients

    def pharmacy(request: httpx.Request) -> httpx.Response:
        if recorder is not None and recorder.recording:
            recorder.calls.append(
                ['http', 'pharmacy', request.method, str(request.url), _headers(request), request.content.decode()]
            )
        status, body = pharmacy_answer(request.method, str(request.url))
        return httpx.Response(status, json=body)

    def callback(request: httpx.Request) -> httpx.Response:
        if recorder is not None and recorder.recording:
            recorder.calls.append(
                ['http', 'callbacks', request.method, str(request.url), _headers(request), request.content.decode()]
            )
        return httpx.Response(200)

    http_clients._clients['pharmacy'] = httpx.Client(transport=httpx.MockTransport(pharmacy))
    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(callback))


def _headers(request: Any) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k not in ('host', 'content-length')}


# --- Events --------------------------------------------------------------------------------------------------------


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime('%Y-%m-%dT%H:%M:%S.') + f'{now.microsecond // 1000:03d}Z'


def submit_event(state: dict[str, Any], source_order_id: str | None = None) -> dict[str, Any]:
    """A signed submit (HMAC-SHA256 over `timestamp.body`, as rx_router.auth verifies it)."""
    body = dict(state['submit_body'])
    if source_order_id is not None:
        body['sourceOrderId'] = source_order_id
    raw = json.dumps(body, separators=(',', ':'))
    timestamp = iso_now()
    signature = hmac.new(state['api_secret'].encode(), f'{timestamp}.{raw}'.encode(), hashlib.sha256).hexdigest()
    event: dict[str, Any] = json.loads(json.dumps(state['events']['submit']))
    event['body'] = raw
    event['headers'] = {
        'content-type': 'application/json',
        'x-api-key': state['api_key'],
        'x-timestamp': timestamp,
        'x-signature': signature,
    }
    return event


def webhook_event(state: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(state['events']['webhook']))
    event['body'] = json.dumps(state['webhook_body'], separators=(',', ':'))
    return event


def callback_event(state: dict[str, Any], job: str = 'shipped') -> dict[str, Any]:
    """One SQS record (a batch of one), first receive, carrying the callback job the router queued."""
    event: dict[str, Any] = json.loads(json.dumps(state['events']['callback']))
    record = event['Records'][0]
    record['body'] = state['jobs'][job]
    record['md5OfBody'] = hashlib.md5(record['body'].encode(), usedforsecurity=False).hexdigest()
    record['attributes']['ApproximateReceiveCount'] = '1'
    return event


def event_for(mode: str, state: dict[str, Any], n: int | None = None) -> dict[str, Any]:
    if mode == 'submit':
        return submit_event(state, None if n is None else f'bench-{os.getpid()}-{n}')
    if mode == 'webhook':
        return webhook_event(state)
    return callback_event(state)


def accepted(mode: str, response: dict[str, Any]) -> bool:
    if mode == 'submit':
        return response.get('statusCode') == 201
    if mode == 'webhook':
        return response.get('statusCode') == 200
    return response == {'batchItemFailures': []}


class LambdaContext:
    function_name = 'bench'
    memory_limit_in_mb = 256
    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:bench'
    aws_request_id = 'bench-request-id'

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
