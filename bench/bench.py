"""make bench: cold import time of each handler next to botocore.session, and warm CPU per submit.

Import time: `python -X importtime -c "import X"` in fresh processes; the figure is the summed cumulative
time of the top-level imports X adds beyond a bare interpreter. Warm CPU: process time per submit in one
process, with DynamoDB / Secrets Manager answered by a botocore before-send stub and the pharmacy by
httpx.MockTransport, so the figure is the router's own work (signing, validation, serialisation, SigV4).
Figures are medians over repeated runs.
"""

import compileall
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'local'))
from rxlocal import template  # noqa: E402

RUNS = int(os.environ.get('BENCH_RUNS', 11))
HANDLERS = (
    'functions.submit.app',
    'functions.get_submission.app',
    'functions.health.app',
    'functions.boothwyn_b2b_webhook.app',
    'functions.callback_sender.app',
)
FLOOR = 'floor_imports'
NO_BYTECODE = 'functions.submit.app without .pyc'
BUDGET_IMPORT_RATIO = 1.6
BUDGET_WARM_MS = 1.5


def template_settings(function: str) -> dict[str, str]:
    """The function's literal environment from template.yaml (references to resources get the bench names below)."""
    return {k: v for k, v in template.functions()[function].environment.items() if isinstance(v, str)}


ENV = {
    **os.environ,
    'PYTHONPATH': f'{ROOT / "layers/common"}:{ROOT}:{ROOT / "local"}:{ROOT / "bench"}',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_ACCESS_KEY_ID': 'bench',
    'AWS_SECRET_ACCESS_KEY': 'bench',
    'API_CLIENTS_TABLE': 'bench-api-clients',
    'ROUTING_TABLE': 'bench-routing',
    'PHARMACY_CONFIG_TABLE': 'bench-pharmacy-config',
    'SUBMISSIONS_TABLE': 'bench-submissions',
    'TIMELINE_TABLE': 'bench-timeline',
    'PHARMACY_CREDENTIALS_SECRET': 'bench/pharmacy-credentials',
    'WEBHOOK_SECRETS_SECRET': 'bench/webhook-secrets',
    'CALLBACK_QUEUE_URL': 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-callbacks',
    'CALLBACK_ALLOW_LOOPBACK': 'true',
    **template_settings('SubmitFunction'),
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


def import_ms(module: str, baseline: set[str], *, bytecode: bool = True) -> float:
    flags = ['-X', 'importtime']
    with tempfile.TemporaryDirectory() as empty:
        if not bytecode:  # what Lambda pays when the artefact ships no .pyc: it cannot write any, so compiles all
            flags = ['-B', '-X', f'pycache_prefix={empty}', *flags]
        out = subprocess.run(
            [sys.executable, *flags, '-c', f'import {module}'], env=ENV, capture_output=True, text=True, check=True
        )
    return sum(us for name, us in top_level_imports(out.stderr).items() if name not in baseline) / 1000


def import_times() -> dict[str, float]:
    bare = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'pass'], capture_output=True, text=True, check=True)
    baseline = set(top_level_imports(bare.stderr))
    samples: dict[str, list[float]] = {m: [] for m in ('botocore.session', FLOOR, *HANDLERS, NO_BYTECODE)}
    for _ in range(RUNS):  # interleaved, so drift on the machine hits every module alike
        for module in samples:
            if module == NO_BYTECODE:
                samples[module].append(import_ms(HANDLERS[0], baseline, bytecode=False))
            else:
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


def compile_sources() -> None:
    """The project's own .pyc, as `make build` ships them (checked-hash): without them every fresh process here
    would compile the router from source (PYTHONDONTWRITEBYTECODE machines never write any)."""
    for folder in ('layers/common', 'functions', 'local', 'bench', 'tests'):
        compileall.compile_dir(ROOT / folder, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def main() -> int:
    compile_sources()
    print(f'Import time, median of {RUNS} fresh processes each ({sys.executable}, Python {sys.version.split()[0]}):')
    times = import_times()
    botocore_ms = times['botocore.session']
    for module, ms in times.items():
        print(f'  {module:40} {ms:7.1f} ms   {ms / botocore_ms:.2f}x')
    print(f'  ({FLOOR}: pynamodb, one pydantic model and the Powertools Logger, the least a submit handler imports)')
    submit_ratio = times[HANDLERS[0]] / botocore_ms
    verdicts = [(f'submit import <= {BUDGET_IMPORT_RATIO}x botocore.session', submit_ratio <= BUDGET_IMPORT_RATIO)]

    warm = warm_submit()
    print('Submit handler, network stubbed (DynamoDB/Secrets Manager via botocore before-send, pharmacy via MockTransport):')
    print(f'  first request after import (cold path)        {warm["first_ms"]:7.2f} ms')
    print(f'  warm CPU per submit, median of {int(warm["batches"])} x {int(warm["batch"])}       {warm["warm_cpu_ms"]:7.3f} ms')
    aws, floor = warm['aws_calls_cpu_ms'], warm['three_calls_floor_ms']
    print(f'    of which its 3 AWS calls (reserve, outcome, queue) {aws:7.3f} ms')
    print(f'  floor: the same 3 calls on bare botocore clients  {floor:7.3f} ms')
    getitems = warm['warm_cpu_ms'] / warm['getitem_cpu_ms']
    print(f'  yardstick: one stubbed botocore GetItem      {warm["getitem_cpu_ms"]:7.3f} ms (a submit = {getitems:.1f} of them)')
    verdicts.append((f'warm submit CPU <= {BUDGET_WARM_MS} ms', warm['warm_cpu_ms'] <= BUDGET_WARM_MS))
    print('Budgets:')
    for name, ok in verdicts:
        print(f'  {"PASS" if ok else "OVER"}  {name}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
