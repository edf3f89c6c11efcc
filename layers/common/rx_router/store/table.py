"""DynamoDB calls, the one way the router makes them: on the container's shared client (rx_router.aws), with
items serialised and read back by the pynamodb models (which define every table's schema).

pynamodb's own calls would each open a botocore session per model, and its updates ask for the whole item back;
here nothing is asked back that is not used.
"""

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.models import Model

from rx_router import aws

# Attributes by their Python names on the model (pynamodb's attributes overload `==`, so they cannot be dict keys).
Values = Mapping[str, Any]


class Condition(NamedTuple):
    """A condition or key expression with its placeholders (`#<attr>` for names, `:<attr>` for values)."""

    expression: str
    names: dict[str, str]
    values: dict[str, Any]

    def __and__(self, other: 'Condition') -> 'Condition':
        return Condition(
            f'{self.expression} AND {other.expression}', {**self.names, **other.names}, {**self.values, **other.values}
        )

    def __or__(self, other: 'Condition') -> 'Condition':
        return Condition(
            f'({self.expression} OR {other.expression})', {**self.names, **other.names}, {**self.values, **other.values}
        )


class ConditionFailed(Exception):
    """A conditional write found its condition false. `stored`: the item as it is stored, when the write
    asked for it back."""

    def __init__(self, stored: dict[str, Any] | None = None) -> None:
        super().__init__('condition failed')
        self.stored = stored


def typed(attribute: Attribute[Any], value: Any) -> dict[str, Any]:
    """A value as DynamoDB's wire format has it, serialised by the model's attribute."""
    return {attribute.attr_type: attribute.serialize(value)}


def exists(attribute: Attribute[Any]) -> Condition:
    return Condition(f'attribute_exists(#{attribute.attr_name})', {f'#{attribute.attr_name}': attribute.attr_name}, {})


def missing(attribute: Attribute[Any]) -> Condition:
    return Condition(f'attribute_not_exists(#{attribute.attr_name})', {f'#{attribute.attr_name}': attribute.attr_name}, {})


def equals(attribute: Attribute[Any], value: Any) -> Condition:
    name = attribute.attr_name
    return Condition(f'#{name} = :{name}', {f'#{name}': name}, {f':{name}': typed(attribute, value)})


def begins_with(attribute: Attribute[Any], prefix: str) -> Condition:
    name = attribute.attr_name
    return Condition(f'begins_with(#{name}, :{name})', {f'#{name}': name}, {f':{name}': typed(attribute, prefix)})


def before(attribute: Attribute[Any], value: Any) -> Condition:
    name = attribute.attr_name
    return Condition(f'#{name} < :{name}', {f'#{name}': name}, {f':{name}': typed(attribute, value)})


def _attribute(model: type[Model], name: str) -> Attribute[Any]:
    return model.get_attributes()[name]


def _key(model: type[Model], key: Values) -> dict[str, Any]:
    return {(a := _attribute(model, name)).attr_name: typed(a, value) for name, value in key.items()}


def _with_condition(request: dict[str, Any], condition: Condition | None) -> dict[str, Any]:
    if condition is not None:
        request['ConditionExpression'] = condition.expression
        request['ExpressionAttributeNames'] = {**request.get('ExpressionAttributeNames', {}), **condition.names}
        if condition.values:
            request['ExpressionAttributeValues'] = {**request.get('ExpressionAttributeValues', {}), **condition.values}
    return request


def _condition_failed(exc: ClientError) -> bool:
    return bool(exc.response.get('Error', {}).get('Code') == 'ConditionalCheckFailedException')


def put_request(item: Model, condition: Condition | None = None) -> dict[str, Any]:
    return _with_condition({'TableName': item.Meta.table_name, 'Item': item.serialize()}, condition)


def put(item: Model, condition: Condition | None = None, *, stored_on_failure: bool = False) -> None:
    """Writes the item, if `condition` holds; raises ConditionFailed otherwise (with the stored item when
    `stored_on_failure`: DynamoDB returns it with the refusal, sparing a read)."""
    request = put_request(item, condition)
    if stored_on_failure:
        request['ReturnValuesOnConditionCheckFailure'] = 'ALL_OLD'
    try:
        aws.dynamodb().put_item(**request)
    except ClientError as exc:
        if _condition_failed(exc):
            raise ConditionFailed(exc.response.get('Item')) from None
        raise


