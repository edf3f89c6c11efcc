"""`make invoke FUNCTION=SubmitFunction EVENT=events/submit.json` (`python -m rxlocal.invoke FUNCTION EVENT`): one
function of template.yaml invoked with one event against the running local stack (`make run`); prints the Lambda
response on stdout, the function's logs on stderr.

Where Docker answers (`docker info`) and the SAM CLI is installed (.tools/sam) and the functions are built
(`make build`), `sam local invoke` runs the function in its Lambda container, on the host's network, with the
stack's env-vars file. Otherwise the same handler runs in this process, loaded as the local stack loads it
(rxlocal.runtime), with the same environment (the env-vars file's entry for the function).

Either way the event is signed again first (a sample's signature is stale after 5 minutes): a client request for
the stack's demo client, a pharmacy webhook with the local webhook secret its sandbox uses.

Exit status: 0 the function answered; 1 it raised (or a custom resource answered CloudFormation FAILED);
2 it could not be invoked.
"""

import argparse
import contextlib
import copy
import email.message
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.request
import urllib.response
from pathlib import Path
from typing import Any

import httpx
import yaml

from rxlocal import events, launcher, runtime, state, template
from rxlocal.template import ROOT, Function

SAM = ROOT / '.tools' / 'sam' / 'bin' / 'sam'
BUILT_TEMPLATE = ROOT / '.aws-sam' / 'build' / 'template.yaml'


class InvokeError(Exception):
    pass


def running_stack() -> dict[str, Any]:
    local = state.read()
    if local is None:
        raise InvokeError(f'no local stack is running ({state.state_file()} is missing): start it with `make run`')
    try:
        healthy = httpx.get(str(local['apiUrl']) + '/rx/health', timeout=5).status_code == 200
    except httpx.TransportError:
        healthy = False
    if not healthy:
        raise InvokeError(
            f'the local stack of {state.state_file()} does not answer at {local["apiUrl"]}: start it with `make run`'
        )
    return local


def function_variables(name: str) -> dict[str, str]:
    env_vars = state.read_env_vars()
    if env_vars is None:
        raise InvokeError(f'the local stack wrote no {state.env_vars_file()}: restart it with `make run`')
    if name not in env_vars:
        raise InvokeError(
            f'{state.env_vars_file()} has no {name}: restart the local stack (make run) after changing template.yaml'
        )
    return env_vars[name]


def use_environment(variables: dict[str, str], region: str) -> None:
    """This process's environment as the function's in Lambda (other functions' variables removed), with
    credentials the emulated AWS accepts."""
    for name in (*launcher.inherited_noise(), 'AWS_PROFILE'):
        os.environ.pop(name, None)
    os.environ.update(
        variables,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_ACCESS_KEY_ID='local',
        AWS_SECRET_ACCESS_KEY='local',  # noqa: S106 - moto accepts any credentials
    )


def signed_for_local_stack(event: events.Event, demo_client: dict[str, str], pharmacy: str | None) -> events.Event:
    if events.is_client_request(event):
        return events.sign_client_request(event, demo_client['apiKey'], demo_client['apiSecret'])
    if events.kind(event) == events.HTTP:
        try:
            return events.sign_webhook(event, pharmacy)
        except events.NotSigned as exc:
            print(f'invoke: the event is sent as it is, not signed again: {exc}', file=sys.stderr)
    return event


# --- in this process ---------------------------------------------------------------------------------------


class CloudFormationAnswers(urllib.request.BaseHandler):
    """Keeps a custom resource's answer to CloudFormation (a PUT to the event's https ResponseURL) instead of sending
    it anywhere: in this process nothing waits for it."""

    handler_order = 100  # before urllib's HTTPSHandler

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []

    def https_open(self, request: urllib.request.Request) -> '_Answered':
        data = request.data if isinstance(request.data, bytes) else b'{}'
        self.answers.append(json.loads(data))
        return _Answered(io.BytesIO(b''), email.message.Message(), request.full_url, 200)


class _Answered(urllib.response.addinfourl):
    msg = 'OK'  # what urllib's response processing reads besides the code


def in_process(definition: Function, event: events.Event) -> tuple[Any, int]:
    """The function's response, or Lambda's error document when it raised, and the exit status."""
    answers = CloudFormationAnswers()
    if events.kind(event) == events.CUSTOM_RESOURCE:
        urllib.request.install_opener(urllib.request.build_opener(answers))
    try:
        response = runtime.load(definition).invoke(event)
    except Exception as exc:  # noqa: BLE001 - reported as Lambda reports it
        traceback.print_exc()
        error = {'errorType': type(exc).__name__, 'errorMessage': str(exc), 'stackTrace': traceback.format_tb(exc.__traceback__)}
        return error, 1
    for answer in answers.answers:
        print('CloudFormation response: ' + json.dumps(answer), file=sys.stderr)
    return response, 1 if any(a.get('Status') != 'SUCCESS' for a in answers.answers) else 0


