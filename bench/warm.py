"""Warm CPU of one handler, next to its floor, in one process with the network stubbed (bench/stub.py).

    python bench/warm.py submit|webhook|callback

- warm: process time per request over batches of requests to the real handler (after its first request and a
  warm-up), median of the batches with min and max;
- aws: the process time per request spent inside the router's AWS calls (BaseClient._make_api_call wrapped in
  this process), measured in batches of their own so the wrapper does not weigh on `warm`;
- floor: the AWS calls one warm request makes (recorded from the router, same operations and parameters: for a
  submit the conditional PutItem reserve, the conditional PutItem outcome and the SQS SendMessage) made on bare
  botocore clients from one session, DynamoDB's with Config(parameter_validation=False); for the callback
  sender plus its one HTTP POST on an httpx.Client over MockTransport (`http_floor`: the HTTP requests alone).

The four kinds of batch take turns (warm, aws, floor, http floor; BENCH_WARM_BATCHES rounds of
BENCH_WARM_BATCH requests). Prints `BENCH-RESULT {json}`. Run by bench.py with the bench environment.
"""

import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import stub

BATCH = int(os.environ.get('BENCH_WARM_BATCH', 100))
BATCHES = int(os.environ.get('BENCH_WARM_BATCHES', 15))
WARM_UP = 50


def summary(samples: list[float]) -> dict[str, float]:
    return {'median': statistics.median(samples), 'min': min(samples), 'max': max(samples)}


def cpu_ms(run: Callable[[], None]) -> float:
    """ms of process time per request over one batch of BATCH requests."""
    started = time.process_time()
    for _ in range(BATCH):
        run()
    return (time.process_time() - started) * 1000 / BATCH


def main(mode: str) -> None:
    state = stub.load_state()
    _, recorder = stub.install(state, record=True)
    assert recorder is not None
    handler = importlib.import_module(stub.HANDLER_MODULES[mode]).lambda_handler
    stub.mock_http(recorder)
    context = stub.LambdaContext()
    # Every submit its own order, signed just before its batch; the same webhook / SQS record each time otherwise
    # (the stub keeps the submission as submitted, so each webhook moves it). Events are made per batch, outside
    # the timed loop: thousands of them alive at once would make every full garbage collection dearer.
    same = stub.event_for(mode, state)
    made = iter(range(1_000_000))
    pending: Iterator[dict[str, Any]] = iter(())

    def refill(count: int = BATCH) -> None:
        nonlocal pending
        pending = iter([stub.event_for(mode, state, next(made)) if mode == 'submit' else same for _ in range(count)])

    def request() -> None:
        handler(next(pending), context)

    refill(WARM_UP + 2)
    assert stub.accepted(mode, handler(next(pending), context))  # the first request
    for _ in range(WARM_UP):
        request()
    recorder.recording = True
    assert stub.accepted(mode, handler(next(pending), context))
    recorder.recording = False
    warm_calls, recorder.calls = recorder.calls, []
    aws_calls, http_calls = floors(warm_calls)
    aws_calls(), http_calls()

    # interleaved batches, so drift on the machine weighs on all four alike
    warm, aws, aws_floor, http_floor = [], [], [], []
    for _ in range(BATCHES):
        refill()
        warm.append(cpu_ms(request))
        refill()
        recorder.cpu, recorder.timing = 0.0, True
        cpu_ms(request)
        recorder.timing = False
        aws.append(recorder.cpu * 1000 / BATCH)
        aws_floor.append(cpu_ms(aws_calls))
        http_floor.append(cpu_ms(http_calls))
    floor = [a + h for a, h in zip(aws_floor, http_floor, strict=True)] if mode == 'callback' else aws_floor
    result = {
        'mode': mode,
        'ok': True,
        'batch': BATCH,
        'batches': BATCHES,
        'operations': [f'{c[1]}:{c[2]}' if c[0] == 'aws' else f'http:{c[1]}' for c in warm_calls],
        'warm': summary(warm),
        'aws': summary(aws),
        'aws_floor': summary(aws_floor),
        'http_floor': summary(http_floor),
        'floor': summary(floor),
        # per round, the batches side by side: how far drift on the machine moves the ratios
        'warm_over_floor': summary([w / f for w, f in zip(warm, floor, strict=True)]),
        'aws_over_floor': summary([a / f for a, f in zip(aws, aws_floor, strict=True)]),
    }
    sys.stdout.write(stub.RESULT_PREFIX + json.dumps(result) + '\n')


def floors(calls: list[list[Any]]) -> tuple[Callable[[], None], Callable[[], None]]:
    """One request's recorded AWS calls made bare (one session; DynamoDB's client without parameter
    validation), and its recorded HTTP requests made bare (httpx over MockTransport)."""
    import botocore.session
    import httpx
    from botocore import xform_name
    from botocore.config import Config

    session = botocore.session.get_session()
    services = {c[1] for c in calls if c[0] == 'aws'}
    clients = {
        s: session.create_client(s, config=Config(parameter_validation=False) if s == 'dynamodb' else None) for s in services
    }
    aws_calls = [(getattr(clients[c[1]], xform_name(c[2])), c[3]) for c in calls if c[0] == 'aws']
    kinds = {c[3]: c[1] for c in calls if c[0] == 'http'}

    def answer(request: httpx.Request) -> httpx.Response:
        if kinds.get(str(request.url)) == 'pharmacy':
            status, body = stub.pharmacy_answer(request.method, str(request.url))
            return httpx.Response(status, json=body)
        return httpx.Response(200)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    http_calls = [(c[2], c[3], c[4], c[5].encode()) for c in calls if c[0] == 'http']

    def aws_request() -> None:
        for method, params in aws_calls:
            method(**params)

    def http_request() -> None:
        for method, url, headers, content in http_calls:
            http.request(method, url, headers=headers, content=content)

    return aws_request, http_request


if __name__ == '__main__':
    main(sys.argv[1])
