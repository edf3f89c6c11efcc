"""Cost per 1M submissions: each one submit (Strive), one status webhook (Strive "shipped") and its two callbacks
(submitted, shipped), each delivered on the first try.

    python bench/cost.py        (make bench runs it after bench.py, whose figures it uses for durations)

Measured, not typed in: the real handlers run in-process under moto (tables from rx_router.store.models, seed,
secrets and queue as tests/integration/conftest.py makes them, pharmacies from tests/fake_pharmacies), with
BaseClient._make_api_call wrapped to count every AWS operation with its parameters and answer. From those:
item sizes as the router writes them (DynamoDB's size rules), write units (ceil(KB) per write, the larger of the
item before and after for a replace or update, 2x inside TransactWriteItems, plus the writes to each GSI whose
projected copy the write changes: read from the models' index projection), read units (ceil(4 KB) strongly
consistent, half eventually), SQS requests (64 KB chunks), Secrets Manager calls, the bytes the Powertools logger
writes at the template's log level. Memory and architecture come from template.yaml (local/rxlocal/template.py);
CPU time from bench.py's measurements (.bench/results.json); network waits are stated assumptions. Every
assumption is printed with the result.
"""

import io
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / 'bench', ROOT / 'local', ROOT, ROOT / 'layers/common'):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import stub  # noqa: E402

from rxlocal import template  # noqa: E402

RESULTS = ROOT / '.bench' / 'results.json'

# --- Prices: us-east-1, on-demand, as published (checked for this bench; re-check before quoting) ---------------
# https://aws.amazon.com/lambda/pricing/ : requests $0.20 per 1M; duration per GB-second, arm64 (Graviton) and x86.
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_PER_GB_SECOND = {'arm64': 0.0000133334, 'x86_64': 0.0000166667}
# https://aws.amazon.com/dynamodb/pricing/on-demand/ : after the November 2024 price cut.
DYNAMODB_PER_WRU = 0.625 / 1e6
DYNAMODB_PER_RRU = 0.125 / 1e6
# https://aws.amazon.com/sqs/pricing/ : standard queue, per request, each 64 KB chunk of a payload a request.
SQS_PER_REQUEST = 0.40 / 1e6
# https://aws.amazon.com/api-gateway/pricing/ : HTTP API, first 300M requests a month, per 512 KB increment.
HTTP_API_PER_REQUEST = 1.00 / 1e6
# https://aws.amazon.com/secrets-manager/pricing/ : $0.05 per 10,000 API calls.
SECRETS_PER_CALL = 0.05 / 10_000
# https://aws.amazon.com/cloudwatch/pricing/ : Logs ingestion, standard log class, per GB.
LOGS_PER_GB = 0.50

TARGET, AIM = 12.0, 10.0  # $ per 1M submissions

# --- Assumptions (printed with the result) -----------------------------------------------------------------------
MONTHLY_SUBMISSIONS = 1_000_000  # the month over which caches refresh and the SQS poller idles
MONTH_SECONDS = 30 * 86_400
WARM_CONTAINERS = 2  # per function, warm all month: each re-reads a cached item when its TTL expires
COLD_STARTS_PER_1M = 2_000  # per function and 1M invocations (0.2%): recycled and scaled-out containers
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives a function memory/1769 of a vCPU
LAMBDA_CORE_VS_LOCAL = 1.0  # a Graviton core taken as fast as this machine's core
INIT_CPU_FACTOR = 1.0  # init runs at a full core (Lambda does not throttle init to the memory share)
RUNTIME_BOOTSTRAP_MS = 100  # the Python runtime's own start before the handler module is imported
CONNECT_MS = 30  # TCP + TLS to each endpoint on a cold container's first request
WAIT_MS = {  # wall time a call waits on the network (in-region AWS; the pharmacy and the receivers are not)
    'dynamodb:GetItem': 5,
    'dynamodb:Query': 6,
    'dynamodb:Scan': 8,
    'dynamodb:PutItem': 7,
    'dynamodb:UpdateItem': 7,
    'dynamodb:TransactWriteItems': 15,
    'sqs:SendMessage': 12,
    'sqs:ChangeMessageVisibility': 10,
    'secretsmanager:GetSecretValue': 25,
    'http:pharmacy-token': 400,
    'http:pharmacy-order': 1200,
    'http:callbacks': 200,
}
TOKEN_LIFETIME_SECONDS = 3600  # Strive's bearer token (rx_router.pharmacy_types.rxvortex default lifetime)
SQS_POLLERS, SQS_LONG_POLL_SECONDS = 5, 20  # the event source mapping's idle long polls on the callback queue
LOG_EVENT_OVERHEAD_BYTES = 26  # per log event, as CloudWatch Logs sizes PutLogEvents
CALLBACK_URL = 'https://127.0.0.1/cb'
FUNCTIONS = {'submit': 'SubmitFunction', 'webhook': 'RxVortexWebhookFunction', 'callback': 'CallbackSenderFunction'}
# Measured CPU used when bench.py has not run (ms): local figures of one run, stated as assumptions then.
FALLBACK_CPU = {
    'submit': {'import_ms': 800.0, 'first_ms': 30.0, 'warm_ms': 4.0},
    'webhook': {'import_ms': 550.0, 'first_ms': 20.0, 'warm_ms': 4.0},
    'callback': {'import_ms': 800.0, 'first_ms': 10.0, 'warm_ms': 1.7},
}


