"""The independent double check of a high-alert dose, as ISMP defines it.

The second nurse works the dose out on their own, from the order and the
weight, without seeing the first nurse's figures, and types their own total
mg (and, for an IV infusion, the pump rate). Only figures that agree with the
prepared dose count as a check; a disagreement is refused with both figures,
so the two nurses find the slip before anything is given.

Figures agree when they differ by no more than half of the unit the dose is
shown in (0.1 mg, 1 mL/h: :mod:`ketalog.domain.dosing`), so a nurse who keeps
one more decimal, or rounds the last one the other way, still agrees, while a
slip of a tenth of a milligram or one mL/h does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.values import decimal_problem, format_decimal

#: Half of each figure's display unit (0.1 mg, 1 mL/h): the most two right answers differ.
TOTAL_MG_TOLERANCE: Final = Decimal("0.05")
RATE_ML_PER_H_TOLERANCE: Final = Decimal("0.5")

#: More decimals than this is a slip, not a calculation (and would not be stored exactly).
MAX_PLACES: Final = 2

TOTAL_LABEL: Final = "Your total dose (mg)"
RATE_LABEL: Final = "Your pump rate (mL/h)"


@dataclass(frozen=True)
class DoubleCheckFigures:
    """A dose's figures as one nurse has them: total mg, and the pump rate of an infusion."""

    total_mg: Decimal
    rate_ml_per_h: Decimal | None = None


def parse_double_check(total_mg: object, rate_ml_per_h: object, *,
                       needs_rate: bool) -> DoubleCheckFigures:
    """The second nurse's typed figures, or every problem with them at once.

    ``needs_rate`` is true when the prepared dose runs on a pump at a rate:
    the rate is then checked as well, as the pump will be programmed with it.
    """
    problems: list[Problem] = []
    total, problem = decimal_problem(total_mg, TOTAL_LABEL, "verifier_total_mg")
    if problem is not None:
        problems.append(Problem(problem.field, problem.message.replace(
            "enter a number.", "work the dose out and type it.")))
    elif total is not None:
        problems.extend(_range_problems(total, TOTAL_LABEL, "verifier_total_mg"))
    rate: Decimal | None = None
    if needs_rate:
        rate, problem = decimal_problem(rate_ml_per_h, RATE_LABEL, "verifier_rate_ml_per_h")
        if problem is not None:
            problems.append(Problem(problem.field, problem.message.replace(
                "enter a number.", "work the rate out and type it.")))
        elif rate is not None:
            problems.extend(_range_problems(rate, RATE_LABEL, "verifier_rate_ml_per_h"))
    if problems:
        raise ValidationError(problems)
    assert total is not None
    return DoubleCheckFigures(total, rate)


def _range_problems(value: Decimal, label: str, field: str) -> list[Problem]:
    if value <= 0:
        return [Problem(field, f"{label} must be above zero.")]
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        return [Problem(field, f"{label} has more decimal places than a dose needs "
                               f"(at most {MAX_PLACES}).")]
    return []


def _shown(value: Decimal, places: int) -> str:
    """A figure as the nurse typed it (at most MAX_PLACES decimals), at least to its unit."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent >= places:
        return f"{value:f}"
    return format_decimal(value, places)


def double_check_mismatches(prepared: DoubleCheckFigures,
                            checked: DoubleCheckFigures) -> list[str]:
    """Each figure where the second nurse disagrees with the prepared dose, with both values.

    Empty when they agree: then the check is independent and matched.
    """
    found: list[str] = []
    if abs(checked.total_mg - prepared.total_mg) > TOTAL_MG_TOLERANCE:
        found.append(f"total dose: you worked out {_shown(checked.total_mg, 1)} mg, "
                     f"the prepared dose is {format_decimal(prepared.total_mg, 1)} mg")
    if prepared.rate_ml_per_h is not None and checked.rate_ml_per_h is not None and (
            abs(checked.rate_ml_per_h - prepared.rate_ml_per_h) > RATE_ML_PER_H_TOLERANCE):
        found.append(f"pump rate: you worked out {_shown(checked.rate_ml_per_h, 0)} mL/h, "
                     f"the prepared rate is {format_decimal(prepared.rate_ml_per_h, 0)} mL/h")
    return found


#: How a mismatch's refusal opens (the dose panel puts the keyboard back in the figures).
MISMATCH_OPENING: Final = "The figures do not match, so the dose is not verified: "


def mismatch_message(mismatches: list[str]) -> str:
    """The refusal a mismatch gets: both figures, and what to do next."""
    return (MISMATCH_OPENING
            + "; ".join(mismatches)
            + ". Work the dose out again together from the order, the weight and the "
              "concentration; if the prepared dose is wrong, order it again.")
