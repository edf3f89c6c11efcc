"""make bench: the cold path and the warm CPU of the submit, Strive webhook and callback sender handlers, each
next to its floor, with the network stubbed (AWS by a botocore before-send stub, HTTP by httpx.MockTransport:
bench/stub.py). One run:

1. compiles the project's checked-hash .pyc (as `make build` ships them) and writes the stub's state from the
   real seed, API client, submit and webhook (bench/prepare.py);
2. cold path: fresh processes, RUNS (env BENCH_RUNS, default 11) rounds, each round running every script once
   in turn (interleaved, so drift on the machine hits all alike): bench/cold_handler.py (import of the handler
   module + its first request) and bench/cold_floor.py (the stack's unavoidable imports, one botocore session
   with the clients the handler needs, and the AWS calls and HTTP requests of the handler's first request made
   bare). Each child times itself from the top of its script (time.perf_counter) and reports import ms and
   first-request ms; nothing is subtracted;
3. warm CPU per request in one process per handler (bench/warm.py), the CPU inside the router's AWS calls, and
   the floor: the same AWS calls (and the callback's POST) on bare botocore clients;
4. prints the figures with PASS/OVER per budget, and writes them to .bench/results.json for bench/cost.py.

Figures: median [min-max] over the runs (cold) or batches (warm).
"""

import compileall
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'local'))
sys.path.insert(0, str(ROOT / 'bench'))
import stub  # noqa: E402

from rxlocal import template  # noqa: E402

RUNS = int(os.environ.get('BENCH_RUNS', 11))
NO_PYC_RUNS = min(RUNS, 3)  # each compiles the whole stack from source: a few seconds
RESULTS = stub.BENCH_DIR / 'results.json'
MODES = stub.MODES
LABELS = {'submit': 'submit (Strive)', 'webhook': 'webhook (Strive shipped)', 'callback': 'callback sender (200)'}

BUDGET_COLD_RATIO = 1.3  # cold path <= 1.3x its floor
BUDGET_FIRST_SHARE = 0.25  # the submit's first request <= 25% of its cold path
BUDGET_WARM_RATIO = 1.9  # warm CPU <= 1.9x the floor (aim 1.6x)
AIM_WARM_RATIO = 1.6
BUDGET_AWS_RATIO = 1.25  # CPU inside the router's AWS calls <= 1.25x the same calls made bare


def template_settings(function: str) -> dict[str, str]:
    """The function's environment from template.yaml: literals, references to template parameters at their default
    (POWERTOOLS_LOG_LEVEL: LogLevel) and to the stack's name. References to resources get the bench names below."""
    parameters = template.load().get('Parameters', {})
    found = {}
    for name, value in template.functions()[function].environment.items():
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, dict) and 'Default' in parameters.get(value.get('Ref'), {}):
            found[name] = str(parameters[value['Ref']]['Default'])
        elif value == {'Ref': 'AWS::StackName'}:
            found[name] = 'pharmacy-router-bench'
    return found


ENV = {
    **os.environ,
    'PYTHONPATH': f'{ROOT / "layers/common"}:{ROOT}:{ROOT / "local"}:{ROOT / "bench"}',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_ACCESS_KEY_ID': 'bench',
    'AWS_SECRET_ACCESS_KEY': 'bench',
    **stub.RESOURCES,
    **template_settings('SubmitFunction'),
}
for _unset in ('AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_SESSION_TOKEN'):
    ENV.pop(_unset, None)


def env_for(mode: str) -> dict[str, str]:
    return {**ENV, **template_settings(stub.TEMPLATE_FUNCTIONS[mode])}


