from rx_router import lifecycle
from rx_router.service.beluga_webhook import webhook_handler

lifecycle.init('dynamodb', 'sqs', 'secretsmanager')
lambda_handler = webhook_handler()
