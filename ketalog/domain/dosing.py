"""Dose arithmetic for ketamine and esketamine, with the working a second nurse reads back.

IV ketamine is a high-alert medication (ISMP): every number is computed with
exact decimals, rounded only for display (0.1 mg, 0.1 mL, 1 mL/h, half-up),
and shown as a line of working so the double check can redo it by hand.
Inputs arrive as text, JSON or numbers; anything that is not a plausible
value is refused with every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from typing import Final

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.protocols import (
    MAX_BAG_VOLUME_ML,
    MAX_CONCENTRATION_MG_PER_ML,
    MAX_DURATION_MIN,
    MAX_MG_PER_DEVICE,
    MIN_BAG_VOLUME_ML,
    MIN_CONCENTRATION_MG_PER_ML,
    DoseLimits,
    DosingMode,
    Protocol,
)
from ketalog.domain.values import format_decimal, number_problem

#: Below 1 kg or above 400 kg the number is a slip (grams, pounds, a lost decimal point).
MIN_WEIGHT_KG: Final = Decimal(1)
MAX_WEIGHT_KG: Final = Decimal(400)

# Inputs are bounded (values.py refuses magnitudes above 1e9, and the bounds
# here refuse zero divisors), so with the widest exponent range no operation
# below can overflow, underflow to an error, or divide by zero.
_CONTEXT: Final = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def _show(value: Decimal) -> str:
    """An entered number as the nurse wrote it ("0.5", "80"), compact if absurdly long."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -12 and value.adjusted() <= 12:
        return f"{value:f}"
    return f"{value:.6E}"


def _round(value: Decimal, places: int) -> str:
    """Display rounding (half-up) of a computed value."""
    with localcontext(_CONTEXT):
        return format_decimal(value, places)


def _or_list(items: Sequence[object]) -> str:
    """Join choices the way a sentence does: "2 or 3", "1, 2 or 3"."""
    texts = [str(item) for item in items]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " or " + texts[-1]


@dataclass(frozen=True)
class DoseCalculation:
    """The computed dose and the working behind it, exact; display helpers round."""

    mode: DosingMode
    total_mg: Decimal
    drug_volume_ml: Decimal | None  #: total_mg / concentration (None for DEVICE)
    rate_ml_per_h: Decimal | None  #: bag_volume_ml / (duration_min / 60) for IV
    rate_mg_per_h: Decimal | None  #: for RATE mode
    working: tuple[str, ...]  #: lines a nurse reads back
    ordered_dose: Decimal | None = None  #: mg/kg, or mg/kg/h for RATE; None for DEVICE
    weight_kg: Decimal | None = None
    concentration_mg_per_ml: Decimal | None = None
    bag_volume_ml: Decimal | None = None
    duration_min: int | None = None
    device_count: int | None = None
    mg_per_device: Decimal | None = None

    @property
    def dose_unit(self) -> str | None:
        """Unit of ``ordered_dose``, as written on the order."""
        if self.mode is DosingMode.DEVICE:
            return None
        return "mg/kg/h" if self.mode is DosingMode.RATE else "mg/kg"

    @property
    def total_mg_display(self) -> str:
        """Total dose to 0.1 mg, e.g. "40.0 mg"."""
        return f"{_round(self.total_mg, 1)} mg"

    @property
    def drug_volume_display(self) -> str | None:
        """Volume of stock to draw up, to 0.1 mL, e.g. "4.0 mL"."""
        if self.drug_volume_ml is None:
            return None
        return f"{_round(self.drug_volume_ml, 1)} mL"

    @property
    def rate_ml_per_h_display(self) -> str | None:
        """Pump rate to 1 mL/h, e.g. "150 mL/h"."""
        if self.rate_ml_per_h is None:
            return None
        return f"{_round(self.rate_ml_per_h, 0)} mL/h"

    @property
    def rate_mg_per_h_display(self) -> str | None:
        """Drug rate to 0.1 mg/h, e.g. "24.5 mg/h"."""
        if self.rate_mg_per_h is None:
            return None
        return f"{_round(self.rate_mg_per_h, 1)} mg/h"


