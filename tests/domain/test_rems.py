"""The REMS monitoring form's rules: which reading answers which question, and the deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ketalog.domain.protocols import VitalThresholds
from ketalog.domain.rems import (
    DoseChoice,
    FilingState,
    RemsInputs,
    RemsVitals,
    build_rems_form,
    dose_choice,
    filing_status,
    missing_fields,
    reading_at_40_min,
    reading_before_completion,
    reading_before_dosing,
    vitals_acceptable,
    yes_no,
)

FIRST = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
TREATED = date(2026, 11, 21)


def at(minutes: float, sbp: int | None = 120, dbp: int | None = 80, **other: int) -> RemsVitals:
    """A reading ``minutes`` after the first device."""
    return RemsVitals(FIRST + timedelta(minutes=minutes), sbp, dbp,
                      other.get("hr", 70), other.get("spo2", 98), other.get("rr", 14))


# --- the 7-day deadline -------------------------------------------------------------------


@pytest.mark.parametrize(("days_since", "text", "state", "left"), [
    (0, "due in 7 days", FilingState.DUE, 7),
    (6, "due in 1 day", FilingState.DUE, 1),
    (7, "due today", FilingState.DUE, 0),
    (8, "overdue by 1 day", FilingState.OVERDUE, -1),
    (10, "overdue by 3 days", FilingState.OVERDUE, -3),
])
def test_deadline_is_seven_days_after_the_treatment(days_since: int, text: str,
                                                    state: FilingState, left: int) -> None:
    status = filing_status(TREATED, None, TREATED + timedelta(days=days_since))
    assert (status.text, status.state, status.days_left) == (text, state, left)
    assert status.due_on == date(2026, 11, 28)
    assert status.overdue is (state is FilingState.OVERDUE)


def test_filed_forms_say_when_and_whether_late() -> None:
    on_time = filing_status(TREATED, date(2026, 11, 28), date(2026, 12, 20))
    assert on_time.text == "filed on 28 Nov 2026" and on_time.state is FilingState.FILED
    assert not on_time.overdue
    late = filing_status(TREATED, date(2026, 11, 29), date(2026, 12, 20))
    assert late.text == "filed on 29 Nov 2026, 1 day late"
    later = filing_status(TREATED, date(2026, 12, 1), date(2026, 12, 20))
    assert later.text == "filed on 1 Dec 2026, 3 days late"


def test_overdue_sorts_first_then_soonest_due_then_filed() -> None:
    today = date(2026, 12, 1)
    statuses = {
        "filed": filing_status(date(2026, 11, 20), date(2026, 11, 22), today),
        "due_later": filing_status(date(2026, 11, 30), None, today),
        "overdue_1": filing_status(date(2026, 11, 23), None, today),
        "due_soon": filing_status(date(2026, 11, 25), None, today),
        "overdue_5": filing_status(date(2026, 11, 19), None, today),
    }
    order = sorted(statuses, key=lambda k: statuses[k].sort_key)
    assert order == ["overdue_5", "overdue_1", "due_soon", "due_later", "filed"]


# --- dose -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mg", "choice"), [
    (Decimal(56), DoseChoice.MG_56), (Decimal("56.0"), DoseChoice.MG_56),
    (Decimal(84), DoseChoice.MG_84), (Decimal(28), DoseChoice.OTHER),
    (Decimal(112), DoseChoice.OTHER), (None, None),
])
def test_dose_box(mg: Decimal | None, choice: DoseChoice | None) -> None:
    assert dose_choice(mg) is choice


# --- which reading ---------------------------------------------------------------------------


def test_the_40_minute_reading_is_the_nearest_to_40_within_30_to_60() -> None:
    readings = [at(-3), at(12), at(29), at(37), at(44), at(61), at(110)]
    assert reading_at_40_min(readings, FIRST) == readings[3]  # 37 beats 44
    assert reading_at_40_min([at(44), at(52)], FIRST) == at(44)
    assert reading_at_40_min([at(35), at(45)], FIRST) == at(35)  # a tie: the earlier
    assert reading_at_40_min([at(30)], FIRST) == at(30)  # the window's edges count
    assert reading_at_40_min([at(60)], FIRST) == at(60)
    assert reading_at_40_min([at(29, sbp=190, dbp=100), at(61)], FIRST) is None
    assert reading_at_40_min([at(40, sbp=None, dbp=None)], FIRST) is None  # no BP taken
    assert reading_at_40_min(readings, None) is None  # not dosed


def test_before_dosing_is_the_last_blood_pressure_up_to_the_first_device() -> None:
    readings = [at(-20, sbp=150, dbp=95), at(-5, sbp=132), at(0, sbp=None, dbp=None), at(40)]
    chosen = reading_before_dosing(readings, FIRST)
    assert chosen is not None and chosen.systolic_mmhg == 132
    assert reading_before_dosing([at(-20)], None) == at(-20)  # still checked in


def test_before_completion_is_the_last_reading_before_discharge_after_the_40_minute_one() -> None:
    ended = FIRST + timedelta(minutes=125)
    readings = [at(-5), at(40), at(90, sbp=128), at(118, sbp=126), at(130, sbp=124)]
    forty = reading_at_40_min(readings, FIRST)
    chosen = reading_before_completion(readings, FIRST, ended, forty)
    assert chosen is not None and chosen.systolic_mmhg == 126  # 130 min is after discharge
    # only the 40-minute reading after the dose: it cannot answer both questions
    assert reading_before_completion([at(-5), at(40)], FIRST, ended,
                                     reading_at_40_min([at(40)], FIRST)) is None
    # not discharged yet: unknown
    assert reading_before_completion(readings, FIRST, None, forty) is None


# --- acceptable range ---------------------------------------------------------------------------


@pytest.mark.parametrize(("reading", "before", "acceptable"), [
    (at(-5, sbp=140, dbp=90), True, True),      # the pre-dose limit itself is acceptable
    (at(-5, sbp=141, dbp=80), True, False),     # above 140 systolic before dosing
    (at(-5, sbp=130, dbp=91), True, False),
    (at(115, sbp=150, dbp=95), False, True),    # after dosing the in-session limits apply
    (at(115, sbp=181, dbp=95), False, False),
    (at(115, spo2=91), False, False),           # not only the blood pressure
    (at(115, hr=131), False, False),
    (at(115, rr=9), False, False),
    (at(-5, sbp=None, dbp=None), True, None),   # no blood pressure: cannot say
    (None, False, None),
])
def test_acceptable_is_judged_against_the_protocol_thresholds(
        reading: RemsVitals | None, before: bool, acceptable: bool | None) -> None:
    assert vitals_acceptable(reading, VitalThresholds(), before_dosing=before) is acceptable


def test_a_clinic_threshold_changes_the_judgement() -> None:
    strict = VitalThresholds(predose_sbp_max=130)
    assert vitals_acceptable(at(-5, sbp=135), strict, before_dosing=True) is False
    assert vitals_acceptable(at(-5, sbp=135), VitalThresholds(), before_dosing=True) is True


# --- the whole form -------------------------------------------------------------------------------


def _inputs(**changes: object) -> RemsInputs:
    values: dict[str, object] = dict(
        session_id=7, patient_name="Ñúñez, José", mrn="K0000001", birth_date=date(1980, 3, 14),
        earlier_esketamine_treatments=0, takes_benzodiazepine=False, takes_other_sedative=False,
        takes_stimulant=True, takes_maoi=False, takes_opioid=False, first_device_at_utc=FIRST,
        treatment_date=TREATED, discharged_at_utc=FIRST + timedelta(minutes=127),
        ready_to_leave_at_utc=FIRST + timedelta(minutes=121), dose_mg=Decimal(56),
        device_count=2, lot_number=" ESK1 ",
        readings=[at(-4, sbp=128, dbp=82), at(41, sbp=150, dbp=96), at(119, sbp=131, dbp=84)],
        thresholds=VitalThresholds(), event_flag_kinds=["sedation"],
        monitoring_provider="Nora Reyes, RN", setting="Riverside Ketamine Clinic",
    )
    values.update(changes)
    return RemsInputs(**values)  # type: ignore[arg-type]


def test_a_complete_form() -> None:
    form = build_rems_form(_inputs())
    assert form.first_treatment is True and form.takes_psychostimulant is True
    assert form.monitoring_minutes == 127 and form.lot_number == "ESK1"
    assert form.due_on == date(2026, 11, 28)
    assert form.bp_before_dosing is not None and form.bp_before_dosing.text == "128/82"
    assert form.bp_before_dosing.minutes_after_first_device == -4
    assert form.bp_at_40_min is not None and form.bp_at_40_min.text == "150/96"
    assert form.bp_before_completion is not None and form.bp_before_completion.text == "131/84"
    assert form.vitals_acceptable_before_dosing is True
    assert form.vitals_acceptable_before_completion is True
    assert (form.sedation_observed, form.dissociation_observed,
            form.respiratory_depression_observed) == (True, False, False)
    assert missing_fields(form) == []


def test_unknowns_are_not_read_as_no() -> None:
    form = build_rems_form(_inputs(
        earlier_esketamine_treatments=2, takes_benzodiazepine=None, takes_opioid=None,
        discharged_at_utc=None, ready_to_leave_at_utc=None, lot_number="", event_flag_kinds=[],
        monitoring_provider=None))
    assert form.first_treatment is False
    assert form.sedation_observed is None  # still being monitored: nothing to say yet
    assert yes_no(form.takes_benzodiazepine) == "not recorded"
    assert yes_no(form.first_treatment) == "No" and yes_no(True) == "Yes"
    assert missing_fields(form) == [
        "Concomitant benzodiazepines", "Concomitant opioids", "Lot number",
        "Total minutes from first device to end of monitoring",
        "Time the patient was ready to leave", "Vital signs acceptable before completion",
        "Blood pressure before completion", "Sedation observed", "Dissociation observed",
        "Respiratory depression observed", "Monitoring provider",
    ]


def test_a_form_before_the_first_device() -> None:
    form = build_rems_form(_inputs(first_device_at_utc=None, treatment_date=None,
                                   discharged_at_utc=None, readings=[at(-4)]))
    assert form.treatment_date is None and form.due_on is None
    assert form.bp_before_dosing is not None
    assert form.bp_before_dosing.minutes_after_first_device is None
    assert form.bp_at_40_min is None and form.monitoring_minutes is None
    assert "Treatment date" in missing_fields(form)
