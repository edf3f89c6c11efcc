"""Loads a function's handler the way Lambda does (its CodeUri folder, module.attr) and invokes it."""

import importlib.util
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rxlocal.template import Function

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = '/aws/lambda/local'
    log_stream_name: str = 'local'
    function_version: str = '$LATEST'
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f'arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}'

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._started + self.timeout_seconds - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    definition: Function
    handler: Handler

    def invoke(self, event: dict[str, Any]) -> Any:
        d = self.definition
        return self.handler(event, LambdaContext(d.name, d.memory, d.timeout))


def load(definition: Function) -> LocalFunction:
    module_name, attr = definition.handler.rsplit('.', 1)
    path = definition.code_dir / f'{module_name}.py'
    spec = importlib.util.spec_from_file_location(f'rxlocal_functions.{definition.name}.{module_name}', path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f'cannot load {path}')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return LocalFunction(definition, getattr(module, attr))
