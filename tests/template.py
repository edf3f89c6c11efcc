"""Template access for tests: the same reader the local stack uses, and the template as CloudFormation deploys it
for given parameters (its conditions and rules evaluated)."""

from typing import Any

from rxlocal.template import http_routes, load, resources

__all__ = [
    'DATA_KEY_MODES',
    'condition',
    'deployed',
    'deployed_resources',
    'http_routes',
    'load',
    'resources',
    'rules_hold',
    'template',
]


# Parameters for each DataKeyMode (README "Patient data key").
EXISTING_DATA_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'
DATA_KEY_MODES = {
    'None': {'DataKeyMode': 'None'},
    'Create': {'DataKeyMode': 'Create'},
    'Existing': {'DataKeyMode': 'Existing', 'DataKeyArn': EXISTING_DATA_KEY},
}


def template() -> dict:
    return load()


def _parameters(given: dict[str, str] | None) -> dict[str, str]:
    return {name: str(p.get('Default')) for name, p in template()['Parameters'].items()} | (given or {})


def _holds(node: Any, parameters: dict[str, str]) -> bool:
    """A condition function (Fn::Equals / Not / And / Or, Condition) over parameter values."""
    [(function, args)] = node.items()
    if function == 'Fn::Equals':
        [left, right] = (parameters[a['Ref']] if isinstance(a, dict) else str(a) for a in args)
        return left == right
    if function == 'Fn::Not':
        return not _holds(args[0], parameters)
    if function == 'Fn::And':
        return all(_holds(a, parameters) for a in args)
    if function == 'Fn::Or':
        return any(_holds(a, parameters) for a in args)
    if function == 'Condition':
        return _holds(template()['Conditions'][args], parameters)
    raise ValueError(f'not a condition: {node!r}')


def condition(name: str, parameters: dict[str, str] | None = None) -> bool:
    """Whether the template's condition `name` holds for these parameters (defaults unless given)."""
    return _holds(template()['Conditions'][name], _parameters(parameters))


def deployed(value: Any, parameters: dict[str, str] | None = None) -> Any:
    """The template's value as CloudFormation resolves its conditions, with parameters at their defaults unless
    given (Fn::If on the template's conditions; AWS::NoValue dropped)."""

    def resolve(node: Any) -> Any:
        if isinstance(node, dict) and list(node) == ['Fn::If']:
            name, when_true, when_false = node['Fn::If']
            return resolve(when_true if condition(name, parameters) else when_false)
        if isinstance(node, dict):
            return {k: r for k, r in ((k, resolve(v)) for k, v in node.items()) if r != {'Ref': 'AWS::NoValue'}}
        if isinstance(node, list):
            return [r for r in (resolve(v) for v in node) if r != {'Ref': 'AWS::NoValue'}]
        return node

    return resolve(value)


def deployed_resources(parameters: dict[str, str] | None = None, kind: str | None = None) -> dict[str, Any]:
    """The resources CloudFormation creates for these parameters (a resource's Condition evaluated), resolved."""
    return {
        name: deployed(resource, parameters)
        for name, resource in template()['Resources'].items()
        if (kind is None or resource['Type'] == kind)
        and ('Condition' not in resource or condition(resource['Condition'], parameters))
    }


def rules_hold(parameters: dict[str, str] | None = None) -> bool:
    """Whether the template's Rules accept these parameters (CloudFormation refuses the deploy otherwise)."""
    given = _parameters(parameters)
    return all(
        _holds(assertion['Assert'], given)
        for rule in template().get('Rules', {}).values()
        if 'RuleCondition' not in rule or _holds(rule['RuleCondition'], given)
        for assertion in rule['Assertions']
    )
