"""One cold path: a fresh process imports a handler and serves its first request, the network stubbed.

    python bench/cold_handler.py submit|webhook|callback

Prints one line `BENCH-RESULT {json}`: import_ms (from the top of this script to the handler imported: the
stub, the handler module and its init), first_ms (the first request), harness_ms (building the event and the
MockTransport clients between the two; not the handler's), the AWS and HTTP calls the request made (bench/
cold_floor.py replays them) and the response's verdict. Run by bench.py with the bench environment.
"""

import time

STARTED = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

import stub  # noqa: E402


def main(mode: str) -> None:
    state = stub.load_state()
    _, recorder = stub.install(state, record=True)
    assert recorder is not None
    handler = importlib.import_module(stub.HANDLER_MODULES[mode]).lambda_handler
    imported = time.perf_counter()
    if mode != 'webhook':  # the webhook function never loads httpx; nor does this process for it
        stub.mock_http(recorder)
    event = stub.event_for(mode, state)
    context = stub.LambdaContext()
    recorder.recording = True
    ready = time.perf_counter()
    response = handler(event, context)
    done = time.perf_counter()
    recorder.recording = False
    result = {
        'mode': mode,
        'import_ms': (imported - STARTED) * 1000,
        'first_ms': (done - ready) * 1000,
        'harness_ms': (ready - imported) * 1000,
        'ok': stub.accepted(mode, response),
        'operations': recorder.operations(),
        'calls': recorder.calls,
    }
    sys.stdout.write(stub.RESULT_PREFIX + json.dumps(result) + '\n')


if __name__ == '__main__':
    main(sys.argv[1])
