"""Lambda events for the functions of template.yaml (the samples in events/, or a developer's own): which function
an event is for, whether it is a valid one, and fresh signatures for the local stack at invoke time.

An event is for a function when it is what one of the function's template events delivers: an HTTP API (payload
format 2.0) request on one of its routes, an SQS batch to a function with an SQS source, an EventBridge scheduled
event to one with a Schedule, a CloudFormation request to the function a `Custom::` resource names as its
ServiceToken.

`python -m rxlocal.events --sign` signs the samples' client requests again for the local demo client, keeping
their timestamps (after a sample's body changed).
"""

import base64
import binascii
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from rx_router.signing import EMPTY_BODY, signature, signature_headers
from rxlocal import template
from rxlocal.template import ROOT, Function

SAMPLES = ROOT / 'events'
CLIENT_ROUTES = '/rx/prescriptions/'  # every request under it is signed by an API client (README "Calling the API")
HTTP, SQS, SCHEDULE, CUSTOM_RESOURCE = 'HTTP API request', 'SQS batch', 'scheduled event', 'CloudFormation request'
Event = dict[str, Any]


class NotSigned(Exception):
    """Why a webhook event could not be signed for the local stack."""


def load(path: Path) -> Event:
    loaded: Event = json.loads(path.read_text())
    return loaded


def kind(event: Event) -> str | None:
    if 'routeKey' in event:
        return HTTP
    records = event.get('Records')
    if isinstance(records, list) and records and all(isinstance(r, dict) and r.get('eventSource') == 'aws:sqs' for r in records):
        return SQS
    if event.get('source') == 'aws.events' and event.get('detail-type') == 'Scheduled Event':
        return SCHEDULE
    if 'RequestType' in event and 'ResponseURL' in event:
        return CUSTOM_RESOURCE
    return None


def route_path(event: Event) -> str:
    return str(event['routeKey']).partition(' ')[2]


def is_client_request(event: Event) -> bool:
    return kind(event) == HTTP and route_path(event).startswith(CLIENT_ROUTES)


def raw_body(event: Event) -> bytes:
    """The body's bytes as the function reads them (API Gateway base64-encodes binary bodies)."""
    body = event.get('body') or ''
    return base64.b64decode(body) if event.get('isBase64Encoded') else str(body).encode()


def custom_resource(logical_id: Any) -> tuple[dict[str, Any], str] | None:
    """The template's `Custom::` resource of that logical id, and the function its ServiceToken names."""
    resource = template.load()['Resources'].get(logical_id) if isinstance(logical_id, str) else None
    if resource is None or not str(resource['Type']).startswith('Custom::'):
        return None
    token = resource['Properties']['ServiceToken']
    target = token.get('Fn::GetAtt') if isinstance(token, dict) else None
    if target is None:
        return None
    return resource, str(target[0] if isinstance(target, list) else str(target).split('.')[0])


def functions_for(event: Event) -> list[str]:
    """The template's functions this event is for."""
    functions = template.functions()
    found = kind(event)
    if found == HTTP:
        return [name for name, fn in functions.items() if event['routeKey'] in {r.route_key for r in fn.routes}]
    if found == SQS:
        return [name for name, fn in functions.items() if fn.sqs_sources]
    if found == SCHEDULE:
        return [name for name, fn in functions.items() if fn.schedules]
    if found == CUSTOM_RESOURCE:
        named = custom_resource(event.get('LogicalResourceId'))
        return [named[1]] if named and named[1] in functions else []
    return []


def problems(event: Event, function: Function) -> list[str]:
    """What makes the event invalid for the function (nothing when it is valid)."""
    found = functions_for(event)
    if function.name not in found:
        what = kind(event) or 'no kind of event a template function takes'
        return [f'a {what} for {", ".join(found) or "no function of template.yaml"}, not for {function.name}']
    checks = {HTTP: _http_problems, SQS: _sqs_problems, SCHEDULE: _schedule_problems, CUSTOM_RESOURCE: _custom_problems}
    return checks[str(kind(event))](event)


def _json_problem(what: str, raw: bytes | str) -> list[str]:
    try:
        json.loads(raw)
    except ValueError as exc:
        return [f'{what} is not JSON: {exc}']
    return []