@dataclass(frozen=True)
class _Spec:
    """How one dose input is named, bounded and explained when wrong."""

    label: str
    unit: str
    missing: str
    low: Decimal  #: smallest possible value (exclusive when ``low_open``)
    low_open: bool
    high: Decimal | None
    low_message: str  #: formatted with {v}
    high_message: str  #: formatted with {v}
    whole: bool = False


_SPECS: Final[Mapping[str, _Spec]] = {
    "dose_mg_per_kg": _Spec(
        "Dose",
        "mg/kg",
        "Dose is missing; enter the ordered dose in mg/kg.",
        Decimal(0),
        True,
        None,
        "Dose {v} mg/kg is impossible; enter the ordered dose in mg/kg (above 0).",
        "",
    ),
    "rate_mg_per_kg_per_h": _Spec(
        "Rate",
        "mg/kg/h",
        "Rate is missing; enter the ordered rate in mg/kg/h.",
        Decimal(0),
        True,
        None,
        "Rate {v} mg/kg/h is impossible; enter the ordered rate in mg/kg/h (above 0).",
        "",
    ),
    "weight_kg": _Spec(
        "Weight",
        "kg",
        "Weight is missing; weigh the patient or enter the last weight.",
        MIN_WEIGHT_KG,
        False,
        MAX_WEIGHT_KG,
        f"Weight {{v}} kg is impossible; enter the weight in kg "
        f"({MIN_WEIGHT_KG}-{MAX_WEIGHT_KG} kg).",
        f"Weight {{v}} kg is above {MAX_WEIGHT_KG} kg; check it was entered in kg, not pounds.",
    ),
    "concentration_mg_per_ml": _Spec(
        "Concentration",
        "mg/mL",
        "Concentration is missing; enter the strength on the vial label in mg/mL.",
        MIN_CONCENTRATION_MG_PER_ML,
        False,
        MAX_CONCENTRATION_MG_PER_ML,
        f"Concentration {{v}} mg/mL is impossible; enter the strength on the label "
        f"({MIN_CONCENTRATION_MG_PER_ML}-{MAX_CONCENTRATION_MG_PER_ML} mg/mL).",
        f"Concentration {{v}} mg/mL is above {MAX_CONCENTRATION_MG_PER_ML} mg/mL, the "
        "strongest ketamine made; check the label.",
    ),
    "bag_volume_ml": _Spec(
        "Bag volume",
        "mL",
        "Bag volume is missing; enter the volume of the infusion bag in mL.",
        MIN_BAG_VOLUME_ML,
        False,
        MAX_BAG_VOLUME_ML,
        f"Bag volume {{v}} mL is impossible; enter the bag volume "
        f"({MIN_BAG_VOLUME_ML}-{MAX_BAG_VOLUME_ML} mL).",
        f"Bag volume {{v}} mL is above {MAX_BAG_VOLUME_ML} mL; check the bag volume.",
    ),
    "duration_min": _Spec(
        "Duration",
        "min",
        "Duration is missing; enter the infusion time in minutes.",
        Decimal(0),
        True,
        Decimal(MAX_DURATION_MIN),
        f"Duration {{v}} min is impossible; enter the infusion time in minutes "
        f"(1-{MAX_DURATION_MIN}).",
        f"Duration {{v}} min is longer than 24 h ({MAX_DURATION_MIN} min); check the duration.",
        whole=True,
    ),
    "mg_per_device": _Spec(
        "Milligrams per device",
        "mg",
        "Milligrams per device is missing; enter the strength of one device (28 mg).",
        Decimal(0),
        True,
        MAX_MG_PER_DEVICE,
        "Milligrams per device {v} mg is impossible; enter the strength of one device (28 mg).",
        f"Milligrams per device {{v}} mg is above {MAX_MG_PER_DEVICE} mg; check the device "
        "label (28 mg).",
    ),
    "device_count": _Spec(
        "Device count",
        "",
        "Device count is missing; enter how many devices are given.",
        Decimal(0),
        True,
        None,
        "Device count {v} is impossible; enter how many devices are given.",
        "",
        whole=True,
    ),
}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse(name: str, value: object, problems: list[Problem]) -> Decimal | None:
    """Parse and bound one input by its spec, recording the problem instead of raising."""
    spec = _SPECS[name]
    if _is_blank(value):
        problems.append(Problem(name, spec.missing))
        return None
    number, problem = number_problem(value, spec.label, name, whole=spec.whole)
    if problem is not None:
        problems.append(problem)
        return None
    assert number is not None
    too_low = number <= spec.low if spec.low_open else number < spec.low
    if too_low:
        problems.append(Problem(name, spec.low_message.format(v=_show(number))))
        return None
    if spec.high is not None and number > spec.high:
        problems.append(Problem(name, spec.high_message.format(v=_show(number))))
        return None
    return number


