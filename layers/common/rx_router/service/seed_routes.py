"""CloudFormation custom resource: seeds the routing table with the spec's assignments on stack creation.

It only writes into an empty table, so an update or a re-deploy never overwrites operators' changes.
"""

import json
import urllib.request
from typing import Any

from rx_router.observability import exception_summary, logger
from rx_router.routing import default_routes
from rx_router.store.routes import seed_if_empty


def respond(event: dict[str, Any], status: str, data: dict[str, Any]) -> None:
    body = json.dumps(
        {
            'Status': status,
            'Reason': 'See the RoutingSeedFunction logs' if status == 'FAILED' else 'OK',
            'PhysicalResourceId': event.get('PhysicalResourceId') or 'routing-seed',
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


def handle(event: dict[str, Any]) -> None:
    try:
        written = seed_if_empty(default_routes()) if event['RequestType'] in ('Create', 'Update') else 0
        logger.info('routing seed', extra={'request_type': event['RequestType'], 'routes_written': written})
        respond(event, 'SUCCESS', {'RoutesWritten': written})
    except Exception as exc:  # noqa: BLE001 - CloudFormation must hear FAILED, or the stack hangs for an hour
        logger.error('routing seed failed', extra=exception_summary(exc))
        respond(event, 'FAILED', {})
