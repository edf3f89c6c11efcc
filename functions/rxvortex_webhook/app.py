from rx_router import lifecycle
from rx_router.service.webhook import webhook_handler

lifecycle.init()
lambda_handler = webhook_handler('rxvortex')
