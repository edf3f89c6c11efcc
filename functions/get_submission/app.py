from rx_router import lifecycle
from rx_router.api.endpoint import http_endpoint
from rx_router.auth import verify_request
from rx_router.service.get_submission import get_submission

lifecycle.init('dynamodb')
lambda_handler = http_endpoint(get_submission, authenticate=verify_request)