def parse_weight_kg(value: object) -> Decimal:
    """Parse a patient weight in kg with the same checks dosing uses."""
    problems: list[Problem] = []
    weight = _parse("weight_kg", value, problems)
    if weight is None:
        raise ValidationError(problems)
    return weight


#: What a figure that rounds to nothing is refused with: (field blamed, what, unit, advice).
_ZERO_FIGURES: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "total_mg": ("dose", "The total dose", "mg",
                 "there is no measurable dose; check the ordered dose and the weight."),
    "rate_mg_per_h": ("dose", "The drug rate", "mg/h",
                      "check the ordered rate and the weight."),
    "drug_volume_ml": ("concentration_mg_per_ml", "The volume to draw up", "mL",
                       "too little to measure; use a weaker stock or check the dose."),
    "rate_ml_per_h": ("bag_volume_ml", "The pump rate", "mL/h",
                      "no pump runs that slowly; check the bag volume and the duration."),
}
#: Display places of each figure, as the working rounds it.
_PLACES: Final[Mapping[str, int]] = {
    "total_mg": 1, "rate_mg_per_h": 1, "drug_volume_ml": 1, "rate_ml_per_h": 0}


def _refuse_rounded_to_zero(dose_field: str, **figures: Decimal) -> None:
    """Refuse a dose whose working would show a non-zero figure as 0.0.

    A working that reads "= 0.0 mg" for 1e-9 mg/kg tells the second nurse
    nothing is given while something is ordered; such a dose is never a dose.
    Only the first figure that vanishes is reported: the later ones follow it.

    Raises:
        ValidationError: a figure rounds to zero for display.
    """
    for name, value in figures.items():
        places = _PLACES[name]
        with localcontext(_CONTEXT):
            vanishes = value > 0 and Decimal(format_decimal(value, places)) == 0
        if vanishes:
            field, what, unit, advice = _ZERO_FIGURES[name]
            half = Decimal(5).scaleb(-places - 1)
            zero = format_decimal(Decimal(0), places)
            raise ValidationError.single(
                dose_field if field == "dose" else field,
                f"{what} works out to less than {half:f} {unit}, which rounds to {zero} {unit}: "
                f"{advice}")


def _rate_line(bag: Decimal, duration: int, rate: Decimal) -> str:
    return f"{_show(bag)} mL / ({duration} min / 60) = {_round(rate, 0)} mL/h"


def weight_based_dose(
    *,
    dose_mg_per_kg: object,
    weight_kg: object,
    concentration_mg_per_ml: object,
    bag_volume_ml: object,
    duration_min: object,
) -> DoseCalculation:
    """IV infusion dosed in mg/kg over a duration: total mg, volume to draw, pump rate."""
    problems: list[Problem] = []
    dose = _parse("dose_mg_per_kg", dose_mg_per_kg, problems)
    weight = _parse("weight_kg", weight_kg, problems)
    concentration = _parse("concentration_mg_per_ml", concentration_mg_per_ml, problems)
    bag = _parse("bag_volume_ml", bag_volume_ml, problems)
    duration = _parse("duration_min", duration_min, problems)
    if problems:
        raise ValidationError(problems)
    assert dose is not None
    assert weight is not None
    assert concentration is not None
    assert bag is not None
    assert duration is not None
    minutes = int(duration)
    with localcontext(_CONTEXT):
        total = dose * weight
        volume = total / concentration
        rate_ml = bag * 60 / minutes
    _refuse_rounded_to_zero("dose_mg_per_kg", total_mg=total, drug_volume_ml=volume,
                            rate_ml_per_h=rate_ml)
    return DoseCalculation(
        mode=DosingMode.WEIGHT,
        total_mg=total,
        drug_volume_ml=volume,
        rate_ml_per_h=rate_ml,
        rate_mg_per_h=None,
        working=(
            f"{_show(dose)} mg/kg x {_show(weight)} kg = {_round(total, 1)} mg",
            f"{_round(total, 1)} mg / {_show(concentration)} mg/mL = {_round(volume, 1)} mL",
            _rate_line(bag, minutes, rate_ml),
        ),
        ordered_dose=dose,
        weight_kg=weight,
        concentration_mg_per_ml=concentration,
        bag_volume_ml=bag,
        duration_min=minutes,
    )


