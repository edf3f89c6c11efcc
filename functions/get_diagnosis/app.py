from rx_router import lifecycle
from rx_router.api.endpoint import http_endpoint
from rx_router.auth import verify_request
from rx_router.service.diagnosis import get_diagnosis

lifecycle.init('dynamodb')
lambda_handler = http_endpoint(get_diagnosis, authenticate=verify_request)
