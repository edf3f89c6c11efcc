"""Test environment: the settings every test tier runs with (the layer reads them on first use)."""

import os
import tempfile
from pathlib import Path

from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

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

# Property tests (hypothesis). `ci` (the default) is bounded and reproducible: a fixed number of examples
# from a fixed seed, no example database. HYPOTHESIS_PROFILE=thorough runs 10 times as many examples from fresh
# random seeds, for hunting locally. Hypothesis keeps its caches outside the checkout.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / 'pharmacy-router-hypothesis'))
hypothesis_settings.register_profile('ci', max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile('thorough', max_examples=1000, deadline=None, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))