def rate_based_dose(
    *,
    rate_mg_per_kg_per_h: object,
    weight_kg: object,
    duration_min: object,
    concentration_mg_per_ml: object,
    bag_volume_ml: object,
) -> DoseCalculation:
    """IV infusion dosed in mg/kg/h (chronic pain): mg/h, total mg over the hours, pump rate."""
    problems: list[Problem] = []
    rate = _parse("rate_mg_per_kg_per_h", rate_mg_per_kg_per_h, problems)
    weight = _parse("weight_kg", weight_kg, problems)
    duration = _parse("duration_min", duration_min, problems)
    concentration = _parse("concentration_mg_per_ml", concentration_mg_per_ml, problems)
    bag = _parse("bag_volume_ml", bag_volume_ml, problems)
    if problems:
        raise ValidationError(problems)
    assert rate is not None
    assert weight is not None
    assert concentration is not None
    assert bag is not None
    assert duration is not None
    minutes = int(duration)
    with localcontext(_CONTEXT):
        rate_mg = rate * weight
        total = rate_mg * minutes / 60
        volume = total / concentration
        rate_ml = bag * 60 / minutes
    _refuse_rounded_to_zero("rate_mg_per_kg_per_h", rate_mg_per_h=rate_mg, total_mg=total,
                            drug_volume_ml=volume, rate_ml_per_h=rate_ml)
    return DoseCalculation(
        mode=DosingMode.RATE,
        total_mg=total,
        drug_volume_ml=volume,
        rate_ml_per_h=rate_ml,
        rate_mg_per_h=rate_mg,
        working=(
            f"{_show(rate)} mg/kg/h x {_show(weight)} kg = {_round(rate_mg, 1)} mg/h",
            f"{_round(rate_mg, 1)} mg/h x ({minutes} min / 60) = {_round(total, 1)} mg",
            f"{_round(total, 1)} mg / {_show(concentration)} mg/mL = {_round(volume, 1)} mL",
            _rate_line(bag, minutes, rate_ml),
        ),
        ordered_dose=rate,
        weight_kg=weight,
        concentration_mg_per_ml=concentration,
        bag_volume_ml=bag,
        duration_min=minutes,
    )


def im_dose(
    *, dose_mg_per_kg: object, weight_kg: object, concentration_mg_per_ml: object
) -> DoseCalculation:
    """Single IM injection dosed in mg/kg: total mg and the volume to draw up."""
    problems: list[Problem] = []
    dose = _parse("dose_mg_per_kg", dose_mg_per_kg, problems)
    weight = _parse("weight_kg", weight_kg, problems)
    concentration = _parse("concentration_mg_per_ml", concentration_mg_per_ml, problems)
    if problems:
        raise ValidationError(problems)
    assert dose is not None
    assert weight is not None
    assert concentration is not None
    with localcontext(_CONTEXT):
        total = dose * weight
        volume = total / concentration
    _refuse_rounded_to_zero("dose_mg_per_kg", total_mg=total, drug_volume_ml=volume)
    return DoseCalculation(
        mode=DosingMode.IM_WEIGHT,
        total_mg=total,
        drug_volume_ml=volume,
        rate_ml_per_h=None,
        rate_mg_per_h=None,
        working=(
            f"{_show(dose)} mg/kg x {_show(weight)} kg = {_round(total, 1)} mg",
            f"{_round(total, 1)} mg / {_show(concentration)} mg/mL = {_round(volume, 1)} mL",
        ),
        ordered_dose=dose,
        weight_kg=weight,
        concentration_mg_per_ml=concentration,
    )


