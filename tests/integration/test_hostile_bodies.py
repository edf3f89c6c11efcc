"""Hostile bodies through every route that reads one, signed or authenticated as the route requires: a 400 with
the spec's error shape before any work is done, never a 500 (api/request.py json_body is the one parser)."""

import json
from typing import Any

import pytest

from functions.boothwyn_b2b_webhook.app import lambda_handler as boothwyn_hook
from functions.refill_prescription.app import lambda_handler as refill_handler
from functions.rxvortex_webhook.app import lambda_handler as strive_hook
from functions.submit.app import lambda_handler as submit_handler
from tests.fake_pharmacies import FakePharmacies
from tests.support import Credentials, LambdaContext, action_event, load_event, signed_headers, submission, submit_event

HOSTILE = {
    'nested 50,000 deep': '[' * 50_000 + ']' * 50_000,
    'objects nested 5,000 deep': '{"a":' * 5_000 + '1' + '}' * 5_000,
    'lone surrogate': '{"source":"\\ud800"}',
    'NaN': '{"source":NaN}',
}


def via_submit(creds: Credentials, raw: str) -> dict[str, Any]:
    return dict(submit_handler(submit_event(creds, raw), LambdaContext()))


def via_refill(creds: Credentials, raw: str) -> dict[str, Any]:
    event = action_event(creds, 'refill', '00000000-0000-4000-8000-000000000000')
    event['body'], event['headers'] = raw, signed_headers(creds, raw)
    return dict(refill_handler(event, LambdaContext()))


def via_webhook(name: str, handler: Any) -> Any:
    def send(creds: Credentials, raw: str) -> dict[str, Any]:
        event = load_event(f'{name}_webhook')
        event['body'] = raw
        return dict(handler(event, LambdaContext()))

    return send


ROUTES = {
    'submit': via_submit,
    'refill': via_refill,
    'strive webhook': via_webhook('strive', strive_hook),
    'boothwyn webhook': via_webhook('boothwyn', boothwyn_hook),
}


@pytest.mark.parametrize('route', sorted(ROUTES))
@pytest.mark.parametrize('body', sorted(HOSTILE))
def test_hostile_bodies_are_400_on_every_route(creds: Credentials, pharmacies: FakePharmacies, route: str, body: str) -> None:
    response = ROUTES[route](creds, HOSTILE[body])
    assert response['statusCode'] == 400, response['body']
    assert set(json.loads(response['body'])) == {'error'}
    assert pharmacies.calls == []


@pytest.mark.parametrize(
    ('field', 'value'),
    [('source', 'a\x1fb'), ('sourceOrderId', 'ord\x1fc'), ('sourceOrderId', 'line\nbreak'), ('source', 'nul\x00')],
)
def test_identifiers_with_control_characters_are_refused(
    creds: Credentials, pharmacies: FakePharmacies, field: str, value: str
) -> None:
    """So no two (source, sourceOrderId) pairs can share a deduplication key."""
    response = via_submit(creds, json.dumps(submission(**{field: value})))
    assert response['statusCode'] == 400
    details = json.loads(response['body'])['details']['fieldErrors']
    assert details == {field: ['Must not contain control characters']}
    assert value not in response['body']
    assert pharmacies.calls == []


@pytest.mark.parametrize(
    'url', ['https://exa\x00mple.com/cb', 'https://example.com/c\x00b', 'https://example.com/cb\x7f', 'https://ex\tample.com/']
)
def test_callback_urls_with_control_characters_are_refused(creds: Credentials, pharmacies: FakePharmacies, url: str) -> None:
    response = via_submit(creds, json.dumps(submission(callbackUrl=url)))
    assert response['statusCode'] == 400
    details = json.loads(response['body'])['details']['fieldErrors']
    assert list(details) == ['callbackUrl']
    assert 'example' not in response['body']
    assert pharmacies.calls == []
