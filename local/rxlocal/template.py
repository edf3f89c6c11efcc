"""Reads template.yaml: routes, functions, event sources, tables, queues and secrets, with Ref / GetAtt /
Sub resolved against local names. The local stack and the tests derive everything from here."""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / 'template.yaml'


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix if suffix in ('Ref', 'Condition') else f'Fn::{suffix}': value}


_CfnLoader.add_multi_constructor('!', _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return loaded


def resources(kind: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in load(path)['Resources'].items() if r['Type'] == kind}


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function: str

    @property
    def route_key(self) -> str:
        return f'{self.method} {self.path}'


@dataclass(frozen=True)
class SqsSource:
    queue: str
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class Function:
    name: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, Any]
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)  # Schedule events' expressions (rate(...) / cron(...))


def _logical_id(ref: Any) -> str:
    if isinstance(ref, dict) and 'Fn::GetAtt' in ref:
        target = ref['Fn::GetAtt']
        return str(target[0] if isinstance(target, list) else target.split('.')[0])
    if isinstance(ref, dict) and 'Ref' in ref:
        return str(ref['Ref'])
    raise ValueError(f'unsupported reference {ref!r}')


def functions(path: Path = TEMPLATE) -> dict[str, Function]:
    tpl = load(path)
    defaults = tpl.get('Globals', {}).get('Function', {})
    found = {}
    for name, resource in resources('AWS::Serverless::Function', path).items():
        props = resource['Properties']
        routes, sources, schedules = [], [], []
        for event in props.get('Events', {}).values():
            ev = event['Properties']
            if event['Type'] == 'HttpApi':
                routes.append(HttpRoute(ev['Method'].upper(), ev['Path'], name))
            elif event['Type'] == 'SQS':
                sources.append(
                    SqsSource(
                        queue=_logical_id(ev['Queue']),
                        batch_size=int(ev.get('BatchSize', 10)),
                        report_failures='ReportBatchItemFailures' in ev.get('FunctionResponseTypes', []),
                    )
                )
            elif event['Type'] == 'Schedule':
                schedules.append(str(ev['Schedule']))
        environment = {
            **defaults.get('Environment', {}).get('Variables', {}),
            **props.get('Environment', {}).get('Variables', {}),
        }
        found[name] = Function(
            name=name,
            code_dir=path.parent / props['CodeUri'],
            handler=props['Handler'],
            timeout=int(props.get('Timeout', defaults.get('Timeout', 3))),
            memory=int(props.get('MemorySize', defaults.get('MemorySize', 128))),
            environment=environment,
            routes=routes,
            sqs_sources=sources,
            schedules=schedules,
        )
    return found


def http_routes(path: Path = TEMPLATE) -> list[HttpRoute]:
    return [route for fn in functions(path).values() for route in fn.routes]


def resolve(value: Any, refs: dict[str, str]) -> str:
    """A template value as a string, with Ref / GetAtt / Sub looked up in `refs` (logical id or Id.Attr)."""
    if isinstance(value, str | int | float):
        return str(value)
    if 'Ref' in value:
        return refs[value['Ref']]
    if 'Fn::GetAtt' in value:
        target = value['Fn::GetAtt']
        key = '.'.join(target) if isinstance(target, list) else target
        return refs[key]
    if 'Fn::Sub' in value:
        return re.sub(r'\$\{([^}]+)\}', lambda m: refs[m.group(1)], value['Fn::Sub'])
    raise ValueError(f'cannot resolve {value!r} locally')
