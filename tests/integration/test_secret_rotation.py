"""Secret rotation takes effect at once: a request signed with a secret rotated a moment ago is accepted (a
signature that does not match the cached client record is checked once more against a fresh read, at most once
per key and second), and callbacks are signed with the current secret. Unknown keys are remembered briefly, so
they cannot each cost a read."""

from collections import Counter
from typing import Any

import botocore.client
import pytest

from functions.get_submission.app import lambda_handler as get_handler
from functions.submit.app import lambda_handler as submit_handler
from rx_router.store import clients
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, get_event, response_json, submission, submit_event


@pytest.fixture
def client_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    reads: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == 'GetItem' and params.get('TableName', '').endswith('api-clients'):
            reads[params['Key']['apiKey']['S']] += 1
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, '_make_api_call', counting)
    return reads


def get(creds: Credentials, submission_id: str) -> int:
    return int(get_handler(get_event(creds, submission_id), LambdaContext())['statusCode'])


def test_a_rotated_secret_is_accepted_at_once_and_the_old_one_still_works(
    creds: Credentials, pharmacies: FakePharmacies, client_reads: Counter[str]
) -> None:
    created = response_json(submit_handler(submit_event(creds, submission()), LambdaContext()))  # record now cached
    rotated = clients.rotate_secret(creds.api_key)  # by an operator, elsewhere: this container's cache is stale
    fresh = Credentials(creds.api_key, rotated.api_secret)
    before = client_reads[creds.api_key]
    assert get(fresh, created['submissionId']) == 200
    assert client_reads[creds.api_key] == before + 1  # one fresh read
    assert get(fresh, created['submissionId']) == 200
    assert get(creds, created['submissionId']) == 200
    assert client_reads[creds.api_key] == before + 1  # the fresh record is cached


def test_wrong_signatures_cost_at_most_one_read_per_key_and_second(
    creds: Credentials, pharmacies: FakePharmacies, client_reads: Counter[str]
) -> None:
    created = response_json(submit_handler(submit_event(creds, submission()), LambdaContext()))
    wrong = Credentials(creds.api_key, 'not-the-secret')
    before = client_reads[creds.api_key]
    assert [get(wrong, created['submissionId']) for _ in range(20)] == [401] * 20
    assert client_reads[creds.api_key] - before <= 1


def test_unknown_keys_are_remembered_briefly(pharmacies: FakePharmacies, client_reads: Counter[str]) -> None:
    unknown = Credentials('rxk_nobody', 'whatever')
    assert [get(unknown, '00000000-0000-4000-8000-000000000000') for _ in range(20)] == [401] * 20
    assert client_reads['rxk_nobody'] == 1
