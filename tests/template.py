"""Reads template.yaml (CloudFormation tags kept as plain values) for tests that hold code to it."""

from functools import cache
from typing import Any

import yaml

from tests.support import ROOT


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f'Fn::{suffix}' if suffix not in ('Ref', 'Condition') else suffix: value}


_CfnLoader.add_multi_constructor('!', _tag)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((ROOT / 'template.yaml').read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()['Resources'].items() if r['Type'] == kind}


def http_routes() -> dict[str, str]:
    """'METHOD /path' -> the logical id of the function serving it."""
    routes = {}
    for name, fn in resources('AWS::Serverless::Function').items():
        for event in fn['Properties'].get('Events', {}).values():
            if event['Type'] == 'HttpApi':
                routes[f'{event["Properties"]["Method"]} {event["Properties"]["Path"]}'] = name
    return routes