def _http_problems(event: Event) -> list[str]:
    method, _, path = str(event['routeKey']).partition(' ')
    context = event.get('requestContext') or {}
    http = context.get('http') or {}
    found = []
    if event.get('version') != '2.0':
        found.append('version must be "2.0" (HTTP API payload format 2.0)')
    if context.get('routeKey') != event['routeKey']:
        found.append('requestContext.routeKey must be the routeKey')
    if http.get('method') != method:
        found.append(f'requestContext.http.method must be {method}')
    raw_path = str(event.get('rawPath', ''))
    if http.get('path') != raw_path:
        found.append('requestContext.http.path must be the rawPath')
    route, actual = path.split('/'), raw_path.split('/')
    parameters, matches = {}, len(route) == len(actual)
    for part, value in zip(route, actual, strict=False):
        if part.startswith('{'):
            parameters[part[1:-1]] = value
            matches = matches and bool(value)
        else:
            matches = matches and part == value
    if not matches:
        found.append(f'rawPath {raw_path} is not a path of {path}')
    elif (event.get('pathParameters') or {}) != parameters:
        found.append(f"pathParameters must be {parameters or 'absent'} (the rawPath's)")
    headers = event.get('headers') or {}
    if any(name != name.lower() for name in headers):
        found.append('header names must be lower case, as API Gateway passes them')
    if not isinstance(event.get('isBase64Encoded'), bool):
        found.append('isBase64Encoded must be true or false')
    elif event.get('body') is not None:
        try:
            found += _json_problem('body', raw_body(event))
        except (binascii.Error, ValueError):
            found.append('body is not base64 although isBase64Encoded is true')
    return found


def _sqs_problems(event: Event) -> list[str]:
    found = []
    for index, record in enumerate(event['Records']):
        where = f'Records[{index}]'
        for field in ('messageId', 'receiptHandle', 'body', 'eventSourceARN'):
            if not isinstance(record.get(field), str) or not record[field]:
                found.append(f'{where}.{field} is missing')
        if not str(record.get('eventSourceARN', '')).startswith('arn:aws:sqs:'):
            found.append(f'{where}.eventSourceARN must be a queue ARN')
        if not str((record.get('attributes') or {}).get('ApproximateReceiveCount', '')).isdigit():
            found.append(f'{where}.attributes.ApproximateReceiveCount must be a number')
        if isinstance(record.get('body'), str):
            found += _json_problem(f'{where}.body', record['body'])
    return found


def _schedule_problems(event: Event) -> list[str]:
    found = []
    resources = event.get('resources')
    if not (isinstance(resources, list) and resources and all(str(r).startswith('arn:aws:events:') for r in resources)):
        found.append('resources must name the schedule rule (arn:aws:events:...)')
    for field in ('id', 'account', 'region', 'time'):
        if not event.get(field):
            found.append(f'{field} is missing')
    if event.get('detail') != {}:
        found.append('detail must be {} (a scheduled event carries none)')
    return found


def _custom_problems(event: Event) -> list[str]:
    named = custom_resource(event.get('LogicalResourceId'))
    assert named is not None  # functions_for found the function through it
    resource = named[0]
    found = []
    if event.get('RequestType') not in ('Create', 'Update', 'Delete'):
        found.append('RequestType must be Create, Update or Delete')
    if not str(event.get('ResponseURL', '')).startswith('https://'):
        found.append('ResponseURL must be https (CloudFormation gives a presigned S3 URL)')
    if event.get('ResourceType') != resource['Type']:
        found.append(f'ResourceType must be {resource["Type"]}')
    for field in ('StackId', 'RequestId', 'ServiceToken'):
        if not event.get(field):
            found.append(f'{field} is missing')
    given, declared = set(event.get('ResourceProperties') or {}), set(resource['Properties'])
    if given != declared:
        found.append(f'ResourceProperties must have the properties the template gives it: {", ".join(sorted(declared))}')
    return found