def esketamine_dose(
    *,
    device_count: object,
    mg_per_device: object = Decimal(28),
    allowed_device_counts: Sequence[int] = (2, 3),
) -> DoseCalculation:
    """Intranasal esketamine: whole devices only, in a count the protocol allows (56/84 mg)."""
    problems: list[Problem] = []
    count = _parse("device_count", device_count, problems)
    per_device = _parse("mg_per_device", mg_per_device, problems)
    allowed = sorted({n for n in allowed_device_counts if type(n) is int})
    if count is not None and int(count) not in allowed:
        doses = ""
        if per_device is not None and allowed:
            with localcontext(_CONTEXT):
                doses = " (" + _or_list([f"{_show(n * per_device)}" for n in allowed]) + " mg)"
        choice = (
            f"give {_or_list(allowed)} devices{doses}"
            if allowed
            else "the protocol allows no device count; ask an administrator to fix it"
        )
        problems.append(
            Problem(
                "device_count",
                f"Device count {_show(count)} is not allowed by this protocol; {choice}.",
            )
        )
    if problems:
        raise ValidationError(problems)
    assert count is not None
    assert per_device is not None
    devices = int(count)
    with localcontext(_CONTEXT):
        total = devices * per_device
    _refuse_rounded_to_zero("mg_per_device", total_mg=total)
    noun = "device" if devices == 1 else "devices"
    return DoseCalculation(
        mode=DosingMode.DEVICE,
        total_mg=total,
        drug_volume_ml=None,
        rate_ml_per_h=None,
        rate_mg_per_h=None,
        working=(f"{devices} {noun} x {_show(per_device)} mg = {_round(total, 1)} mg",),
        device_count=devices,
        mg_per_device=per_device,
    )


#: The inputs each dosing mode takes, in the order the nurse enters them.
DOSE_INPUTS: Final[Mapping[DosingMode, tuple[str, ...]]] = {
    DosingMode.WEIGHT: (
        "dose_mg_per_kg",
        "weight_kg",
        "concentration_mg_per_ml",
        "bag_volume_ml",
        "duration_min",
    ),
    DosingMode.RATE: (
        "rate_mg_per_kg_per_h",
        "weight_kg",
        "duration_min",
        "concentration_mg_per_ml",
        "bag_volume_ml",
    ),
    DosingMode.IM_WEIGHT: ("dose_mg_per_kg", "weight_kg", "concentration_mg_per_ml"),
    DosingMode.DEVICE: ("device_count",),
}

_ALL_INPUTS: Final = frozenset(name for names in DOSE_INPUTS.values() for name in names)


def calculate_dose(protocol: Protocol, **inputs: object) -> DoseCalculation:
    """Compute a dose by the protocol's dosing mode, filling in the protocol's defaults.

    An input left out takes the protocol's default (dose, concentration, bag
    volume, duration); an input passed as ``None`` or ``""`` counts as cleared
    by the nurse and is reported missing. Weight and device count have no
    default. An input the mode does not use must be empty, so a value typed
    into the wrong field is never silently ignored. Device protocols take
    mg per device and the allowed counts from the protocol.

    Raises:
        ValidationError: every problem with the inputs.
        TypeError: an input name that no dosing mode knows (a programming error).
    """
    unknown = sorted(set(inputs) - _ALL_INPUTS)
    if unknown:
        raise TypeError(f"calculate_dose() got unknown inputs: {', '.join(unknown)}")
    mode = protocol.dosing_mode
    names = DOSE_INPUTS[mode]
    problems = [
        Problem(
            name,
            f"{_SPECS[name].label} does not apply to {protocol.name}; leave it empty.",
        )
        for name, value in inputs.items()
        if name not in names and not _is_blank(value)
    ]
    defaults: dict[str, object] = {
        "dose_mg_per_kg": protocol.default_dose,
        "rate_mg_per_kg_per_h": protocol.default_dose,
        "concentration_mg_per_ml": protocol.default_concentration_mg_per_ml,
        "bag_volume_ml": protocol.default_bag_volume_ml,
        "duration_min": protocol.default_duration_min,
    }
    args = {name: inputs[name] if name in inputs else defaults.get(name) for name in names}
    calculators: Mapping[DosingMode, Callable[..., DoseCalculation]] = {
        DosingMode.WEIGHT: weight_based_dose,
        DosingMode.RATE: rate_based_dose,
        DosingMode.IM_WEIGHT: im_dose,
    }
    try:
        if mode is DosingMode.DEVICE:
            result = esketamine_dose(
                device_count=args["device_count"],
                mg_per_device=protocol.mg_per_device,
                allowed_device_counts=protocol.allowed_device_counts,
            )
        else:
            result = calculators[mode](**args)
    except ValidationError as error:
        raise ValidationError([*problems, *error.problems]) from None
    if problems:
        raise ValidationError(problems)
    return result


