"""Test environment: the settings every test tier runs with (the layer reads them on first use)."""

import os

TEST_ENV = {
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_REGION': 'us-east-1',
    'AWS_ACCESS_KEY_ID': 'testing',
    'AWS_SECRET_ACCESS_KEY': 'testing',
    'AWS_SESSION_TOKEN': 'testing',
    'API_CLIENTS_TABLE': 'test-api-clients',
    'ROUTING_TABLE': 'test-routing',
    'PHARMACY_CONFIG_TABLE': 'test-pharmacy-config',
    'SUBMISSIONS_TABLE': 'test-submissions',
    'TIMELINE_TABLE': 'test-timeline',
    'PRESCRIPTION_GATES_TABLE': 'test-prescription-gates',
    'PHARMACY_CREDENTIALS_SECRET': 'test/pharmacy-credentials',
    'WEBHOOK_SECRETS_SECRET': 'test/webhook-secrets',
    'CALLBACK_QUEUE_URL': 'https://sqs.us-east-1.amazonaws.com/123456789012/test-callbacks',
    'CALLBACK_MAX_ATTEMPTS': '3',
    'CALLBACK_RETRY_SCHEDULE': '30,120',
    'POWERTOOLS_SERVICE_NAME': 'pharmacy-router',
    'POWERTOOLS_DEV': 'false',
}
for _name, _value in TEST_ENV.items():
    os.environ[_name] = _value
os.environ.pop('AWS_ENDPOINT_URL', None)
os.environ.pop('AWS_PROFILE', None)
os.environ.pop('CALLBACK_ALLOW_LOOPBACK', None)
