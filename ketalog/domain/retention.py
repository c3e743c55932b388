"""How long controlled-substance records are kept, and what that forbids.

21 CFR 1304.04(a) asks every record of a controlled substance to be kept at least
two years from the day it was made; several states ask longer, so the clinic sets
the years (``record_retention_years``, never under two). ketalog itself never
deletes a line of its books (the database refuses it); this rule is what any
removal -- an archive job, a clean-up by hand -- must ask first, and what the
printed books state.
"""

from __future__ import annotations

from datetime import date

from ketalog.domain.clinic_settings import MIN_RETENTION_YEARS


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one: the next day
        return date(day.year + years, 3, 1)


def kept_until(recorded: date, years: int) -> date:
    """The first day a record made on ``recorded`` may be removed."""
    return _years_later(recorded, max(years, MIN_RETENTION_YEARS))


def removal_problem(recorded: date, today: date, years: int) -> str | None:
    """Why a record made on ``recorded`` may not be removed ``today``; None when it may."""
    until = kept_until(recorded, years)
    if today < until:
        return (f"A controlled-substance record of {recorded.isoformat()} must be kept "
                f"until {until.isoformat()} ({max(years, MIN_RETENTION_YEARS)} years, the "
                "clinic's retention setting); nothing was removed.")
    return None


def retention_statement(years: int) -> str:
    """The line the printed books carry about their keeping."""
    return (f"Kept at least {max(years, MIN_RETENTION_YEARS)} years from each entry "
            "(clinic setting; 21 CFR 1304.04). ketalog never deletes an entry: "
            "corrections are reversing entries.")