def compile_sources() -> None:
    """The project's own .pyc, as `make build` ships them (checked-hash): without them every fresh process here
    would compile the router from source (PYTHONDONTWRITEBYTECODE machines never write any)."""
    for folder in ('layers/common', 'functions', 'local', 'bench', 'tests'):
        compileall.compile_dir(ROOT / folder, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def run_child(script: str, mode: str, *, bytecode: bool = True) -> dict[str, Any]:
    flags: list[str] = []
    with tempfile.TemporaryDirectory() as empty:
        if not bytecode:  # what Lambda pays when the artefact ships no .pyc: it cannot write any, so compiles all
            flags = ['-B', '-X', f'pycache_prefix={empty}']
        done = subprocess.run(
            [sys.executable, *flags, str(ROOT / 'bench' / script), mode], env=env_for(mode), capture_output=True, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f'{script} {mode} failed ({done.returncode}):\n{done.stderr[-4000:]}')
    lines = [line for line in done.stdout.splitlines() if line.startswith(stub.RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f'{script} {mode} printed no result:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}')
    result: dict[str, Any] = json.loads(lines[-1].removeprefix(stub.RESULT_PREFIX))
    if not result['ok']:
        raise RuntimeError(f'{script} {mode}: the handler refused the request:\n{done.stdout[-3000:]}')
    return result


def prepare() -> None:
    done = subprocess.run([sys.executable, str(ROOT / 'bench/prepare.py')], env=ENV, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'bench/prepare.py failed:\n{done.stderr[-4000:]}')


def discover() -> dict[str, list[str]]:
    """One cold run of each handler (not counted): its first request's calls become its floor's."""
    operations = {}
    for mode in MODES:
        result = run_child('cold_handler.py', mode)
        stub.calls_file(mode).write_text(json.dumps(result['calls']))
        operations[mode] = result['operations']
        run_child('cold_floor.py', mode)
    return operations


def spread(samples: list[float], digits: int = 1) -> str:
    return f'{statistics.median(samples):.{digits}f} [{min(samples):.{digits}f}-{max(samples):.{digits}f}]'


def cold_paths(operations: dict[str, list[str]]) -> dict[str, dict[str, list[float]]]:
    scripts = [
        (f'{kind}:{mode}', script)
        for mode in MODES
        for kind, script in (('handler', 'cold_handler.py'), ('floor', 'cold_floor.py'))
    ]
    names = [*(n for n, _ in scripts), 'nopyc:submit', 'interpreter']
    samples: dict[str, dict[str, list[float]]] = {name: {'import_ms': [], 'first_ms': [], 'total_ms': []} for name in names}

    def add(name: str, result: dict[str, Any]) -> None:
        samples[name]['import_ms'].append(result['import_ms'])
        samples[name]['first_ms'].append(result['first_ms'])
        samples[name]['total_ms'].append(result['import_ms'] + result['first_ms'])

    for run in range(RUNS):
        for name, script in scripts:
            mode = name.split(':')[1]
            result = run_child(script, mode)
            if result['operations'] != operations[mode]:
                raise RuntimeError(f'{name} made {result["operations"]}, not {operations[mode]} as in the first run')
            add(name, result)
        if run < NO_PYC_RUNS:
            add('nopyc:submit', run_child('cold_handler.py', 'submit', bytecode=False))
        started = time.perf_counter()
        subprocess.run([sys.executable, '-c', 'pass'], env=ENV, check=True)
        samples['interpreter']['total_ms'].append((time.perf_counter() - started) * 1000)
    return samples


def warm_cpu() -> dict[str, dict[str, Any]]:
    return {mode: run_child('warm.py', mode) for mode in MODES}


def verdict(ok: bool) -> str:
    return 'PASS' if ok else 'OVER'


def budget(name: str, value: float, limit: float, shown: str = '.2f') -> tuple[str, str, bool]:
    return name, format(value, shown) + ('x' if shown == '.2f' else ''), value <= limit


def main() -> int:
    started = time.perf_counter()
    compile_sources()
    prepare()
    operations = discover()
    print(f'Pharmacy Router bench ({sys.executable}, Python {sys.version.split()[0]}), network stubbed')
    print(f'Cold path: fresh process per run, import + first request, {RUNS} interleaved runs, ms median [min-max]')
    cold = cold_paths(operations)
    med = {name: {k: statistics.median(v) for k, v in figures.items() if v} for name, figures in cold.items()}
    header = f'  {"":34} {"import":>22} {"first request":>20} {"cold path":>22} {"first share":>11}'
    print(header)
    budgets: list[tuple[str, str, bool]] = []
    for mode in MODES:
        for kind in ('handler', 'floor'):
            figures = cold[f'{kind}:{mode}']
            label = f'{LABELS[mode]} {"handler" if kind == "handler" else "floor"}'
            shares = [f / t for f, t in zip(figures['first_ms'], figures['total_ms'], strict=True)]
            print(
                f'  {label:34} {spread(figures["import_ms"]):>22} {spread(figures["first_ms"]):>20} '
                f'{spread(figures["total_ms"]):>22} {statistics.median(shares):>10.1%}'
            )
        ratio = med[f'handler:{mode}']['total_ms'] / med[f'floor:{mode}']['total_ms']
        paired = [h / f for h, f in zip(cold[f'handler:{mode}']['total_ms'], cold[f'floor:{mode}']['total_ms'], strict=True)]
        print(f'  {"":34} cold path / floor {ratio:.2f}x (run by run {min(paired):.2f}-{max(paired):.2f}x); first request:')
        print(f'  {"":34}   {", ".join(operations[mode])}')
        budgets.append(budget(f'{mode} cold path <= {BUDGET_COLD_RATIO}x its floor', ratio, BUDGET_COLD_RATIO))
    nopyc = cold['nopyc:submit']
    print(
        f'  {"submit handler without .pyc":34} {spread(nopyc["import_ms"]):>22} {spread(nopyc["first_ms"]):>20} '
        f'{spread(nopyc["total_ms"]):>22}   ({NO_PYC_RUNS} runs: what a cold start pays if the artefact ships no .pyc)'
    )
    interpreter = spread(cold['interpreter']['total_ms'])
    print(f'  {"(python -c pass, spawn to exit)":34} {"":>22} {"":>20} {interpreter:>22}   before any first line: in no figure')
    submit = cold['handler:submit']
    share = statistics.median(f / t for f, t in zip(submit['first_ms'], submit['total_ms'], strict=True))
    budgets.append(budget(f'submit first request <= {BUDGET_FIRST_SHARE:.0%} of its cold path', share, BUDGET_FIRST_SHARE, '.1%'))
    print('  floor = import pynamodb.models, one pydantic BaseModel, the Powertools Logger, httpx (not for the webhook:')
    print('  its function never loads it), ONE botocore session with the clients the handler needs (dynamodb, sqs, and')
    print("  secretsmanager but for the callback sender); then the AWS calls of the handler's first request (recorded")
    print('  from it: same operations, parameters, order) and its HTTP requests made bare (httpx over MockTransport).')

    warm = warm_cpu()
    batches = f'{warm["submit"]["batches"]} batches x {warm["submit"]["batch"]}'
    print(f'Warm CPU per request (process time, ms median [min-max] of {batches}), one process per handler:')
    print(f'  {"":26} {"handler":>20} {"its AWS calls":>20} {"floor (bare calls)":>20} {"warm/floor":>10} {"AWS/floor":>9}')
    print(f'  {"":26} {"":>62} {"(round by round: min-max)":>26}')
    for mode in MODES:
        w = warm[mode]
        warm_ratio = w['warm']['median'] / w['floor']['median']
        aws_ratio = w['aws']['median'] / w['aws_floor']['median']
        print(
            f'  {LABELS[mode]:26} {fmt(w["warm"]):>20} {fmt(w["aws"]):>20} {fmt(w["floor"]):>20} '
            f'{warm_ratio:>9.2f}x {aws_ratio:>8.2f}x'
        )
        spans = (w['warm_over_floor'], w['aws_over_floor'])
        print(f'  {"":26} {"":>62} {" ".join(f"{s['min']:.2f}-{s['max']:.2f}x" for s in spans):>26}')
        aws_ops = [op for op in w['operations'] if not op.startswith('http:')]
        http_ops = [op for op in w['operations'] if op.startswith('http:')]
        note = f'  floor: {", ".join(aws_ops)} bare'
        if mode == 'callback':
            note += f' + its POST over MockTransport ({w["http_floor"]["median"]:.3f} ms of it)'
        elif http_ops:
            note += f' (not in it: {", ".join(http_ops)} over MockTransport, {w["http_floor"]["median"]:.3f} ms bare)'
        print(f'  {"":26}{note}')
        name = 'floor3' if mode == 'submit' else 'its floor'
        aim = f' (aim {AIM_WARM_RATIO}x)' if mode == 'submit' else ''
        budgets.append(budget(f'warm {mode} CPU <= {BUDGET_WARM_RATIO}x {name}{aim}', warm_ratio, BUDGET_WARM_RATIO))
        budgets.append(budget(f"{mode}: router's AWS calls <= {BUDGET_AWS_RATIO}x them bare", aws_ratio, BUDGET_AWS_RATIO))

    print('Budgets:')
    for name, shown, ok in budgets:
        print(f'  {verdict(ok)}  {name:58} {shown:>7}')
    print("  (the warm budgets are the submit's; the webhook and the callback sender are held to the same ratios)")
    submit_ratio = warm['submit']['warm']['median'] / warm['submit']['floor']['median']
    print(f'  warm submit aim {AIM_WARM_RATIO}x floor3: {"met" if submit_ratio <= AIM_WARM_RATIO else "not met"}')
    RESULTS.write_text(json.dumps({'runs': RUNS, 'cold': med, 'cold_operations': operations, 'warm': warm}, indent=1))
    print(f'({time.perf_counter() - started:.0f} s; figures in {RESULTS.relative_to(ROOT)} for bench/cost.py)')
    return 0


def fmt(figures: dict[str, float]) -> str:
    return f'{figures["median"]:.3f} [{figures["min"]:.2f}-{figures["max"]:.2f}]'


if __name__ == '__main__':
    raise SystemExit(main())
