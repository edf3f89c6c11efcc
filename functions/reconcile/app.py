from typing import Any

from rx_router import business_metrics, lifecycle
from rx_router.business_metrics import Metric, count
from rx_router.observability import logger
from rx_router.pharmacy_types import registry
from rx_router.service.reconcile import reconcile

lifecycle.init('dynamodb', 'sqs', 'secretsmanager', pharmacy_http=True, types=tuple(registry.names()))


@business_metrics.flushed
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    summary = reconcile()
    # Every run publishes each total, zeros included: a missing StaleSubmissions means the run did not finish.
    count(Metric.STATUS_QUERIES, value=summary.asked)
    count(Metric.STATUS_QUERIES_FAILED, value=summary.failed)
    count(Metric.SUBMISSIONS_REPAIRED, value=0)  # counted per pharmacy as each is repaired
    count(Metric.PRESCRIPTION_POLLS, value=summary.prescriptions_asked)
    count(Metric.SUBMISSIONS_RELEASED_BY_POLLING, value=summary.released_by_polling)
    count(Metric.STALE_SUBMISSIONS, value=summary.stale)
    result = {
        'asked': summary.asked,
        'repaired': summary.repaired,
        'failed': summary.failed,
        'prescriptionsAsked': summary.prescriptions_asked,
        'releasedByPolling': summary.released_by_polling,
        'stale': summary.stale,
    }
    logger.info('reconciliation run', extra=result)
    return result
