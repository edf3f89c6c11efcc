"""Where a running local stack says how to reach it (read by the rxrouter CLI), and the environment its functions
run with, as a `sam local invoke --env-vars` file (read by `make invoke`)."""

import json
import os
from pathlib import Path
from typing import Any


def state_file() -> Path:
    base = os.environ.get('RXROUTER_STATE_DIR') or str(Path.home() / '.rxrouter')
    return Path(base) / 'local-stack.json'


def env_vars_file() -> Path:
    return state_file().with_name('sam-env-vars.json')


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(document, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def write(state: dict[str, Any]) -> Path:
    return _write(state_file(), state)


def write_env_vars(environment: dict[str, str], aws_endpoint: str) -> Path:
    """`{FunctionLogicalId: {VAR: value}}` for every function of the template: the variables it declares, as the
    stack resolved them, what the stack adds for all of them (its sandboxes' URLs, local overrides) and
    AWS_ENDPOINT_URL, the stack's emulated AWS."""
    from rxlocal import template

    functions = template.functions()
    declared = {name for fn in functions.values() for name in fn.environment}
    added = {name: value for name, value in environment.items() if name not in declared}
    return _write(
        env_vars_file(),
        {
            logical_id: {**{name: environment[name] for name in fn.environment}, **added, 'AWS_ENDPOINT_URL': aws_endpoint}
            for logical_id, fn in functions.items()
        },
    )


def read() -> dict[str, Any] | None:
    path = state_file()
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def read_env_vars() -> dict[str, dict[str, str]] | None:
    path = env_vars_file()
    if not path.is_file():
        return None
    loaded: dict[str, dict[str, str]] = json.loads(path.read_text())
    return loaded


def remove(pid: int) -> None:
    current = read()
    if current and current.get('pid') == pid:
        state_file().unlink(missing_ok=True)
        env_vars_file().unlink(missing_ok=True)
