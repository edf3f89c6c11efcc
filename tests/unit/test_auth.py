from datetime import UTC, datetime, timedelta

import pytest

from rx_router import auth, signing
from rx_router.api.request import ApiRequest
from rx_router.errors import Unauthorized
from rx_router.store.clients import ApiClient

CLIENT = ApiClient(id='client-1', name='acme', api_key='rxk_acme', secrets=['new-secret', 'old-secret'])
NOW = datetime(2026, 3, 19, 14, 30, tzinfo=UTC)


def request(body: bytes, timestamp: str, signature: str, api_key: str = 'rxk_acme') -> ApiRequest:
    headers = {'x-api-key': api_key, 'x-timestamp': timestamp, 'x-signature': signature}
    return ApiRequest(headers=headers, raw_body=body)


@pytest.fixture(autouse=True)
def known_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, 'find_active_client', lambda key: CLIENT if key == 'rxk_acme' else None)
    monkeypatch.setattr(auth, 'recheck_client', lambda key: None)  # the stored record is the cached one
    monkeypatch.setattr(auth, 'utc_now', lambda: NOW)


def iso(delta_seconds: int) -> str:
    return (NOW + timedelta(seconds=delta_seconds)).isoformat().replace('+00:00', 'Z')


def test_known_answer_vector() -> None:
    # printf '%s' '2026-03-19T14:30:00.000Z.{}' | openssl dgst -sha256 -hmac secret
    expected = 'c8c077deb63a33381613c9cf84f5d9929fee8fa108f5f61a0708293157c5a995'
    assert signing.signature('secret', '2026-03-19T14:30:00.000Z', b'{}') == expected


def test_valid_signature_with_either_active_secret() -> None:
    body = b'{"a":1}'
    for secret in CLIENT.secrets:
        ts = iso(0)
        assert auth.verify_request(request(body, ts, signing.signature(secret, ts, body))) is CLIENT


def test_uppercase_hex_signature_is_accepted() -> None:
    ts, body = iso(0), b'{"a":1}'
    assert auth.verify_request(request(body, ts, signing.signature('new-secret', ts, body).upper())) is CLIENT


@pytest.mark.parametrize('skew', [-300, 299, 300])
def test_timestamps_within_five_minutes_pass(skew: int) -> None:
    ts, body = iso(skew), b'{}'
    auth.verify_request(request(body, ts, signing.signature('new-secret', ts, body)))


@pytest.mark.parametrize('skew', [-301, 301, -86_400])
def test_timestamps_older_or_ahead_are_rejected(skew: int) -> None:
    ts, body = iso(skew), b'{}'
    with pytest.raises(Unauthorized) as err:
        auth.verify_request(request(body, ts, signing.signature('new-secret', ts, body)))
    assert err.value.body() == {'error': 'Invalid signature'}


@pytest.mark.parametrize('timestamp', ['yesterday', '2026-03-19T14:30:00', '1773930600'])
def test_unparseable_or_zoneless_timestamps_are_rejected(timestamp: str) -> None:
    with pytest.raises(Unauthorized):
        auth.verify_request(request(b'{}', timestamp, signing.signature('new-secret', timestamp, b'{}')))


def test_one_bit_flip_in_body_is_rejected() -> None:
    ts, body = iso(0), b'{"quantity":1}'
    sig = signing.signature('new-secret', ts, body)
    flipped = bytes([body[0]]) + bytes([body[1] ^ 0x01]) + body[2:]
    with pytest.raises(Unauthorized):
        auth.verify_request(request(flipped, ts, sig))


def test_signature_is_over_raw_bytes_not_a_reserialisation() -> None:
    ts = iso(0)
    sent = b'{ "a" : 1 }'
    with pytest.raises(Unauthorized):
        auth.verify_request(request(sent, ts, signing.signature('new-secret', ts, b'{"a":1}')))
    assert auth.verify_request(request(sent, ts, signing.signature('new-secret', ts, sent))) is CLIENT


def test_empty_body_is_signed_as_empty_object() -> None:
    ts = iso(0)
    assert auth.verify_request(request(b'', ts, signing.signature('new-secret', ts, b'{}'))) is CLIENT


@pytest.mark.parametrize('missing', ['x-api-key', 'x-timestamp', 'x-signature'])
def test_missing_headers_are_rejected_the_same_way(missing: str) -> None:
    ts = iso(0)
    req = request(b'{}', ts, signing.signature('new-secret', ts, b'{}'))
    headers = {k: v for k, v in req.headers.items() if k != missing}
    with pytest.raises(Unauthorized) as err:
        auth.verify_request(ApiRequest(headers, b'{}'))
    assert err.value.body() == {'error': 'Invalid signature'}


def test_unknown_key_and_wrong_secret_look_identical() -> None:
    ts = iso(0)
    errors = []
    for key, secret in (('rxk_unknown', 'new-secret'), ('rxk_acme', 'retired-secret')):
        with pytest.raises(Unauthorized) as err:
            auth.verify_request(request(b'{}', ts, signing.signature(secret, ts, b'{}'), api_key=key))
        errors.append(err.value.body())
    assert errors[0] == errors[1] == {'error': 'Invalid signature'}
