"""Vital signs: impossible values refused, alarming ones flagged, the schedule on a timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import VitalsSchedule, VitalThresholds
from ketalog.domain.vitals import (
    HARD_LIMITS,
    AlertCode,
    VitalReading,
    VitalsPhase,
    is_overdue,
    next_vitals_due,
    validate_vitals,
    vital_alerts,
)
from tests.domain.strategies import junk

FIELDS = list(HARD_LIMITS)

JUNK = junk("120/80", "98.6", "36,6")
PLAUSIBLE = st.one_of(
    st.integers(0, 320),
    st.decimals(min_value=Decimal(0), max_value=Decimal(320), places=1),
    st.floats(min_value=0, max_value=320),
)


def reading(**values: int | Decimal | None) -> VitalReading:
    base: dict[str, int | Decimal | None] = dict.fromkeys(FIELDS)
    base.update(values)
    return VitalReading(**base)  # type: ignore[arg-type]


def refusal(values: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        validate_vitals(values)  # type: ignore[arg-type]
    return [(p.field, p.message) for p in caught.value.problems]


# --- validate_vitals ------------------------------------------------------------------


def test_full_reading_from_text_fields() -> None:
    result = validate_vitals(
        {
            "systolic_mmhg": "128",
            "diastolic_mmhg": "82",
            "heart_rate_bpm": "76",
            "spo2_percent": "98",
            "resp_rate_per_min": "14",
            "temperature_c": "36,6",
            "etco2_mmhg": "38",
            "pain_score": "2",
        }
    )
    assert result == VitalReading(128, 82, 76, 98, 14, Decimal("36.6"), 38, 2)
    assert result.blood_pressure == "128/82"
    assert validate_vitals(result.to_dict()) == result


def test_partial_reading_leaves_the_rest_unmeasured() -> None:
    result = validate_vitals({"spo2_percent": 97, "heart_rate_bpm": "", "pain_score": None})
    assert result == reading(spo2_percent=97)
    assert result.blood_pressure is None


def test_whole_number_written_with_a_zero_decimal_is_accepted() -> None:
    assert validate_vitals({"heart_rate_bpm": "72.0"}).heart_rate_bpm == 72


def test_edges_of_the_hard_limits_are_accepted() -> None:
    low = validate_vitals(
        {
            "systolic_mmhg": 50,
            "diastolic_mmhg": 20,
            "heart_rate_bpm": 20,
            "spo2_percent": 50,
            "resp_rate_per_min": 4,
            "temperature_c": 30,
            "etco2_mmhg": 0,
            "pain_score": 0,
        }
    )
    assert low.etco2_mmhg == 0 and low.temperature_c == Decimal("30.0")
    high = validate_vitals(
        {
            "systolic_mmhg": 300,
            "diastolic_mmhg": 200,
            "heart_rate_bpm": 250,
            "spo2_percent": 100,
            "resp_rate_per_min": 60,
            "temperature_c": "43.0",
            "etco2_mmhg": 100,
            "pain_score": 10,
        }
    )
    assert high.systolic_mmhg == 300


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"spo2_percent": 101}, ("spo2_percent", "SpO2 101 % is impossible; enter 50-100 %.")),
        (
            {"systolic_mmhg": 90, "diastolic_mmhg": 95},
            ("diastolic_mmhg", "Diastolic 95 must be lower than systolic 90."),
        ),
        (
            {"systolic_mmhg": 120, "diastolic_mmhg": 120},
            ("diastolic_mmhg", "Diastolic 120 must be lower than systolic 120."),
        ),
        (
            {"systolic_mmhg": 350, "diastolic_mmhg": 80},
            ("systolic_mmhg", "Systolic 350 mmHg is impossible; enter 50-300 mmHg."),
        ),
        (
            {"heart_rate_bpm": 19},
            ("heart_rate_bpm", "Heart rate 19 bpm is impossible; enter 20-250 bpm."),
        ),
        (
            {"resp_rate_per_min": 3},
            (
                "resp_rate_per_min",
                "Respiratory rate 3 breaths/min is impossible; enter 4-60 breaths/min.",
            ),
        ),
        ({"pain_score": 11}, ("pain_score", "Pain 11 is impossible; enter 0-10.")),
        ({"etco2_mmhg": 101}, ("etco2_mmhg", "EtCO2 101 mmHg is impossible; enter 0-100 mmHg.")),
        (
            {"temperature_c": "98.6"},
            (
                "temperature_c",
                "Temperature 98.6 °C is impossible; enter 30-43 °C "
                "(98.6 looks like °F, which is 37.0 °C).",
            ),
        ),
        (
            {"temperature_c": "25"},
            ("temperature_c", "Temperature 25 °C is impossible; enter 30-43 °C."),
        ),
        (
            {"temperature_c": "36.55"},
            (
                "temperature_c",
                "Temperature 36.55 °C has too many decimals; enter one decimal at most, e.g. 36.6.",
            ),
        ),
        (
            {"spo2_percent": "97.5"},
            ("spo2_percent", 'SpO2 must be a whole number, not "97.5".'),
        ),
        (
            {"heart_rate_bpm": "fast"},
            ("heart_rate_bpm", 'Heart rate must be a number, not "fast".'),
        ),
        (
            {"systolic_mmhg": 120},
            (
                "diastolic_mmhg",
                "Diastolic is missing; blood pressure needs both numbers, e.g. 120/80.",
            ),
        ),
        (
            {"diastolic_mmhg": 80},
            (
                "systolic_mmhg",
                "Systolic is missing; blood pressure needs both numbers, e.g. 120/80.",
            ),
        ),
        ({}, ("reading", "No measurement entered; enter at least one vital sign.")),
        (
            {"systolic_mmhg": " ", "pain_score": None},
            ("reading", "No measurement entered; enter at least one vital sign."),
        ),
        ({"bp": "120/80"}, ("bp", '"bp" is not a vital sign this form records.')),
    ],
)
def test_single_refusals(values: dict[str, object], expected: tuple[str, str]) -> None:
    assert refusal(values) == [expected]


def test_every_problem_reported_at_once() -> None:
    found = refusal(
        {
            "systolic_mmhg": 120,
            "heart_rate_bpm": 300,
            "spo2_percent": "x",
            "temperature_c": 50,
            "pain_score": -1,
        }
    )
    assert [field for field, _ in found] == [
        "heart_rate_bpm",
        "spo2_percent",
        "temperature_c",
        "pain_score",
        "diastolic_mmhg",
    ]


def test_not_a_mapping_is_refused() -> None:
    assert refusal([120, 80])[0][0] == "reading"


@given(st.dictionaries(st.sampled_from(FIELDS), st.one_of(JUNK, PLAUSIBLE)))
def test_any_input_is_a_reading_or_a_validation_error(values: dict[str, object]) -> None:
    try:
        result = validate_vitals(values)
    except ValidationError as error:
        assert error.problems
        return
    for name, value in result.to_dict().items():
        if value is not None:
            limit = HARD_LIMITS[name]
            assert limit.low <= value <= limit.high
    if result.systolic_mmhg is not None:
        assert result.diastolic_mmhg is not None
        assert result.diastolic_mmhg < result.systolic_mmhg


KEYS = st.one_of(st.sampled_from(FIELDS), st.text(max_size=5), st.integers(), st.none())


@given(st.one_of(JUNK, st.dictionaries(KEYS, st.one_of(JUNK, PLAUSIBLE), max_size=4)))
def test_any_object_is_refused_cleanly(values: object) -> None:
    try:
        validate_vitals(values)  # type: ignore[arg-type]
    except ValidationError as error:
        assert error.problems


@given(
    sbp=st.integers(51, 300),
    gap=st.integers(1, 100),
    hr=st.integers(20, 250),
    spo2=st.integers(50, 100),
    temp=st.decimals(min_value=Decimal(30), max_value=Decimal(43), places=1),
)
def test_possible_readings_are_accepted(
    sbp: int, gap: int, hr: int, spo2: int, temp: Decimal
) -> None:
    dbp = max(20, sbp - gap)
    if dbp >= sbp or dbp > 200:
        return
    result = validate_vitals(
        {
            "systolic_mmhg": str(sbp),
            "diastolic_mmhg": dbp,
            "heart_rate_bpm": float(hr),
            "spo2_percent": Decimal(spo2),
            "temperature_c": str(temp),
        }
    )
    assert (result.systolic_mmhg, result.diastolic_mmhg) == (sbp, dbp)
    assert result.temperature_c == temp


# --- alerts ---------------------------------------------------------------------------

DEFAULT = VitalThresholds()


def test_in_session_alert_messages() -> None:
    alerts = vital_alerts(
        reading(
            systolic_mmhg=186,
            diastolic_mmhg=115,
            heart_rate_bpm=45,
            spo2_percent=90,
            resp_rate_per_min=8,
        ),
        DEFAULT,
        pre_dose=False,
    )
    assert [(a.code, a.field) for a in alerts] == [
        (AlertCode.SBP_HIGH, "systolic_mmhg"),
        (AlertCode.DBP_HIGH, "diastolic_mmhg"),
        (AlertCode.HR_LOW, "heart_rate_bpm"),
        (AlertCode.SPO2_LOW, "spo2_percent"),
        (AlertCode.RR_LOW, "resp_rate_per_min"),
    ]
    assert alerts[0].message == (
        "Systolic 186 mmHg is above the alert threshold of 180 mmHg; record the action taken."
    )
    assert alerts[3].message == (
        "SpO2 90 % is below the alert threshold of 92 %; record the action taken."
    )
    assert not any(a.needs_physician_acknowledgment for a in alerts)


def test_thresholds_themselves_do_not_alert() -> None:
    at_limits = reading(
        systolic_mmhg=180,
        diastolic_mmhg=110,
        heart_rate_bpm=130,
        spo2_percent=92,
        resp_rate_per_min=10,
    )
    assert vital_alerts(at_limits, DEFAULT, pre_dose=False) == []
    assert vital_alerts(reading(heart_rate_bpm=50), DEFAULT, pre_dose=False) == []
    assert [a.code for a in vital_alerts(reading(heart_rate_bpm=131), DEFAULT, pre_dose=False)] == [
        AlertCode.HR_HIGH
    ]


def test_pre_dose_blood_pressure_needs_physician() -> None:
    bp = reading(systolic_mmhg=150, diastolic_mmhg=85)
    (alert,) = vital_alerts(bp, DEFAULT, pre_dose=True)
    assert alert.code is AlertCode.PREDOSE_BP_HIGH and alert.field == "systolic_mmhg"
    assert alert.needs_physician_acknowledgment
    assert alert.message == (
        "Pre-dose blood pressure 150/85 is above 140/90; a physician must acknowledge it "
        "before the dose starts."
    )
    assert vital_alerts(bp, DEFAULT, pre_dose=False) == []
    (dia,) = vital_alerts(reading(systolic_mmhg=130, diastolic_mmhg=95), DEFAULT, pre_dose=True)
    assert dia.field == "diastolic_mmhg"
    assert vital_alerts(reading(systolic_mmhg=140, diastolic_mmhg=90), DEFAULT, pre_dose=True) == []


def test_in_session_alerts_also_apply_before_the_dose() -> None:
    codes = [
        a.code
        for a in vital_alerts(
            reading(systolic_mmhg=190, diastolic_mmhg=100, spo2_percent=88), DEFAULT, pre_dose=True
        )
    ]
    assert codes == [AlertCode.PREDOSE_BP_HIGH, AlertCode.SBP_HIGH, AlertCode.SPO2_LOW]


def test_clinic_thresholds_are_used() -> None:
    strict = VitalThresholds(sbp_max=160, spo2_min=94)
    codes = [
        a.code
        for a in vital_alerts(
            reading(systolic_mmhg=165, diastolic_mmhg=90, spo2_percent=93), strict, pre_dose=False
        )
    ]
    assert codes == [AlertCode.SBP_HIGH, AlertCode.SPO2_LOW]


def test_unmeasured_signs_raise_no_alert() -> None:
    assert vital_alerts(reading(pain_score=9), DEFAULT, pre_dose=True) == []


def test_alert_codes_are_lower_case() -> None:
    assert all(code.value == code.value.lower() for code in AlertCode)
    assert AlertCode.PREDOSE_BP_HIGH.value == "predose_bp_high"


# --- the schedule on hand-made timelines ----------------------------------------------


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, 21, hours, minutes, tzinfo=UTC)


IV = VitalsSchedule()  # 10 min while infusing, 15 min in recovery
ESKETAMINE = VitalsSchedule(
    during_dose_interval_min=None, post_dose_checkpoints_min=(40,), recovery_interval_min=None
)


def due(
    schedule: VitalsSchedule,
    phase: VitalsPhase,
    readings: list[str] = [],  # noqa: B006 - never mutated
    dose: str | None = None,
    recovery: str | None = None,
    now: str | None = None,
) -> datetime | None:
    times = [at(t) for t in readings]
    dose_at = at(dose) if dose else None
    return next_vitals_due(
        schedule,
        phase,
        last_reading_at=times[-1] if times else None,
        dose_started_at=dose_at,
        recovery_started_at=at(recovery) if recovery else None,
        readings_since_dose_start=[t for t in times if dose_at and t >= dose_at],
        now=at(now) if now else None,
    )


def test_baseline_is_due_now_and_never_overdue() -> None:
    assert due(IV, VitalsPhase.BEFORE_DOSE, now="09:02") == at("09:02")
    assert not is_overdue(at("09:02"), at("09:02"))


def test_baseline_due_uses_the_clock_without_now() -> None:
    before = datetime.now(UTC)
    result = next_vitals_due(
        IV,
        VitalsPhase.BEFORE_DOSE,
        last_reading_at=None,
        dose_started_at=None,
        recovery_started_at=None,
    )
    assert result is not None and before <= result <= datetime.now(UTC)


def test_nothing_due_once_a_baseline_exists() -> None:
    assert due(IV, VitalsPhase.BEFORE_DOSE, ["09:05"], now="09:30") is None
    no_baseline = VitalsSchedule(baseline_required=False)
    assert due(no_baseline, VitalsPhase.BEFORE_DOSE, now="09:02") is None


def test_iv_infusion_timeline() -> None:
    # Baseline 09:05, infusion starts 09:10: the baseline does not count.
    assert due(IV, VitalsPhase.DURING_DOSE, ["09:05"], dose="09:10") == at("09:20")
    assert due(IV, VitalsPhase.DURING_DOSE, [], dose="09:10") == at("09:20")
    assert due(IV, VitalsPhase.DURING_DOSE, ["09:05", "09:19"], dose="09:10") == at("09:29")
    # A late reading moves the next one on from when it was actually taken.
    assert due(IV, VitalsPhase.DURING_DOSE, ["09:05", "09:19", "09:31"], dose="09:10") == at(
        "09:41"
    )
    assert not is_overdue(at("09:20"), at("09:20"))
    assert is_overdue(at("09:20"), at("09:21"))


def test_iv_recovery_timeline() -> None:
    readings = ["09:05", "09:20", "09:30", "09:40", "09:48"]
    # Infusion ends 09:50; the last reading at 09:48 sets the next at 10:03.
    assert due(IV, VitalsPhase.RECOVERY, readings, dose="09:10", recovery="09:50") == at("10:03")
    assert due(
        IV, VitalsPhase.RECOVERY, [*readings, "10:03"], dose="09:10", recovery="09:50"
    ) == at("10:18")
    # With only the pre-dose baseline, recovery counts from its own start.
    assert due(IV, VitalsPhase.RECOVERY, ["09:05"], dose="09:10", recovery="09:50") == at("10:05")
    assert due(IV, VitalsPhase.RECOVERY, [], recovery="09:50") == at("10:05")


def test_esketamine_timeline() -> None:
    # Baseline 09:55, first device 10:00: the 40-min check is due 10:40.
    assert due(ESKETAMINE, VitalsPhase.DURING_DOSE, ["09:55"], dose="10:00") == at("10:40")
    # A reading during administration does not cover the 40-min check.
    assert due(ESKETAMINE, VitalsPhase.DURING_DOSE, ["09:55", "10:20"], dose="10:00") == at("10:40")
    # The check still applies after the last device, in recovery.
    assert due(ESKETAMINE, VitalsPhase.RECOVERY, ["09:55"], dose="10:00", recovery="10:12") == at(
        "10:40"
    )
    assert is_overdue(at("10:40"), at("10:45"))
    # Taken from 5 min before the checkpoint onwards, it counts; then nothing is timed.
    assert (
        due(ESKETAMINE, VitalsPhase.RECOVERY, ["09:55", "10:35"], dose="10:00", recovery="10:12")
        is None
    )
    assert due(
        ESKETAMINE, VitalsPhase.RECOVERY, ["09:55", "10:34"], dose="10:00", recovery="10:12"
    ) == at("10:40")
    # A late reading satisfies it late: it is no longer due.
    assert (
        due(ESKETAMINE, VitalsPhase.RECOVERY, ["09:55", "10:52"], dose="10:00", recovery="10:12")
        is None
    )


def test_esketamine_with_a_clinic_recovery_interval() -> None:
    schedule = VitalsSchedule(
        during_dose_interval_min=None, post_dose_checkpoints_min=(40,), recovery_interval_min=30
    )
    # Recovery from 10:12 with no reading since the dose: 10:42 by interval, 10:40 by checkpoint.
    assert due(schedule, VitalsPhase.RECOVERY, ["09:55"], dose="10:00", recovery="10:12") == at(
        "10:40"
    )
    assert due(
        schedule, VitalsPhase.RECOVERY, ["09:55", "10:41"], dose="10:00", recovery="10:12"
    ) == at("11:11")


def test_interval_and_checkpoints_together_take_the_earlier() -> None:
    schedule = VitalsSchedule(during_dose_interval_min=30, post_dose_checkpoints_min=(40, 80))
    assert due(schedule, VitalsPhase.DURING_DOSE, [], dose="10:00") == at("10:30")
    assert due(schedule, VitalsPhase.DURING_DOSE, ["10:30"], dose="10:00") == at("10:40")
    assert due(schedule, VitalsPhase.DURING_DOSE, ["10:30", "10:38"], dose="10:00") == at("11:08")
    assert due(schedule, VitalsPhase.DURING_DOSE, ["10:30", "10:38", "11:08"], dose="10:00") == at(
        "11:20"
    )


def test_no_interval_and_no_checkpoint_means_nothing_timed() -> None:
    none = VitalsSchedule(during_dose_interval_min=None, recovery_interval_min=None)
    assert due(none, VitalsPhase.DURING_DOSE, [], dose="10:00") is None
    assert due(none, VitalsPhase.RECOVERY, [], dose="10:00", recovery="10:40") is None


def test_not_monitored() -> None:
    assert due(IV, VitalsPhase.NOT_MONITORED, ["09:05"], dose="09:10") is None
    assert not is_overdue(None, at("12:00"))


def test_other_time_zones_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    result = next_vitals_due(
        IV,
        "during_dose",  # type: ignore[arg-type]
        last_reading_at=datetime(2026, 11, 21, 10, 19, tzinfo=paris),
        dose_started_at=at("09:10"),
        recovery_started_at=None,
    )
    assert result == at("09:29") and result.tzinfo is UTC


def test_naive_datetimes_are_programming_errors() -> None:
    naive = datetime(2026, 11, 21, 9, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_vitals_due(
            IV,
            VitalsPhase.DURING_DOSE,
            last_reading_at=None,
            dose_started_at=naive,
            recovery_started_at=None,
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        is_overdue(at("09:10"), naive)


def test_a_phase_without_its_start_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="dose_started_at"):
        due(IV, VitalsPhase.DURING_DOSE, ["09:05"])
    with pytest.raises(ValueError, match="recovery_started_at"):
        due(IV, VitalsPhase.RECOVERY, ["09:05"], dose="09:10")


@given(
    offsets=st.lists(st.integers(0, 600), max_size=6),
    interval=st.integers(1, 60),
    phase=st.sampled_from([VitalsPhase.DURING_DOSE, VitalsPhase.RECOVERY]),
)
def test_next_due_is_never_before_the_latest_reading_or_phase_start(
    offsets: list[int], interval: int, phase: VitalsPhase
) -> None:
    start = at("09:00")
    times = sorted(start + timedelta(minutes=m) for m in offsets)
    result = next_vitals_due(
        VitalsSchedule(during_dose_interval_min=interval, recovery_interval_min=interval),
        phase,
        last_reading_at=times[-1] if times else None,
        dose_started_at=start,
        recovery_started_at=start,
        readings_since_dose_start=times,
    )
    assert result is not None
    latest = max([start, *times])
    assert result == latest + timedelta(minutes=interval)
