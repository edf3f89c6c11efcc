from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from rx_router import lifecycle
from rx_router.observability import logger
from rx_router.pharmacy_types import registry
from rx_router.service.reconcile import reconcile

lifecycle.init('dynamodb', 'sqs', 'secretsmanager', pharmacy_http=True, types=tuple(registry.names()))
metrics = Metrics(namespace='PharmacyRouter')


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    summary = reconcile()
    metrics.add_metric(name='StatusQueries', unit=MetricUnit.Count, value=summary.asked)
    metrics.add_metric(name='StatusQueriesFailed', unit=MetricUnit.Count, value=summary.failed)
    metrics.add_metric(name='SubmissionsRepairedByPolling', unit=MetricUnit.Count, value=summary.repaired)
    metrics.add_metric(name='PrescriptionPolls', unit=MetricUnit.Count, value=summary.prescriptions_asked)
    metrics.add_metric(name='SubmissionsReleasedByPolling', unit=MetricUnit.Count, value=summary.released_by_polling)
    result = {
        'asked': summary.asked,
        'repaired': summary.repaired,
        'failed': summary.failed,
        'prescriptionsAsked': summary.prescriptions_asked,
        'releasedByPolling': summary.released_by_polling,
    }
    logger.info('reconciliation run', extra=result)
    return result
