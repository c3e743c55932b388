"""The double check's agreement rule: within half a display unit, both figures named."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.double_check import (
    DoubleCheckFigures,
    double_check_mismatches,
    parse_double_check,
)
from ketalog.domain.errors import ValidationError
from ketalog.domain.values import format_decimal

totals = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(1000), places=4)
rates = st.decimals(min_value=Decimal(1), max_value=Decimal(2000), places=4)


@given(totals, rates)
def test_the_figures_as_displayed_always_agree(total: Decimal, rate: Decimal) -> None:
    """A nurse who rounds the way the screen does (0.1 mg, 1 mL/h) always agrees."""
    typed = parse_double_check(format_decimal(total, 1), format_decimal(rate, 0),
                               needs_rate=True)
    assert double_check_mismatches(DoubleCheckFigures(total, rate), typed) == []


@given(totals, rates, st.sampled_from([Decimal("0.1"), Decimal("-0.1"), Decimal(1),
                                       Decimal(10), Decimal(-10)]))
def test_a_slip_of_a_tenth_of_a_milligram_or_more_is_caught(
        total: Decimal, rate: Decimal, slip: Decimal) -> None:
    rounded = Decimal(format_decimal(total, 1))
    typed = rounded + slip
    if typed <= 0 or abs(typed - total) <= Decimal("0.05"):
        return  # rounding the other way, e.g. 35.15 typed as 35.1
    shown_rate = Decimal(format_decimal(rate, 0))
    [mismatch] = double_check_mismatches(DoubleCheckFigures(total, rate),
                                         DoubleCheckFigures(typed, shown_rate))
    assert mismatch.startswith(f"total dose: you worked out {typed:f} mg")
    assert f"the prepared dose is {format_decimal(total, 1)} mg" in mismatch


def test_a_half_way_figure_rounded_either_way_agrees() -> None:
    prepared = DoubleCheckFigures(Decimal("35.15"), Decimal("333.3333"))
    for total, rate in (("35.1", "333"), ("35.2", "333.5"), ("35.15", "333.33")):
        typed = parse_double_check(total, rate, needs_rate=True)
        assert double_check_mismatches(prepared, typed) == [], (total, rate)
    typed = parse_double_check("35.0", "334", needs_rate=True)
    assert double_check_mismatches(prepared, typed) == [
        "total dose: you worked out 35.0 mg, the prepared dose is 35.2 mg",
        "pump rate: you worked out 334 mL/h, the prepared rate is 333 mL/h"]


@pytest.mark.parametrize(("total", "rate", "message"), [
    ("", "150", "Your total dose (mg) is missing; work the dose out and type it."),
    ("40", "", "Your pump rate (mL/h) is missing; work the rate out and type it."),
    ("0", "150", "Your total dose (mg) must be above zero."),
    ("40", "-1", "Your pump rate (mL/h) must be above zero."),
    ("forty", "150", 'Your total dose (mg) must be a number, not "forty".'),
    ("40.123", "150", "Your total dose (mg) has more decimal places than a dose needs "
                      "(at most 2)."),
])
def test_bad_figures_are_refused_one_message_each(total: str, rate: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_double_check(total, rate, needs_rate=True)
    assert refused.value.messages == [message]


def test_a_dose_without_a_pump_needs_no_rate() -> None:
    assert parse_double_check("56", None, needs_rate=False) == DoubleCheckFigures(Decimal(56))
