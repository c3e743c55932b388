"""The physician's order: what a dose prepared at the chair must follow.

A course carries the physician's *standing order* (the protocol, the dose in
the protocol's own unit, the duration, the weight basis, and how far the nurse
may titrate without a new order). A dose that departs from it needs a new
standing order or a *verbal order* for exactly that dose, read back by the
nurse and co-signed by the physician later. These rules are pure so the dose
panel can say "this departs from the order" while the nurse types, and the
service refuses exactly the same doses.

Doses are compared in the unit the protocol orders in: mg/kg (IV and IM
weight-based), mg/kg/h (rate-based infusions) or whole devices (esketamine,
a fixed number of mg each). An order may never exceed the protocol's hard
maximum itself: a dose above it is the physician's override at the chair, with
their password and a reason (see ``services.session.dose.order_dose``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ketalog.domain.dosing import DoseCalculation, check_dose_limits
from ketalog.domain.errors import Problem, TransitionRefused, ValidationError
from ketalog.domain.protocols import MAX_DURATION_MIN, DosingMode, Protocol
from ketalog.domain.values import decimal_problem, int_problem


class OrderKind(StrEnum):
    """A standing order signed on the course, or a verbal order given for one session."""

    STANDING = "standing"
    VERBAL = "verbal"


class WeightBasis(StrEnum):
    """Which weight a weight-based order is dosed on."""

    ACTUAL = "actual"
    IDEAL = "ideal"


#: What a departing dose needs, at the end of every departure message.
NEEDED: Final = "a new physician order or a verbal order is needed."
#: A course that requires an order has none in force.
NO_ORDER: Final = ("No physician's order is in force for this course: a physician enters the "
                   "standing order (course window, Physician's order…) or gives a verbal order "
                   "before the dose is prepared.")

_WEIGHTED = (DosingMode.WEIGHT, DosingMode.RATE, DosingMode.IM_WEIGHT)
_TIMED = (DosingMode.WEIGHT, DosingMode.RATE)


def dose_unit(mode: DosingMode) -> str:
    """The unit an order of this mode is written in."""
    if mode is DosingMode.RATE:
        return "mg/kg/h"
    if mode is DosingMode.DEVICE:
        return "devices"
    return "mg/kg"


def _num(value: Decimal) -> str:
    """A decimal as a clinician writes it: "0.5", "40", never "5E-1"."""
    text = f"{value.normalize():f}"
    return text


def amount_text(mode: DosingMode, dose: Decimal, mg_per_device: Decimal | None = None) -> str:
    """One dose in its unit: "0.5 mg/kg", "0.35 mg/kg/h", "56 mg (2 devices)"."""
    if mode is DosingMode.DEVICE:
        count = int(dose)
        noun = "device" if count == 1 else "devices"
        if mg_per_device is not None:
            return f"{_num(dose * mg_per_device)} mg ({count} {noun})"
        return f"{count} {noun}"
    return f"{_num(dose)} {dose_unit(mode)}"


@dataclass(frozen=True)
class PhysicianOrder:
    """What a physician ordered, in the protocol's unit; built by :func:`make_order`."""

    protocol_code: str
    dosing_mode: DosingMode
    #: mg/kg (WEIGHT, IM_WEIGHT), mg/kg/h (RATE) or a whole number of devices (DEVICE)
    dose: Decimal
    duration_min: int | None
    weight_basis: WeightBasis | None
    #: the highest dose the nurse may titrate to without a new order (same unit); None: none
    titration_ceiling: Decimal | None
    #: printed name and credentials of the ordering physician ("Ada Lindqvist, MD")
    physician_name: str
    kind: OrderKind = OrderKind.STANDING
    mg_per_device: Decimal | None = None

    @property
    def unit(self) -> str:
        """The unit of ``dose`` and ``titration_ceiling``."""
        return dose_unit(self.dosing_mode)

    def dose_text(self) -> str:
        """The ordered dose alone: "0.5 mg/kg", "56 mg (2 devices)"."""
        return amount_text(self.dosing_mode, self.dose, self.mg_per_device)

    def describe(self) -> str:
        """The order in words: "0.5 mg/kg over 40 min, titration up to 0.75 mg/kg"."""
        text = self.dose_text()
        if self.duration_min is not None:
            text += f" over {self.duration_min} min"
        if self.weight_basis is WeightBasis.IDEAL:
            text += " on ideal body weight"
        if self.titration_ceiling is not None:
            text += (", titration up to "
                     + amount_text(self.dosing_mode, self.titration_ceiling, self.mg_per_device))
        return text