# --- in Docker with SAM ------------------------------------------------------------------------------------


def docker_unavailable() -> str | None:
    """Why `sam local invoke` cannot run here, or None when it can."""
    if shutil.which('docker') is None:
        return 'no docker command'
    try:
        answered = subprocess.run(['docker', 'info'], capture_output=True, timeout=30, check=False).returncode == 0  # noqa: S607
    except (OSError, subprocess.TimeoutExpired):
        answered = False
    if not answered:
        return '`docker info` fails (no Docker daemon)'
    if not SAM.exists():
        return f'no SAM CLI at {SAM.relative_to(ROOT)} (make install)'
    if not BUILT_TEMPLATE.exists():
        return 'the functions are not built (make build)'
    return None


def sam_template(env_vars: dict[str, dict[str, str]], built: Path = BUILT_TEMPLATE) -> Path:
    """The built template with every variable of the env-vars file declared on its function, beside it: `sam local
    invoke --env-vars` sets only variables the template declares (samcli/local/lambdafn/env_vars.py), and the
    local stack adds some (AWS_ENDPOINT_URL first)."""
    derived = copy.deepcopy(template.load(built))
    declared = template.functions(built)
    for logical_id, variables in env_vars.items():
        if logical_id not in declared:
            continue
        properties = derived['Resources'][logical_id]['Properties']
        own = properties.setdefault('Environment', {}).setdefault('Variables', {})
        for name in variables:
            if name not in declared[logical_id].environment:
                own[name] = ''
    path = built.with_name('template.invoke.yaml')
    path.write_text(yaml.safe_dump(derived, sort_keys=False))
    return path


def sam_command(function: str, template_file: Path, event_file: Path, env_vars_file: Path, region: str) -> list[str]:
    # The container reaches the stack's emulated AWS and sandboxes on the host's 127.0.0.1 only on its network.
    return [
        str(SAM), 'local', 'invoke', function,
        '--template-file', str(template_file),
        '--event', str(event_file),
        '--env-vars', str(env_vars_file),
        '--docker-network', 'host',
        '--region', region,
    ]  # fmt: skip


def with_sam(definition: Function, event: events.Event, region: str) -> int:
    env_vars = state.read_env_vars() or {}
    environment = {k: v for k, v in os.environ.items() if k not in ('AWS_PROFILE', 'AWS_SESSION_TOKEN')}
    environment['SAM_CLI_TELEMETRY'] = '0'
    with tempfile.TemporaryDirectory(prefix='rxlocal-invoke-') as folder:
        event_file = Path(folder) / 'event.json'
        event_file.write_text(json.dumps(event))
        command = sam_command(definition.name, sam_template(env_vars), event_file, state.env_vars_file(), region)
        print('invoke: ' + ' '.join(command), file=sys.stderr)
        done = subprocess.run(command, env=environment, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    print(done.stdout, end='')
    try:
        response = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    except ValueError:
        response = None
    raised = isinstance(response, dict) and 'errorType' in response
    return done.returncode or (1 if raised else 0)


# --- the command -------------------------------------------------------------------------------------------


def invoke(function: str, event_path: Path, *, in_process_only: bool = False, pharmacy: str | None = None) -> int:
    definition = template.functions().get(function)
    if definition is None:
        raise InvokeError(f'template.yaml has no function {function}; its functions: {", ".join(template.functions())}')
    try:
        event = events.load(event_path)
    except (OSError, ValueError) as exc:
        raise InvokeError(f'cannot read the event {event_path}: {exc}') from None
    if function not in events.functions_for(event):
        raise InvokeError(f'{event_path} is {events.problems(event, definition)[0]}')
    local = running_stack()
    variables = function_variables(function)
    with contextlib.redirect_stdout(sys.stderr):  # the layer logs to stdout; stdout is the response's
        use_environment(variables, str(local['region']))
        event = signed_for_local_stack(event, local['demoClient'], pharmacy)
    why_not = 'asked to run in-process' if in_process_only else docker_unavailable()
    if why_not is None:
        return with_sam(definition, event, str(local['region']))
    print(f'invoke: {function} in-process against the local stack ({why_not})', file=sys.stderr)
    with contextlib.redirect_stdout(sys.stderr):
        response, status = in_process(definition, event)
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m rxlocal.invoke', description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('function', help='a function of template.yaml (logical id), e.g. SubmitFunction')
    parser.add_argument('event', type=Path, help='the event, e.g. events/submit.json')
    parser.add_argument('--in-process', action='store_true', help='run the handler in this process even where Docker is')
    parser.add_argument('--pharmacy', help='the local pharmacy a webhook comes from (default: the first of its type)')
    args = parser.parse_args(argv)
    try:
        return invoke(args.function, args.event, in_process_only=args.in_process, pharmacy=args.pharmacy)
    except InvokeError as exc:
        print(f'invoke: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    raise SystemExit(main())
