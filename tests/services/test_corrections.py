"""Entries entered in error, on SQLite and PostgreSQL: who may, when, and what stops counting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.alerts import open_session_alerts
from ketalog.services.corrections import (
    correct_reading,
    correct_weight,
    mark_entered_in_error,
)
from ketalog.services.outcomes import course_view
from ketalog.services.patients import latest_weight
from ketalog.services.session.entries import (
    add_note,
    flag_event,
    record_scale,
    record_vitals,
    resolve_event,
)
from ketalog.services.session.state import change_state
from ketalog.services.session_detail import open_session
from ketalog.services.session_view import load_session_view
from ketalog.services.signing import verify_session
from ketalog.store.models import AuditEntry, PatientWeight, VitalSign
from tests.conftest import FakeClock
from tests.play import book, discharge, sign, start_infusion
from tests.staff import NURSE, NURSE2, PHYSICIAN

WRONG = {"systolic_mmhg": 190, "diastolic_mmhg": 100, "heart_rate_bpm": 88,
         "spo2_percent": 97, "resp_rate_per_min": 14}


@pytest.fixture
def infusing(db: Session, clock: FakeClock) -> int:
    """José Ñúñez's infusion, running."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    clock.advance(10)
    return sid


def _audit(db: Session, table: str, row_id: int) -> AuditEntry:
    entry = db.scalars(select(AuditEntry).where(
        AuditEntry.action == "entered_in_error", AuditEntry.table_name == table,
        AuditEntry.row_id == row_id)).one()
    return entry


def test_the_author_marks_a_reading_and_it_stays_visible_counted_nowhere(
        db: Session, clock: FakeClock, infusing: int) -> None:
    wrong = record_vitals(db, NURSE, infusing, WRONG, clock=clock)
    assert wrong.alerts  # SBP 190 raised an alert the physician would be asked about
    assert open_session_alerts(db, infusing)
    clock.advance(1)
    marked = mark_entered_in_error(db, NURSE, "vital_signs", wrong.vital_id,
                                   "  typed into the wrong session ", clock=clock)
    assert marked.reason == "typed into the wrong session"
    row = db.get(VitalSign, wrong.vital_id, populate_existing=True)
    assert row is not None and row.voided_at_utc == clock() and row.voided_by_id == 1
    # kept in the record, marked with who, when and why
    detail = open_session(db, infusing)
    shown = next(v for v in detail.vitals if v.id == wrong.vital_id)
    assert shown.voided and shown.void is not None
    assert (shown.void.by_name, shown.void.reason) == ("Nora Reyes, RN",
                                                       "typed into the wrong session")
    assert wrong.vital_id not in {v.id for v in detail.live_vitals}
    # no alert left to acknowledge, no reading for the trend
    assert not open_session_alerts(db, infusing)
    # the audit row holds what was marked and why
    entry = _audit(db, "vital_signs", wrong.vital_id)
    assert json.loads(entry.old_value or "")["systolic_mmhg"] == 190
    assert json.loads(entry.new_value or "") | {"voided_at_utc": None} == {
        "voided_at_utc": None, "voided_by": "Nora Reyes, RN",
        "reason": "typed into the wrong session"}


def test_a_physician_may_mark_a_nurses_entry_another_nurse_may_not(
        db: Session, clock: FakeClock, infusing: int) -> None:
    first = record_vitals(db, NURSE, infusing, WRONG, clock=clock)
    with pytest.raises(TransitionRefused, match=r"Only the person who entered this reading "
                                                r"\(Nora Reyes, RN\) or a physician"):
        mark_entered_in_error(db, NURSE2, "vital_signs", first.vital_id, "wrong", clock=clock)
    db.rollback()
    assert db.get(VitalSign, first.vital_id).voided_at_utc is None  # type: ignore[union-attr]
    mark_entered_in_error(db, PHYSICIAN, "reading", first.vital_id, "wrong patient",
                          clock=clock)
    with pytest.raises(TransitionRefused, match="already marked entered in error by Ada "
                                                "Lindqvist, MD"):
        mark_entered_in_error(db, NURSE, "vital_signs", first.vital_id, "again", clock=clock)


def test_a_reason_is_required(db: Session, clock: FakeClock, infusing: int) -> None:
    note = add_note(db, NURSE, infusing, "nursing", "Wrong chair's note", clock=clock)
    with pytest.raises(ValidationError, match="Say why this note was entered in error"):
        mark_entered_in_error(db, NURSE, "notes", note, "   ", clock=clock)
    db.rollback()
    assert open_session(db, infusing).notes[0].void is None


def test_after_signing_only_an_addendum(db: Session, clock: FakeClock, infusing: int) -> None:
    note = add_note(db, NURSE, infusing, "nursing", "Calm.", clock=clock)
    discharge(db, infusing, clock)
    sign(db, infusing, clock)
    with pytest.raises(TransitionRefused, match="signed: add an addendum instead"):
        mark_entered_in_error(db, PHYSICIAN, "notes", note, "wrong patient", clock=clock)
    db.rollback()
    assert verify_session(db, infusing).intact


