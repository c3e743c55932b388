"""Treatment protocols: the drug, route, dose rules and monitoring a clinic has agreed on.

A protocol is a clinic setting edited by an administrator and stored as JSON.
Every protocol is checked when it is built, so a nurse never doses from a
definition whose limits contradict each other or whose fields do not fit its
route (a bag volume on a nasal spray, no concentration on an IV infusion...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from itertools import pairwise
from typing import Any, Final, TypeVar

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.values import describe_value, key_name, number_problem
from ketalog.domain.vital_limits import HARD_LIMITS


class Route(StrEnum):
    """How the drug reaches the patient; decides which dose fields make sense."""

    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"


class DosingMode(StrEnum):
    """How the ordered dose is turned into milligrams."""

    WEIGHT = "weight"  #: mg/kg total, given over duration_min (IV infusion)
    RATE = "rate"  #: mg/kg/h over hours (chronic pain)
    IM_WEIGHT = "im_weight"  #: mg/kg single IM injection
    DEVICE = "device"  #: esketamine nasal devices, 28 mg each


#: The route each dosing mode is given by; a protocol that mixes them is refused.
ROUTE_OF_MODE: Final[Mapping[DosingMode, Route]] = {
    DosingMode.WEIGHT: Route.IV,
    DosingMode.RATE: Route.IV,
    DosingMode.IM_WEIGHT: Route.IM,
    DosingMode.DEVICE: Route.INTRANASAL,
}

# Bounds shared by protocol definitions and by dose orders (dosing.py): values
# outside them are typing slips (mg for mg/mL, a missing decimal point), never doses.
#: Ketamine is not made stronger than 100 mg/mL; below 0.1 mg/mL is not a stock solution.
MIN_CONCENTRATION_MG_PER_ML: Final = Decimal("0.1")
MAX_CONCENTRATION_MG_PER_ML: Final = Decimal(100)
#: From a small syringe to the largest infusion bag a chair uses.
MIN_BAG_VOLUME_ML: Final = Decimal(1)
MAX_BAG_VOLUME_ML: Final = Decimal(1000)
#: An outpatient session never infuses for more than a day.
MAX_DURATION_MIN: Final = 1440
#: Nasal devices hold tens of milligrams; 100 mg per device is already absurd.
MAX_MG_PER_DEVICE: Final = Decimal(100)
MAX_DEVICE_COUNT: Final = 10
#: No ketamine session gives grams: a total ceiling above this is a typing slip.
MAX_TOTAL_MG: Final = Decimal(5000)
#: The adult weight range a protocol expects unless it says otherwise (kg): a weight
#: outside it is confirmed before it is used (a child, a slip, pounds for kilograms).
DEFAULT_USUAL_WEIGHT_MIN_KG: Final = Decimal(35)
DEFAULT_USUAL_WEIGHT_MAX_KG: Final = Decimal(200)
#: Absolute weight bounds (as dosing.py refuses): a usual range lies within them.
_WEIGHT_BOUNDS_KG: Final = (Decimal(1), Decimal(400))
#: Intervals between vitals longer than 4 h are not monitoring.
MAX_VITALS_INTERVAL_MIN: Final = 240

#: The "version" a protocols file carries; a newer file is refused, not half-read.
PROTOCOLS_FORMAT_VERSION: Final = 1

_CODE_PATTERN: Final = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_MAX_CODE_LENGTH: Final = 64
_MAX_TEXT_LENGTH: Final = 200


def _int_problem(value: object, label: str, field: str) -> tuple[int | None, Problem | None]:
    """Whole-number variant of :func:`~ketalog.domain.values.number_problem`."""
    number, problem = number_problem(value, label, field, whole=True)
    return (None if number is None else int(number)), problem


def _plain(value: Decimal) -> str:
    """Show a stored decimal as written ("0.5", "100"), never as 1E+2."""
    return f"{value:f}"


def _set(obj: object, name: str, value: object) -> None:
    """Store a normalised value on a frozen dataclass during __post_init__."""
    object.__setattr__(obj, name, value)


def _coerce_decimal(
    obj: object, name: str, label: str, problems: list[Problem], *, optional: bool = False
) -> Decimal | None:
    """Turn the attribute ``name`` into a finite Decimal, or record why it cannot be."""
    value = getattr(obj, name)
    if value is None and optional:
        return None
    number, problem = number_problem(value, label, name)
    if problem is not None:
        problems.append(problem)
        return None
    _set(obj, name, number)
    return number


def _coerce_int(
    obj: object, name: str, label: str, problems: list[Problem], *, optional: bool = False
) -> int | None:
    """Turn the attribute ``name`` into an int, or record why it cannot be."""
    value = getattr(obj, name)
    if value is None and optional:
        return None
    number, problem = _int_problem(value, label, name)
    if problem is not None:
        problems.append(problem)
        return None
    _set(obj, name, number)
    return number


def _coerce_bool(obj: object, name: str, label: str, problems: list[Problem]) -> None:
    """Refuse anything but true/false for a yes-or-no setting."""
    if not isinstance(getattr(obj, name), bool):
        problems.append(Problem(name, f"{label} must be true or false."))


def _check_range(
    value: int | Decimal | None,
    low: int | Decimal,
    high: int | Decimal,
    label: str,
    unit: str,
    field: str,
    problems: list[Problem],
) -> bool:
    """Record a problem when ``value`` lies outside ``low``-``high``; True when it fits."""
    if value is None:
        return False
    if low <= value <= high:
        return True
    shown = _plain(value) if isinstance(value, Decimal) else str(value)
    low_s = _plain(low) if isinstance(low, Decimal) else str(low)
    high_s = _plain(high) if isinstance(high, Decimal) else str(high)
    suffix = f" {unit}" if unit else ""
    problems.append(
        Problem(field, f"{label} {shown}{suffix} is out of range; enter {low_s}-{high_s}{suffix}.")
    )
    return False


@dataclass(frozen=True)
class DoseLimits:
    """Where a dose stops being routine: warnings to confirm, and a hard maximum.

    Units are mg/kg, or mg/kg/h for rate protocols. A dose between ``warn_min``
    and ``warn_max`` (inclusive) is routine; outside that it needs confirmation;
    above ``hard_max`` a physician must override with a reason.
    """

    warn_min: Decimal  #: below -> warning (mg/kg, or mg/kg/h for RATE)
    warn_max: Decimal  #: above -> warning needing confirmation
    hard_max: Decimal  #: above -> physician override with reason required

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        warn_min = _coerce_decimal(self, "warn_min", "Warning minimum", problems)
        warn_max = _coerce_decimal(self, "warn_max", "Warning maximum", problems)
        hard_max = _coerce_decimal(self, "hard_max", "Hard maximum", problems)
        if warn_min is not None and warn_min < 0:
            problems.append(
                Problem("warn_min", f"Warning minimum {_plain(warn_min)} must not be negative.")
            )
        if hard_max is not None and hard_max <= 0:
            problems.append(
                Problem("hard_max", f"Hard maximum {_plain(hard_max)} must be above zero.")
            )
        if warn_min is not None and warn_max is not None and warn_min > warn_max:
            problems.append(
                Problem(
                    "warn_min",
                    f"Warning minimum {_plain(warn_min)} must not be above the warning "
                    f"maximum {_plain(warn_max)}.",
                )
            )
        if warn_max is not None and hard_max is not None and warn_max > hard_max:
            problems.append(
                Problem(
                    "warn_max",
                    f"Warning maximum {_plain(warn_max)} must not be above the hard "
                    f"maximum {_plain(hard_max)}.",
                )
            )
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON form; decimals as strings so nothing is lost to floats."""
        return {
            "warn_min": _plain(self.warn_min),
            "warn_max": _plain(self.warn_max),
            "hard_max": _plain(self.hard_max),
        }


