from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.web.strict_json import NonFiniteNumber, loads_strict


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", "[1, -1e400]"])
def test_loads_strict_refuses_non_finite(text: str) -> None:
    with pytest.raises(NonFiniteNumber):
        loads_strict(text.encode())


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_loads_strict_reads_every_finite_document(value: object) -> None:
    import json

    parsed = loads_strict(json.dumps(value).encode())
    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value))
