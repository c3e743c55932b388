"""The retention rule: nothing younger than the clinic's years (never under two) goes."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.retention import kept_until, removal_problem, retention_statement


def test_two_years_to_the_day() -> None:
    recorded = date(2026, 12, 4)
    assert removal_problem(recorded, date(2028, 12, 3), 2) is not None
    assert "must be kept until 2028-12-04" in (removal_problem(recorded, date(2028, 12, 3), 2)
                                               or "")
    assert removal_problem(recorded, date(2028, 12, 4), 2) is None


def test_a_setting_under_two_years_still_keeps_two() -> None:
    assert kept_until(date(2026, 1, 1), 1) == date(2028, 1, 1)
    assert kept_until(date(2026, 1, 1), 0) == date(2028, 1, 1)
    assert "at least 2 years" in retention_statement(1)


def test_a_state_asking_five_years() -> None:
    assert removal_problem(date(2026, 1, 1), date(2029, 6, 1), 5) is not None
    assert removal_problem(date(2026, 1, 1), date(2031, 1, 1), 5) is None


def test_the_29th_of_february() -> None:
    assert kept_until(date(2028, 2, 29), 2) == date(2030, 3, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=30000))
def test_nothing_younger_than_the_setting_is_ever_removable(recorded: date, years: int,
                                                            age_days: int) -> None:
    today = recorded + timedelta(days=age_days)
    kept = max(years, 2)
    assert (removal_problem(recorded, today, years) is None) == (
        today >= kept_until(recorded, years))
    assert kept_until(recorded, years) > recorded + timedelta(days=365 * kept - 1)
