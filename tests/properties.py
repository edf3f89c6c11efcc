"""What the property tests share: hypothesis strategies for hostile request bodies (JSON of any shape and depth,
encoded any way; valid bodies with one field replaced) and the submission they start from. Every generated string
carries MARKER, so a test can prove no error body echoes it (the stand-in for patient data: error messages name
fields, never values)."""

import copy
import json
import math
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from rx_router.api.request import MAX_DEPTH
from rx_router.validation.prescription import PrescriptionSubmission
from tests.support import submission

MARKER = 'Zq9PHI'
BOM = b'\xef\xbb\xbf'

# Every message json_body refuses a body with (api/request.py); a refusal must be one of them.
PARSER_MESSAGES = frozenset(
    {
        'Request body must be UTF-8 JSON without a byte-order mark',
        'Request body must be UTF-8 encoded JSON',
        f'Request body is nested more than {MAX_DEPTH} levels deep',
        'Request body is not valid JSON',
        'Request body contains an invalid \\u escape (a lone surrogate)',
    }
)

# Any code point, lone surrogates and control characters included; the awkward ones also on purpose (a random
# code point is rarely a surrogate). '\ud83d\ude00' is a surrogate pair as two code points.
_characters = st.characters(exclude_categories=())
_awkward = st.sampled_from(['', '\ud800', '\udfff', '\ud83d\ude00', '\x00', '\x1f', '\u2028', '\\', '"', 'é', '😀', ' '])
marked_texts = st.tuples(st.text(_characters, max_size=8), _awkward, st.text(_characters, max_size=8)).map(
    lambda parts: parts[0] + parts[1] + MARKER + parts[2]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()  # NaN and ±Infinity too: json.dumps writes them as NaN / Infinity, which JSON is not
    | marked_texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(marked_texts, children, max_size=4),
    max_leaves=20,
)
# A value for one field: json_values alone is mostly arrays, so strings (the values a field could echo) and other
# scalars are drawn on their own too.
field_values = st.one_of(marked_texts, scalars, json_values)


def depth(value: Any) -> int:
    """Containers nested in a value (a scalar: 0; `[]`: 1), the measure json_body limits to MAX_DEPTH."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def is_plain(value: Any) -> bool:
    """Whether json.dumps writes the value as RFC 8259 JSON that decodes to an equal value: no NaN / Infinity,
    no surrogate code points (a high and a low one side by side would come back as one character)."""
    floats_finite = all(math.isfinite(v) for v in _floats(value))
    return floats_finite and not any(0xD800 <= ord(c) <= 0xDFFF for s in strings(value) for c in s)


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _floats(item)


@st.composite
def nested(draw: st.DrawFn, inner: st.SearchStrategy[Any] = json_values) -> Any:
    """A JSON value wrapped in 0..MAX_DEPTH+8 arrays / objects, so bodies on both sides of the limit come up."""
    value = draw(inner)
    levels = draw(st.sampled_from([0, 1, 2, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 8]))
    key, arrays_every = draw(marked_texts), draw(st.integers(1, 3))  # few draws: deep bodies stay cheap to generate
    for level in range(levels):
        value = [value] if level % arrays_every == 0 else {key: value}
    return value


@dataclass(frozen=True)
class Body:
    """Raw request bytes and how they were made (what a test can expect of them)."""

    raw: bytes
    value: Any
    how: str  # 'utf-8' (plain JSON as a client should send it), another encoding, or a corruption of the bytes

    @property
    def clean(self) -> bool:
        """RFC 8259 JSON in UTF-8 of a value the parser must return as it is (when within the depth limit)."""
        return self.how == 'utf-8' and is_plain(self.value)


_ENCODINGS = ('utf-8', 'utf-8 with BOM', 'utf-16', 'utf-16-be', 'utf-32', 'latin-1', 'cp1252')


@st.composite
def bodies(draw: st.DrawFn) -> Body:
    value = draw(nested())
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    how = draw(st.sampled_from((*_ENCODINGS, 'truncated', 'byte replaced', 'huge number', 'random bytes')))
    if how == 'utf-8 with BOM':
        raw = BOM + text.encode('utf-8', 'surrogatepass')
    elif how in ('utf-16', 'utf-16-be', 'utf-32', 'latin-1', 'cp1252'):
        raw = text.encode(how, 'replace')
    else:
        raw = text.encode('utf-8', 'surrogatepass')  # a lone surrogate becomes bytes UTF-8 does not allow
    if how == 'truncated':
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif how == 'byte replaced':
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    elif how == 'huge number':  # more digits than Python's int() takes (4300) by default
        raw = b'{"quantity":' + b'9' * draw(st.integers(4000, 6000)) + b'}'
    elif how == 'random bytes':
        raw = draw(st.binary(max_size=64))
    return Body(raw, value, how)


# --- valid bodies with one field replaced -------------------------------------------------------------------


def paths(document: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every field (and array element) of a document, objects included, as key paths."""
    items = document.items() if isinstance(document, dict) else enumerate(document) if isinstance(document, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def dotted(path: tuple[str | int, ...]) -> str:
    """A path as the error bodies name fields: `patient.dob`, `0.rxStatus`."""
    return '.'.join(str(part) for part in path)


def replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


@st.composite
def one_field_replaced(draw: st.DrawFn, document: Any, extra_fields: tuple[tuple[str, ...], ...] = ()) -> tuple[str, Any]:
    """(the field's dotted path, the document with that field given a random value). `extra_fields` are optional
    fields the document lacks (their parent objects present), so they are tried too."""
    path = draw(st.sampled_from(sorted({*paths(document), *extra_fields}, key=dotted)))
    return dotted(path), replaced(document, path, draw(field_values))


# --- the submission every mutation starts from ----------------------------------------------------------------


def wire_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field of a wire model and its nested models, by the names on the wire."""
    for name, info in model.model_fields.items():
        path = (*prefix, info.alias or name)
        yield path
        for nested_model in _models(info.annotation):
            yield from wire_paths(nested_model, path)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


# The spec's example, plus a clinical section, so the mutations reach every nested model.
BASE = submission(
    clinical={'allergies': {'known': True, 'entries': ['penicillin']}, 'conditions': {'known': False}, 'billTo': 'practice'}
)


def _present(document: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(document, dict) or part not in document:
            return False
        document = document[part]
    return True


# Optional fields the example leaves out, where their parent object is there: tried too.
ABSENT_FIELDS = tuple(p for p in wire_paths(PrescriptionSubmission) if _present(BASE, p[:-1]) and not _present(BASE, p))


def assert_names_the_field(field: str, details: dict[str, Any]) -> None:
    """Every error in a validation body's details is about the field: its path or one inside it, or (a rule across
    the fields of one object, e.g. `entries` required when `known`) its object's path with a message naming it."""
    assert details['formErrors'] == [], details
    assert details['fieldErrors'], 'a refusal names the field'
    leaf = field.rsplit('.', 1)[-1]
    for path, messages in details['fieldErrors'].items():
        inside = path == field or path.startswith(field + '.')
        object_rule = field.startswith(path + '.') and all(leaf in message for message in messages)
        assert inside or object_rule, (field, details)
