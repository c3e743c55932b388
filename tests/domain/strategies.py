"""Hypothesis strategies shared by the domain tests: anything a user or file might send."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

#: Texts that have broken number parsers elsewhere, plus what nurses really type.
ODD_TEXTS = ("", "  ", "abc", "0,5", "1e400", "1E+999999999999999999", "1E-999999999999999999",
             "-0", "-1", "0", "nan", "-inf", "sNaN", "١٢")


def junk(*samples: str) -> SearchStrategy[object]:
    """Any odd value: None, bools, huge ints, NaN, infinities, text, containers, bytes."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.builds(lambda n: 10**n, st.integers(4400, 4500)),  # past Python's repr limit
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(ODD_TEXTS + samples),
        st.lists(st.integers(-5, 50), max_size=4),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        st.binary(max_size=4),
    )
