from rx_router import lifecycle
from rx_router.pharmacy_types import registry
from rx_router.service.beluga_webhook import webhook_handler

# A released prescription is sent to its pharmacy in this function's request, as a submit is: the pharmacy HTTP client
# and every type's module are built here, at init, not on the first release.
lifecycle.init('dynamodb', 'sqs', 'secretsmanager', pharmacy_http=True, types=tuple(registry.names()))
lambda_handler = webhook_handler()
