"""Removes credentials from pharmacy responses before they are stored or shown."""

import re
from typing import Any

_SECRET_KEY = re.compile(r'token|secret|password|authorization|api[-_]?key|functions[-_]key|credential', re.I)
REDACTED = '[redacted]'


def scrub(value: Any) -> Any:
    """A copy with the value of every credential-like key replaced, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
