"""HTTP responses, and the one place where errors become status codes."""

import json
from dataclasses import dataclass, field
from typing import Any

from rx_router.errors import ConfigurationError, RouterError, Unauthorized
from rx_router.observability import exception_summary, logger


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def to_lambda(self) -> dict[str, Any]:
        return {
            'statusCode': self.status,
            'headers': {'content-type': 'application/json', 'cache-control': 'no-store', **self.headers},
            'body': json.dumps(self.body, separators=(',', ':'), ensure_ascii=False),
        }


def error_response(exc: Exception) -> ApiResponse:
    if isinstance(exc, Unauthorized):
        logger.warning('request not authenticated', extra={'reason': exc.reason})
    elif isinstance(exc, ConfigurationError):
        logger.error('configuration missing', extra={'detail': exc.detail})
    elif isinstance(exc, RouterError):
        logger.info('request refused', extra={'status': exc.status, 'error_type': type(exc).__name__})
    else:
        logger.error('unhandled error', extra=exception_summary(exc))
        return ApiResponse(500, {'error': 'Internal error'})
    return ApiResponse(exc.status, exc.body())
