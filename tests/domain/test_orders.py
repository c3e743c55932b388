"""The physician's order: building one against its protocol, and doses that follow or depart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketalog.domain.dosing import calculate_dose
from ketalog.domain.errors import ValidationError
from ketalog.domain.orders import (
    NEEDED,
    NO_ORDER,
    OrderKind,
    OrderNeeded,
    PhysicianOrder,
    ProposedDose,
    WeightBasis,
    check_dose_against_order,
    make_order,
    order_followed,
    proposed_dose,
)
from ketalog.domain.protocols import DosingMode, Protocol, load_default_protocols
from tests.domain.strategies import junk

PROTOCOLS = {p.code: p for p in load_default_protocols()}
IV = PROTOCOLS["iv-depression-0.5"]
PAIN = PROTOCOLS["iv-pain-0.35"]
IM = PROTOCOLS["im-ketamine-0.5"]
NASAL = PROTOCOLS["esketamine-intranasal"]
ADA = "Ada Lee, MD"
#: doses in mg/kg to 3 places, from far below the order to above the hard maximum
DOSES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1.5"), places=3)


def _iv(dose: str = "0.5", ceiling: str | None = None, minutes: int = 40) -> PhysicianOrder:
    return make_order(IV, dose=dose, duration_min=minutes, weight_basis="actual",
                      titration_ceiling=ceiling, physician_name=ADA)


def _proposed(dose: Decimal | str, minutes: int | None = 40, basis: str = "actual",
              protocol: Protocol = IV) -> ProposedDose:
    return ProposedDose(protocol.code, protocol.dosing_mode, Decimal(dose), minutes,
                        WeightBasis(basis))


def test_the_brief_s_example_message() -> None:
    assert check_dose_against_order(_iv(), _proposed("0.6")) == [
        "Ada Lee, MD ordered 0.5 mg/kg over 40 min; this dose is 0.6 mg/kg: a new physician "
        "order or a verbal order is needed."]


def test_exactly_the_ordered_dose_follows() -> None:
    assert check_dose_against_order(_iv(), _proposed("0.50")) == []


def test_duration_and_weight_basis_are_part_of_the_order() -> None:
    order = _iv()
    assert check_dose_against_order(order, _proposed("0.5", minutes=60)) == [
        f"Ada Lee, MD ordered 0.5 mg/kg over 40 min; this dose runs over 60 min: {NEEDED}"]
    assert check_dose_against_order(order, _proposed("0.5", basis="ideal")) == [
        "Ada Lee, MD ordered 0.5 mg/kg over 40 min on actual body weight; this dose uses "
        f"ideal body weight: {NEEDED}"]
    both = check_dose_against_order(order, _proposed("0.7", minutes=60, basis="ideal"))
    assert len(both) == 3


def test_another_protocol_departs() -> None:
    order = _iv()
    assert check_dose_against_order(order, _proposed("0.5", protocol=PAIN)) == [
        f"Ada Lee, MD ordered iv-depression-0.5; this dose follows iv-pain-0.35: {NEEDED}"]


@given(DOSES)
def test_without_titration_only_the_ordered_dose_follows(dose: Decimal) -> None:
    follows = not check_dose_against_order(_iv("0.5"), _proposed(dose))
    assert follows == (dose == Decimal("0.5"))


@given(DOSES, DOSES, DOSES)
def test_titration_allows_exactly_the_doses_from_the_order_to_the_ceiling(
        ordered: Decimal, ceiling: Decimal, dose: Decimal) -> None:
    assume(ordered < ceiling)
    order = _iv(str(ordered), str(ceiling))
    reasons = check_dose_against_order(order, _proposed(dose))
    assert (not reasons) == (ordered <= dose <= ceiling)
    if reasons:
        [reason] = reasons
        assert reason.endswith(NEEDED)
        assert f"titration up to {ceiling.normalize():f} mg/kg" in reason
        assert ("below the ordered dose" in reason) == (dose < ordered)
        assert ("above the titration ceiling" in reason) == (dose > ceiling)


def test_the_order_itself_stays_within_the_protocol_maximum() -> None:
    with pytest.raises(ValidationError) as refused:
        make_order(IV, dose="1.6", duration_min=40, titration_ceiling="2",
                   physician_name=ADA)
    assert refused.value.messages == [
        "Ordered dose 1.6 mg/kg is above the protocol maximum of 1.5 mg/kg; an order must "
        "stay within it (a higher dose is the physician's override at the chair, with a "
        "reason).",
        "Titration ceiling 2 mg/kg is above the protocol maximum of 1.5 mg/kg; an order must "
        "stay within it (a higher dose is the physician's override at the chair, with a "
        "reason)."]
    assert _iv("1.5").dose == Decimal("1.5")  # the maximum itself may be ordered


@given(DOSES, DOSES)
def test_a_ceiling_must_lie_above_the_dose(ordered: Decimal, ceiling: Decimal) -> None:
    if ordered < ceiling:
        assert _iv(str(ordered), str(ceiling)).titration_ceiling == ceiling
    else:
        with pytest.raises(ValidationError, match="must be above the ordered dose"):
            _iv(str(ordered), str(ceiling))


def test_every_problem_of_an_order_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        make_order(IV, dose="", duration_min=None, weight_basis="lean", physician_name=" ")
    fields = [p.field for p in refused.value.problems]
    assert fields == ["dose", "duration_min", "weight_basis", "physician"]
    with pytest.raises(ValidationError) as refused:
        make_order(IM, dose="0.5", duration_min=40, physician_name=ADA)
    assert refused.value.messages == [
        f"A duration does not apply to {IM.name}; leave it empty."]


def test_device_orders_are_in_whole_allowed_devices_and_print_in_mg() -> None:
    order = make_order(NASAL, dose=2, titration_ceiling=3, physician_name=ADA)
    assert order.describe() == "56 mg (2 devices), titration up to 84 mg (3 devices)"
    assert order.weight_basis is None and order.duration_min is None
    three = ProposedDose(NASAL.code, DosingMode.DEVICE, Decimal(3), None, None)
    assert check_dose_against_order(order, three) == []
    fixed = make_order(NASAL, dose=2, physician_name=ADA)
    assert check_dose_against_order(fixed, three) == [
        f"Ada Lee, MD ordered 56 mg (2 devices); this dose is 84 mg (3 devices): {NEEDED}"]
    with pytest.raises(ValidationError, match="4 devices is not allowed"):
        make_order(NASAL, dose=4, physician_name=ADA)
    with pytest.raises(ValidationError, match="weight basis does not apply"):
        make_order(NASAL, dose=2, weight_basis="actual", physician_name=ADA)


def test_a_rate_order_is_in_mg_per_kg_per_hour() -> None:
    order = make_order(PAIN, dose="0.35", duration_min=240, physician_name=ADA)
    assert order.describe() == "0.35 mg/kg/h over 240 min"
    calc = calculate_dose(PAIN, weight_kg="80")
    assert check_dose_against_order(order, proposed_dose(PAIN.code, calc, "actual")) == []


def test_a_verbal_order_is_for_exactly_one_dose() -> None:
    with pytest.raises(ValidationError, match="allows no titration"):
        make_order(IV, dose="0.6", duration_min=40, titration_ceiling="0.8",
                   physician_name=ADA, kind=OrderKind.VERBAL)


@given(junk("0.5"))
def test_any_input_is_an_order_or_a_refusal(value: object) -> None:
    try:
        order = make_order(IV, dose=value, duration_min=value, weight_basis=value,
                           titration_ceiling=value, physician_name=ADA)
    except ValidationError as refused:
        assert refused.messages
    else:
        assert order.dose > 0


def test_the_proposed_dose_of_a_calculation() -> None:
    calc = calculate_dose(IV, weight_kg="80", dose_mg_per_kg="0.6")
    assert proposed_dose(IV.code, calc, "ideal") == ProposedDose(
        IV.code, DosingMode.WEIGHT, Decimal("0.6"), 40, WeightBasis.IDEAL)
    nasal = calculate_dose(NASAL, device_count=3)
    assert proposed_dose(NASAL.code, nasal, None).dose == 3


class TestWhichOrderADoseFollows:
    """order_followed: the verbal order for exactly this dose first, then the standing one."""

    standing = (1, _iv("0.5", "0.75"))

    def test_within_the_standing_order(self) -> None:
        assert order_followed(_proposed("0.7"), standing=self.standing) == 1

    def test_a_verbal_order_for_exactly_this_dose(self) -> None:
        verbal = make_order(IV, dose="0.9", duration_min=40, physician_name=ADA,
                            kind=OrderKind.VERBAL)
        assert order_followed(_proposed("0.9"), standing=self.standing,
                              verbal=[(7, verbal)]) == 7
        with pytest.raises(OrderNeeded) as refused:
            order_followed(_proposed("0.95"), standing=self.standing, verbal=[(7, verbal)])
        assert "this dose is 0.95 mg/kg, above the titration ceiling" in str(refused.value)

    def test_no_order_in_force(self) -> None:
        with pytest.raises(OrderNeeded) as refused:
            order_followed(_proposed("0.5"), standing=None)
        assert refused.value.reasons == (NO_ORDER,)
        # a course opened before orders were recorded doses without one
        assert order_followed(_proposed("0.5"), standing=None, order_required=False) is None
        # ... until a standing order is entered: then it is followed
        with pytest.raises(OrderNeeded):
            order_followed(_proposed("0.8"), standing=self.standing, order_required=False)