@dataclass(frozen=True)
class TotalDoseLimits:
    """The absolute ceiling on milligrams, whatever the weight or the mg/kg.

    A total above ``warn_max`` is confirmed; above ``hard_max`` a physician
    overrides with a reason. mg/kg limits alone let a heavy patient (or a
    weight typed in pounds) reach any total, so the milligrams have their own.
    """

    warn_max: Decimal  #: mg; above -> confirmation
    hard_max: Decimal  #: mg; above -> physician override with a reason

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        warn_max = _coerce_decimal(self, "warn_max", "Usual maximum total", problems)
        hard_max = _coerce_decimal(self, "hard_max", "Hard maximum total", problems)
        for name, label, value in (("warn_max", "Usual maximum total", warn_max),
                                   ("hard_max", "Hard maximum total", hard_max)):
            if value is not None and value <= 0:
                problems.append(Problem(name, f"{label} {_plain(value)} mg must be above zero."))
            elif value is not None and value > MAX_TOTAL_MG:
                problems.append(Problem(name, f"{label} {_plain(value)} mg is above "
                                              f"{_plain(MAX_TOTAL_MG)} mg; check the number."))
        if warn_max is not None and hard_max is not None and warn_max > hard_max:
            problems.append(Problem(
                "warn_max", f"Usual maximum total {_plain(warn_max)} mg must not be above the "
                            f"hard maximum total {_plain(hard_max)} mg."))
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON form; decimals as strings."""
        return {"warn_max": _plain(self.warn_max), "hard_max": _plain(self.hard_max)}


@dataclass(frozen=True)
class DurationLimits:
    """How fast an infusion may run: its duration in minutes, and so its rate.

    Shorter than ``hard_min`` (or longer than ``hard_max``) needs a physician
    override with a reason; outside ``warn_min``-``warn_max`` a confirmation.
    The same dose over a shorter time is a faster rate: 0.5 mg/kg over 1 min
    is a bolus, not an infusion.
    """

    hard_min: int  #: min; shorter -> physician override
    warn_min: int  #: min; shorter -> confirmation
    warn_max: int  #: min; longer -> confirmation
    hard_max: int  #: min; longer -> physician override

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        labels = {"hard_min": "Shortest duration allowed", "warn_min": "Usual shortest duration",
                  "warn_max": "Usual longest duration", "hard_max": "Longest duration allowed"}
        good: dict[str, int] = {}
        for name, label in labels.items():
            number = _coerce_int(self, name, label, problems)
            if _check_range(number, 1, MAX_DURATION_MIN, label, "min", name, problems):
                assert number is not None
                good[name] = number
        order = list(labels)
        for lower, upper in pairwise(order):
            if lower in good and upper in good and good[lower] > good[upper]:
                problems.append(Problem(
                    lower, f"{labels[lower]} {good[lower]} min must not be above the "
                           f"{labels[upper][0].lower()}{labels[upper][1:]} {good[upper]} min."))
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class VitalThresholds:
    """Alert thresholds (DESIGN.md defaults); a reading beyond one is accepted but flagged."""

    predose_sbp_max: int = 140
    predose_dbp_max: int = 90
    sbp_max: int = 180
    dbp_max: int = 110
    hr_min: int = 50
    hr_max: int = 130
    spo2_min: int = 92
    rr_min: int = 10
    #: MOAA/S at or below this raises an alert: 3 answers only to a loud or
    #: repeated call, deeper than the light sedation a ketamine session expects.
    moaas_alert_at_or_below: int = 3
    #: CADSS-6 total (0-24) above this raises an alert: 12 is "moderately" (2)
    #: on every item on average, well past the usual peak of an IV session.
    cadss6_alert_above: int = 12

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        which = {
            "predose_sbp_max": ("Pre-dose systolic alert threshold", "systolic_mmhg"),
            "predose_dbp_max": ("Pre-dose diastolic alert threshold", "diastolic_mmhg"),
            "sbp_max": ("Systolic alert threshold", "systolic_mmhg"),
            "dbp_max": ("Diastolic alert threshold", "diastolic_mmhg"),
            "hr_min": ("Low heart-rate alert threshold", "heart_rate_bpm"),
            "hr_max": ("High heart-rate alert threshold", "heart_rate_bpm"),
            "spo2_min": ("Low SpO2 alert threshold", "spo2_percent"),
            "rr_min": ("Low respiratory-rate alert threshold", "resp_rate_per_min"),
        }
        good: dict[str, int] = {}
        for name, (label, vital) in which.items():
            number = _coerce_int(self, name, label, problems)
            limit = HARD_LIMITS[vital]
            if _check_range(number, limit.low, limit.high, label, limit.unit, name, problems):
                assert number is not None
                good[name] = number
        pairs = (
            ("predose_dbp_max", "predose_sbp_max", True),
            ("dbp_max", "sbp_max", True),
            ("hr_min", "hr_max", True),
            ("predose_sbp_max", "sbp_max", False),
            ("predose_dbp_max", "dbp_max", False),
        )
        for lower, upper, strictly in pairs:
            if lower in good and upper in good:
                broken = good[lower] >= good[upper] if strictly else good[lower] > good[upper]
                if broken:
                    relation = "be below" if strictly else "not be above"
                    problems.append(
                        Problem(
                            lower,
                            f"{which[lower][0]} {good[lower]} must {relation} the "
                            f"{which[upper][0][0].lower()}{which[upper][0][1:]} {good[upper]}.",
                        )
                    )
        for name, label, high in (
            ("moaas_alert_at_or_below", "MOAA/S alert threshold", 4),
            ("cadss6_alert_above", "CADSS-6 alert threshold", 23),
        ):
            # MOAA/S 5 (fully awake) can never alert; CADSS-6 24 could never be exceeded.
            number = _coerce_int(self, name, label, problems)
            _check_range(number, 0, high, label, "", name, problems)
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class VitalsSchedule:
    """When vitals are due: an interval while dosing, fixed checkpoints, and in recovery."""

    during_dose_interval_min: int | None = 10  #: every N min while infusing (None for esketamine)
    post_dose_checkpoints_min: tuple[int, ...] = ()  #: esketamine: (40,) min after first device
    recovery_interval_min: int | None = 15
    baseline_required: bool = True
    before_discharge_required: bool = True
    #: after an alert the next reading is due this soon (unless the schedule is sooner)
    alert_recheck_min: int = 5
    #: discharge needs a reading no older than this (with ``before_discharge_required``)
    discharge_reading_within_min: int = 15

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name, label in (
            ("during_dose_interval_min", "Interval between vitals during the dose"),
            ("recovery_interval_min", "Interval between vitals in recovery"),
        ):
            number = _coerce_int(self, name, label, problems, optional=True)
            _check_range(number, 1, MAX_VITALS_INTERVAL_MIN, label, "min", name, problems)
        for name, label in (
            ("alert_recheck_min", "Interval to the next vitals after an alert"),
            ("discharge_reading_within_min", "Age of the last vitals reading at discharge"),
        ):
            number = _coerce_int(self, name, label, problems)
            _check_range(number, 1, MAX_VITALS_INTERVAL_MIN, label, "min", name, problems)
        checkpoints = _int_tuple(
            self.post_dose_checkpoints_min,
            "Vitals checkpoint after the dose",
            "post_dose_checkpoints_min",
            1,
            MAX_DURATION_MIN,
            "min",
            problems,
        )
        if checkpoints is not None:
            _set(self, "post_dose_checkpoints_min", checkpoints)
        _coerce_bool(self, "baseline_required", "Baseline vitals required", problems)
        _coerce_bool(
            self, "before_discharge_required", "Vitals before discharge required", problems
        )
        if problems:
            raise ValidationError(problems)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON form; the checkpoints tuple becomes a list."""
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["post_dose_checkpoints_min"] = list(self.post_dose_checkpoints_min)
        return data


