"""The local stack's own overhead, measured from a second process: time to first healthy /rx/health, and
median latency of GET /rx/health and of a submit to a sandbox pharmacy (keep-alive, sequential)."""

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rxlocal import launcher  # noqa: E402
from rxlocal.client import SignedClient  # noqa: E402
from tests.e2e.receiver import CallbackReceiver  # noqa: E402
from tests.support import submission  # noqa: E402

HEALTH_N, SUBMIT_N = 300, 200


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f'median {statistics.median(ordered):6.2f} ms   p90 {p90:6.2f} ms   (n={len(ordered)})'


def main() -> int:
    with tempfile.TemporaryDirectory() as state_dir:
        started = time.perf_counter()
        stack = launcher.start(Path(state_dir))
        ready = time.perf_counter() - started
        receiver = CallbackReceiver()
        try:
            demo = stack.state['demoClient']
            client = SignedClient(stack.url, demo['apiKey'], demo['apiSecret'])
            health = []
            for _ in range(HEALTH_N):
                t = time.perf_counter()
                assert client.http.get('/rx/health').status_code == 200
                health.append((time.perf_counter() - t) * 1000)
            submits = []
            for _ in range(SUBMIT_N):
                body = submission(sourceOrderId=f'bench-{uuid.uuid4()}', test=True, callbackUrl=receiver.url + '/cb')
                t = time.perf_counter()
                assert client.submit(body).status_code == 201
                submits.append((time.perf_counter() - t) * 1000)
        finally:
            launcher.stop(stack.process)
            receiver.stop()
    print('Local stack (python -m rxlocal, existing .venv), measured from a second process:')
    print(f'  start to first healthy /rx/health   {ready:6.2f} s')
    print(f'  GET /rx/health                       {percentiles(health)}')
    print(f'  POST submit -> Strive sandbox        {percentiles(submits)}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
