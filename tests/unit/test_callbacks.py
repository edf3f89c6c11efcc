import json
import random
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from rx_router import http_clients
from rx_router.callbacks import delivery, payloads, retry
from rx_router.callbacks.url_safety import CheckedUrl
from tests.support import ROOT

PAYLOAD = {
    'submissionId': 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
    'sourceOrderId': 'ord_ñandú-東京-🚚',
    'pharmacy': 'boothwyn',
    'status': 'shipped',
    'pharmacyOrderId': 'case-uuid-here',
    'trackingNumber': '794644790132',
    'carrier': 'FedEx',
}


def test_serialisation_is_what_json_stringify_writes() -> None:
    body = payloads.serialise({**PAYLOAD, 'n': 1.0, 'x': 2.5, 'z': None, 'list': [3.0, 'é']})
    text = body.decode('utf-8')
    assert text.startswith('{"submissionId":"a1b2c3d4')
    assert '"n":1,' in text and '"x":2.5' in text and '"list":[3,"é"]' in text and '"z":null' in text
    assert 'ñandú-東京-🚚' in text and '\\u' not in text and ' ' not in text.replace('ñandú', '')


def test_event_id_is_stable_per_submission_and_status() -> None:
    a = payloads.event_id('sub-1', 'shipped')
    assert a == payloads.event_id('sub-1', 'shipped')
    assert a != payloads.event_id('sub-1', 'delivered') != payloads.event_id('sub-2', 'shipped')


@pytest.mark.parametrize('payload', [PAYLOAD, {**PAYLOAD, 'status': 'submitted', 'error': None, 'count': 3, 'ratio': 0.25}])
def test_spec_node_verifier_accepts_our_signed_bytes(payload: dict, tmp_path: Path) -> None:
    if shutil.which('node') is None:
        pytest.fail('Node.js is required (the spec’s verifier is Node)')
    body = payloads.serialise(payload)
    headers = delivery.signed_headers('client-secret-ü', body, payloads.event_id('s', 'shipped'))
    file = tmp_path / 'callback.json'
    file.write_text(json.dumps({'headers': headers, 'body': body.decode('utf-8')}, ensure_ascii=False), encoding='utf-8')
    verify = ['node', str(ROOT / 'tests/node/verify_callback.mjs')]
    assert subprocess.run([*verify, 'client-secret-ü', str(file)], capture_output=True, text=True, check=True).stdout == 'true'
    assert subprocess.run([*verify, 'other-secret', str(file)], capture_output=True, text=True, check=True).stdout == 'false'


def test_retry_delays_follow_the_schedule_with_bounded_jitter() -> None:
    schedule = (30, 120, 600)
    rng = random.Random(7)
    for attempt, base in ((1, 30), (2, 120), (3, 600), (9, 600)):
        for _ in range(50):
            assert base * 0.8 - 1 <= retry.delay_after(attempt, schedule, rng) <= base * 1.2 + 1
    assert retry.delay_after(1, (100_000,)) == retry.MAX_VISIBILITY_SECONDS


CHECKED = CheckedUrl(scheme='https', host='hooks.example', port=443, target='/rx?k=1', addresses=['93.184.215.14'])


def deliver_with(handler: object, checked: CheckedUrl = CHECKED) -> tuple[delivery.Attempt, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)  # type: ignore[operator]

    http_clients._clients['callbacks'] = httpx.Client(transport=httpx.MockTransport(record), follow_redirects=False)
    try:
        return delivery.post(checked, b'{}', {'x-signature': 's'}), seen
    finally:
        http_clients._clients.clear()


def test_post_goes_to_the_checked_address_with_the_original_host() -> None:
    attempt, [request] = deliver_with(lambda r: httpx.Response(204))
    assert attempt == delivery.Attempt(True, 204, None)
    assert str(request.url) == 'https://93.184.215.14/rx?k=1'
    assert request.headers['host'] == 'hooks.example'
    assert request.extensions['sni_hostname'] == 'hooks.example'


@pytest.mark.parametrize(
    ('status', 'delivered'), [(200, True), (202, True), (301, False), (302, False), (410, False), (500, False)]
)
def test_only_2xx_counts_and_redirects_are_not_followed(status: int, delivered: bool) -> None:
    attempt, seen = deliver_with(lambda r: httpx.Response(status, headers={'location': 'https://elsewhere.example/'}))
    assert attempt.delivered is delivered
    assert len(seen) == 1


def test_timeouts_and_connection_errors_are_failures() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout('slow', request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError('refused', request=request)

    assert deliver_with(timeout)[0] == delivery.Attempt(False, None, 'timeout after 15 s')
    assert deliver_with(refused)[0] == delivery.Attempt(False, None, 'connection failed (ConnectError)')


DUAL = CheckedUrl(
    scheme='https',
    host='hooks.example',
    port=443,
    target='/rx',
    addresses=['2606:2800:21f:cb07::1', '93.184.215.14', '2606:2800:21f:cb07::2', '93.184.215.15', '93.184.215.16'],
)


def test_an_unreachable_address_is_followed_by_the_next_checked_one() -> None:
    def first_unreachable(request: httpx.Request) -> httpx.Response:
        if request.url.host == '2606:2800:21f:cb07::1':
            raise httpx.ConnectError('network unreachable', request=request)
        return httpx.Response(204)

    attempt, seen = deliver_with(first_unreachable, DUAL)
    assert attempt == delivery.Attempt(True, 204, None)
    assert [r.url.host for r in seen] == ['2606:2800:21f:cb07::1', '93.184.215.14']
    assert {r.headers['host'] for r in seen} == {'hooks.example'}


def test_after_a_connection_the_outcome_stands_and_at_most_four_addresses_are_tried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout('slow', request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError('refused', request=request)

    attempt, seen = deliver_with(slow, DUAL)  # the receiver may have it: not sent again to another address now
    assert (attempt, len(seen)) == (delivery.Attempt(False, None, 'timeout after 15 s'), 1)
    attempt, seen = deliver_with(refused, DUAL)
    assert attempt == delivery.Attempt(False, None, 'connection failed (ConnectError)')
    assert [r.url.host for r in seen] == DUAL.addresses[: delivery.MAX_ADDRESSES]
