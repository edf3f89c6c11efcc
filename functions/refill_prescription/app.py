from rx_router import lifecycle
from rx_router.api.endpoint import http_endpoint
from rx_router.auth import verify_request
from rx_router.pharmacy_types import registry
from rx_router.service.refill import refill_prescription

lifecycle.init('dynamodb', 'sqs', 'secretsmanager', pharmacy_http=True, types=tuple(registry.names()))
lambda_handler = http_endpoint(refill_prescription, authenticate=verify_request)