def environment() -> dict[str, str]:
    """The bench environment (bench.py's names), the template's literal settings, LogLevel at its default."""
    parameters = template.load().get('Parameters', {})
    env = {
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_REGION': 'us-east-1',
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        **stub.RESOURCES,
    }
    for name, value in template.functions()[FUNCTIONS['submit']].environment.items():
        if isinstance(value, str):
            env[name] = value
        elif isinstance(value, dict) and 'Default' in parameters.get(value.get('Ref'), {}):
            env[name] = str(parameters[value['Ref']]['Default'])
    return env


# --- DynamoDB item sizes and capacity units ------------------------------------------------------------------------


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value, by DynamoDB's rules (strings UTF-8, numbers ~1 byte per 2 digits + 1,
    booleans and nulls 1, lists and maps 3 + 1 per element + their contents)."""
    ((kind, content),) = value.items()
    if kind == 'S':
        return len(content.encode())
    if kind == 'N':
        digits = content.lstrip('-').replace('.', '').strip('0') or '0'
        return (len(digits) + 1) // 2 + 1
    if kind == 'B':
        return len(content)
    if kind in ('BOOL', 'NULL'):
        return 1
    if kind == 'L':
        return 3 + sum(1 + value_size(v) for v in content)
    if kind == 'M':
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in content.items())
    if kind == 'SS':
        return sum(len(s.encode()) for s in content)
    if kind == 'NS':
        return sum(value_size({'N': n}) for n in content)
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


@dataclass(frozen=True)
class Index:
    table: str
    name: str
    keys: tuple[str, ...]
    table_keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    def copy(self, item: dict[str, Any] | None) -> dict[str, Any] | None:
        """The item as this index holds it (None: not in the sparse index)."""
        if not item or not all(k in item for k in self.keys):
            return None
        if self.projection == 'ALL':
            return item
        kept = {*self.keys, *self.table_keys, *self.included}
        return {k: v for k, v in item.items() if k in kept}


def indexes() -> dict[str, list[Index]]:
    """Every table's GSIs, with the projection their models declare (e.g. SubmissionModel.pharmacy_order_index)."""
    from rx_router.store.models import ALL_MODELS

    found: dict[str, list[Index]] = {}
    for model in ALL_MODELS:
        table_keys = stub.keys_of(model)
        for name, index in model._indexes.items():
            projection = index.Meta.projection
            keys = tuple(a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key or a.is_range_key)
            found.setdefault(model.Meta.table_name, []).append(
                Index(
                    model.Meta.table_name,
                    name,
                    keys,
                    table_keys,
                    projection.projection_type,
                    tuple(getattr(projection, 'non_key_attributes', None) or ()),
                )
            )
    return found


# --- The measured run ------------------------------------------------------------------------------------------------


@dataclass
class Write:
    table: str
    size: int  # the larger of the item before and after
    units: float
    detail: str


