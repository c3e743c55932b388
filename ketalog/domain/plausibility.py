"""Plausibility of a dose order and of a weight: what is unusual, and what it needs.

Dose limits in mg/kg alone let unusual orders pass silently: a weight typed
in pounds, a total no adult gets, a 40-minute infusion run in one minute. Each
rule here names the figure, says why it is unusual and what makes it go ahead:
a confirmation by the nurse (outside the usual range) or a physician's
override with a reason (beyond a hard limit). The services ask these rules
and the screens show their words, so the GUI, the CLI and the tests agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from ketalog.domain.clinic_settings import DEFAULT_WEIGHT_CHANGE_PERCENT
from ketalog.domain.dosing import DoseCalculation, DoseLevel, check_dose_limits
from ketalog.domain.protocols import (
    DosingMode,
    DurationLimits,
    Protocol,
    TotalDoseLimits,
)
from ketalog.domain.values import format_decimal

#: A weight is compared with the last one recorded no longer ago than this.
WEIGHT_COMPARISON_DAYS: Final = 90
#: Two weighings of one patient for one day recorded this close together are the same
#: weighing entered twice (two workstations): which one stands is asked, not assumed.
DUPLICATE_WEIGHT_WINDOW: Final = timedelta(minutes=5)


def _num(value: Decimal) -> str:
    """A stored decimal as written, without trailing zeros or exponent ("105.9", "200")."""
    return f"{value.normalize():f}"


def _kg(value: Decimal) -> str:
    return f"{_num(value)} kg"


def _mg(value: Decimal) -> str:
    return f"{format_decimal(value, 1)} mg"


class FindingKind:
    """Which figure a finding is about (the field it names)."""

    DOSE = "dose"
    TOTAL = "total_mg"
    DURATION = "duration_min"
    WEIGHT_RANGE = "weight_kg"
    WEIGHT_CHANGE = "weight_change"


@dataclass(frozen=True)
class Finding:
    """One unusual figure: what is unusual, and whether a physician must override it."""

    field: str
    message: str
    needs_physician_override: bool = False


@dataclass(frozen=True)
class PreviousWeight:
    """The weighing a new weight is compared with."""

    weight_kg: Decimal
    measured_on: date


@dataclass(frozen=True)
class RecentWeight:
    """A weighing as entered: who recorded it and when, to ask which of two stands."""

    weight_kg: Decimal
    measured_on: date
    recorded_at_utc: datetime
    recorded_by: str | None


@dataclass(frozen=True)
class Assessment:
    """Every unusual figure of an order (or a weight), and what it needs to go ahead."""

    findings: tuple[Finding, ...] = ()
    #: the verdict on the ordered mg/kg alone (kept as the order's limit level when alone)
    dose_level: DoseLevel = DoseLevel.WITHIN

    @property
    def needs_physician_override(self) -> bool:
        """A hard limit is passed: only a physician's override with a reason orders it."""
        return any(f.needs_physician_override for f in self.findings)

    @property
    def needs_confirmation(self) -> bool:
        """Something is unusual and no hard limit passed: the nurse confirms.

        Past a hard limit the physician's override covers every finding.
        """
        return bool(self.findings) and not self.needs_physician_override

    @property
    def message(self) -> str | None:
        """Every finding in one text, hard limits first; None when routine."""
        if not self.findings:
            return None
        ordered = sorted(self.findings, key=lambda f: not f.needs_physician_override)
        return " ".join(f.message for f in ordered)

    @property
    def level(self) -> str:
        """What the order stores as its limit level.

        The mg/kg verdict when the mg/kg is among the gravest findings (as
        orders always stored it); otherwise ``outside_warning`` (confirmed) or
        ``beyond_hard_limit`` (physician override) for the other figures.
        """
        if not self.findings:
            return DoseLevel.WITHIN.value
        gravest = self.needs_physician_override
        if any(f.field == FindingKind.DOSE and f.needs_physician_override is gravest
               for f in self.findings):
            return self.dose_level.value
        return "beyond_hard_limit" if gravest else "outside_warning"


def total_dose_finding(total_mg: Decimal, limits: TotalDoseLimits) -> Finding | None:
    """Compare the total mg with the protocol's ceilings (equal to a ceiling is within it)."""
    if total_mg > limits.hard_max:
        return Finding(FindingKind.TOTAL,
                       f"Total {_mg(total_mg)} is above the protocol's absolute maximum of "
                       f"{_mg(limits.hard_max)}; a physician must override it with a reason.",
                       needs_physician_override=True)
    if total_mg > limits.warn_max:
        return Finding(FindingKind.TOTAL,
                       f"Total {_mg(total_mg)} is above the usual maximum total of "
                       f"{_mg(limits.warn_max)}; confirm it.")
    return None


def duration_finding(calc: DoseCalculation, limits: DurationLimits) -> Finding | None:
    """Compare an infusion's duration (and so its rate) with the protocol's limits."""
    minutes = calc.duration_min
    if minutes is None:
        return None
    rate = f" ({format_decimal(calc.rate_ml_per_h, 0)} mL/h)" if calc.rate_ml_per_h else ""
    over = f"Infusion over {minutes} min{rate}"
    if minutes < limits.hard_min:
        return Finding(FindingKind.DURATION,
                       f"{over} is faster than the protocol allows (at least "
                       f"{limits.hard_min} min); a physician must override it with a reason.",
                       needs_physician_override=True)
    if minutes > limits.hard_max:
        return Finding(FindingKind.DURATION,
                       f"{over} is longer than the protocol allows (at most "
                       f"{limits.hard_max} min); a physician must override it with a reason.",
                       needs_physician_override=True)
    if minutes < limits.warn_min:
        return Finding(FindingKind.DURATION,
                       f"{over} is shorter than the usual {limits.warn_min} min, so faster; "
                       "confirm it.")
    if minutes > limits.warn_max:
        return Finding(FindingKind.DURATION,
                       f"{over} is longer than the usual {limits.warn_max} min; confirm it.")
    return None