@dataclass(frozen=True)
class ProposedDose:
    """The dose the nurse is preparing, reduced to what an order speaks about."""

    protocol_code: str
    dosing_mode: DosingMode
    dose: Decimal
    duration_min: int | None
    weight_basis: WeightBasis | None


def proposed_dose(protocol_code: str, calc: DoseCalculation,
                  weight_basis: str | None) -> ProposedDose:
    """The calculated dose as an order compares it (mg/kg, mg/kg/h or devices)."""
    if calc.mode is DosingMode.DEVICE:
        amount = Decimal(calc.device_count or 0)
    else:
        assert calc.ordered_dose is not None
        amount = calc.ordered_dose
    basis = None
    if calc.mode is not DosingMode.DEVICE:
        basis = WeightBasis(weight_basis) if weight_basis in ("actual", "ideal") else (
            WeightBasis.ACTUAL)
    return ProposedDose(protocol_code, calc.mode, amount, calc.duration_min, basis)


def _over_maximum(protocol: Protocol, value: Decimal, label: str, field: str) -> Problem | None:
    """An order above the protocol's hard maximum (the override is for the chair, not orders)."""
    if protocol.limits is None:
        return None
    check = check_dose_limits(value, protocol.limits, protocol.dose_unit)
    if not check.needs_physician_override:
        return None
    return Problem(field, f"{label} {_num(value)} {protocol.dose_unit} is above the protocol "
                          f"maximum of {_num(protocol.limits.hard_max)} {protocol.dose_unit}; "
                          "an order must stay within it (a higher dose is the physician's "
                          "override at the chair, with a reason).")