def signature_problems(event: Event, api_key: str, api_secret: str) -> list[str]:
    """What keeps a client request from being signed by this client at its own x-timestamp."""
    headers = event.get('headers') or {}
    found = [] if headers.get('x-api-key') == api_key else [f'x-api-key must be {api_key}']
    timestamp, provided = headers.get('x-timestamp'), headers.get('x-signature')
    if not timestamp or provided != signature(api_secret, timestamp, raw_body(event) or EMPTY_BODY):
        found.append('x-signature is not the HMAC of x-timestamp + "." + body (re-sign: python -m rxlocal.events --sign)')
    return found


def sign_client_request(event: Event, api_key: str, api_secret: str, timestamp: str | None = None) -> Event:
    """The event signed by this client, now (or at `timestamp`): X-API-Key, X-Timestamp and X-Signature."""
    signed = copy.deepcopy(event)
    signed['headers'] = {
        **(event.get('headers') or {}),
        'x-api-key': api_key,
        **signature_headers(api_secret, raw_body(event), timestamp),
    }
    return signed


def webhook_type(path: str) -> str | None:
    """The pharmacy type whose webhook this route is."""
    from rx_router.pharmacy_types import registry

    for name in registry.names():
        spec = registry.get(name).webhook
        if spec is not None and re.sub(r'\{[^}]+\}', 'ID', path) == spec.path('ID'):
            return name
    return None


def sign_webhook(event: Event, pharmacy: str | None = None) -> Event:
    """The webhook event authenticated as the local pharmacy's sandbox would send it: with the webhook secret the
    local stack stored for it, in its type's header or signature. The pharmacy is the route's own (a per-instance
    webhook), else `pharmacy`, else the first of the type with a secret. Needs the environment of a function
    that reads the stack's configuration and secrets."""
    from rx_router.pharmacy_types import registry
    from rx_router.store import config, secrets
    from rxlocal import sandboxes
    from rxlocal.sandboxes import SandboxConfig

    type_name = webhook_type(route_path(event))
    if type_name is None:
        return event
    spec = registry.get(type_name).webhook
    assert spec is not None
    if spec.per_instance:
        named = next(iter((event.get('pathParameters') or {}).values()), None)
        if pharmacy and pharmacy != named:
            raise NotSigned(f"this webhook is the path's pharmacy {named}'s; set its path to name {pharmacy}")
        pharmacy = named
    local = sorted((i for i in config.load_config().pharmacies.values() if i.type == type_name), key=lambda i: i.id)
    for instance in local:
        current = secrets.webhook_secrets(instance.webhook_secret_key) if instance.webhook_secret_key else []
        if pharmacy in (None, instance.id) and current:
            break
    else:
        known = ', '.join(i.id for i in local) or 'none'
        raise NotSigned(f'no local {type_name} pharmacy {pharmacy or ""} with a webhook secret (local ones: {known})')
    sandbox = sandboxes.TYPES[type_name](
        SandboxConfig(
            pharmacy=instance.id,
            credentials={},
            drug_ids=frozenset(),
            webhook_header=spec.secret_header,
            webhook_secret=current[0],
            settings=dict(instance.settings),
        )
    )
    signed = copy.deepcopy(event)
    headers = {name: value for name, value in (event.get('headers') or {}).items() if name != spec.secret_header}
    signed['headers'] = {**headers, **sandbox.webhook_headers(raw_body(event))}
    return signed


def sign_samples(api_key: str, api_secret: str) -> list[Path]:
    """Signs every sample client request again for this client at its own timestamp; returns those it changed."""
    changed = []
    for path in sorted(SAMPLES.glob('*.json')):
        event = load(path)
        if is_client_request(event) and signature_problems(event, api_key, api_secret):
            signed = sign_client_request(event, api_key, api_secret, (event.get('headers') or {}).get('x-timestamp'))
            path.write_text(json.dumps(signed, indent=2, ensure_ascii=False) + '\n')
            changed.append(path)
    return changed


if __name__ == '__main__':
    from rxlocal.stack import DEMO_API_KEY, DEMO_API_SECRET

    if sys.argv[1:] != ['--sign']:
        sys.exit('usage: python -m rxlocal.events --sign')
    for written in sign_samples(DEMO_API_KEY, DEMO_API_SECRET):
        print(f'signed {written.relative_to(ROOT)}')