def test_a_session_signed_with_entries_marked_verifies(
        db: Session, clock: FakeClock, infusing: int) -> None:
    flag = flag_event(db, NURSE, infusing, "sedation", clock=clock)
    wrong = record_vitals(db, NURSE, infusing, WRONG, clock=clock)
    mark_entered_in_error(db, NURSE, "event_flags", flag, "other patient's flag", clock=clock)
    mark_entered_in_error(db, NURSE, "vital_signs", wrong.vital_id, "wrong chair",
                          clock=clock)
    discharge(db, infusing, clock)  # the open flag marked in error does not hold it up
    sign(db, infusing, clock)
    assert verify_session(db, infusing).intact


def test_a_flag_entered_in_error_neither_blocks_discharge_nor_reaches_the_rems_form(
        db: Session, clock: FakeClock, infusing: int) -> None:
    flag = flag_event(db, NURSE, infusing, "respiratory_depression", clock=clock)
    mark_entered_in_error(db, NURSE, "event flag", flag, "pressed the wrong flag",
                          clock=clock)
    detail = open_session(db, infusing)
    assert [f.voided for f in detail.event_flags] == [True]
    assert detail.live_event_flags == ()
    with pytest.raises(TransitionRefused, match="marked entered in error"):
        resolve_event(db, NURSE, flag, clock=clock)


def test_a_corrected_reading_replaces_the_wrong_one_in_one_step(
        db: Session, clock: FakeClock, infusing: int) -> None:
    wrong = record_vitals(db, NURSE, infusing, WRONG, clock=clock)
    taken = db.get(VitalSign, wrong.vital_id).taken_at_utc  # type: ignore[union-attr]
    clock.advance(2)
    with pytest.raises(ValidationError):  # an impossible value: nothing is marked either
        correct_reading(db, NURSE, wrong.vital_id, {"systolic_mmhg": 500}, "typo",
                        clock=clock)
    assert db.get(VitalSign, wrong.vital_id,  # type: ignore[union-attr]
                  populate_existing=True).voided_at_utc is None
    saved = correct_reading(db, NURSE, wrong.vital_id, {**WRONG, "systolic_mmhg": 130,
                                                         "diastolic_mmhg": 80},
                            "typo: 190 for 130", clock=clock)
    new = db.get(VitalSign, saved.vital_id, populate_existing=True)
    assert new is not None and new.replaces_id == wrong.vital_id
    assert new.taken_at_utc == taken and not saved.alerts
    detail = open_session(db, infusing)
    old = next(v for v in detail.vitals if v.id == wrong.vital_id)
    assert old.void is not None and old.void.replaced_by_id == saved.vital_id
    assert not open_session_alerts(db, infusing)


def test_a_corrected_weight_is_the_one_the_dose_uses(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)  # weighed 80 kg
    patient_id = open_session(db, sid).patient_id
    today = clock().date()
    wrong = latest_weight(db, patient_id, today)
    assert wrong is not None
    record = correct_weight(db, NURSE, wrong.id, "78.4", "read the scale wrong", clock=clock)
    assert record.weight_kg_text == "78.40"
    latest = latest_weight(db, patient_id, today)
    assert latest is not None and latest.weight_kg == Decimal("78.4")
    assert latest.replaces_id == wrong.id
    shown = load_session_view(db, sid, clock()).weight
    assert shown is not None and shown.weight_kg == Decimal("78.4")
    # marking the correction too leaves no weight: the dose asks for one
    mark_entered_in_error(db, NURSE, "weight", latest.id, "wrong patient", clock=clock)
    assert latest_weight(db, patient_id, today) is None
    assert _audit(db, "patient_weights", wrong.id).patient_id == patient_id


def test_a_weight_a_signed_session_dosed_with_stays(db: Session, clock: FakeClock,
                                                     infusing: int) -> None:
    discharge(db, infusing, clock)
    sign(db, infusing, clock)
    weight = db.scalars(select(PatientWeight)).one()
    with pytest.raises(TransitionRefused, match="signed: add an addendum instead"):
        mark_entered_in_error(db, PHYSICIAN, "weight", weight.id, "wrong", clock=clock)


def test_an_outcome_score_entered_in_error_leaves_the_course(
        db: Session, clock: FakeClock, infusing: int) -> None:
    score = record_scale(db, NURSE, infusing, "phq9", [3] * 9, clock=clock)
    course = open_session(db, infusing).course_id
    assert course_view(db, course).sessions[0].scores.get("phq9") == 27
    mark_entered_in_error(db, NURSE, "score", score, "this was last week's form",
                          clock=clock)
    assert "phq9" not in course_view(db, course).sessions[0].scores
