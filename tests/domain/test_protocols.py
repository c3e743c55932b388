"""Protocol definitions: the shipped defaults, and refusal of unsound definitions."""

from __future__ import annotations

import contextlib
import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import (
    DoseLimits,
    DosingMode,
    Protocol,
    Route,
    VitalsSchedule,
    VitalThresholds,
    load_default_protocols,
    parse_protocols,
)
from tests.domain.strategies import junk

JUNK = junk("iv")


@pytest.fixture(scope="module")
def defaults() -> dict[str, Protocol]:
    return {p.code: p for p in load_default_protocols()}


def iv_dict() -> dict[str, Any]:
    return load_default_protocols()[0].to_dict()


def refusal(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Protocol.from_dict(data)  # type: ignore[arg-type]
    return caught.value


def fields_of(error: ValidationError) -> set[str]:
    return {p.field for p in error.problems}


# --- the shipped defaults -------------------------------------------------------------


def test_default_set_has_the_four_protocols(defaults: dict[str, Protocol]) -> None:
    assert set(defaults) == {
        "iv-depression-0.5",
        "iv-pain-0.35",
        "im-ketamine-0.5",
        "esketamine-intranasal",
    }


def test_iv_depression_defaults(defaults: dict[str, Protocol]) -> None:
    p = defaults["iv-depression-0.5"]
    assert p.route is Route.IV and p.dosing_mode is DosingMode.WEIGHT
    assert p.default_dose == Decimal("0.5")
    assert p.limits == DoseLimits(Decimal("0.1"), Decimal("1.0"), Decimal("1.5"))
    assert p.default_duration_min == 40
    assert p.default_concentration_mg_per_ml == Decimal(10)
    assert p.default_bag_volume_ml == Decimal(100)
    assert p.thresholds == VitalThresholds()
    assert p.schedule == VitalsSchedule()
    assert p.weight_max_age_days == 30 and p.aldrete_discharge_min == 9
    assert p.dose_unit == "mg/kg"


def test_pain_protocol_is_dosed_by_rate_over_four_hours(defaults: dict[str, Protocol]) -> None:
    p = defaults["iv-pain-0.35"]
    assert p.dosing_mode is DosingMode.RATE and p.dose_unit == "mg/kg/h"
    assert p.default_dose == Decimal("0.35") and p.default_duration_min == 240
    assert p.limits is not None and p.limits.warn_min <= p.default_dose <= p.limits.warn_max


def test_im_protocol_has_no_bag_or_duration(defaults: dict[str, Protocol]) -> None:
    p = defaults["im-ketamine-0.5"]
    assert p.route is Route.IM and p.dosing_mode is DosingMode.IM_WEIGHT
    assert p.default_concentration_mg_per_ml == Decimal(50)
    assert p.default_bag_volume_ml is None and p.default_duration_min is None


def test_esketamine_follows_rems(defaults: dict[str, Protocol]) -> None:
    p = defaults["esketamine-intranasal"]
    assert p.drug == "esketamine" and p.route is Route.INTRANASAL
    assert p.dosing_mode is DosingMode.DEVICE
    assert p.mg_per_device == Decimal(28) and p.allowed_device_counts == (2, 3)
    assert p.default_dose is None and p.limits is None
    assert p.min_monitoring_min == 120
    assert p.schedule.during_dose_interval_min is None
    assert p.schedule.post_dose_checkpoints_min == (40,)
    assert p.schedule.recovery_interval_min is None
    assert p.schedule.baseline_required and p.schedule.before_discharge_required


def test_round_trip_through_json(defaults: dict[str, Protocol]) -> None:
    for protocol in defaults.values():
        text = json.dumps(protocol.to_dict())
        assert Protocol.from_dict(json.loads(text)) == protocol


def test_decimals_are_written_as_strings(defaults: dict[str, Protocol]) -> None:
    data = defaults["iv-depression-0.5"].to_dict()
    assert data["default_dose"] == "0.5"
    assert data["limits"] == {"warn_min": "0.1", "warn_max": "1.0", "hard_max": "1.5"}
    assert data["route"] == "iv" and data["dosing_mode"] == "weight"


# --- refusing bad definitions ---------------------------------------------------------


def test_missing_fields_are_all_reported() -> None:
    data = iv_dict()
    del data["code"], data["limits"], data["thresholds"]
    error = refusal(data)
    assert {"code", "limits", "thresholds"} <= fields_of(error)
    assert "Protocol setting code is missing." in error.messages


def test_fields_with_defaults_may_be_left_out() -> None:
    data = iv_dict()
    for key in ("weight_max_age_days", "min_monitoring_min", "aldrete_discharge_min"):
        del data[key]
    data["thresholds"] = {"sbp_max": 170}
    data["schedule"] = {}
    protocol = Protocol.from_dict(data)
    assert protocol.weight_max_age_days == 30
    assert protocol.thresholds == VitalThresholds(sbp_max=170)
    assert protocol.schedule == VitalsSchedule()


def test_unknown_keys_are_refused_but_comments_skipped() -> None:
    data = iv_dict()
    data["_note"] = "anything"
    data["schedule"]["_why"] = "clinic policy"
    Protocol.from_dict(data)
    data["defualt_dose"] = "0.5"
    data["thresholds"]["spo2_mn"] = 90
    error = refusal(data)
    assert {"defualt_dose", "thresholds.spo2_mn"} <= fields_of(error)


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"warn_min": "1.2", "warn_max": "1.0", "hard_max": "1.5"}, "limits.warn_min"),
        ({"warn_min": "0.1", "warn_max": "2.0", "hard_max": "1.5"}, "limits.warn_max"),
        ({"warn_min": "-0.1", "warn_max": "1.0", "hard_max": "1.5"}, "limits.warn_min"),
        ({"warn_min": "0", "warn_max": "0", "hard_max": "0"}, "limits.hard_max"),
        ({"warn_min": "x", "warn_max": "1.0", "hard_max": "1.5"}, "limits.warn_min"),
        ({"warn_min": "0.1", "warn_max": "1.0"}, "limits.hard_max"),
    ],
)
def test_limit_ordering_and_signs(limits: dict[str, str], field: str) -> None:
    data = iv_dict()
    data["limits"] = limits
    assert field in fields_of(refusal(data))


