"""make bench: cold import time of each handler next to botocore.session, and warm CPU per submit.

Import time: `python -X importtime -c "import X"` in fresh processes; the figure is the summed cumulative
time of the top-level imports X adds beyond a bare interpreter. Warm CPU: process time per submit in one
process, with DynamoDB / Secrets Manager answered by a botocore before-send stub and the pharmacy by
httpx.MockTransport, so the figure is the router's own work (signing, validation, serialisation, SigV4).
Figures are medians over repeated runs.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get('BENCH_RUNS', 11))
HANDLERS = (
    'functions.submit.app',
    'functions.get_submission.app',
    'functions.health.app',
    'functions.boothwyn_webhook.app',
    'functions.callback_sender.app',
)
BUDGET_IMPORT_RATIO = 1.6
BUDGET_WARM_MS = 1.5
ENV = {
    **os.environ,
    'PYTHONPATH': f'{ROOT / "layers/common"}:{ROOT}',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_ACCESS_KEY_ID': 'bench',
    'AWS_SECRET_ACCESS_KEY': 'bench',
    'API_CLIENTS_TABLE': 'bench-api-clients',
    'ROUTING_TABLE': 'bench-routing',
    'SUBMISSIONS_TABLE': 'bench-submissions',
    'PHARMACY_CREDENTIALS_SECRET': 'bench/pharmacy-credentials',
    'WEBHOOK_SECRETS_SECRET': 'bench/webhook-secrets',
    'CALLBACK_QUEUE_URL': 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-callbacks',
    'CALLBACK_MAX_ATTEMPTS': '10',
    'CALLBACK_ALLOW_LOOPBACK': 'true',
    'STRIVE_BASE_URL': 'https://strive.bench.invalid',
    'STRIVE_SANDBOX_URL': 'https://sandbox.strive.bench.invalid',
    'STRIVE_CATALOG_SEMAGLUTIDE': 'cat-sema',
}


def top_level_imports(stderr: str) -> dict[str, int]:
    """Module -> cumulative microseconds, for imports made directly by the statement (not nested)."""
    found = {}
    for line in stderr.splitlines():
        if not line.startswith('import time:') or 'cumulative' in line:
            continue
        _, cumulative, name = (part for part in line.removeprefix('import time:').split('|'))
        if not name.startswith('  '):  # one space follows the bar; nested imports are indented further
            found[name.strip()] = int(cumulative)
    return found


def import_ms(module: str, baseline: set[str]) -> float:
    out = subprocess.run(
        [sys.executable, '-X', 'importtime', '-c', f'import {module}'], env=ENV, capture_output=True, text=True, check=True
    )
    return sum(us for name, us in top_level_imports(out.stderr).items() if name not in baseline) / 1000


def import_times() -> dict[str, float]:
    bare = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'pass'], capture_output=True, text=True, check=True)
    baseline = set(top_level_imports(bare.stderr))
    samples: dict[str, list[float]] = {m: [] for m in ('botocore.session', *HANDLERS)}
    for _ in range(RUNS):  # interleaved, so drift on the machine hits every module alike
        for module in samples:
            samples[module].append(import_ms(module, baseline))
    return {m: statistics.median(v) for m, v in samples.items()}


def warm_submit() -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix='.json') as result:
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name('warm_submit.py')), result.name],
            env=ENV,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        figures: dict[str, float] = json.loads(Path(result.name).read_text())
        return figures


def main() -> int:
    print(f'Import time, median of {RUNS} fresh processes each ({sys.executable}, Python {sys.version.split()[0]}):')
    times = import_times()
    botocore_ms = times['botocore.session']
    print(f'  {"botocore.session":34} {botocore_ms:7.1f} ms   1.00x')
    verdicts = []
    for module in HANDLERS:
        ratio = times[module] / botocore_ms
        print(f'  {module:34} {times[module]:7.1f} ms   {ratio:.2f}x')
        if module == 'functions.submit.app':
            verdicts.append(('submit import <= 1.6x botocore.session', ratio <= BUDGET_IMPORT_RATIO))
    warm = warm_submit()
    print('Submit handler, network stubbed (DynamoDB/Secrets Manager via botocore before-send, pharmacy via MockTransport):')
    print(f'  first request after import (cold path)  {warm["first_ms"]:7.2f} ms')
    print(
        f'  warm CPU per submit, median of {int(warm["batches"])} batches of {int(warm["batch"])}  {warm["warm_cpu_ms"]:7.3f} ms'
    )
    per_getitem = warm['warm_cpu_ms'] / warm['getitem_cpu_ms']
    print(f'  yardstick: one stubbed GetItem here {warm["getitem_cpu_ms"]:7.3f} ms (a submit = {per_getitem:.1f} of them)')
    verdicts.append((f'warm submit CPU <= {BUDGET_WARM_MS} ms', warm['warm_cpu_ms'] <= BUDGET_WARM_MS))
    print('Budgets:')
    for name, ok in verdicts:
        print(f'  {"PASS" if ok else "OVER"}  {name}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
