from rx_router.api.custom_resource import custom_resource
from rx_router.service.seed import seed

lambda_handler = custom_resource(seed)
