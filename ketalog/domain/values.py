"""Turning whatever a user or file supplies into exact numbers, or a clear refusal.

Every numeric input in ketalog passes through here so that NaN, infinities,
booleans, empty strings and words are refused with the same kind of message.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Final

from ketalog.domain.errors import Problem, ValidationError

#: Anything larger than this is not a clinical number; refusing it early keeps
#: Decimal arithmetic fast and the messages sane.
_MAX_MAGNITUDE: Final = Decimal("1e9")


def printed_name(name: str, credentials: str | None) -> str:
    """A clinician as records and documents print them: "Nora Reyes, RN"."""
    return f"{name}, {credentials}" if credentials else name


def required_text(value: str | None, field: str, message: str) -> str:
    """The text stripped of surrounding blanks, or a refusal with ``message`` when empty."""
    text = (value or "").strip()
    if not text:
        raise ValidationError.single(field, message)
    return text


def describe_value(value: object) -> str:
    """A short rendering of any input for a message; never raises."""
    if isinstance(value, str):
        text = f'"{value}"'
    else:
        try:
            text = repr(value)
        except Exception:  # a 4,300+ digit int inside a list, or a broken __repr__
            return f"a {type(value).__name__} that cannot be shown"
    return text if len(text) <= 40 else text[:37] + "..."


def decimal_problem(value: object, label: str, field: str) -> tuple[Decimal | None, Problem | None]:
    """Parse ``value`` as a finite decimal; return it, or the problem with it.

    Accepts int, Decimal, float (through its shortest repr, so 0.1 stays 0.1)
    and numeric strings (a comma as decimal separator is accepted).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, Problem(field, f"{label} is missing; enter a number.")
    if isinstance(value, bool):
        return None, Problem(field, f"{label} must be a number, not {describe_value(value)}.")
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                return None, Problem(field, f"{label} must be a finite number.")
            number = Decimal(repr(value))
        elif isinstance(value, str):
            text = value.strip().replace(",", ".")
            if len(text) > 40:
                return None, Problem(field, f"{label} is too long to be a number.")
            number = Decimal(text)
        else:
            return None, Problem(field, f"{label} must be a number, not {describe_value(value)}.")
    except (InvalidOperation, ValueError):
        return None, Problem(field, f"{label} must be a number, not {describe_value(value)}.")
    except ArithmeticError:  # decimal.Overflow from e.g. "1E+999999999999999999"
        return None, Problem(field, f"{label} is far too large.")
    if not number.is_finite():
        return None, Problem(field, f"{label} must be a finite number.")
    # adjusted() first: abs() itself overflows on exponents like 1E+999999999999999999
    if number.adjusted() > 9 or abs(number) > _MAX_MAGNITUDE:
        return None, Problem(field, f"{label} is far too large to be a clinical value.")
    if number and number.adjusted() < -9:
        return None, Problem(field, f"{label} has far too many decimal places.")
    return number, None


def parse_decimal(value: object, label: str, field: str = "") -> Decimal:
    """Parse one number or raise :class:`ValidationError` naming ``label``."""
    number, problem = decimal_problem(value, label, field or label)
    if problem is not None:
        raise ValidationError([problem])
    assert number is not None
    return number


def int_problem(value: object, label: str, field: str) -> tuple[int | None, Problem | None]:
    """Parse a whole number (``"3"``, ``3``, ``3.0``); return it or the problem."""
    number, problem = decimal_problem(value, label, field)
    if problem is not None:
        return None, problem
    assert number is not None
    if number != number.to_integral_value():
        return None, Problem(field, f"{label} must be a whole number, not {describe_value(value)}.")
    return int(number), None


def number_problem(
    value: object, label: str, field: str, *, whole: bool = False
) -> tuple[Decimal | None, Problem | None]:
    """Parse a decimal, or a whole number when ``whole``, as a Decimal (one type for both)."""
    if whole:
        number, problem = int_problem(value, label, field)
        return (None if number is None else Decimal(number)), problem
    return decimal_problem(value, label, field)


def key_name(key: object) -> str:
    """A mapping key as a field name: the text itself when it is text."""
    return key[:60] if isinstance(key, str) else describe_value(key)


def parse_int(value: object, label: str, field: str = "") -> int:
    """Parse one whole number or raise :class:`ValidationError` naming ``label``."""
    number, problem = int_problem(value, label, field or label)
    if problem is not None:
        raise ValidationError([problem])
    assert number is not None
    return number


def format_decimal(value: Decimal, places: int) -> str:
    """Round half-up for display only; stored values stay exact."""
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding='ROUND_HALF_UP'):f}"
