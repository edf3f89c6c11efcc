"""One logger for the whole layer. It logs ids, statuses and durations, never patient data."""

import traceback

from aws_lambda_powertools import Logger

logger = Logger(service='pharmacy-router')


def exception_summary(exc: BaseException) -> dict[str, str]:
    """Where and what failed, without the exception's message (which may quote input)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f'{frames[-1].filename.rsplit("/", 2)[-1]}:{frames[-1].lineno}' if frames else 'unknown'
    return {'error_type': type(exc).__name__, 'error_at': where}
