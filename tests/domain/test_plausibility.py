"""Plausibility with reasons: weights, totals, durations and doses that vanish (issue 16, 3)."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.clinic_settings import clinic_setting
from ketalog.domain.dosing import DoseLevel, calculate_dose
from ketalog.domain.errors import ValidationError
from ketalog.domain.plausibility import (
    DUPLICATE_WEIGHT_WINDOW,
    WEIGHT_COMPARISON_DAYS,
    PreviousWeight,
    RecentWeight,
    assess_dose,
    assess_weight,
    duration_finding,
    weight_change_finding,
)
from ketalog.domain.protocols import (
    DosingMode,
    DurationLimits,
    Protocol,
    TotalDoseLimits,
    load_default_protocols,
)

TODAY = date(2026, 3, 14)


@pytest.fixture(scope="module")
def protocols() -> dict[str, Protocol]:
    return {p.code: p for p in load_default_protocols()}


def iv() -> Protocol:
    return next(p for p in load_default_protocols() if p.code == "iv-depression-0.5")


def iv_dose(**inputs: object) -> Any:
    return calculate_dose(iv(), **{"weight_kg": 80, **inputs})


# --- the defects as found ---------------------------------------------------------------


def test_200_kg_four_days_after_105_9_kg_asks_with_both_weights() -> None:
    calc = iv_dose(weight_kg=200)
    assert calc.total_mg == 100
    verdict = assess_dose(iv(), calc, on=TODAY,
                          previous_weight=PreviousWeight(Decimal("105.9"), TODAY - timedelta(4)))
    assert verdict.needs_confirmation and not verdict.needs_physician_override
    assert verdict.message == (
        "Weight 200 kg is 89% more than the 105.9 kg recorded on 2026-03-10 (4 days earlier); "
        "weigh the patient again, or confirm 200 kg.")
    assert verdict.level == "outside_warning"


def test_an_infusion_over_one_minute_needs_a_physician() -> None:
    calc = iv_dose(duration_min=1)
    assert calc.rate_ml_per_h == 6000
    verdict = assess_dose(iv(), calc)
    assert verdict.needs_physician_override
    assert verdict.message == (
        "Infusion over 1 min (6000 mL/h) is faster than the protocol allows (at least 20 min); "
        "a physician must override it with a reason.")
    assert verdict.level == "beyond_hard_limit"


def test_a_dose_that_rounds_to_nothing_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError) as refused:
        iv_dose(dose_mg_per_kg="1e-9")
    assert refused.value.problems[0].field == "dose_mg_per_kg"
    assert refused.value.messages == [
        "The total dose works out to less than 0.05 mg, which rounds to 0.0 mg: there is no "
        "measurable dose; check the ordered dose and the weight."]


def test_the_total_has_an_absolute_maximum(protocols: dict[str, Protocol]) -> None:
    heavy = iv_dose(dose_mg_per_kg="1.0", weight_kg=160)  # 160 mg: every mg/kg is usual
    verdict = assess_dose(iv(), heavy)
    assert verdict.needs_physician_override
    assert "Total 160.0 mg is above the protocol's absolute maximum of 150.0 mg" in (
        verdict.message or "")
    usual_kg_high_total = assess_dose(iv(), iv_dose(dose_mg_per_kg="1.0", weight_kg=120))
    assert not usual_kg_high_total.needs_physician_override
    assert usual_kg_high_total.message == (
        "Total 120.0 mg is above the usual maximum total of 100.0 mg; confirm it.")
    spravato = protocols["esketamine-intranasal"]
    assert spravato.total_mg_limits == TotalDoseLimits(Decimal(84), Decimal(84))


@pytest.mark.parametrize(("weight", "routine"), [("34.9", False), ("35", True), ("200", True),
                                                 ("200.5", False), ("2", False)])
def test_weights_outside_the_usual_adult_range_are_confirmed(weight: str, routine: bool) -> None:
    verdict = assess_dose(iv(), iv_dose(weight_kg=weight, dose_mg_per_kg="0.5"))
    weight_findings = [f for f in verdict.findings if f.field == "weight_kg"]
    assert (weight_findings == []) is routine
    if not routine:
        assert weight_findings[0].message.startswith(f"Weight {weight} kg is outside the usual "
                                                     "adult range 35-200 kg of this protocol")
        assert not verdict.needs_physician_override


def test_the_mg_per_kg_verdict_alone_keeps_its_stored_level() -> None:
    verdict = assess_dose(iv(), iv_dose(dose_mg_per_kg="1.2"))
    assert verdict.level == DoseLevel.ABOVE_WARNING.value
    assert assess_dose(iv(), iv_dose()).level == "within"
    assert assess_dose(iv(), iv_dose()).message is None


def test_hard_limits_come_first_in_the_message() -> None:
    verdict = assess_dose(iv(), iv_dose(dose_mg_per_kg="1.6", duration_min=30))
    assert verdict.message is not None
    assert verdict.message.startswith("1.6 mg/kg is above the protocol maximum")
    assert "shorter than the usual 40 min" in verdict.message


def test_a_second_weight_minutes_after_the_first_asks_which_stands() -> None:
    now = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)
    first = RecentWeight(Decimal(80), TODAY, now - timedelta(minutes=3), "Nora Reyes, RN")
    verdict = assess_weight(Decimal("81"), TODAY, usual_min_kg=Decimal(35),
                            usual_max_kg=Decimal(200), previous=None, max_change_percent=10,
                            now=now, earlier=first)
    assert verdict.message == (
        "A weight of 80 kg for 2026-03-14 was recorded 3 min ago by Nora Reyes, RN. Which one "
        "stands? Confirm to record 81 kg as the latest weight (used for dosing); otherwise keep "
        "the first.")
    later = assess_weight(Decimal("81"), TODAY, usual_min_kg=Decimal(35),
                          usual_max_kg=Decimal(200), previous=None, max_change_percent=10,
                          now=now + DUPLICATE_WEIGHT_WINDOW, earlier=first)
    assert later.findings == ()
    other_day = assess_weight(Decimal("81"), TODAY + timedelta(1), usual_min_kg=Decimal(35),
                              usual_max_kg=Decimal(200), previous=None, max_change_percent=10,
                              now=now, earlier=first)
    assert other_day.findings == ()


# --- protocol fields ---------------------------------------------------------------------


def test_an_older_definition_without_the_new_fields_reads_with_its_modes_defaults(
        protocols: dict[str, Protocol]) -> None:
    for code in protocols:
        data = protocols[code].to_dict()
        for key in ("total_mg_limits", "duration_limits", "usual_weight_min_kg",
                    "usual_weight_max_kg"):
            del data[key]
        old = Protocol.from_dict(data)
        assert old.total_mg_limits is not None
        assert (old.duration_limits is None) is (old.dosing_mode in (DosingMode.IM_WEIGHT,
                                                                    DosingMode.DEVICE))
        assert old.usual_weight_min_kg == 35 and old.usual_weight_max_kg == 200


def test_an_older_edited_default_duration_still_reads() -> None:
    data = iv().to_dict()
    del data["duration_limits"]
    data["default_duration_min"] = 120
    protocol = Protocol.from_dict(data)
    assert protocol.duration_limits == DurationLimits(20, 40, 120, 240)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"total_mg_limits": {"warn_max": "200", "hard_max": "150"}}, "total_mg_limits.warn_max",
     "Usual maximum total 200 mg must not be above the hard maximum total 150 mg."),
    ({"total_mg_limits": {"warn_max": "0", "hard_max": "150"}}, "total_mg_limits.warn_max",
     "Usual maximum total 0 mg must be above zero."),
    ({"total_mg_limits": {"warn_max": "100"}}, "total_mg_limits.hard_max",
     "Total dose limits: hard_max is missing."),
    ({"duration_limits": {"hard_min": 50, "warn_min": 40, "warn_max": 100, "hard_max": 240}},
     "duration_limits.hard_min",
     "Shortest duration allowed 50 min must not be above the usual shortest duration 40 min."),
    ({"duration_limits": {"hard_min": 0, "warn_min": 40, "warn_max": 100, "hard_max": 240}},
     "duration_limits.hard_min",
     "Shortest duration allowed 0 min is out of range; enter 1-1440 min."),
    ({"duration_limits": {"hard_min": 20, "warn_min": 45, "warn_max": 100, "hard_max": 240}},
     "default_duration_min",
     "Default duration 40 min must lie within the usual durations 45-100 min."),
    ({"usual_weight_min_kg": "200", "usual_weight_max_kg": "35"}, "usual_weight_min_kg",
     "Usual lowest weight 200 kg must be below the usual highest weight 35 kg."),
    ({"usual_weight_max_kg": "900"}, "usual_weight_max_kg",
     "Usual highest weight 900 kg is above the largest possible value, 400 kg."),
    ({"usual_weight_min_kg": "lots"}, "usual_weight_min_kg", None),
])
def test_the_new_fields_are_refused_with_clear_messages(change: dict[str, object], field: str,
                                                        message: str | None) -> None:
    data = {**iv().to_dict(), **change}
    with pytest.raises(ValidationError) as refused:
        Protocol.from_dict(data)
    assert field in {p.field for p in refused.value.problems}
    if message is not None:
        assert message in refused.value.messages


def test_an_injection_takes_no_duration_limits(protocols: dict[str, Protocol]) -> None:
    data = protocols["im-ketamine-0.5"].to_dict()
    data["duration_limits"] = {"hard_min": 1, "warn_min": 2, "warn_max": 3, "hard_max": 4}
    with pytest.raises(ValidationError) as refused:
        Protocol.from_dict(data)
    assert refused.value.messages == [
        "Only an IV infusion has duration limits; leave them empty (null)."]


def test_the_weight_change_setting_reads_a_whole_percent() -> None:
    setting = clinic_setting("weight_change_percent")
    assert setting.default == 10
    assert setting.parse("15") == 15 and setting.parse("20 %") == 20
    for bad in ("0", "51", "ten", "1.5", "²"):
        with pytest.raises(ValidationError):
            setting.parse(bad)


# --- properties ----------------------------------------------------------------------------

DECIMALS = st.decimals(min_value=Decimal("1e-12"), max_value=Decimal(50), places=12)


@given(dose=DECIMALS, weight=st.decimals(min_value=1, max_value=400, places=2),
       concentration=st.sampled_from(["0.1", "1", "10", "50", "100"]),
       bag=st.decimals(min_value=1, max_value=1000, places=1),
       duration=st.integers(1, 1440))
def test_no_working_ever_shows_a_dose_rounded_to_nothing(
        dose: Decimal, weight: Decimal, concentration: str, bag: Decimal, duration: int) -> None:
    for protocol in load_default_protocols():
        if protocol.dosing_mode is DosingMode.DEVICE:
            continue
        inputs = {"weight_kg": weight, "concentration_mg_per_ml": concentration}
        if protocol.dosing_mode is DosingMode.RATE:
            inputs["rate_mg_per_kg_per_h"] = dose
        else:
            inputs["dose_mg_per_kg"] = dose
        if protocol.dosing_mode is not DosingMode.IM_WEIGHT:
            inputs.update(bag_volume_ml=bag, duration_min=duration)
        try:
            calc = calculate_dose(protocol, **inputs)
        except ValidationError:
            continue  # refused with its reasons: nothing shown
        for line in calc.working:
            result = line.rsplit("= ", 1)[1]
            assert not result.startswith(("0.0 ", "0 ")), line


@given(previous=st.decimals(min_value=1, max_value=400, places=2),
       new=st.decimals(min_value=1, max_value=400, places=2),
       percent=st.integers(1, 50), days=st.integers(-5, 200))
def test_a_weight_change_is_flagged_exactly_when_above_the_setting(
        previous: Decimal, new: Decimal, percent: int, days: int) -> None:
    finding = weight_change_finding(new, TODAY, PreviousWeight(previous, TODAY - timedelta(days)),
                                    percent)
    expected = (0 <= days <= WEIGHT_COMPARISON_DAYS
                and abs(new - previous) / previous * 100 > percent)
    assert (finding is not None) is expected
    if finding is not None:  # both weights are named
        assert f"{new.normalize():f} kg" in finding.message
        assert f"{previous.normalize():f} kg" in finding.message


LIMITS = st.lists(st.integers(1, 1440), min_size=4, max_size=4).map(sorted)


@given(limits=LIMITS, minutes=st.integers(1, 1440))
def test_a_duration_needs_what_its_range_says(limits: list[int], minutes: int) -> None:
    bounds = DurationLimits(*limits)
    protocol = iv()
    calc = calculate_dose(protocol, weight_kg=80, duration_min=minutes)
    finding = duration_finding(calc, bounds)
    hard_min, warn_min, warn_max, hard_max = limits
    assert (finding is not None) is not (warn_min <= minutes <= warn_max)
    assert (finding is not None and finding.needs_physician_override) is (
        minutes < hard_min or minutes > hard_max)


@given(section=st.sampled_from(["total_mg_limits", "duration_limits"]),
       value=st.one_of(st.none(), st.integers(-5, 2000), st.text(max_size=5),
                       st.decimals(allow_nan=True), st.lists(st.integers(), max_size=2)),
       data=st.data())
def test_any_value_in_the_new_limits_is_a_protocol_or_a_refusal(
        section: str, value: object, data: st.DataObject) -> None:
    definition = copy.deepcopy(iv().to_dict())
    key = data.draw(st.sampled_from(sorted(definition[section])))
    definition[section][key] = value
    with contextlib.suppress(ValidationError):
        Protocol.from_dict(definition)
