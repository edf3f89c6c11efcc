from rx_router import lifecycle
from rx_router.api.endpoint import http_endpoint
from rx_router.auth import verify_request
from rx_router.service.tracking import get_tracking

lifecycle.init('dynamodb')
lambda_handler = http_endpoint(get_tracking, authenticate=verify_request)
