"""Dose arithmetic: hand-worked cases, every refusal, and arbitrary input."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.dosing import (
    DoseCalculation,
    DoseLevel,
    calculate_dose,
    check_dose_limits,
    esketamine_dose,
    im_dose,
    parse_weight_kg,
    rate_based_dose,
    weight_age_warning,
    weight_based_dose,
)
from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import DoseLimits, DosingMode, Protocol, load_default_protocols
from tests.domain.strategies import junk

JUNK = junk("80 kg")
#: Plausible values mixed in so that the arithmetic itself is reached often.
PLAUSIBLE = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=3),
    st.integers(1, 1500),
    st.floats(min_value=0.01, max_value=1000),
    st.sampled_from(["0.5", "80", "10", "100", "40", "0,35", "240"]),
)
ANY = st.one_of(JUNK, PLAUSIBLE, PLAUSIBLE)


@pytest.fixture(scope="module")
def protocols() -> dict[DosingMode, Protocol]:
    return {p.dosing_mode: p for p in load_default_protocols()}


def problems(call: object, **kwargs: object) -> list[tuple[str, str]]:
    assert callable(call)
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return [(p.field, p.message) for p in caught.value.problems]


# --- hand-worked cases ----------------------------------------------------------------


def test_iv_depression_worked_example() -> None:
    dose = weight_based_dose(
        dose_mg_per_kg="0.5",
        weight_kg=80,
        concentration_mg_per_ml=10,
        bag_volume_ml=100,
        duration_min=40,
    )
    assert dose.mode is DosingMode.WEIGHT
    assert dose.total_mg == Decimal(40)
    assert dose.drug_volume_ml == Decimal(4)
    assert dose.rate_ml_per_h == Decimal(150)
    assert dose.rate_mg_per_h is None
    assert dose.working == (
        "0.5 mg/kg x 80 kg = 40.0 mg",
        "40.0 mg / 10 mg/mL = 4.0 mL",
        "100 mL / (40 min / 60) = 150 mL/h",
    )
    assert dose.total_mg_display == "40.0 mg"
    assert dose.drug_volume_display == "4.0 mL"
    assert dose.rate_ml_per_h_display == "150 mL/h"
    assert dose.ordered_dose == Decimal("0.5") and dose.dose_unit == "mg/kg"
    assert dose.weight_kg == 80 and dose.duration_min == 40


def test_pain_rate_worked_example() -> None:
    dose = rate_based_dose(
        rate_mg_per_kg_per_h="0.35",
        weight_kg=70,
        duration_min=240,
        concentration_mg_per_ml=10,
        bag_volume_ml=250,
    )
    assert dose.rate_mg_per_h == Decimal("24.5")
    assert dose.total_mg == Decimal(98)
    assert dose.drug_volume_ml == Decimal("9.8")
    assert dose.rate_ml_per_h == Decimal("62.5")
    assert dose.rate_ml_per_h_display == "63 mL/h"  # half-up, display only
    assert dose.rate_mg_per_h_display == "24.5 mg/h"
    assert dose.dose_unit == "mg/kg/h"
    assert dose.working == (
        "0.35 mg/kg/h x 70 kg = 24.5 mg/h",
        "24.5 mg/h x (240 min / 60) = 98.0 mg",
        "98.0 mg / 10 mg/mL = 9.8 mL",
        "250 mL / (240 min / 60) = 63 mL/h",
    )


def test_im_worked_example() -> None:
    dose = im_dose(dose_mg_per_kg="0.5", weight_kg="80", concentration_mg_per_ml="50")
    assert dose.total_mg == Decimal(40) and dose.drug_volume_ml == Decimal("0.8")
    assert dose.rate_ml_per_h is None and dose.rate_ml_per_h_display is None
    assert dose.working == ("0.5 mg/kg x 80 kg = 40.0 mg", "40.0 mg / 50 mg/mL = 0.8 mL")


@pytest.mark.parametrize(("count", "mg"), [(2, 56), (3, 84), ("3", 84)])
def test_esketamine_devices(count: object, mg: int) -> None:
    dose = esketamine_dose(device_count=count)
    assert dose.total_mg == Decimal(mg)
    assert dose.drug_volume_ml is None and dose.drug_volume_display is None
    assert dose.dose_unit is None
    assert dose.working == (f"{int(str(count))} devices x 28 mg = {mg}.0 mg",)


def test_exact_arithmetic_rounded_only_for_display() -> None:
    dose = weight_based_dose(
        dose_mg_per_kg="0.5",
        weight_kg="73.3",
        concentration_mg_per_ml=10,
        bag_volume_ml=100,
        duration_min=45,
    )
    assert dose.total_mg == Decimal("36.65")
    assert dose.total_mg_display == "36.7 mg"  # half-up, not banker's 36.6
    assert dose.drug_volume_ml == Decimal("3.665")
    assert dose.drug_volume_display == "3.7 mL"
    assert dose.rate_ml_per_h_display == "133 mL/h"
    assert dose.working[0] == "0.5 mg/kg x 73.3 kg = 36.7 mg"


def test_floats_are_taken_as_written() -> None:
    dose = im_dose(dose_mg_per_kg=0.1, weight_kg=70.7, concentration_mg_per_ml=50)
    assert dose.total_mg == Decimal("7.07")


def test_comma_decimal_separator() -> None:
    dose = im_dose(dose_mg_per_kg="0,5", weight_kg="80,0", concentration_mg_per_ml="50")
    assert dose.total_mg == Decimal(40)


# --- refusals -------------------------------------------------------------------------


def test_missing_weight_message() -> None:
    found = problems(
        weight_based_dose,
        dose_mg_per_kg="0.5",
        weight_kg="",
        concentration_mg_per_ml=10,
        bag_volume_ml=100,
        duration_min=40,
    )
    assert found == [
        ("weight_kg", "Weight is missing; weigh the patient or enter the last weight.")
    ]


def test_every_problem_reported_at_once() -> None:
    found = problems(
        weight_based_dose,
        dose_mg_per_kg="x",
        weight_kg=None,
        concentration_mg_per_ml=0,
        bag_volume_ml=-1,
        duration_min=0,
    )
    assert [field for field, _ in found] == [
        "dose_mg_per_kg",
        "weight_kg",
        "concentration_mg_per_ml",
        "bag_volume_ml",
        "duration_min",
    ]
    messages = dict(found)
    assert messages["concentration_mg_per_ml"] == (
        "Concentration 0 mg/mL is impossible; enter the strength on the label (0.1-100 mg/mL)."
    )
    assert messages["duration_min"] == (
        "Duration 0 min is impossible; enter the infusion time in minutes (1-1440)."
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_kg", 0, "Weight 0 kg is impossible; enter the weight in kg (1-400 kg)."),
        ("weight_kg", "-70", "Weight -70 kg is impossible; enter the weight in kg (1-400 kg)."),
        (
            "weight_kg",
            "450",
            "Weight 450 kg is above 400 kg; check it was entered in kg, not pounds.",
        ),
        ("weight_kg", True, "Weight must be a number, not True."),
        ("weight_kg", float("nan"), "Weight must be a finite number."),
        (
            "concentration_mg_per_ml",
            "500",
            "Concentration 500 mg/mL is above 100 mg/mL, the strongest ketamine made; "
            "check the label.",
        ),
        ("bag_volume_ml", "5000", "Bag volume 5000 mL is above 1000 mL; check the bag volume."),
        ("duration_min", "40.5", 'Duration must be a whole number, not "40.5".'),
        (
            "duration_min",
            2000,
            "Duration 2000 min is longer than 24 h (1440 min); check the duration.",
        ),
        (
            "dose_mg_per_kg",
            "-0.5",
            "Dose -0.5 mg/kg is impossible; enter the ordered dose in mg/kg (above 0).",
        ),
    ],
)
def test_single_refusals(field: str, value: object, message: str) -> None:
    inputs: dict[str, object] = {
        "dose_mg_per_kg": "0.5",
        "weight_kg": 80,
        "concentration_mg_per_ml": 10,
        "bag_volume_ml": 100,
        "duration_min": 40,
    }
    inputs[field] = value
    assert problems(weight_based_dose, **inputs) == [(field, message)]


def test_rate_refusals_name_the_rate() -> None:
    found = problems(
        rate_based_dose,
        rate_mg_per_kg_per_h=None,
        weight_kg=70,
        duration_min=240,
        concentration_mg_per_ml=10,
        bag_volume_ml=250,
    )
    assert found == [
        ("rate_mg_per_kg_per_h", "Rate is missing; enter the ordered rate in mg/kg/h.")
    ]


def test_device_count_outside_the_protocol() -> None:
    assert problems(esketamine_dose, device_count=4) == [
        (
            "device_count",
            "Device count 4 is not allowed by this protocol; give 2 or 3 devices (56 or 84 mg).",
        )
    ]
    assert problems(esketamine_dose, device_count=2.5)[0][0] == "device_count"
    assert problems(esketamine_dose, device_count=0)[0][0] == "device_count"
    assert problems(esketamine_dose, device_count=2, mg_per_device=0)[0][0] == "mg_per_device"


def test_device_count_with_other_allowed_counts() -> None:
    dose = esketamine_dose(device_count=1, mg_per_device="28", allowed_device_counts=(1, 2, 3))
    assert dose.working == ("1 device x 28 mg = 28.0 mg",)
    assert (
        "give 1, 2 or 3 devices (28, 56 or 84 mg)"
        in problems(esketamine_dose, device_count=4, allowed_device_counts=(1, 2, 3))[0][1]
    )


def test_parse_weight() -> None:
    assert parse_weight_kg("80,5") == Decimal("80.5")
    with pytest.raises(ValidationError):
        parse_weight_kg("0")


# --- calculate_dose -------------------------------------------------------------------


def test_calculate_dose_fills_protocol_defaults(protocols: dict[DosingMode, Protocol]) -> None:
    iv = calculate_dose(protocols[DosingMode.WEIGHT], weight_kg=80)
    assert (iv.total_mg, iv.drug_volume_ml, iv.rate_ml_per_h) == (
        Decimal(40),
        Decimal(4),
        Decimal(150),
    )
    pain = calculate_dose(protocols[DosingMode.RATE], weight_kg=70)
    assert pain.total_mg == 98 and pain.mode is DosingMode.RATE
    im = calculate_dose(protocols[DosingMode.IM_WEIGHT], weight_kg=80)
    assert im.drug_volume_ml == Decimal("0.8")
    nasal = calculate_dose(protocols[DosingMode.DEVICE], device_count=3)
    assert nasal.total_mg == 84


def test_calculate_dose_inputs_override_defaults(protocols: dict[DosingMode, Protocol]) -> None:
    dose = calculate_dose(
        protocols[DosingMode.WEIGHT], weight_kg=80, dose_mg_per_kg="0.75", duration_min=60
    )
    assert dose.total_mg == 60 and dose.rate_ml_per_h == 100


def test_calculate_dose_cleared_field_is_missing(protocols: dict[DosingMode, Protocol]) -> None:
    found = problems(
        calculate_dose, protocol=protocols[DosingMode.WEIGHT], weight_kg=80, duration_min=""
    )
    assert found == [("duration_min", "Duration is missing; enter the infusion time in minutes.")]


def test_calculate_dose_refuses_values_in_fields_the_mode_does_not_use(
    protocols: dict[DosingMode, Protocol],
) -> None:
    found = problems(
        calculate_dose,
        protocol=protocols[DosingMode.RATE],
        weight_kg=None,
        dose_mg_per_kg="0.5",
        device_count=None,
    )
    assert [field for field, _ in found] == ["dose_mg_per_kg", "weight_kg"]
    assert found[0][1] == (
        "Dose does not apply to IV ketamine for chronic pain, 0.35 mg/kg/h over 4 h; "
        "leave it empty."
    )


def test_calculate_dose_device_limits_come_from_the_protocol(
    protocols: dict[DosingMode, Protocol],
) -> None:
    found = problems(calculate_dose, protocol=protocols[DosingMode.DEVICE], device_count=1)
    assert found[0][0] == "device_count"
    assert problems(calculate_dose, protocol=protocols[DosingMode.DEVICE])[0] == (
        "device_count",
        "Device count is missing; enter how many devices are given.",
    )


def test_calculate_dose_unknown_input_is_a_programming_error(
    protocols: dict[DosingMode, Protocol],
) -> None:
    with pytest.raises(TypeError):
        calculate_dose(protocols[DosingMode.WEIGHT], weight=80)


# --- limits ---------------------------------------------------------------------------

LIMITS = DoseLimits(Decimal("0.1"), Decimal("1.0"), Decimal("1.5"))


@pytest.mark.parametrize(
    ("dose", "level", "confirm", "override"),
    [
        ("0.5", DoseLevel.WITHIN, False, False),
        ("0.1", DoseLevel.WITHIN, False, False),
        ("1.0", DoseLevel.WITHIN, False, False),
        ("0.09", DoseLevel.BELOW_WARNING, True, False),
        ("1.01", DoseLevel.ABOVE_WARNING, True, False),
        ("1.5", DoseLevel.ABOVE_WARNING, True, False),
        ("1.51", DoseLevel.ABOVE_MAXIMUM, False, True),
    ],
)
def test_dose_levels(dose: str, level: DoseLevel, confirm: bool, override: bool) -> None:
    check = check_dose_limits(dose, LIMITS)
    assert check.level is level
    assert check.needs_confirmation is confirm
    assert check.needs_physician_override is override
    assert (check.message is None) is (level is DoseLevel.WITHIN)


def test_dose_messages() -> None:
    assert check_dose_limits("1.2", LIMITS).message == (
        "1.2 mg/kg is above the usual maximum of 1.0 mg/kg; confirm the order before "
        "preparing the dose."
    )
    assert check_dose_limits("0.05", LIMITS).message == (
        "0.05 mg/kg is below the usual minimum of 0.1 mg/kg; confirm the order before "
        "preparing the dose."
    )
    assert check_dose_limits("2", LIMITS, unit="mg/kg/h").message == (
        "2 mg/kg/h is above the protocol maximum of 1.5 mg/kg/h; a physician must override "
        "it with a reason."
    )


@pytest.mark.parametrize("dose", ["", None, "abc", float("inf"), 0, "-1", [1]])
def test_dose_check_refuses_non_doses(dose: object) -> None:
    with pytest.raises(ValidationError):
        check_dose_limits(dose, LIMITS)


# --- weight age -----------------------------------------------------------------------


def test_weight_age() -> None:
    today = date(2026, 11, 21)
    assert weight_age_warning(date(2026, 10, 22), today, 30) is None  # exactly 30 days
    assert weight_age_warning(today, today, 0) is None
    assert weight_age_warning(date(2026, 9, 1), today, 30) == (
        "Weight from 2026-09-01 is 81 days old (protocol allows 30); weigh the patient today."
    )
    assert weight_age_warning(date(2026, 11, 20), today, 0) == (
        "Weight from 2026-11-20 is 1 day old (protocol allows 0); weigh the patient today."
    )
    assert weight_age_warning(datetime(2026, 9, 1, 23, 0), today, 30) is not None


def test_weight_from_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        weight_age_warning(date(2026, 11, 22), date(2026, 11, 21), 30)
    assert caught.value.messages == [
        "Weight date 2026-11-22 is in the future (today is 2026-11-21); enter the date the "
        "patient was weighed."
    ]


DATES = st.one_of(JUNK, st.dates(), st.datetimes())


@given(measured=DATES, today=DATES, days=st.one_of(JUNK, st.integers()))
def test_weight_age_never_crashes(measured: object, today: object, days: object) -> None:
    with contextlib.suppress(ValidationError):
        weight_age_warning(measured, today, days)  # type: ignore[arg-type]


@given(measured=st.dates(), today=st.dates(), days=st.integers(0, 10_000))
def test_weight_age_is_a_warning_or_a_refusal(measured: date, today: date, days: int) -> None:
    if measured > today:
        with pytest.raises(ValidationError):
            weight_age_warning(measured, today, days)
    else:
        warning = weight_age_warning(measured, today, days)
        assert (warning is None) is ((today - measured).days <= days)


# --- property tests -------------------------------------------------------------------


def outcome(call: object, **kwargs: object) -> DoseCalculation | None:
    """Run a calculation; only a result or a ValidationError with problems is allowed."""
    assert callable(call)
    try:
        result = call(**kwargs)
    except ValidationError as error:
        assert error.problems
        assert all(p.field in kwargs for p in error.problems)
        return None
    assert isinstance(result, DoseCalculation)
    assert result.total_mg >= 0
    assert result.total_mg_display.endswith(" mg")
    for line in result.working:
        assert len(line) < 200
    return result


@given(dose=ANY, weight=ANY, conc=ANY, bag=ANY, duration=ANY)
def test_weight_based_any_input(
    dose: object, weight: object, conc: object, bag: object, duration: object
) -> None:
    result = outcome(
        weight_based_dose,
        dose_mg_per_kg=dose,
        weight_kg=weight,
        concentration_mg_per_ml=conc,
        bag_volume_ml=bag,
        duration_min=duration,
    )
    if result is not None:
        assert result.drug_volume_display is not None
        assert result.rate_ml_per_h_display is not None


@given(rate=ANY, weight=ANY, conc=ANY, bag=ANY, duration=ANY)
def test_rate_based_any_input(
    rate: object, weight: object, conc: object, bag: object, duration: object
) -> None:
    outcome(
        rate_based_dose,
        rate_mg_per_kg_per_h=rate,
        weight_kg=weight,
        duration_min=duration,
        concentration_mg_per_ml=conc,
        bag_volume_ml=bag,
    )


@given(dose=ANY, weight=ANY, conc=ANY)
def test_im_any_input(dose: object, weight: object, conc: object) -> None:
    outcome(im_dose, dose_mg_per_kg=dose, weight_kg=weight, concentration_mg_per_ml=conc)


@given(count=st.one_of(JUNK, st.integers(-3, 6)), mg=st.one_of(ANY, st.just(28)))
def test_esketamine_any_input(count: object, mg: object) -> None:
    outcome(esketamine_dose, device_count=count, mg_per_device=mg)


@given(dose=ANY)
def test_dose_check_any_input(dose: object) -> None:
    try:
        check = check_dose_limits(dose, LIMITS)
    except ValidationError:
        return
    assert check.level in DoseLevel


@given(
    mode=st.sampled_from(list(DosingMode)),
    inputs=st.dictionaries(
        st.sampled_from(
            [
                "dose_mg_per_kg",
                "rate_mg_per_kg_per_h",
                "weight_kg",
                "concentration_mg_per_ml",
                "bag_volume_ml",
                "duration_min",
                "device_count",
            ]
        ),
        ANY,
    ),
)
def test_calculate_dose_any_input(mode: DosingMode, inputs: dict[str, object]) -> None:
    protocol = {p.dosing_mode: p for p in load_default_protocols()}[mode]
    try:
        result = calculate_dose(protocol, **inputs)
    except ValidationError:
        return
    assert result.mode is mode


@given(
    dose=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(3), places=2),
    weight=st.decimals(min_value=Decimal(1), max_value=Decimal(400), places=1),
    conc=st.sampled_from([Decimal(10), Decimal(50), Decimal(100), Decimal("0.5")]),
)
def test_arithmetic_is_exact(dose: Decimal, weight: Decimal, conc: Decimal) -> None:
    if dose * weight < Decimal("0.05") or dose * weight / conc < Decimal("0.05"):
        with pytest.raises(ValidationError, match=r"which rounds to 0.0"):
            im_dose(dose_mg_per_kg=dose, weight_kg=weight, concentration_mg_per_ml=conc)
        return
    result = im_dose(dose_mg_per_kg=dose, weight_kg=weight, concentration_mg_per_ml=conc)
    assert result.total_mg == dose * weight
    assert result.drug_volume_ml is not None
    assert result.drug_volume_ml * conc == result.total_mg