def weight_range_finding(weight_kg: Decimal, low_kg: Decimal, high_kg: Decimal) -> Finding | None:
    """Warn about a weight outside the protocol's usual adult range (the ends are usual)."""
    if low_kg <= weight_kg <= high_kg:
        return None
    return Finding(FindingKind.WEIGHT_RANGE,
                   f"Weight {_kg(weight_kg)} is outside the usual adult range "
                   f"{_num(low_kg)}-{_kg(high_kg)} of this protocol; check it was entered in kg "
                   "and confirm it.")


def weight_change_finding(weight_kg: Decimal, on: date | None, previous: PreviousWeight | None,
                          max_change_percent: int) -> Finding | None:
    """Warn when a weight differs by more than ``max_change_percent`` from the last one.

    Only a previous weighing from the last :data:`WEIGHT_COMPARISON_DAYS` days
    (before or on ``on``) counts: a change over months is a course, not a slip.
    The message names both weights and their dates.
    """
    if previous is None or on is None or previous.weight_kg <= 0:
        return None
    age = (on - previous.measured_on).days
    if not 0 <= age <= WEIGHT_COMPARISON_DAYS:
        return None
    change = weight_kg - previous.weight_kg
    if abs(change) * 100 <= previous.weight_kg * max_change_percent:
        return None
    percent = format_decimal(abs(change) * 100 / previous.weight_kg, 0)
    direction = "more" if change > 0 else "less"
    when = "the same day" if age == 0 else ("1 day earlier" if age == 1 else f"{age} days earlier")
    return Finding(FindingKind.WEIGHT_CHANGE,
                   f"Weight {_kg(weight_kg)} is {percent}% {direction} than the "
                   f"{_kg(previous.weight_kg)} recorded on {previous.measured_on.isoformat()} "
                   f"({when}); weigh the patient again, or confirm {_kg(weight_kg)}.")


def duplicate_weight_finding(weight_kg: Decimal, on: date, now: datetime,
                             earlier: RecentWeight | None) -> Finding | None:
    """Ask which weighing stands when one for the same day was recorded minutes ago."""
    if earlier is None or earlier.measured_on != on:
        return None
    if not timedelta(0) <= now - earlier.recorded_at_utc <= DUPLICATE_WEIGHT_WINDOW:
        return None
    minutes = int((now - earlier.recorded_at_utc).total_seconds() // 60)
    ago = "just now" if minutes < 1 else f"{minutes} min ago"
    who = f" by {earlier.recorded_by}" if earlier.recorded_by else ""
    return Finding(FindingKind.WEIGHT_CHANGE,
                   f"A weight of {_kg(earlier.weight_kg)} for {on.isoformat()} was recorded "
                   f"{ago}{who}. Which one stands? Confirm to record {_kg(weight_kg)} as the "
                   "latest weight (used for dosing); otherwise keep the first.")


def assess_weight(weight_kg: Decimal, on: date | None, *, usual_min_kg: Decimal,
                  usual_max_kg: Decimal, previous: PreviousWeight | None,
                  max_change_percent: int, now: datetime | None = None,
                  earlier: RecentWeight | None = None) -> Assessment:
    """Every unusual thing about a weight about to be recorded or dosed by."""
    findings = [
        weight_range_finding(weight_kg, usual_min_kg, usual_max_kg),
        weight_change_finding(weight_kg, on, previous, max_change_percent),
        (None if now is None or on is None
         else duplicate_weight_finding(weight_kg, on, now, earlier)),
    ]
    return Assessment(tuple(f for f in findings if f is not None))


def assess_dose(protocol: Protocol, calc: DoseCalculation, *, on: date | None = None,
                previous_weight: PreviousWeight | None = None,
                max_weight_change_percent: int = DEFAULT_WEIGHT_CHANGE_PERCENT) -> Assessment:
    """Every unusual figure of a computed dose under its protocol.

    The ordered mg/kg (or mg/kg/h) against the protocol's dose limits, the total
    mg against its total ceilings, an infusion's duration against its duration
    limits, and the weight used against the usual adult range and, when
    ``previous_weight`` is given, against the last weighing (on ``on``).
    """
    findings: list[Finding] = []
    dose_level = DoseLevel.WITHIN
    if protocol.limits is not None and calc.ordered_dose is not None:
        check = check_dose_limits(calc.ordered_dose, protocol.limits, calc.dose_unit or "mg/kg")
        dose_level = check.level
        if check.message is not None:
            findings.append(Finding(FindingKind.DOSE, check.message,
                                    check.needs_physician_override))
    extra: Sequence[Finding | None] = (
        None if protocol.total_mg_limits is None
        else total_dose_finding(calc.total_mg, protocol.total_mg_limits),
        None if protocol.duration_limits is None or calc.mode is DosingMode.IM_WEIGHT
        else duration_finding(calc, protocol.duration_limits),
    )
    findings.extend(f for f in extra if f is not None)
    if calc.weight_kg is not None:
        weight = assess_weight(
            calc.weight_kg, on, usual_min_kg=protocol.usual_weight_min_kg,
            usual_max_kg=protocol.usual_weight_max_kg, previous=previous_weight,
            max_change_percent=max_weight_change_percent)
        findings.extend(weight.findings)
    return Assessment(tuple(findings), dose_level)
