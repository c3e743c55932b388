"""Unusual weights and doses are confirmed or overridden with reasons (issue 16, item 3).

Each case starts from the defect as found: an unusual figure that was ordered
or recorded without a word.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.clinic_settings import change_clinic_setting
from ketalog.services.errors import PermissionDenied
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.dose import order_dose
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_today
from ketalog.store.models import AuditEntry, DoseOrder, PatientWeight, ProtocolRecord
from tests.conftest import FakeClock
from tests.play import screen_course, verbal_order
from tests.staff import ADMIN, NURSE, prove

IV = {"dose_mg_per_kg": "0.5", "concentration_mg_per_ml": "10", "bag_volume_ml": "100",
      "duration_min": 40}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _patient(db: Session, clock: FakeClock, *weights: tuple[str, int]) -> tuple[int, int]:
    """A patient weighed (kg, days ago) with an IV depression session, checked in: ids."""
    patient = register_patient(db, NURSE, family_name="Ångström-Łukasiewicz", given_name="Ida",
                               birth_date=date(1971, 5, 2), clock=clock)
    today = clinic_today(db, clock())
    for kg, days_ago in weights:
        record_weight(db, NURSE, patient.id, kg, measured_on=today - timedelta(days=days_ago),
                      confirm_unusual=True, clock=clock)
        clock.advance(10)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="major depressive disorder", clock=clock)
    screen_course(db, course, clock)
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=clock(), clock=clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return patient.id, sid


def _audit_new(db: Session, table: str) -> dict[str, object]:
    row = db.scalars(select(AuditEntry.new_value).where(AuditEntry.table_name == table)
                     .order_by(AuditEntry.id.desc()).limit(1)).one()
    value = json.loads(row or "{}")
    assert isinstance(value, dict)
    return value


# --- weights as recorded ----------------------------------------------------------------


def test_200_kg_four_days_after_105_9_kg_is_recorded_only_when_confirmed(
        db: Session, clock: FakeClock) -> None:
    patient, _sid = _patient(db, clock, ("105.9", 4))
    with pytest.raises(ValidationError) as refused:
        record_weight(db, NURSE, patient, "200", clock=clock)
    message = refused.value.messages[0]
    assert "Weight 200 kg is 89% more than the 105.9 kg recorded on" in message
    assert "(4 days earlier)" in message
    assert _count(db, PatientWeight) == 1

    record_weight(db, NURSE, patient, "200", confirm_unusual=True, clock=clock)
    assert _count(db, PatientWeight) == 2
    assert _audit_new(db, "patient_weights")["confirmed"] == [message]


def test_a_weight_outside_the_usual_adult_range_is_confirmed(db: Session,
                                                            clock: FakeClock) -> None:
    patient, _sid = _patient(db, clock)
    with pytest.raises(ValidationError, match="outside the usual adult range 35-200 kg"):
        record_weight(db, NURSE, patient, "30", clock=clock)
    assert _count(db, PatientWeight) == 0
    record_weight(db, NURSE, patient, "30", confirm_unusual=True, clock=clock)
    assert _count(db, PatientWeight) == 1


def test_a_second_weighing_minutes_after_the_first_asks_which_stands(
        db: Session, clock: FakeClock) -> None:
    patient, _sid = _patient(db, clock)
    record_weight(db, NURSE, patient, "80", clock=clock)
    clock.advance(2)
    with pytest.raises(ValidationError) as refused:  # the other workstation, 2 min later
        record_weight(db, NURSE, patient, "81.5", clock=clock)
    assert refused.value.messages == [
        f"A weight of 80 kg for {clinic_today(db, clock())} was recorded 2 min ago by Nora "
        "Reyes, RN. Which one stands? Confirm to record 81.5 kg as the latest weight (used for "
        "dosing); otherwise keep the first."]
    assert _count(db, PatientWeight) == 1
    clock.advance(10)  # a re-weighing later the same day is simply the latest
    record_weight(db, NURSE, patient, "81.5", clock=clock)
    assert _count(db, PatientWeight) == 2


def test_the_weight_change_to_confirm_is_a_clinic_setting(db: Session, clock: FakeClock) -> None:
    patient, _sid = _patient(db, clock, ("80", 3))
    with pytest.raises(ValidationError, match="19% more than the 80 kg"):
        record_weight(db, NURSE, patient, "95", clock=clock)
    assert change_clinic_setting(db, ADMIN, "weight_change_percent", "20", clock=clock)
    record_weight(db, NURSE, patient, "95", clock=clock)
    assert _count(db, PatientWeight) == 2


def test_a_weight_from_long_ago_is_not_compared(db: Session, clock: FakeClock) -> None:
    patient, _sid = _patient(db, clock, ("60", 120))
    record_weight(db, NURSE, patient, "80", clock=clock)
    assert _count(db, PatientWeight) == 2


# --- the dose order ---------------------------------------------------------------------


def test_dosing_by_a_weight_far_from_the_last_names_both_weights(db: Session,
                                                                 clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("105.9", 4), ("200", 0))
    with pytest.raises(ValidationError) as refused:
        order_dose(db, NURSE, sid, inputs=IV, lot_number="KT1", clock=clock)
    message = refused.value.messages[0]
    assert "Weight 200 kg is 89% more than the 105.9 kg recorded on" in message
    assert message.endswith("Confirm the dose to continue.")
    assert _count(db, DoseOrder) == 0

    order = order_dose(db, NURSE, sid, inputs=IV, lot_number="KT1",
                       confirm_outside_warning=True, clock=clock)
    assert order.total_mg == 100 and order.limit_level == "outside_warning"
    findings = _audit_new(db, "dose_orders")["findings"]
    assert isinstance(findings, list) and "105.9 kg" in findings[0]


def test_a_typed_weight_is_compared_with_the_last_weighing(db: Session, clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("80", 2))
    with pytest.raises(ValidationError, match="Weight 176 kg is 120% more than the 80 kg"):
        order_dose(db, NURSE, sid, inputs=IV, weight_kg="176", clock=clock)  # pounds
    assert _count(db, DoseOrder) == 0


def test_an_infusion_over_one_minute_needs_a_physicians_override(db: Session,
                                                                 clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("80", 0))
    fast = {**IV, "duration_min": 1}
    with pytest.raises(PermissionDenied, match=r"over 1 min \(6000 mL/h\) is faster"):
        order_dose(db, NURSE, sid, inputs=fast, confirm_outside_warning=True, clock=clock)
    assert _count(db, DoseOrder) == 0
    order = order_dose(db, NURSE, sid, inputs=fast, override_reason="bolus ordered, ICU",
                       override_by=prove(db, "ada", "override_dose", clock), clock=clock)
    assert order.limit_level == "beyond_hard_limit"


def test_a_short_infusion_is_confirmed(db: Session, clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("80", 0))
    verbal_order(db, sid, clock, "0.5", duration_min=30)  # the physician ordered it so
    with pytest.raises(ValidationError, match="shorter than the usual 40 min"):
        order_dose(db, NURSE, sid, inputs={**IV, "duration_min": 30}, clock=clock)
    order = order_dose(db, NURSE, sid, inputs={**IV, "duration_min": 30},
                       confirm_outside_warning=True, clock=clock)
    assert order.rate_ml_per_h == 200 and order.limit_level == "outside_warning"


def test_a_dose_that_rounds_to_nothing_is_refused(db: Session, clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("80", 0))
    with pytest.raises(ValidationError, match=r"rounds to 0.0 mg"):
        order_dose(db, NURSE, sid, inputs={**IV, "dose_mg_per_kg": "1e-9"},
                   confirm_outside_warning=True, clock=clock)
    assert _count(db, DoseOrder) == 0


def test_the_total_has_an_absolute_maximum(db: Session, clock: FakeClock) -> None:
    _patient_id, sid = _patient(db, clock, ("160", 0))
    one = {**IV, "dose_mg_per_kg": "1.0"}  # 1.0 mg/kg is usual; 160 mg is not
    with pytest.raises(PermissionDenied, match=r"above the protocol's absolute maximum of 150.0"):
        order_dose(db, NURSE, sid, inputs=one, confirm_outside_warning=True, clock=clock)
    assert _count(db, DoseOrder) == 0


def test_a_definition_stored_before_the_new_limits_still_judges_them(
        db: Session, clock: FakeClock) -> None:
    record = db.get(ProtocolRecord, protocol_id_by_code(db, "iv-depression-0.5"))
    assert record is not None
    definition = json.loads(record.definition_json)
    for key in ("total_mg_limits", "duration_limits", "usual_weight_min_kg",
                "usual_weight_max_kg"):
        del definition[key]
    record.definition_json = json.dumps(definition, sort_keys=True)
    db.commit()
    _patient_id, sid = _patient(db, clock, ("80", 0))
    with pytest.raises(PermissionDenied, match="faster than the protocol allows"):
        order_dose(db, NURSE, sid, inputs={**IV, "duration_min": 1}, clock=clock)
    assert order_dose(db, NURSE, sid, inputs=IV, clock=clock).limit_level == "within"