@dataclass
class Call:
    operation: str  # service:Operation, or http:<kind>
    table: str = ''
    units_written: float = 0.0
    units_read: float = 0.0
    requests: int = 1  # billed requests (SQS: one per 64 KB chunk)
    writes: list[Write] = field(default_factory=list)
    note: str = ''
    message: str = ''  # SendMessage: the body

    @property
    def key(self) -> str:
        return f'{self.operation} {self.table}'.strip()


@dataclass
class Phase:
    name: str
    calls: list[Call] = field(default_factory=list)
    log_bytes: int = 0
    log_events: int = 0


class Meter:
    """Wraps BaseClient._make_api_call: every call made while a phase is open is sized and kept."""

    def __init__(self, gsis: dict[str, list[Index]], table_keys: dict[str, tuple[str, ...]]) -> None:
        import botocore.client

        self.gsis = gsis
        self.table_keys = table_keys
        self.phase: Phase | None = None
        self.original = botocore.client.BaseClient._make_api_call
        meter = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            phase = meter.phase
            if phase is None:
                return meter.original(client, operation, params)
            meter.phase = None  # the meter's own reads (items before and after a write) are not counted
            try:
                return meter.metered(phase, client, operation, params)
            finally:
                meter.phase = phase

        botocore.client.BaseClient._make_api_call = make_api_call

    @contextmanager
    def measuring(self, phase: Phase) -> Iterator[Phase]:
        self.phase = phase
        try:
            yield phase
        finally:
            self.phase = None

    def _stored(self, client: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        answer = self.original(client, 'GetItem', {'TableName': table, 'Key': key, 'ConsistentRead': True})
        found: dict[str, Any] | None = answer.get('Item')
        return found

    def metered(self, phase: Phase, client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        call = Call(f'{service}:{operation}', table=params.get('TableName', ''))
        phase.calls.append(call)
        if service == 'dynamodb' and operation in ('PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'):
            entries = params['TransactItems'] if operation == 'TransactWriteItems' else [{operation: params}]
            targets = []
            for entry in entries:
                ((kind, request),) = entry.items()
                table = request['TableName']
                key = {k: request['Item'][k] for k in self.table_keys[table]} if 'Item' in request else request['Key']
                targets.append((kind, table, key, self._stored(client, table, key)))
            answer = self.original(client, operation, params)
            factor = 2 if operation == 'TransactWriteItems' else 1
            for kind, table, key, before in targets:
                after = self._stored(client, table, key)
                size = max(item_size(before), item_size(after))
                what = f'{kind.removesuffix("Item")} {"of a stored item" if before else "new"}'
                call.writes.append(
                    Write(table, size, factor * write_units(size), what + (' (x2: transaction)' if factor == 2 else ''))
                )
                call.writes.extend(self._index_writes(table, before, after))
            call.units_written = sum(w.units for w in call.writes)
            call.table = ', '.join(sorted({t[1] for t in targets}))
            return answer
        answer = self.original(client, operation, params)
        if service == 'dynamodb' and operation == 'GetItem':
            size = item_size(answer.get('Item'))
            consistent = bool(params.get('ConsistentRead'))
            call.units_read = read_units(size, consistent)
            call.note = f'{size} B, {"strongly consistent" if consistent else "eventually consistent"}'
        elif service == 'dynamodb' and operation in ('Query', 'Scan'):
            size = sum(item_size(i) for i in answer.get('Items', []))
            consistent = bool(params.get('ConsistentRead')) and 'IndexName' not in params  # a GSI reads eventually
            call.units_read = read_units(size, consistent)
            if 'IndexName' in params:
                call.table += f'/{params["IndexName"]}'
            items = len(answer.get('Items', []))
            call.note = f'{items} items {size} B, {"strongly consistent" if consistent else "eventually consistent"}'
        elif service == 'sqs' and operation == 'SendMessage':
            call.message = params['MessageBody']
            size = len(call.message.encode())
            call.requests = max(1, math.ceil(size / 65_536))
            call.note = f'{size} B body'
        elif service == 'secretsmanager':
            call.table = params.get('SecretId', '')
        return answer

    def _index_writes(self, table: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Write]:
        """A GSI is written when the item's copy in it changes: added, removed, re-keyed, or (ALL, INCLUDE) a
        projected attribute changed. A keys-only index is not written when only other attributes change."""
        writes = []
        for index in self.gsis.get(table, []):
            old, new = index.copy(before), index.copy(after)
            if old == new:
                continue
            rekeyed = old is not None and new is not None and any(old[k] != new[k] for k in index.keys)
            changes = [(old, 'delete'), (new, 'put')] if rekeyed else [(new or old, 'put' if new else 'delete')]
            for copy, what in changes:
                size = item_size(copy)
                writes.append(Write(f'{table}/{index.name}', size, write_units(size), f'GSI copy {what} ({index.projection})'))
        return writes

    def record_http(self, kind: str) -> None:
        if self.phase is not None:
            self.phase.calls.append(Call(f'http:{kind}', requests=0))


class LogCounter(io.TextIOBase):
    """Stands in for the Powertools logger's stdout: counts what it would write."""

    def __init__(self) -> None:
        self.bytes = 0
        self.events = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        self.events += text.count('\n')
        return len(text)


@dataclass
class Run:
    phases: dict[str, Phase]
    item_sizes: dict[str, int]
    ttl: dict[str, float]  # cache lifetimes (s) by what they cache
    log_level: str


def measured_run() -> Run:
    """The real handlers under moto. Per function a first request with every cache empty (a cold container),
    then warm ones: submit A (cold), submit B (warm); webhook A (cold), B (warm); the four callback jobs they
    queued, A's "submitted" first (cold)."""
    os.environ.update(environment())
    for name in ('AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'):
        os.environ.pop(name, None)
    import logging

    import boto3
    import httpx
    from moto import mock_aws

    with mock_aws():
        from prepare import PHARMACY_CREDENTIALS, WEBHOOK_SECRETS

        from rx_router import aws, http_clients
        from rx_router.cache import TtlCache
        from rx_router.observability import logger
        from rx_router.service.seed import seed
        from rx_router.settings import settings
        from rx_router.store import clients
        from rx_router.store.config import load_config
        from rx_router.store.models import ALL_MODELS, SubmissionModel, TimelineModel
        from tests.fake_pharmacies import FakePharmacies
        from tests.support import SEED_PARAMETERS, Credentials, LambdaContext, load_event, response_json, submission, submit_event

        aws.reset()
        for model in ALL_MODELS:
            model.create_table(wait=True)
        secrets = boto3.client('secretsmanager')
        secrets.create_secret(Name=os.environ['PHARMACY_CREDENTIALS_SECRET'], SecretString=json.dumps(PHARMACY_CREDENTIALS))
        secrets.create_secret(Name=os.environ['WEBHOOK_SECRETS_SECRET'], SecretString=json.dumps(WEBHOOK_SECRETS))
        boto3.client('sqs').create_queue(QueueName=os.environ['CALLBACK_QUEUE_URL'].rsplit('/', 1)[1])
        seed(SEED_PARAMETERS)
        issued = clients.create_client('bench')
        creds = Credentials(issued.client.api_key, issued.api_secret)

        from functions.callback_sender.app import lambda_handler as sender
        from functions.rxvortex_webhook.app import lambda_handler as webhook
        from functions.submit.app import lambda_handler as submit

        config = load_config()
        fake = FakePharmacies.serving(config.pharmacies.values(), config.catalog, PHARMACY_CREDENTIALS)
        meter = Meter(indexes(), {m.Meta.table_name: stub.keys_of(m) for m in ALL_MODELS})

        def pharmacy(request: httpx.Request) -> httpx.Response:
            meter.record_http('pharmacy-token' if request.url.path.endswith('generate-access-token') else 'pharmacy-order')
            return fake.handle(request)

        def receiver(request: httpx.Request) -> httpx.Response:
            meter.record_http('callbacks')
            return httpx.Response(200)

        http_clients._clients['pharmacy'] = httpx.Client(transport=httpx.MockTransport(pharmacy))
        http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(receiver))
        counter = LogCounter()
        handler = logger.registered_handler
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(counter)
        phases: dict[str, Phase] = {}
        context = LambdaContext()

        def measure(name: str, invoke: Any) -> Any:
            before = counter.bytes, counter.events
            with meter.measuring(Phase(name)) as phase:
                answer = invoke()
            phase.log_bytes, phase.log_events = counter.bytes - before[0], counter.events - before[1]
            phases[name] = phase
            return answer

        created = {}
        TtlCache.clear_all()
        for which in ('A', 'B'):
            event = submit_event(creds, submission(sourceOrderId=f'cost-{which}', callbackUrl=CALLBACK_URL))
            answer = measure(f'submit {which}', lambda event=event: submit(event, context))
            assert answer['statusCode'] == 201, answer
            created[which] = response_json(answer)
        TtlCache.clear_all()
        for which in ('A', 'B'):
            event = load_event('strive_webhook')
            report = {'tracking_id': created[which]['pharmacyOrderId'], 'rxstatus': 'shipped'}
            event['body'] = json.dumps({**report, 'trackingnumber': '1Z999AA10123456784', 'shippingcarrier': 'UPS'})
            answer = measure(f'webhook {which}', lambda event=event: webhook(event, context))
            assert answer['statusCode'] == 200, answer
        TtlCache.clear_all()
        for which in ('A', 'B'):
            for source in ('submit', 'webhook'):
                [body] = [c.message for c in phases[f'{source} {which}'].calls if c.operation == 'sqs:SendMessage']
                event = load_event('callback_sqs')
                event['Records'][0]['body'] = body
                status = json.loads(body)['payload']['status']
                answer = measure(f'callback {which} {status}', lambda event=event: sender(event, context))
                assert answer == {'batchItemFailures': []}, answer
        submission_id = created['B']['submissionId']
        item_sizes = {
            'submission item after the webhook': item_size(SubmissionModel.get(submission_id).serialize()),
            'timeline item, largest': max(item_size(e.serialize()) for e in TimelineModel.query(submission_id)),
        }
        current = settings()
        ttl: dict[str, float] = {
            os.environ['API_CLIENTS_TABLE']: current.api_client_cache_seconds,
            os.environ['ROUTING_TABLE']: current.routing_cache_seconds,
            os.environ['PHARMACY_CONFIG_TABLE']: current.routing_cache_seconds,
            os.environ['PHARMACY_CREDENTIALS_SECRET']: current.credentials_cache_seconds,
            os.environ['WEBHOOK_SECRETS_SECRET']: current.credentials_cache_seconds,
            'http:pharmacy-token': TOKEN_LIFETIME_SECONDS - 60,
        }
        return Run(phases, item_sizes, ttl, os.environ.get('POWERTOOLS_LOG_LEVEL', 'INFO'))


# --- The model -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    mode: str
    per_submission: int  # invocations per submission
    warm: tuple[str, ...]  # the measured warm phases one submission's invocations are (together)
    cold: str  # the phase of a cold container's first invocation
    like_cold: str  # the warm phase the cold one is compared with


FUNCTION_MODEL = (
    Function('submit', 1, ('submit B',), 'submit A', 'submit B'),
    Function('webhook', 1, ('webhook B',), 'webhook A', 'webhook B'),
    Function('callback', 2, ('callback B submitted', 'callback B shipped'), 'callback A submitted', 'callback B submitted'),
)


def cpu_figures() -> tuple[dict[str, dict[str, float]], str]:
    if not RESULTS.exists():
        return FALLBACK_CPU, 'ASSUMED (no .bench/results.json: run `make bench` for measured figures)'
    results = json.loads(RESULTS.read_text())
    figures = {
        mode: {
            'import_ms': results['cold'][f'handler:{mode}']['import_ms'],
            'first_ms': results['cold'][f'handler:{mode}']['first_ms'],
            'warm_ms': results['warm'][mode]['warm']['median'],
        }
        for mode in FALLBACK_CPU
    }
    return figures, f'measured by bench.py ({RESULTS.relative_to(ROOT)}: medians of {results["runs"]} cold runs, warm batches)'


def extra_calls(cold: Phase, warm: Phase) -> list[Call]:
    """What a cold container's first invocation calls beyond a warm one (the reads the caches spare)."""
    left = Counter(c.key for c in warm.calls)
    extra = []
    for call in cold.calls:
        if left[call.key]:
            left[call.key] -= 1
        else:
            extra.append(call)
    return extra


def waits(calls: list[Call]) -> float:
    return sum(WAIT_MS.get(c.operation, 0) for c in calls)


@dataclass
class Totals:
    wru: float = 0.0
    rru: float = 0.0
    sqs: float = 0.0
    secrets: float = 0.0
    gb_seconds: dict[str, float] = field(default_factory=dict)
    invocations: dict[str, float] = field(default_factory=dict)
    http_api: float = 0.0
    log_bytes: float = 0.0
    lines: list[str] = field(default_factory=list)

    def add(self, calls: list[Call], times: float) -> None:
        for call in calls:
            self.wru += call.units_written * times
            self.rru += call.units_read * times
            if call.operation.startswith('sqs:'):
                self.sqs += call.requests * times
            if call.operation.startswith('secretsmanager:'):
                self.secrets += times


def model(run: Run, cpu: dict[str, dict[str, float]]) -> Totals:
    per_million = 1_000_000
    functions = template.functions()
    totals = Totals()
    for fn in FUNCTION_MODEL:
        spec = functions[FUNCTIONS[fn.mode]]
        memory_gb = spec.memory / 1024
        cpu_factor = LAMBDA_FULL_VCPU_MB / spec.memory * LAMBDA_CORE_VS_LOCAL
        invocations = per_million * fn.per_submission
        warm_calls = [c for name in fn.warm for c in run.phases[name].calls]
        totals.add(warm_calls, per_million)
        warm_ms = sum(math.ceil(cpu[fn.mode]['warm_ms'] * cpu_factor + waits(run.phases[n].calls)) for n in fn.warm)
        warm_each = warm_ms / fn.per_submission
        # cold containers: init (runtime bootstrap + import at a full core), a first request with the cache misses
        colds = COLD_STARTS_PER_1M * fn.per_submission
        cold = run.phases[fn.cold]
        extras = extra_calls(cold, run.phases[fn.like_cold])
        totals.add(extras, colds)
        # one connection per AWS service and per HTTP host (the pharmacy's token and order share one)
        endpoints = {
            c.operation.split(':')[1].split('-')[0] if c.operation.startswith('http:') else c.operation.split(':')[0]
            for c in cold.calls
        }
        init_ms = RUNTIME_BOOTSTRAP_MS + cpu[fn.mode]['import_ms'] * INIT_CPU_FACTOR
        first_ms = cpu[fn.mode]['first_ms'] * cpu_factor + waits(cold.calls) + CONNECT_MS * len(endpoints)
        cold_extra_ms = init_ms + first_ms - warm_each
        # warm containers: each cached read again when its TTL runs out (at most once per invocation)
        refresh_ms = 0.0
        refreshes_noted = []
        for call in extras:
            ttl = run.ttl.get(call.operation if call.operation.startswith('http:') else call.table)
            if not ttl:
                continue
            times = min(invocations, WARM_CONTAINERS * MONTH_SECONDS / ttl * per_million / MONTHLY_SUBMISSIONS)
            totals.add([call], times)
            refresh_ms += WAIT_MS.get(call.operation, 0) * times
            refreshes_noted.append(f'{call.key} every {ttl:.0f} s: {times:,.0f}')
        total_ms = warm_ms * per_million + cold_extra_ms * colds + refresh_ms
        totals.gb_seconds[fn.mode] = total_ms / 1000 * memory_gb
        totals.invocations[fn.mode] = invocations
        if fn.mode != 'callback':
            totals.http_api += invocations
        logged = sum(run.phases[n].log_bytes + LOG_EVENT_OVERHEAD_BYTES * run.phases[n].log_events for n in fn.warm)
        totals.log_bytes += logged * per_million
        totals.lines.append(
            f'  {fn.mode:9} {spec.memory} MB {architecture(FUNCTIONS[fn.mode])}, CPU x{cpu_factor:.1f}: warm '
            f'{warm_each:.0f} ms billed (CPU {cpu[fn.mode]["warm_ms"]:.2f} ms local x{cpu_factor:.1f} + waits '
            f'{waits(run.phases[fn.warm[0]].calls):.0f} ms); cold start +{cold_extra_ms:.0f} ms (init {init_ms:.0f}, first '
            f'request {first_ms:.0f}) x {colds:,}; cache refreshes: {"; ".join(refreshes_noted) or "none"}'
        )
    messages = sum(
        1 for fn in FUNCTION_MODEL[:2] for n in fn.warm for c in run.phases[n].calls if c.operation == 'sqs:SendMessage'
    )
    totals.sqs += 2 * messages * per_million  # the event source mapping: one ReceiveMessage and one DeleteMessage each
    return totals


def units_of(call: Call) -> str:
    if call.writes:
        return f'{call.units_written:g} WRU'
    if call.units_read:
        return f'{call.units_read:g} RRU'
    if call.operation.startswith(('sqs:', 'secretsmanager:')):
        return f'{call.requests} request'
    return f'{WAIT_MS.get(call.operation, 0)} ms wait' if call.operation.startswith('http:') else ''


def memory_of(mode: str) -> int:
    return template.functions()[FUNCTIONS[mode]].memory


def architecture(function: str) -> str:
    loaded = template.load()
    props = loaded['Resources'][function]['Properties']
    found = props.get('Architectures') or loaded.get('Globals', {}).get('Function', {}).get('Architectures') or ['x86_64']
    return str(found[0])


def access_log_bytes(route_key: str, status: str) -> int:
    """One HTTP API access log line as the template's format writes it, with typical values."""
    api = template.resources('AWS::Serverless::HttpApi')['RouterHttpApi']['Properties']
    line: str = api['AccessLogSettings']['Format']
    values = {
        '$context.requestId': 'J1bJ3gWxoAMEVfA=',
        '$context.routeKey': route_key,
        '$context.status': status,
        '$context.responseLatency': '1234',
        '$context.integrationLatency': '1230',
        '$context.identity.sourceIp': '203.0.113.10',
    }
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        line = line.replace(name, value)
    return len(line.encode()) + 1 + LOG_EVENT_OVERHEAD_BYTES


def main() -> int:
    cpu, cpu_source = cpu_figures()
    run = measured_run()
    totals = model(run, cpu)
    per_million = 1_000_000
    print('Cost model: per 1M submissions = 1 submit (Strive) + 1 status webhook (Strive shipped) + 2 callbacks')
    print('(submitted, shipped), each delivered first try; us-east-1 on-demand prices. Inputs measured under moto:')
    print('  Item sizes as the router writes them (DynamoDB size rules):')
    for name, size in run.item_sizes.items():
        print(f'    {name:44} {size:6,} B')
    print('  AWS calls per invocation (warm; a cold container adds the ones marked +cold):')
    for fn in FUNCTION_MODEL:
        extras = {id(c) for c in extra_calls(run.phases[fn.cold], run.phases[fn.like_cold])}
        for name in (fn.cold, *fn.warm):
            phase = run.phases[name]
            shown = [c for c in phase.calls if name != fn.cold or id(c) in extras]
            if name == fn.cold and not shown:
                continue
            for call in shown:
                tag = '+cold' if name == fn.cold else name
                print(f'    {tag:21} {call.operation:29} {call.table[:42]:42} {units_of(call):>10}  {call.note}')
                for write in call.writes:
                    print(f'    {"":21}   {write.detail:40} {write.table[:42]:42} {write.size:6,} B -> {write.units:g} WRU')
        logged = [run.phases[n] for n in fn.warm]
        print(
            f'    {"":21} logs per invocation: {sum(p.log_bytes for p in logged) / len(logged):,.0f} B in '
            f'{sum(p.log_events for p in logged) / len(logged):g} lines (LogLevel {run.log_level})'
        )
    lambda_gbs = sum(totals.gb_seconds.values())
    access = sum(
        access_log_bytes(r, s) for r, s in (('POST /rx/prescriptions/submit', '201'), ('POST /rx/webhooks/strive', '200'))
    )
    log_gb = (totals.log_bytes + access * per_million) / 1e9
    idle_receives = SQS_POLLERS * MONTH_SECONDS / SQS_LONG_POLL_SECONDS * per_million / MONTHLY_SUBMISSIONS
    invocations = sum(totals.invocations.values())
    rows = [
        ('Lambda requests', f'{invocations:,.0f} invocations', LAMBDA_PER_REQUEST * invocations),
        *(
            (
                f'Lambda duration {mode} ({memory_of(mode)} MB {architecture(FUNCTIONS[mode])})',
                f'{gbs:,.0f} GB-s',
                gbs * LAMBDA_PER_GB_SECOND[architecture(FUNCTIONS[mode])],
            )
            for mode, gbs in totals.gb_seconds.items()
        ),
        ('DynamoDB writes (on-demand)', f'{totals.wru:,.0f} WRU', totals.wru * DYNAMODB_PER_WRU),
        ('DynamoDB reads (on-demand)', f'{totals.rru:,.0f} RRU', totals.rru * DYNAMODB_PER_RRU),
        ('SQS requests (send, receive, delete)', f'{totals.sqs:,.0f} requests', totals.sqs * SQS_PER_REQUEST),
        ('SQS idle long polls (poller)', f'{idle_receives:,.0f} requests', idle_receives * SQS_PER_REQUEST),
        ('API Gateway HTTP API', f'{totals.http_api:,.0f} requests', totals.http_api * HTTP_API_PER_REQUEST),
        ('Secrets Manager GetSecretValue', f'{totals.secrets:,.0f} calls', totals.secrets * SECRETS_PER_CALL),
        ('CloudWatch Logs ingestion', f'{log_gb:,.3f} GB', log_gb * LOGS_PER_GB),
    ]
    total = sum(dollars for _, _, dollars in rows)
    print(f'Breakdown per 1M submissions (Lambda {lambda_gbs:,.0f} GB-s in all):')
    for name, quantity, dollars in rows:
        print(f'  {name:40} {quantity:>22} {dollars:9.2f} $')
    verdict = 'PASS' if total <= TARGET else 'OVER'
    aim = 'met' if total <= AIM else 'not met'
    print(f'  {"TOTAL":40} {"":>22} {total:9.2f} $   {verdict}  target <= ${TARGET:.0f} (aim ${AIM:.0f}: {aim})')
    print('Durations:')
    print(f'  CPU figures: {cpu_source}')
    for line in totals.lines:
        print(line)
    print('Assumptions:')
    assumptions = [
        f'{MONTHLY_SUBMISSIONS:,} submissions a month (30 days), so cache refreshes and idle polling are spread over them',
        f'{WARM_CONTAINERS} warm containers per function all month, each re-reading a cached item when its TTL runs out',
        f'{COLD_STARTS_PER_1M:,} cold starts per function per 1M invocations; init is billed (AWS bills INIT since Aug 2025)',
        f"Lambda CPU = memory/{LAMBDA_FULL_VCPU_MB} MB of a vCPU; a Graviton core = {LAMBDA_CORE_VS_LOCAL}x this machine's; "
        f'init at a full core x{INIT_CPU_FACTOR}; runtime bootstrap {RUNTIME_BOOTSTRAP_MS} ms; '
        f'{CONNECT_MS} ms TCP+TLS per endpoint on a cold first request',
        'local warm CPU includes the stub answering AWS (in place of sockets and TLS) and MockTransport',
        'network waits per call (ms): ' + ', '.join(f'{k} {v}' for k, v in WAIT_MS.items()),
        f'Strive token lifetime {TOKEN_LIFETIME_SECONDS} s; billed duration rounded up to 1 ms per invocation',
        'the callback poller delivers batches of 1 (low traffic, 1 s batching window): 1 invocation, 1 ReceiveMessage, '
        '1 DeleteMessage per message; no ChangeMessageVisibility on a first-try delivery (counted as measured)',
        f'idle polling: {SQS_POLLERS} pollers x one {SQS_LONG_POLL_SECONDS} s long poll each, all month',
        f'logs: the Powertools lines at LogLevel {run.log_level} (template default) as written, +{LOG_EVENT_OVERHEAD_BYTES} B '
        'per event; SystemLogLevel WARN: no START/END/REPORT lines; plus one HTTP API access log line per request',
        'DynamoDB: item size by the documented rules; a replace/update bills the larger of the item before and after; '
        'transactions bill 2x; GSI copies (not doubled) only when their projected copy changes',
        'GSI queries are eventually consistent; a read of nothing bills the minimum unit',
        'not included: storage (DynamoDB, PITR, logs), Secrets Manager $0.40/secret-month, KMS for DynamoDB SSE, data transfer',
    ]
    for assumption in assumptions:
        print(f'  - {assumption}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