def test_limit_message_names_both_values() -> None:
    data = iv_dict()
    data["limits"] = {"warn_min": "0.1", "warn_max": "2.0", "hard_max": "1.5"}
    assert "Warning maximum 2.0 must not be above the hard maximum 1.5." in refusal(data).messages


def test_default_dose_must_lie_within_the_warning_limits() -> None:
    data = iv_dict()
    data["default_dose"] = "1.2"
    error = refusal(data)
    assert error.messages == [
        "Default dose 1.2 mg/kg must lie within the warning limits 0.1-1.0 mg/kg."
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("default_dose", "-0.5"),
        ("default_dose", "0"),
        ("default_concentration_mg_per_ml", "0"),
        ("default_concentration_mg_per_ml", "500"),
        ("default_bag_volume_ml", "-100"),
        ("default_duration_min", 0),
        ("default_duration_min", 40.5),
        ("default_duration_min", 5000),
        ("weight_max_age_days", -1),
        ("aldrete_discharge_min", 11),
        ("planned_induction_infusions", 0),
        ("min_monitoring_min", -5),
        ("code", "IV Depression"),
        ("code", ""),
        ("name", "   "),
        ("drug", None),
        ("route", "oral"),
        ("dosing_mode", "bolus"),
        ("allowed_device_counts", "23"),
        ("thresholds", []),
        ("schedule", None),
    ],
)
def test_bad_values_are_refused_on_their_field(key: str, value: object) -> None:
    data = iv_dict()
    data[key] = value
    assert key in fields_of(refusal(data))


def test_route_must_match_the_dosing_mode() -> None:
    data = iv_dict()
    data["route"] = "intranasal"
    error = refusal(data)
    assert fields_of(error) == {"route"}
    assert "change the route or the dosing mode" in error.messages[0]


def test_fields_must_fit_the_mode() -> None:
    data = iv_dict()
    data["mg_per_device"] = "28"
    data["allowed_device_counts"] = [2, 3]
    data["default_bag_volume_ml"] = None
    error = refusal(data)
    assert fields_of(error) == {"mg_per_device", "allowed_device_counts", "default_bag_volume_ml"}
    assert "A weight-based IV infusion needs a default bag volume." in error.messages


def test_device_protocol_needs_device_counts() -> None:
    data = load_default_protocols()[3].to_dict()
    data["allowed_device_counts"] = []
    data["default_dose"] = "0.5"
    error = refusal(data)
    assert fields_of(error) == {"allowed_device_counts", "default_dose"}


def test_every_problem_reported_at_once() -> None:
    data = iv_dict()
    data["code"] = "Bad Code"
    data["default_concentration_mg_per_ml"] = "0"
    data["schedule"]["during_dose_interval_min"] = 0
    data["thresholds"]["hr_min"] = 140
    error = refusal(data)
    assert {
        "code",
        "default_concentration_mg_per_ml",
        "schedule.during_dose_interval_min",
        "thresholds.hr_min",
    } <= fields_of(error)


def test_not_a_mapping_is_refused() -> None:
    assert fields_of(refusal(["not", "a", "dict"])) == {"protocol"}


# --- the nested settings --------------------------------------------------------------


def test_dose_limits_may_touch() -> None:
    limits = DoseLimits(Decimal("0.5"), Decimal("0.5"), Decimal("0.5"))
    assert limits.warn_max == limits.hard_max