class DoseLevel(StrEnum):
    """Where an ordered dose falls against the protocol's limits."""

    WITHIN = "within"
    BELOW_WARNING = "below_warning"
    ABOVE_WARNING = "above_warning"
    ABOVE_MAXIMUM = "above_maximum"


@dataclass(frozen=True)
class DoseCheck:
    """The verdict on an ordered dose and what must happen before it is prepared."""

    level: DoseLevel
    message: str | None  #: None when WITHIN
    needs_confirmation: bool  #: warning range: the nurse confirms the order
    needs_physician_override: bool  #: above hard max: a physician overrides with a reason


def check_dose_limits(dose: object, limits: DoseLimits, unit: str = "mg/kg") -> DoseCheck:
    """Compare an ordered dose with the protocol's limits (warning bounds inclusive).

    A dose equal to ``warn_max`` is routine and one equal to ``hard_max`` is a
    warning; only above ``hard_max`` needs the physician override.

    Raises:
        ValidationError: the dose is not a number, or is zero or negative.
    """
    value, problem = number_problem(dose, "Dose", "dose")
    if problem is not None:
        raise ValidationError([problem])
    assert value is not None
    if value <= 0:
        raise ValidationError.single(
            "dose", f"Dose {_show(value)} {unit} is impossible; enter the ordered dose (above 0)."
        )
    shown = f"{_show(value)} {unit}"
    if value > limits.hard_max:
        return DoseCheck(
            DoseLevel.ABOVE_MAXIMUM,
            f"{shown} is above the protocol maximum of {_show(limits.hard_max)} {unit}; "
            "a physician must override it with a reason.",
            needs_confirmation=False,
            needs_physician_override=True,
        )
    if value > limits.warn_max:
        return DoseCheck(
            DoseLevel.ABOVE_WARNING,
            f"{shown} is above the usual maximum of {_show(limits.warn_max)} {unit}; "
            "confirm the order before preparing the dose.",
            needs_confirmation=True,
            needs_physician_override=False,
        )
    if value < limits.warn_min:
        return DoseCheck(
            DoseLevel.BELOW_WARNING,
            f"{shown} is below the usual minimum of {_show(limits.warn_min)} {unit}; "
            "confirm the order before preparing the dose.",
            needs_confirmation=True,
            needs_physician_override=False,
        )
    return DoseCheck(
        DoseLevel.WITHIN, None, needs_confirmation=False, needs_physician_override=False
    )


def weight_age_warning(measured_on: date, today: date, max_age_days: int) -> str | None:
    """Warn when the weight used for dosing is older than the protocol allows.

    A weight exactly ``max_age_days`` old is still acceptable. Datetimes are
    reduced to their date.

    Raises:
        ValidationError: a weight dated after ``today``, or arguments that are
            not dates / a non-negative whole number of days.
    """
    problems: list[Problem] = []

    def as_date(value: object, field: str, label: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        problems.append(Problem(field, f"{label} must be a date."))
        return None

    measured = as_date(measured_on, "measured_on", "Weight date")
    current = as_date(today, "today", "Today's date")
    if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 0:
        problems.append(
            Problem("max_age_days", "Maximum weight age must be a whole number of days, 0 or more.")
        )
    if problems:
        raise ValidationError(problems)
    assert measured is not None
    assert current is not None
    age = (current - measured).days
    if age < 0:
        raise ValidationError.single(
            "measured_on",
            f"Weight date {measured.isoformat()} is in the future (today is "
            f"{current.isoformat()}); enter the date the patient was weighed.",
        )
    if age <= max_age_days:
        return None
    days = "day" if age == 1 else "days"
    return (
        f"Weight from {measured.isoformat()} is {age} {days} old "
        f"(protocol allows {max_age_days}); weigh the patient today."
    )