def _parse_amount(protocol: Protocol, value: object, label: str, field: str,
                  problems: list[Problem]) -> Decimal | None:
    """A dose or ceiling in the protocol's unit, positive, whole for devices, within limits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(Problem(field, f"{label} is missing; enter it in "
                                       f"{dose_unit(protocol.dosing_mode)}."))
        return None
    if protocol.dosing_mode is DosingMode.DEVICE:
        count, problem = int_problem(value, label, field)
        if problem is not None:
            problems.append(problem)
            return None
        assert count is not None
        if count not in protocol.allowed_device_counts:
            allowed = " or ".join(str(n) for n in protocol.allowed_device_counts)
            problems.append(Problem(field, f"{label} {count} devices is not allowed by "
                                           f"{protocol.name}; order {allowed} devices."))
            return None
        return Decimal(count)
    number, problem = decimal_problem(value, label, field)
    if problem is not None:
        problems.append(problem)
        return None
    assert number is not None
    if number <= 0:
        problems.append(Problem(field, f"{label} {_num(number)} {protocol.dose_unit} is "
                                       "impossible; enter a dose above 0."))
        return None
    over = _over_maximum(protocol, number, label, field)
    if over is not None:
        problems.append(over)
        return None
    return number


def make_order(
    protocol: Protocol,
    *,
    dose: object,
    duration_min: object = None,
    weight_basis: object = None,
    titration_ceiling: object = None,
    physician_name: str,
    kind: OrderKind = OrderKind.STANDING,
) -> PhysicianOrder:
    """Check an order against its protocol and build it; every problem at once.

    The dose is in the protocol's unit; the duration applies to infusions only
    and the weight basis to weight-based doses. A titration ceiling must lie
    above the dose and within the protocol's hard maximum; a verbal order is
    for exactly one dose, so it has none.

    Raises:
        ValidationError: every problem with the order.
    """
    problems: list[Problem] = []
    mode = protocol.dosing_mode
    amount = _parse_amount(protocol, dose, "Ordered dose", "dose", problems)
    minutes: int | None = None
    blank_duration = duration_min is None or duration_min == ""
    if mode in _TIMED:
        if blank_duration:
            problems.append(Problem("duration_min", "Duration is missing; enter the infusion "
                                                    "time in minutes."))
        else:
            minutes, problem = int_problem(duration_min, "Duration", "duration_min")
            if problem is not None:
                problems.append(problem)
            elif minutes is not None and not 1 <= minutes <= MAX_DURATION_MIN:
                problems.append(Problem("duration_min", f"Duration {minutes} min is out of "
                                                        f"range; enter 1-{MAX_DURATION_MIN} min."))
                minutes = None
    elif not blank_duration:
        problems.append(Problem("duration_min", f"A duration does not apply to {protocol.name}; "
                                                "leave it empty."))
    basis: WeightBasis | None = None
    if mode in _WEIGHTED:
        if weight_basis in (None, ""):
            basis = WeightBasis.ACTUAL
        elif weight_basis in tuple(WeightBasis):
            basis = WeightBasis(str(weight_basis))
        else:
            problems.append(Problem("weight_basis", "Weight basis must be actual or ideal "
                                                    "body weight."))
    elif weight_basis not in (None, ""):
        problems.append(Problem("weight_basis", f"A weight basis does not apply to "
                                                f"{protocol.name}; leave it empty."))
    ceiling: Decimal | None = None
    if titration_ceiling not in (None, ""):
        if kind is OrderKind.VERBAL:
            problems.append(Problem("titration_ceiling", "A verbal order is for exactly one "
                                                         "dose; it allows no titration."))
        else:
            ceiling = _parse_amount(protocol, titration_ceiling, "Titration ceiling",
                                    "titration_ceiling", problems)
            if ceiling is not None and amount is not None and ceiling <= amount:
                problems.append(Problem(
                    "titration_ceiling",
                    f"Titration ceiling {amount_text(mode, ceiling, protocol.mg_per_device)} "
                    f"must be above the ordered dose "
                    f"{amount_text(mode, amount, protocol.mg_per_device)}; leave it empty for "
                    "no titration."))
                ceiling = None
    name = physician_name.strip()
    if not name:
        problems.append(Problem("physician", "Name the physician who gave the order."))
    if problems:
        raise ValidationError(problems)
    assert amount is not None
    return PhysicianOrder(protocol.code, mode, amount, minutes, basis, ceiling, name, kind,
                          protocol.mg_per_device)


def check_dose_against_order(order: PhysicianOrder, proposed: ProposedDose) -> list[str]:
    """Why ``proposed`` departs from ``order``, one sentence per difference; empty if it follows.

    A dose between the ordered dose and the titration ceiling (both included)
    follows the order; anything else, a different duration, weight basis or
    protocol departs from it.
    """
    said = f"{order.physician_name} ordered {order.describe()}"
    if order.protocol_code != proposed.protocol_code or order.dosing_mode != proposed.dosing_mode:
        return [f"{order.physician_name} ordered {order.protocol_code}; this dose follows "
                f"{proposed.protocol_code}: {NEEDED}"]
    reasons: list[str] = []
    ceiling = order.titration_ceiling if order.titration_ceiling is not None else order.dose
    if not order.dose <= proposed.dose <= ceiling:
        amount = amount_text(proposed.dosing_mode, proposed.dose, order.mg_per_device)
        if proposed.dose < order.dose and order.titration_ceiling is not None:
            amount += ", below the ordered dose"
        elif proposed.dose > ceiling and order.titration_ceiling is not None:
            amount += ", above the titration ceiling"
        reasons.append(f"{said}; this dose is {amount}: {NEEDED}")
    if order.duration_min is not None and proposed.duration_min != order.duration_min:
        reasons.append(f"{said}; this dose runs over {proposed.duration_min} min: {NEEDED}")
    if (order.weight_basis is not None and proposed.weight_basis is not None
            and proposed.weight_basis is not order.weight_basis):
        reasons.append(f"{said} on {order.weight_basis.value} body weight; this dose uses "
                       f"{proposed.weight_basis.value} body weight: {NEEDED}")
    return reasons


class OrderNeeded(TransitionRefused):
    """A dose with no order in force, or departing from it: refused with every reason."""


def order_followed(
    proposed: ProposedDose,
    *,
    standing: tuple[int, PhysicianOrder] | None,
    verbal: Sequence[tuple[int, PhysicianOrder]] = (),
    order_required: bool = True,
) -> int | None:
    """The id of the order this dose follows; None when no order is in force nor required.

    A verbal order given for this session for exactly this dose comes first
    (the newest such); otherwise the dose must follow the standing order in
    force. A course opened before orders were recorded (``order_required``
    False) doses without one until a standing order is entered.

    Raises:
        OrderNeeded: no order in force where one is required, or the dose departs from it.
    """
    for order_id, order in sorted(verbal, key=lambda pair: pair[0], reverse=True):
        if not check_dose_against_order(order, proposed):
            return order_id
    if standing is None:
        if not order_required:
            return None
        reasons = [NO_ORDER]
        if verbal:
            newest = max(verbal, key=lambda pair: pair[0])[1]
            reasons += check_dose_against_order(newest, proposed)
        raise OrderNeeded(reasons)
    order_id, order = standing
    reasons = check_dose_against_order(order, proposed)
    if reasons:
        raise OrderNeeded(reasons)
    return order_id
