from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.web.strict_json import MAX_JSON_DEPTH, NonFiniteNumber, json_depth, loads_strict


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", "[1, -1e400]"])
def test_loads_strict_refuses_non_finite(text: str) -> None:
    with pytest.raises(NonFiniteNumber):
        loads_strict(text.encode())


# Text a database can store: no NUL, no half surrogate pairs (those are refused; see below).
STORABLE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(STORABLE, max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(STORABLE, max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_loads_strict_reads_every_finite_document(value: object) -> None:
    parsed = loads_strict(json.dumps(value).encode())
    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value))


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "a\\u0000b"}',  # PostgreSQL cannot store NUL in text
        '{"tags": ["ok", "\\ud800"]}',  # half a surrogate pair is not encodable text
        '{"\\u0000": 1}',
    ],
)
def test_loads_strict_refuses_text_no_database_can_store(text: str) -> None:
    with pytest.raises(NonFiniteNumber):
        loads_strict(text.encode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\xed\xa0\x80"}',  # half a surrogate pair written raw (CESU-8 style)
        '{"name": "a\\u0000b"}'.encode("utf-16-le"),  # escapes in a UTF-16 body
        '{"name": "\ud800"}'.encode("utf-16-le", "surrogatepass"),  # raw in UTF-16
        '{"name": "\ud800"}'.encode("utf-32", "surrogatepass"),
    ],
)
def test_loads_strict_refuses_bad_text_in_any_encoding_json_accepts(body: bytes) -> None:
    with pytest.raises(NonFiniteNumber):
        loads_strict(body)


def test_loads_strict_keeps_real_text_with_escapes() -> None:
    assert loads_strict(b'{"name": "caf\\u00e9 \\ud83d\\udeb2 \\\\u0000"}') == {
        "name": "café 🚲 \\u0000"
    }


@given(JSON_VALUES)
def test_json_depth_is_the_nesting_of_the_parsed_value(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert json_depth(text.encode()) == _depth(value)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.mark.parametrize(
    "body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 33 + b"1" + b"}" * 33]
)
def test_loads_strict_refuses_json_nested_too_deep(body: bytes) -> None:
    with pytest.raises(
        NonFiniteNumber, match=f"expected JSON nested at most {MAX_JSON_DEPTH} deep"
    ):
        loads_strict(body)
    assert loads_strict(b'{"a":' * 32 + b'"]]]]"' + b"}" * 32) is not None  # the limit itself
