"""Where a running local stack says how to reach it (read by the rxrouter CLI)."""

import json
import os
from pathlib import Path
from typing import Any


def state_file() -> Path:
    base = os.environ.get('RXROUTER_STATE_DIR') or str(Path.home() / '.rxrouter')
    return Path(base) / 'local-stack.json'


def write(state: dict[str, Any]) -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(state, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def read() -> dict[str, Any] | None:
    path = state_file()
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def remove(pid: int) -> None:
    current = read()
    if current and current.get('pid') == pid:
        state_file().unlink(missing_ok=True)
