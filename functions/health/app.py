from rx_router.api.endpoint import http_endpoint
from rx_router.service.health import health

lambda_handler = http_endpoint(health, authenticate=None)