def _int_tuple(
    value: object,
    label: str,
    field: str,
    low: int,
    high: int,
    unit: str,
    problems: list[Problem],
) -> tuple[int, ...] | None:
    """Parse a list of distinct whole numbers into an ascending tuple, or record why not."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        problems.append(Problem(field, f"{label}s must be a list of whole numbers."))
        return None
    numbers: list[int] = []
    ok = True
    for item in value:
        number, problem = _int_problem(item, label, field)
        if problem is not None:
            problems.append(problem)
            ok = False
        elif not _check_range(number, low, high, label, unit, field, problems):
            ok = False
        else:
            assert number is not None
            numbers.append(number)
    if not ok:
        return None
    if len(set(numbers)) != len(numbers):
        problems.append(Problem(field, f"{label}s must not repeat a value."))
        return None
    return tuple(sorted(numbers))


_T = TypeVar("_T")


def _nested(
    kind: type[_T], value: object, field: str, label: str, problems: list[Problem]
) -> _T | None:
    """Build a nested setting object from its JSON mapping, prefixing its problems."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        problems.append(Problem(field, f"{label} must be a JSON object."))
        return None
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    required = {
        f.name
        for f in fields(kind)  # type: ignore[arg-type]
        if f.default is MISSING and f.default_factory is MISSING
    }
    bad = False
    for key in value:
        if key not in known and not (isinstance(key, str) and key.startswith("_")):
            problems.append(
                Problem(f"{field}.{key_name(key)}",
                        f"{label}: unknown setting {describe_value(key)}.")
            )
            bad = True
    for key in sorted(required - set(value)):
        problems.append(Problem(f"{field}.{key}", f"{label}: {key} is missing."))
        bad = True
    if bad:
        return None
    kwargs: dict[str, Any] = {k: v for k, v in value.items() if k in known}
    try:
        return kind(**kwargs)
    except ValidationError as error:
        problems.extend(Problem(f"{field}.{p.field}", p.message) for p in error.problems)
        return None


