"""The chain's fast RFC 8785 writer gives the `rfc8785` library's bytes for every JSON value."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstore.chain import jcs

SCALARS = (st.none() | st.booleans() | st.integers(min_value=1 - 2**53, max_value=2**53 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@settings(max_examples=500)
@given(VALUES)
def test_fast_canonical_json_equals_rfc8785(value: Any) -> None:
    assert jcs(value) == rfc8785.dumps(value)


def test_doubles_and_strings_that_json_writers_disagree_on() -> None:
    for value in (2.0, -0.0, 1e16, 1e20, 1e21, 1.5e-7, 0.000015, 2500000000000000.0, 5e-324,
                  "\\x01\\u2028é😀", {"é": 1, "z": 2, "a": [1.0, {"b": None}]}, "\\ud800"):
        assert jcs(value) == rfc8785.dumps(value), value