def update_request(
    model: type[Model], key: Values, *, set_values: Values, remove: tuple[str, ...] = (), condition: Condition
) -> dict[str, Any]:
    setting = [(_attribute(model, name), value) for name, value in set_values.items()]
    removing = [_attribute(model, name) for name in remove]
    names = {f'#{a.attr_name}': a.attr_name for a in [*(a for a, _ in setting), *removing]}
    values = {f':set_{a.attr_name}': typed(a, v) for a, v in setting}
    clauses = []
    if setting:
        clauses.append('SET ' + ', '.join(f'#{a.attr_name} = :set_{a.attr_name}' for a, _ in setting))
    if removing:
        clauses.append('REMOVE ' + ', '.join(f'#{a.attr_name}' for a in removing))
    request: dict[str, Any] = {
        'TableName': model.Meta.table_name,
        'Key': _key(model, key),
        'UpdateExpression': ' '.join(clauses),
        'ExpressionAttributeNames': names,
    }
    if values:  # DynamoDB refuses an empty map (a REMOVE-only update has none)
        request['ExpressionAttributeValues'] = values
    return _with_condition(request, condition)


def update(model: type[Model], key: Values, *, set_values: Values, remove: tuple[str, ...] = (), condition: Condition) -> None:
    """Sets (and removes) attributes of an existing item, if `condition` holds (raises ConditionFailed otherwise)."""
    _update_item(update_request(model, key, set_values=set_values, remove=remove, condition=condition))


def add(model: type[Model], key: Values, name: str, amount: int, *, condition: Condition) -> None:
    """Adds `amount` to a number attribute (DynamoDB's ADD: concurrent additions all count), if `condition` holds."""
    attribute = _attribute(model, name)
    request = {
        'TableName': model.Meta.table_name,
        'Key': _key(model, key),
        'UpdateExpression': f'ADD #{attribute.attr_name} :add_{attribute.attr_name}',
        'ExpressionAttributeNames': {f'#{attribute.attr_name}': attribute.attr_name},
        'ExpressionAttributeValues': {f':add_{attribute.attr_name}': typed(attribute, amount)},
    }
    _update_item(_with_condition(request, condition))


def _update_item(request: dict[str, Any]) -> None:
    try:
        aws.dynamodb().update_item(**request)
    except ClientError as exc:
        if _condition_failed(exc):
            raise ConditionFailed() from None
        raise


def transact(*, updates: list[dict[str, Any]], puts: list[dict[str, Any]]) -> None:
    """Writes all or nothing; raises ConditionFailed when a condition made the transaction fail."""
    items = [*({'Update': u} for u in updates), *({'Put': p} for p in puts)]
    try:
        aws.dynamodb().transact_write_items(TransactItems=items)
    except ClientError as exc:
        reasons = exc.response.get('CancellationReasons') or []
        if any(reason.get('Code') == 'ConditionalCheckFailed' for reason in reasons):
            raise ConditionFailed() from None
        raise


def delete(model: type[Model], key: Values, condition: Condition | None = None) -> None:
    try:
        aws.dynamodb().delete_item(**_with_condition({'TableName': model.Meta.table_name, 'Key': _key(model, key)}, condition))
    except ClientError as exc:
        if _condition_failed(exc):
            raise ConditionFailed() from None
        raise


def get[M: Model](model: type[M], key: Values, *, consistent: bool = True) -> M | None:
    request = {'TableName': model.Meta.table_name, 'Key': _key(model, key), 'ConsistentRead': consistent}
    found = aws.dynamodb().get_item(**request).get('Item')
    return model.from_raw_data(found) if found else None


def query(
    model: type[Model],
    key_condition: Condition,
    *,
    index: str | None = None,
    consistent: bool = False,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The raw items (an index's: as it projects them) matching the key condition, page after page."""
    request: dict[str, Any] = {
        'TableName': model.Meta.table_name,
        'KeyConditionExpression': key_condition.expression,
        'ExpressionAttributeNames': key_condition.names,
        'ExpressionAttributeValues': key_condition.values,
        'ConsistentRead': consistent,
    }
    if index is not None:
        request['IndexName'] = index
    if limit is not None:
        request['Limit'] = limit
    yield from _pages('query', request, once=limit is not None)


def scan[M: Model](model: type[M], *, consistent: bool = True, limit: int | None = None) -> Iterator[M]:
    request: dict[str, Any] = {'TableName': model.Meta.table_name, 'ConsistentRead': consistent}
    if limit is not None:
        request['Limit'] = limit
    for raw in _pages('scan', request, once=limit is not None):
        yield model.from_raw_data(raw)


def _pages(operation: str, request: dict[str, Any], *, once: bool) -> Iterator[dict[str, Any]]:
    call = getattr(aws.dynamodb(), operation)
    while True:
        page = call(**request)
        yield from page.get('Items', [])
        if once or 'LastEvaluatedKey' not in page:
            return
        request = {**request, 'ExclusiveStartKey': page['LastEvaluatedKey']}
