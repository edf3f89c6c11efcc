from rx_router.service.webhook import webhook_handler

lambda_handler = webhook_handler('boothwyn_b2b')
