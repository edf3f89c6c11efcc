from typing import Any

from rx_router import business_metrics, lifecycle
from rx_router.observability import logger
from rx_router.service.send_callbacks import send_batch

lifecycle.init('dynamodb', 'sqs', callback_http=True)


@business_metrics.flushed
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return send_batch(event, context)
