"""Turns an action `(resource properties) -> data` into a CloudFormation custom resource handler: it runs on
Create and Update, does nothing on Delete, and always answers CloudFormation (or the stack hangs an hour)."""

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from rx_router.observability import exception_summary, logger

Action = Callable[[dict[str, Any]], dict[str, int]]


def respond(event: dict[str, Any], status: str, data: dict[str, Any]) -> None:
    body = json.dumps(
        {
            'Status': status,
            'Reason': 'See the function logs' if status == 'FAILED' else 'OK',
            'PhysicalResourceId': event.get('PhysicalResourceId') or event['LogicalResourceId'],
            'StackId': event['StackId'],
            'RequestId': event['RequestId'],
            'LogicalResourceId': event['LogicalResourceId'],
            'Data': data,
        }
    ).encode()
    url = event['ResponseURL']
    if not url.startswith('https://'):
        raise ValueError('CloudFormation response URL must be https')
    request = urllib.request.Request(url, data=body, method='PUT', headers={'content-type': ''})  # noqa: S310 - https checked above
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - https checked above
        pass


def custom_resource(action: Action) -> Callable[[dict[str, Any], Any], None]:
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> None:
        try:
            data = action(event.get('ResourceProperties') or {}) if event['RequestType'] in ('Create', 'Update') else {}
            logger.info('custom resource', extra={'request_type': event['RequestType'], **data})
            respond(event, 'SUCCESS', data)
        except Exception as exc:  # noqa: BLE001 - CloudFormation must hear FAILED, or the stack hangs for an hour
            logger.error('custom resource failed', extra=exception_summary(exc))
            respond(event, 'FAILED', {})

    return handler