def _text(value: object, label: str, field: str, problems: list[Problem]) -> str | None:
    """Accept a short non-blank one-line text."""
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field, f"{label} is missing; enter it."))
        return None
    text = value.strip()
    if len(text) > _MAX_TEXT_LENGTH or "\n" in text:
        problems.append(
            Problem(field, f"{label} must be one line of at most {_MAX_TEXT_LENGTH} characters.")
        )
        return None
    return text


_E = TypeVar("_E", Route, DosingMode)


def _enum(
    kind: type[_E], value: object, label: str, field: str, problems: list[Problem]
) -> _E | None:
    """Accept an enum member or its stored value."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    choices = ", ".join(member.value for member in kind)
    shown = describe_value(value)
    problems.append(Problem(field, f"{label} {shown} is not known; use one of: {choices}."))
    return None


@dataclass(frozen=True)
class Protocol:
    """One way of giving the drug that a clinic has agreed on, with its safety settings.

    Building a ``Protocol`` checks it: a contradictory or incomplete definition
    raises :class:`ValidationError` listing every problem, so one can never be
    used for dosing.
    """

    code: str  #: stable key, e.g. "iv-depression-0.5"
    name: str  #: "IV ketamine for depression, 0.5 mg/kg over 40 min"
    drug: str  #: "ketamine (racemic)" / "esketamine"
    route: Route
    dosing_mode: DosingMode
    default_dose: Decimal | None  #: mg/kg (WEIGHT, IM_WEIGHT) or mg/kg/h (RATE); None for DEVICE
    limits: DoseLimits | None  #: None for DEVICE
    default_duration_min: int | None  #: 40 for IV depression, 240 for pain, None for IM/device
    default_concentration_mg_per_ml: Decimal | None  #: stock the dose is drawn from
    default_bag_volume_ml: Decimal | None  #: 100 for IV, None for IM/device
    mg_per_device: Decimal | None  #: 28 for esketamine
    allowed_device_counts: tuple[int, ...]  #: (2, 3) for esketamine, () otherwise
    thresholds: VitalThresholds
    schedule: VitalsSchedule
    weight_max_age_days: int = 30
    min_monitoring_min: int = 0  #: 120 for esketamine (REMS), from the first dose
    aldrete_discharge_min: int = 9
    planned_induction_infusions: int = 6
    #: recovery after the infusion (or injection) ends before discharge; 30 for IV ketamine
    min_recovery_min: int = 30
    #: ceiling on the total mg; left out (older definitions) -> the dosing mode's default
    total_mg_limits: TotalDoseLimits | None = None
    #: infusion duration limits (IV only); left out -> the dosing mode's default
    duration_limits: DurationLimits | None = None
    #: the adult weight range this protocol expects; outside it a weight is confirmed
    usual_weight_min_kg: Decimal = DEFAULT_USUAL_WEIGHT_MIN_KG
    usual_weight_max_kg: Decimal = DEFAULT_USUAL_WEIGHT_MAX_KG

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        checked = _check_protocol(values, problems)
        if problems:
            raise ValidationError(problems)
        for name, value in checked.items():
            _set(self, name, value)

    @property
    def dose_unit(self) -> str:
        """The unit the ordered dose and its limits are written in."""
        return "mg/kg/h" if self.dosing_mode is DosingMode.RATE else "mg/kg"

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable form (decimals as strings); ``from_dict`` reads it back."""

        def dec(value: Decimal | None) -> str | None:
            return None if value is None else _plain(value)

        return {
            "code": self.code,
            "name": self.name,
            "drug": self.drug,
            "route": self.route.value,
            "dosing_mode": self.dosing_mode.value,
            "default_dose": dec(self.default_dose),
            "limits": None if self.limits is None else self.limits.to_dict(),
            "default_duration_min": self.default_duration_min,
            "default_concentration_mg_per_ml": dec(self.default_concentration_mg_per_ml),
            "default_bag_volume_ml": dec(self.default_bag_volume_ml),
            "mg_per_device": dec(self.mg_per_device),
            "allowed_device_counts": list(self.allowed_device_counts),
            "thresholds": self.thresholds.to_dict(),
            "schedule": self.schedule.to_dict(),
            "weight_max_age_days": self.weight_max_age_days,
            "min_monitoring_min": self.min_monitoring_min,
            "aldrete_discharge_min": self.aldrete_discharge_min,
            "planned_induction_infusions": self.planned_induction_infusions,
            "min_recovery_min": self.min_recovery_min,
            "total_mg_limits": (None if self.total_mg_limits is None
                                else self.total_mg_limits.to_dict()),
            "duration_limits": (None if self.duration_limits is None
                                else self.duration_limits.to_dict()),
            "usual_weight_min_kg": _plain(self.usual_weight_min_kg),
            "usual_weight_max_kg": _plain(self.usual_weight_max_kg),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Protocol:
        """Read a stored definition, refusing it with every problem if it is not sound.

        Keys without a default must be present (``null`` where not applicable);
        unknown keys are refused so a misspelt setting is never silently
        ignored. Keys starting with ``_`` are comments and are skipped.
        """
        if not isinstance(data, Mapping):
            raise ValidationError.single("protocol", "A protocol definition must be a JSON object.")
        problems: list[Problem] = []
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known and not (isinstance(key, str) and key.startswith("_")):
                problems.append(
                    Problem(key_name(key), f"Unknown protocol setting {describe_value(key)}.")
                )
        for f in fields(cls):
            if f.default is MISSING and f.name not in data:
                problems.append(Problem(f.name, f"Protocol setting {f.name} is missing."))
        values = {k: v for k, v in data.items() if k in known}
        checked = _check_protocol(values, problems)
        if problems:
            raise ValidationError(problems)
        return cls(**checked)


def _check_protocol(  # noqa: C901 - one flat check per field, so all problems show at once
    values: Mapping[str, object], problems: list[Problem],
) -> dict[str, Any]:
    """Normalise and check a protocol's fields; return the normalised ones.

    Absent keys are skipped (the caller reports missing required keys) and
    cross-field checks run only on fields that were themselves valid, so each
    mistake is reported once.
    """
    out: dict[str, Any] = {}
    for f in fields(Protocol):
        if f.name not in values and f.default is not MISSING:
            out[f.name] = f.default

    def take(name: str, parse: Callable[[object], object | None]) -> None:
        if name in values:
            parsed = parse(values[name])
            if parsed is not None:
                out[name] = parsed

    def code(value: object) -> str | None:
        text = _text(value, "Protocol code", "code", problems)
        if text is None:
            return None
        if len(text) > _MAX_CODE_LENGTH or not _CODE_PATTERN.fullmatch(text):
            problems.append(
                Problem(
                    "code",
                    f"Protocol code {text!r} must be lower-case letters and digits joined "
                    "by '-' or '.', e.g. iv-depression-0.5.",
                )
            )
            return None
        return text

    def decimal(
        name: str, label: str, unit: str, low: Decimal, high: Decimal | None
    ) -> Callable[[object], Decimal | None]:
        def parse(value: object) -> Decimal | None:
            if value is None:
                nulls.add(name)
                return None
            number, problem = number_problem(value, label, name)
            if problem is not None:
                problems.append(problem)
                return None
            assert number is not None
            suffix = f" {unit}" if unit else ""
            if number <= 0:
                problems.append(
                    Problem(name, f"{label} {_plain(number)}{suffix} must be above zero.")
                )
                return None
            if number < low:
                problems.append(
                    Problem(
                        name,
                        f"{label} {_plain(number)}{suffix} is below the smallest "
                        f"possible value, {_plain(low)}{suffix}.",
                    )
                )
                return None
            if high is not None and number > high:
                problems.append(
                    Problem(
                        name,
                        f"{label} {_plain(number)}{suffix} is above the largest "
                        f"possible value, {_plain(high)}{suffix}.",
                    )
                )
                return None
            return number

        return parse

    def integer(
        name: str, label: str, unit: str, low: int, high: int, *, nullable: bool = False
    ) -> Callable[[object], int | None]:
        def parse(value: object) -> int | None:
            if value is None and nullable:
                nulls.add(name)
                return None
            number, problem = _int_problem(value, label, name)
            if problem is not None:
                problems.append(problem)
                return None
            if not _check_range(number, low, high, label, unit, name, problems):
                return None
            return number

        return parse

    def device_counts(value: object) -> tuple[int, ...] | None:
        return _int_tuple(
            value,
            "Allowed device count",
            "allowed_device_counts",
            1,
            MAX_DEVICE_COUNT,
            "",
            problems,
        )

    nulls: set[str] = set()
    take("code", code)
    take("name", lambda v: _text(v, "Protocol name", "name", problems))
    take("drug", lambda v: _text(v, "Drug", "drug", problems))
    take("route", lambda v: _enum(Route, v, "Route", "route", problems))
    take("dosing_mode", lambda v: _enum(DosingMode, v, "Dosing mode", "dosing_mode", problems))
    take("default_dose", decimal("default_dose", "Default dose", "", Decimal(0), None))
    take(
        "default_duration_min",
        integer(
            "default_duration_min", "Default duration", "min", 1, MAX_DURATION_MIN, nullable=True
        ),
    )
    take(
        "default_concentration_mg_per_ml",
        decimal(
            "default_concentration_mg_per_ml",
            "Default concentration",
            "mg/mL",
            MIN_CONCENTRATION_MG_PER_ML,
            MAX_CONCENTRATION_MG_PER_ML,
        ),
    )
    take(
        "default_bag_volume_ml",
        decimal(
            "default_bag_volume_ml",
            "Default bag volume",
            "mL",
            MIN_BAG_VOLUME_ML,
            MAX_BAG_VOLUME_ML,
        ),
    )
    take(
        "mg_per_device",
        decimal("mg_per_device", "Milligrams per device", "mg", Decimal(0), MAX_MG_PER_DEVICE),
    )
    take("allowed_device_counts", device_counts)
    if "limits" in values:
        if values["limits"] is None:
            nulls.add("limits")
        else:
            limits = _nested(DoseLimits, values["limits"], "limits", "Dose limits", problems)
            if limits is not None:
                out["limits"] = limits
    take(
        "thresholds",
        lambda v: _nested(VitalThresholds, v, "thresholds", "Alert thresholds", problems),
    )
    take("schedule", lambda v: _nested(VitalsSchedule, v, "schedule", "Vitals schedule", problems))
    take(
        "weight_max_age_days", integer("weight_max_age_days", "Maximum weight age", "days", 0, 3650)
    )
    take(
        "min_monitoring_min",
        integer("min_monitoring_min", "Minimum monitoring time", "min", 0, MAX_DURATION_MIN),
    )
    take(
        "aldrete_discharge_min",
        integer("aldrete_discharge_min", "Aldrete score needed for discharge", "", 0, 10),
    )
    take(
        "planned_induction_infusions",
        integer("planned_induction_infusions", "Planned induction sessions", "", 1, 100),
    )
    take(
        "min_recovery_min",
        integer("min_recovery_min", "Minimum recovery time after the dose ends", "min", 0,
                MAX_DURATION_MIN),
    )
    for name, kind, label in (("total_mg_limits", TotalDoseLimits, "Total dose limits"),
                              ("duration_limits", DurationLimits, "Duration limits")):
        if values.get(name) is not None:
            parsed = _nested(kind, values[name], name, label, problems)
            if parsed is not None:
                out[name] = parsed
    low_kg, high_kg = _WEIGHT_BOUNDS_KG
    take("usual_weight_min_kg", decimal("usual_weight_min_kg", "Usual lowest weight", "kg",
                                        low_kg, high_kg))
    take("usual_weight_max_kg", decimal("usual_weight_max_kg", "Usual highest weight", "kg",
                                        low_kg, high_kg))
    for name in nulls:
        out[name] = None
    _check_consistency(values, out, problems)
    _fill_mode_defaults(out)
    _check_plausibility_limits(values, out, problems)
    return out


#: Total mg ceilings (usual, hard) when a definition does not give its own: an IV
#: depression dose of 0.5-1.0 mg/kg is 35-100 mg for most adults; a 4 h pain infusion
#: at 0.35 mg/kg/h about 110 mg; an IM dose like the IV one.
DEFAULT_TOTAL_MG_LIMITS: Final[Mapping[DosingMode, tuple[str, str]]] = {
    DosingMode.WEIGHT: ("100", "150"),
    DosingMode.RATE: ("300", "500"),
    DosingMode.IM_WEIGHT: ("100", "150"),
}
#: Duration limits (hard min, usual min, usual max, hard max) when a definition does not
#: give its own: 40 min is the studied infusion (Sanacora 2017), clinics use 40-100 min.
DEFAULT_DURATION_LIMITS: Final[Mapping[DosingMode, tuple[int, int, int, int]]] = {
    DosingMode.WEIGHT: (20, 40, 100, 240),
    DosingMode.RATE: (30, 60, 360, 480),
}


def _fill_mode_defaults(out: dict[str, Any]) -> None:
    """Give a definition without total or duration limits (stored before they existed) its mode's.

    The defaults are widened to take in the definition's own default duration,
    so an older definition an administrator edited still reads.
    """
    mode = out.get("dosing_mode")
    if not isinstance(mode, DosingMode):
        return
    if out.get("total_mg_limits") is None:
        if mode is DosingMode.DEVICE:
            per_device, counts = out.get("mg_per_device"), out.get("allowed_device_counts")
            if isinstance(per_device, Decimal) and counts:
                most = per_device * max(counts)
                out["total_mg_limits"] = TotalDoseLimits(most, most)
        else:
            warn, hard = DEFAULT_TOTAL_MG_LIMITS[mode]
            out["total_mg_limits"] = TotalDoseLimits(Decimal(warn), Decimal(hard))
    if out.get("duration_limits") is None and mode in DEFAULT_DURATION_LIMITS:
        hard_min, warn_min, warn_max, hard_max = DEFAULT_DURATION_LIMITS[mode]
        default = out.get("default_duration_min")
        if isinstance(default, int):
            warn_min, warn_max = min(warn_min, default), max(warn_max, default)
        out["duration_limits"] = DurationLimits(
            min(hard_min, warn_min), warn_min, warn_max, max(hard_max, warn_max))


def _check_plausibility_limits(
    values: Mapping[str, object], out: dict[str, Any], problems: list[Problem]
) -> None:
    """Duration limits only for infusions, around the default; a usual weight range in order."""
    mode = out.get("dosing_mode")
    limits = out.get("duration_limits")
    if (isinstance(mode, DosingMode) and mode not in DEFAULT_DURATION_LIMITS
            and values.get("duration_limits") is not None):
        problems.append(Problem("duration_limits", "Only an IV infusion has duration limits; "
                                                    "leave them empty (null)."))
        out["duration_limits"] = None
    default = out.get("default_duration_min")
    if (isinstance(limits, DurationLimits) and isinstance(default, int)
            and not limits.warn_min <= default <= limits.warn_max):
        problems.append(Problem(
            "default_duration_min",
            f"Default duration {default} min must lie within the usual durations "
            f"{limits.warn_min}-{limits.warn_max} min."))
    low, high = out.get("usual_weight_min_kg"), out.get("usual_weight_max_kg")
    if isinstance(low, Decimal) and isinstance(high, Decimal) and low >= high:
        problems.append(Problem(
            "usual_weight_min_kg",
            f"Usual lowest weight {_plain(low)} kg must be below the usual highest weight "
            f"{_plain(high)} kg."))


def _check_consistency(
    values: Mapping[str, object], out: dict[str, Any], problems: list[Problem]
) -> None:
    """Check that the fields fit the dosing mode and route, and the dose fits its limits."""
    mode = out.get("dosing_mode")
    route = out.get("route")
    if not isinstance(mode, DosingMode):
        return
    if isinstance(route, Route) and ROUTE_OF_MODE[mode] is not route:
        problems.append(
            Problem(
                "route",
                f"Dosing mode {mode.value} goes with route {ROUTE_OF_MODE[mode].value}, "
                f"not {route.value}; change the route or the dosing mode.",
            )
        )
    labels = {
        "default_dose": "a default dose",
        "limits": "dose limits",
        "default_duration_min": "a default duration",
        "default_concentration_mg_per_ml": "a default concentration",
        "default_bag_volume_ml": "a default bag volume",
        "mg_per_device": "milligrams per device",
        "allowed_device_counts": "allowed device counts",
    }
    needs = {
        DosingMode.WEIGHT: {
            "default_dose",
            "limits",
            "default_duration_min",
            "default_concentration_mg_per_ml",
            "default_bag_volume_ml",
        },
        DosingMode.RATE: {
            "default_dose",
            "limits",
            "default_duration_min",
            "default_concentration_mg_per_ml",
            "default_bag_volume_ml",
        },
        DosingMode.IM_WEIGHT: {"default_dose", "limits", "default_concentration_mg_per_ml"},
        DosingMode.DEVICE: {"mg_per_device", "allowed_device_counts"},
    }[mode]
    described = {
        DosingMode.WEIGHT: "A weight-based IV infusion",
        DosingMode.RATE: "A rate-based IV infusion",
        DosingMode.IM_WEIGHT: "An IM injection",
        DosingMode.DEVICE: "An intranasal device protocol",
    }[mode]
    for name, label in labels.items():
        if name not in values:
            continue  # reported as missing by the caller
        value = values[name]
        empty = value is None or (name == "allowed_device_counts" and out.get(name) == ())
        if name in needs and empty:
            problems.append(Problem(name, f"{described} needs {label}."))
        elif name not in needs and not empty:
            problems.append(Problem(name, f"{described} takes no {label}; leave it empty."))
    dose = out.get("default_dose")
    limits = out.get("limits")
    if (
        isinstance(dose, Decimal)
        and isinstance(limits, DoseLimits)
        and not (limits.warn_min <= dose <= limits.warn_max)
    ):
        unit = "mg/kg/h" if mode is DosingMode.RATE else "mg/kg"
        problems.append(
            Problem(
                "default_dose",
                f"Default dose {_plain(dose)} {unit} must lie within the warning limits "
                f"{_plain(limits.warn_min)}-{_plain(limits.warn_max)} {unit}.",
            )
        )


def parse_protocols(document: object) -> list[Protocol]:
    """Read a protocols document (``{"protocols": [...]}``), refusing it with every problem.

    Problems are prefixed with the protocol's position and code so an
    administrator can find the faulty entry; codes must be unique.
    """
    if not isinstance(document, Mapping) or "protocols" not in document:
        raise ValidationError.single(
            "protocols", 'A protocols file must be a JSON object with a "protocols" list.'
        )
    if document.get("version", PROTOCOLS_FORMAT_VERSION) != PROTOCOLS_FORMAT_VERSION:
        raise ValidationError.single(
            "version",
            f"Protocols file version {describe_value(document.get('version'))} is not supported; "
            f"this ketalog reads version {PROTOCOLS_FORMAT_VERSION}.",
        )
    entries = document["protocols"]
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence):
        raise ValidationError.single("protocols", '"protocols" must be a list.')
    problems: list[Problem] = []
    result: list[Protocol] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        code = entry.get("code") if isinstance(entry, Mapping) else None
        where = f"Protocol {index}" + (f" ({code})" if isinstance(code, str) else "")
        try:
            protocol = Protocol.from_dict(entry)
        except ValidationError as error:
            problems.extend(
                Problem(f"protocols[{index}].{p.field}", f"{where}: {p.message}")
                for p in error.problems
            )
            continue
        if protocol.code in seen:
            problems.append(
                Problem(
                    f"protocols[{index}].code", f"{where}: code {protocol.code!r} is used twice."
                )
            )
        seen.add(protocol.code)
        result.append(protocol)
    if problems:
        raise ValidationError(problems)
    if not result:
        raise ValidationError.single("protocols", "The protocols file defines no protocol.")
    return result


def load_default_protocols() -> list[Protocol]:
    """Read the protocols shipped with ketalog, the starting point of every clinic's set."""
    source = resources.files("ketalog.resources") / "protocols" / "default_protocols.json"
    document = json.loads(source.read_text(encoding="utf-8"), parse_float=Decimal)
    return parse_protocols(document)
