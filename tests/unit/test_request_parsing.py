"""Every body is parsed in one place (api/request.py json_body): hostile or unusual bodies are a 400 saying what is
wrong, never an unhandled exception, whatever their depth, encoding or escapes."""

import json
from typing import Any

import pytest

from rx_router.api.request import MAX_DEPTH, json_body
from rx_router.errors import BadRequest, PayloadTooLarge


def nested(depth: int) -> bytes:
    return b'[' * depth + b']' * depth


@pytest.mark.parametrize(
    ('raw', 'message'),
    [
        (nested(50_000), f'Request body is nested more than {MAX_DEPTH} levels deep'),  # the recursion error case
        (b'{"a":' * 5_000 + b'1' + b'}' * 5_000, f'Request body is nested more than {MAX_DEPTH} levels deep'),
        (nested(MAX_DEPTH + 1), f'Request body is nested more than {MAX_DEPTH} levels deep'),
        (b'\xef\xbb\xbf{"a":1}', 'Request body must be UTF-8 JSON without a byte-order mark'),
        ('{"a":"é"}'.encode('utf-16'), 'Request body must be UTF-8 encoded JSON'),
        ('{"a":"é"}'.encode('utf-16-le'), 'Request body must be UTF-8 encoded JSON'),
        (b'{"a":"\xff"}', 'Request body must be UTF-8 encoded JSON'),
        (b'{"a":NaN}', 'Request body is not valid JSON'),
        (b'{"a":-Infinity}', 'Request body is not valid JSON'),
        (b'{"a":"\\ud800"}', 'Request body contains an invalid \\u escape (a lone surrogate)'),
        (b'{"\\udfff":1}', 'Request body contains an invalid \\u escape (a lone surrogate)'),
        (b'[[[["\\ud83d"]]]]', 'Request body contains an invalid \\u escape (a lone surrogate)'),
        (b'{"a":1', 'Request body is not valid JSON'),
        (b'', 'Request body is not valid JSON'),
    ],
)
def test_hostile_bodies_are_400_with_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as err:
        json_body(raw)
    assert err.value.status == 400
    assert err.value.message == message


@pytest.mark.parametrize(
    'document',
    [
        json.loads(nested(MAX_DEPTH)),
        {'name': 'Zoë 😀 Ёж'},
        [1, 2.5, None, True, 'x'],
    ],
)
def test_well_formed_bodies_parse(document: Any) -> None:
    assert json_body(json.dumps(document, ensure_ascii=False).encode('utf-8')) == document
    assert json_body(json.dumps(document, ensure_ascii=True).encode('utf-8')) == document


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    assert json_body(b'{"pair":"\\ud83d\\ude00"}') == {'pair': '😀'}


def test_the_size_limit_comes_first() -> None:
    with pytest.raises(PayloadTooLarge):
        json_body(nested(200_000))