def test_dose_limits_accept_ints_and_numeric_text() -> None:
    limits = DoseLimits(0, 1, "1.5")  # type: ignore[arg-type]
    assert limits.hard_max == Decimal("1.5") and isinstance(limits.warn_min, Decimal)


def test_thresholds_must_be_consistent() -> None:
    with pytest.raises(ValidationError) as caught:
        VitalThresholds(hr_min=140, dbp_max=190, predose_sbp_max=200)
    assert fields_of(caught.value) == {"hr_min", "dbp_max", "predose_sbp_max"}
    assert (
        "Low heart-rate alert threshold 140 must be below the high heart-rate alert "
        "threshold 130." in caught.value.messages
    )


def test_thresholds_must_be_possible_readings() -> None:
    with pytest.raises(ValidationError) as caught:
        VitalThresholds(spo2_min=101, rr_min=True)
    assert fields_of(caught.value) == {"spo2_min", "rr_min"}


def test_schedule_checkpoints_sorted_and_unique() -> None:
    assert VitalsSchedule(post_dose_checkpoints_min=(80, 40)).post_dose_checkpoints_min == (40, 80)
    with pytest.raises(ValidationError):
        VitalsSchedule(post_dose_checkpoints_min=(40, 40))
    with pytest.raises(ValidationError):
        VitalsSchedule(post_dose_checkpoints_min=(0,))
    with pytest.raises(ValidationError):
        VitalsSchedule(recovery_interval_min=0)
    with pytest.raises(ValidationError):
        VitalsSchedule(baseline_required=1)  # type: ignore[arg-type]


def test_direct_construction_is_checked_too() -> None:
    good = load_default_protocols()[0]
    with pytest.raises(ValidationError) as caught:
        Protocol(**{**good.__dict__, "default_bag_volume_ml": None})
    assert fields_of(caught.value) == {"default_bag_volume_ml"}


# --- a protocols file -----------------------------------------------------------------


def test_parse_protocols_refuses_duplicate_codes() -> None:
    data = iv_dict()
    with pytest.raises(ValidationError) as caught:
        parse_protocols({"version": 1, "protocols": [data, data]})
    assert caught.value.problems[0].field == "protocols[2].code"
    assert "used twice" in caught.value.messages[0]


def test_parse_protocols_prefixes_position_and_code() -> None:
    data = iv_dict()
    data["default_duration_min"] = 0
    with pytest.raises(ValidationError) as caught:
        parse_protocols({"protocols": [data]})
    problem = caught.value.problems[0]
    assert problem.field == "protocols[1].default_duration_min"
    assert problem.message.startswith("Protocol 1 (iv-depression-0.5): Default duration 0 min")


@pytest.mark.parametrize(
    "document",
    [None, [], {}, {"protocols": "x"}, {"protocols": []}, {"version": 2, "protocols": []}],
)
def test_parse_protocols_refuses_bad_documents(document: object) -> None:
    with pytest.raises(ValidationError):
        parse_protocols(document)


# --- property tests -------------------------------------------------------------------

KEYS = list(iv_dict())


@given(key=st.sampled_from(KEYS), value=JUNK)
def test_any_value_in_any_field_is_a_protocol_or_a_validation_error(
    key: str, value: object
) -> None:
    data = iv_dict()
    data[key] = value
    try:
        Protocol.from_dict(data)
    except ValidationError as error:
        assert error.problems


@given(
    section=st.sampled_from(["limits", "thresholds", "schedule"]),
    value=JUNK,
    data=st.data(),
)
def test_any_value_in_a_nested_setting(section: str, value: object, data: st.DataObject) -> None:
    definition = iv_dict()
    key = data.draw(st.sampled_from(sorted(definition[section])))
    definition[section][key] = value
    with contextlib.suppress(ValidationError):
        Protocol.from_dict(definition)


@given(st.dictionaries(st.sampled_from(KEYS + ["x", "_c"]), JUNK, max_size=len(KEYS) + 2))
def test_arbitrary_mappings_never_crash(data: dict[str, object]) -> None:
    with contextlib.suppress(ValidationError):
        Protocol.from_dict(data)


@given(JUNK)
def test_arbitrary_documents_never_crash(document: object) -> None:
    with pytest.raises(ValidationError):
        parse_protocols(document)


DOSES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5), places=2)


@given(a=DOSES, b=DOSES, c=DOSES, d=DOSES)
def test_valid_definitions_round_trip(a: Decimal, b: Decimal, c: Decimal, d: Decimal) -> None:
    low, dose, high, hard = sorted([a, b, c, d])
    definition = copy.deepcopy(iv_dict())
    definition["default_dose"] = str(dose)
    definition["limits"] = {"warn_min": str(low), "warn_max": str(high), "hard_max": str(hard)}
    protocol = Protocol.from_dict(definition)
    assert Protocol.from_dict(json.loads(json.dumps(protocol.to_dict()))) == protocol
