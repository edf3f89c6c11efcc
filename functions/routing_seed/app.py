from typing import Any

from rx_router.observability import logger
from rx_router.service.seed_routes import handle


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    handle(event)
