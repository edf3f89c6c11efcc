"""The cold floor of a handler: the least a fresh process on this stack can spend to serve that handler's first
request.

    python bench/cold_floor.py submit|webhook|callback

Import phase: the stack's unavoidable imports (pynamodb.models, one pydantic BaseModel, the Powertools Logger,
and httpx for a handler that makes HTTP requests: not for the webhook, whose function never loads it), ONE
botocore session with the clients the handler needs (DynamoDB with parameter validation off, as the
router builds it) and an httpx.Client over MockTransport. First request: the AWS calls the handler's first
request made (bench/cold_handler.py recorded them into .bench/calls-<mode>.json: same operations, same
parameters, same order) made bare on those clients, and its HTTP requests made bare on the httpx client.
The same stub answers both. Prints `BENCH-RESULT {json}` like cold_handler.py.
"""

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import stub  # noqa: E402

# Which clients each handler needs on its paths (the callback sender: DynamoDB, and SQS to push a failed
# delivery's visibility out; it reads no secret).
CLIENTS = {
    'submit': ('dynamodb', 'sqs', 'secretsmanager'),
    'webhook': ('dynamodb', 'sqs', 'secretsmanager'),
    'callback': ('dynamodb', 'sqs'),
}


def main(mode: str) -> None:
    state = stub.load_state()
    calls = json.loads(stub.calls_file(mode).read_text())
    stub.install(state)

    import botocore.session
    import pynamodb.models  # noqa: F401
    from aws_lambda_powertools import Logger
    from botocore import xform_name
    from botocore.config import Config
    from pydantic import BaseModel

    Logger(service='pharmacy-router')

    class OneField(BaseModel):
        value: str

    session = botocore.session.get_session()
    clients = {
        name: session.create_client(name, config=Config(parameter_validation=False) if name == 'dynamodb' else None)
        for name in CLIENTS[mode]
    }
    kinds = {call[3]: call[1] for call in calls if call[0] == 'http'}  # url -> pharmacy | callbacks
    http = http_client(kinds) if kinds else None
    methods = [getattr(clients[c[1]], xform_name(c[2])) if c[0] == 'aws' else None for c in calls]
    imported = time.perf_counter()
    for call, method in zip(calls, methods, strict=True):
        if method is not None:
            method(**call[3])
        else:
            assert http is not None
            http.request(call[2], call[3], headers=call[4], content=call[5].encode())
    done = time.perf_counter()
    result = {
        'mode': mode,
        'import_ms': (imported - STARTED) * 1000,
        'first_ms': (done - imported) * 1000,
        'harness_ms': 0.0,
        'ok': True,
        'operations': [f'{c[1]}:{c[2]}' if c[0] == 'aws' else f'http:{c[1]}' for c in calls],
    }
    sys.stdout.write(stub.RESULT_PREFIX + json.dumps(result) + '\n')


def http_client(kinds: dict[str, str]) -> Any:
    """httpx, imported and its client built only by a handler that makes HTTP requests (the webhook functions
    never load it: for them it is not an unavoidable import)."""
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        if kinds.get(str(request.url)) == 'pharmacy':
            status, body = stub.pharmacy_answer(request.method, str(request.url))
            return httpx.Response(status, json=body)
        return httpx.Response(200)

    return httpx.Client(transport=httpx.MockTransport(answer))


if __name__ == '__main__':
    main(sys.argv[1])
