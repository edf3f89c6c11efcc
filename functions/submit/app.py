from rx_router.api.endpoint import http_endpoint
from rx_router.auth import verify_request
from rx_router.service.submit import submit_prescription

lambda_handler = http_endpoint(submit_prescription, authenticate=verify_request)
