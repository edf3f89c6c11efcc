from rx_router import lifecycle
from rx_router.service.instance_webhook import instance_webhook_handler

lifecycle.init('dynamodb', 'sqs', 'secretsmanager')
lambda_handler = instance_webhook_handler('own')
