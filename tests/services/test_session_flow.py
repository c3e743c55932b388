"""A whole session played through the services, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction, SessionState
from ketalog.services.audit import GENESIS_HASH, AuditContent, chain_hash
from ketalog.services.board import day_board
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.context import Actor
from ketalog.services.errors import PermissionDenied
from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.dose import DoseOrderResult, order_dose, verify_dose
from ketalog.services.session.entries import (
    add_note,
    add_vital_action_note,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.session.state import (
    CHECKLIST_ITEMS,
    acknowledge_predose_bp,
    change_state,
    update_checklist,
)
from ketalog.services.session_detail import open_session
from ketalog.services.signing import session_content_sha256, sign_session
from ketalog.store.models import AuditEntry, DoseOrder, InfusionEvent, TreatmentSession, VitalSign
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.play import book, screen_course, verbal_order
from tests.staff import NURSE, password_of, prove

UTC_ZONE = ZoneInfo("UTC")
GOOD_VITALS = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72,
               "spo2_percent": 98, "resp_rate_per_min": 14}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def booked(db: Session, clock: FakeClock) -> int:
    """A patient weighed 80 kg with an IV depression course and one session at Chair 1."""
    return book(db, clock)


def _check_in(db: Session, sid: int, clock: FakeClock, escort: str = "Maria (wife)") -> None:
    """Check in and complete the pre-infusion checklist, as the check-in panel does."""
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    version = open_session(db, sid).version
    update_discharge_details(db, NURSE, sid, expected_version=version, escort_name=escort,
                             clock=clock)


def _dose(db: Session, sid: int, clock: FakeClock) -> DoseOrderResult:
    return order_dose(
        db, NURSE, sid,
        inputs={"dose_mg_per_kg": "0.5", "concentration_mg_per_ml": "10",
                "bag_volume_ml": "100", "duration_min": 40},
        lot_number="KT12345", diluent="0.9% NaCl", clock=clock,
    )


def test_a_whole_session_is_stored_exactly(db: Session, booked: int, clock: FakeClock) -> None:
    sid = booked
    _check_in(db, sid, clock)
    clock.advance(3)
    record_vitals(db, NURSE, sid, GOOD_VITALS, clock=clock)
    order = _dose(db, sid, clock)
    assert order.total_mg == Decimal("40")
    assert order.drug_volume_ml == Decimal("4")
    assert order.rate_ml_per_h == Decimal("150")
    assert any("0.5 mg/kg" in line and "80 kg" in line for line in order.working)
    verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    clock.advance(2)
    start = clock.now
    assert change_state(db, NURSE, sid, "start_infusion", clock=clock) is SessionState.INFUSING
    for minute in (10, 20, 30, 40):
        clock.advance(10)
        values = dict(GOOD_VITALS, systolic_mmhg=124 + minute // 4)
        if minute == 30:
            values["systolic_mmhg"] = 186
        saved = record_vitals(db, NURSE, sid, values, clock=clock)
        if minute == 30:
            assert saved.alerts == ("sbp_high",)
            add_vital_action_note(db, NURSE, saved.vital_id,
                                  "Infusion paused, physician notified",
                                  expected_version=1, clock=clock)
            change_state(db, NURSE, sid, SessionAction.PAUSE, reason="BP 186 systolic",
                         clock=clock)
            clock.advance(5)
            change_state(db, NURSE, sid, SessionAction.RESUME, clock=clock)
    record_scale(db, NURSE, sid, "moaas", [4], clock=clock)
    record_scale(db, NURSE, sid, "cadss6", [1, 2, 0, 1, 3, 0], clock=clock)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, sid, GOOD_VITALS, clock=clock)

    with pytest.raises(TransitionRefused) as refused:
        change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)
    reasons = " ".join(refused.value.reasons).lower()
    assert "aldrete" in reasons and "instructions" in reasons

    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    detail = open_session(db, sid)
    update_discharge_details(db, NURSE, sid, expected_version=detail.version,
                             instructions_given=True, clock=clock)
    add_note(db, NURSE, sid, "recovery", "Calm, oriented, walking steadily.", clock=clock)
    assert change_state(db, NURSE, sid, "discharge", clock=clock) is SessionState.DISCHARGED

    detail = open_session(db, sid)
    assert detail.state == "discharged"
    assert detail.dose_started_at_utc == start
    assert detail.escort_name == "Maria (wife)"
    assert [v.systolic_mmhg for v in detail.vitals] == [124, 126, 129, 186, 134, 124]
    assert detail.vitals[3].alert_codes == ("sbp_high",)
    assert detail.vitals[3].action_note == "Infusion paused, physician notified"
    assert detail.dose is not None
    assert detail.dose.verified_by_name == "Sam Okafor, RN"
    assert detail.dose.lot_number == "KT12345"
    assert detail.dose.weight_kg == Decimal("80")
    assert [e.kind for e in detail.infusion_events] == ["start", "pause", "resume", "stop"]
    assert detail.infusion_events[1].detail == "BP 186 systolic"
    assert [(s.scale, s.total) for s in detail.scores] == [
        ("moaas", 4), ("cadss6", 7), ("aldrete", 10)]
    assert (detail.notes[0].author_name, detail.notes[0].text) == (
        "Nora Reyes, RN", "Calm, oriented, walking steadily.")


def test_refused_vitals_write_nothing(db: Session, booked: int, clock: FakeClock) -> None:
    _check_in(db, booked, clock)
    vitals_before, audit_before = _count(db, VitalSign), _count(db, AuditEntry)
    bad = dict(GOOD_VITALS, spo2_percent=101, diastolic_mmhg=130, heart_rate_bpm=0)
    with pytest.raises(ValidationError) as refused:
        record_vitals(db, NURSE, booked, bad, clock=clock)
    text = " ".join(refused.value.messages)
    assert "SpO2" in text and "101" in text
    assert "130" in text and "124" in text  # diastolic must be below systolic
    assert "Heart rate" in text or "HR" in text
    assert _count(db, VitalSign) == vitals_before
    assert _count(db, AuditEntry) == audit_before


def test_no_vitals_before_check_in_or_after_cancel(
    db: Session, booked: int, clock: FakeClock
) -> None:
    with pytest.raises(TransitionRefused, match=r"[Cc]heck the patient in"):
        record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    change_state(db, NURSE, booked, SessionAction.CANCEL, reason="Patient unwell",
                 clock=clock)
    with pytest.raises(TransitionRefused, match="cancelled"):
        record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    session = db.get(TreatmentSession, booked)
    assert session is not None and session.state_reason == "Patient unwell"


def test_start_needs_verified_dose_and_baseline(db: Session, booked: int, clock: FakeClock) -> None:
    change_state(db, NURSE, booked, SessionAction.CHECK_IN, clock=clock)
    with pytest.raises(TransitionRefused) as refused:
        change_state(db, NURSE, booked, SessionAction.START_INFUSION, clock=clock)
    reasons = " ".join(refused.value.reasons)
    assert "checklist is not complete (patient identity confirmed, consent on file" in reasons
    assert "escort named" in reasons and "verified" in reasons and "baseline" in reasons
    assert _count(db, InfusionEvent) == 0
    order = _dose(db, booked, clock)
    with pytest.raises(PermissionDenied, match="second nurse"):
        verify_dose(db, NURSE, booked, dose_order_id=order.dose_order_id,
                    **right_figures(db, order.dose_order_id), clock=clock)
    # a typed name is not an identity: only a signed-in account can verify
    stranger = Actor(username="sam", display_name="Sam Okafor, RN", role="nurse")
    with pytest.raises(PermissionDenied, match="Sign in"):
        verify_dose(db, stranger, booked, dose_order_id=order.dose_order_id,
                    **right_figures(db, order.dose_order_id), clock=clock)


def test_high_predose_bp_needs_a_physician(db: Session, booked: int, clock: FakeClock) -> None:
    _check_in(db, booked, clock)
    saved = record_vitals(db, NURSE, booked, dict(GOOD_VITALS, systolic_mmhg=152), clock=clock)
    assert "predose_bp_high" in saved.alerts
    order = _dose(db, booked, clock)
    verify_dose(db, NURSE, booked, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    with pytest.raises(TransitionRefused, match=r"(?i)physician"):
        change_state(db, NURSE, booked, SessionAction.START_INFUSION, clock=clock)
    with pytest.raises(PermissionDenied):
        acknowledge_predose_bp(db, NURSE, booked, clock=clock)
    acknowledge_predose_bp(db, NURSE, booked, clock=clock,
                           physician=prove(db, "ada", "acknowledge_bp", clock))
    assert change_state(db, NURSE, booked, "start_infusion", clock=clock) is (
        SessionState.INFUSING
    )


def test_dose_limits_need_confirmation_or_override(
    db: Session, booked: int, clock: FakeClock
) -> None:
    _check_in(db, booked, clock)
    inputs = {"concentration_mg_per_ml": "10", "bag_volume_ml": "100", "duration_min": 40}
    verbal_order(db, booked, clock, "1.2")  # the standing order is 0.5 mg/kg
    with pytest.raises(ValidationError, match=r"(?i)confirm"):
        order_dose(db, NURSE, booked, inputs=dict(inputs, dose_mg_per_kg="1.2"), clock=clock)
    with pytest.raises(PermissionDenied, match=r"(?i)physician"):
        order_dose(db, NURSE, booked, inputs=dict(inputs, dose_mg_per_kg="5"), clock=clock,
                   confirm_outside_warning=True)
    assert _count(db, DoseOrder) == 0
    confirmed = order_dose(db, NURSE, booked, inputs=dict(inputs, dose_mg_per_kg="1.2"),
                           confirm_outside_warning=True, clock=clock)
    assert confirmed.limit_level == "above_warning"
    assert confirmed.total_mg == Decimal("96")


def test_missing_weight_is_refused(db: Session, clock: FakeClock) -> None:
    patient = register_patient(db, NURSE, family_name="Ångström", given_name="Zoë",
                               birth_date=date(1991, 7, 2), clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="PTSD", clock=clock)
    screen_course(db, course, clock)
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=clock.now, clock=clock)
    _check_in(db, sid, clock)
    with pytest.raises(ValidationError, match="Weight is missing"):
        _dose(db, sid, clock)


def test_audit_rows_form_an_unbroken_hash_chain(
    db: Session, booked: int, clock: FakeClock
) -> None:
    _check_in(db, booked, clock)
    record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(rows) >= 5
    previous = GENESIS_HASH
    for row in rows:
        content = AuditContent(row.occurred_at_utc, row.user_id, row.username, row.workstation,
                               row.patient_id, row.action, row.table_name, row.row_id, row.field,
                               row.old_value, row.new_value)
        assert row.prev_hash == previous
        assert row.row_hash == chain_hash(previous, content)
        previous = row.row_hash
    last = rows[-1]
    assert (last.table_name, last.action, last.workstation) == ("vital_signs", "create", "t")
    assert '"spo2_percent": 98' in (last.new_value or "")


def test_signing_needs_a_physician_and_locks_the_session(
    db: Session, booked: int, clock: FakeClock
) -> None:
    _check_in(db, booked, clock)
    change_state(db, NURSE, booked, SessionAction.CANCEL, reason="No escort", clock=clock)
    with pytest.raises(PermissionDenied):
        sign_session(db, NURSE, booked, password=password_of("nora"), clock=clock)


def test_day_board_shows_state_and_next_vitals(
    db: Session, booked: int, clock: FakeClock
) -> None:
    _check_in(db, booked, clock)
    record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    order = _dose(db, booked, clock)
    verify_dose(db, NURSE, booked, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    started = clock.advance(1)
    change_state(db, NURSE, booked, SessionAction.START_INFUSION, clock=clock)
    board = day_board(db, clock.now.date(), UTC_ZONE)
    assert len(board) == 1
    row = board[0]
    assert (row.chair, row.state, row.patient_name, row.sequence_number) == (
        "Chair 1", "infusing", "Ñúñez, José", 1)
    assert row.next_vitals_due_at_utc == started + timedelta(minutes=10)
    assert not row.vitals_overdue(started + timedelta(minutes=9))
    assert row.vitals_overdue(started + timedelta(minutes=11))
    assert day_board(db, clock.now.date() + timedelta(days=1), UTC_ZONE) == []


def test_board_day_follows_the_clinic_time_zone(
    db: Session, booked: int, clock: FakeClock
) -> None:
    # 09:00 UTC is 20:00 in Sydney on the same date, and 01:00 in Los Angeles
    sydney, la = ZoneInfo("Australia/Sydney"), ZoneInfo("America/Los_Angeles")
    assert len(day_board(db, date(2026, 11, 21), sydney)) == 1
    assert len(day_board(db, date(2026, 11, 21), la)) == 1
    assert day_board(db, date(2026, 11, 20), la) == []


def test_content_hash_changes_with_any_vital(db: Session, booked: int, clock: FakeClock) -> None:
    _check_in(db, booked, clock)
    saved = record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    before = session_content_sha256(db, booked)
    assert before == session_content_sha256(db, booked)
    vital = db.get(VitalSign, saved.vital_id)
    assert vital is not None
    vital.heart_rate_bpm = 73
    db.commit()
    assert session_content_sha256(db, booked) != before


def test_future_reading_time_is_refused(db: Session, booked: int, clock: FakeClock) -> None:
    _check_in(db, booked, clock)
    with pytest.raises(ValidationError, match="future"):
        record_vitals(db, NURSE, booked, GOOD_VITALS,
                      taken_at=clock.now + timedelta(hours=1), clock=clock)
    earlier = clock.now - timedelta(minutes=20)
    record_vitals(db, NURSE, booked, GOOD_VITALS, taken_at=earlier, clock=clock)
    assert open_session(db, booked).vitals[0].taken_at_utc == earlier
    with pytest.raises(ValidationError, match="before the patient was checked in"):
        record_vitals(db, NURSE, booked, GOOD_VITALS,
                      taken_at=clock.now - timedelta(days=1), clock=clock)


def test_times_come_back_aware_utc(db: Session, booked: int, clock: FakeClock) -> None:
    local = datetime(2026, 11, 21, 10, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    clock.now = local
    _check_in(db, booked, clock)
    stored = open_session(db, booked).checked_in_at_utc
    assert stored is not None and stored.utcoffset() == timedelta(0)
    assert stored == local


def test_accepting_the_protocol_defaults(db: Session, booked: int, clock: FakeClock) -> None:
    """A nurse who changes nothing gets the protocol's dose: 0.5 mg/kg x 80 kg."""
    _check_in(db, booked, clock)
    order = order_dose(db, NURSE, booked, inputs={}, clock=clock)
    assert order.total_mg == Decimal("40")
    assert order.limit_level == "within"
    assert order.weight_warning is None
    stored = open_session(db, booked).dose
    assert stored is not None
    assert (stored.dose_mg_per_kg, stored.duration_min, stored.weight_basis) == (
        Decimal("0.5"), 40, "actual")


def test_old_weight_is_flagged(db: Session, booked: int, clock: FakeClock) -> None:
    _check_in(db, booked, clock)
    order = order_dose(db, NURSE, booked, inputs={}, weight_kg="82",
                       weight_measured_on=clock.now.date() - timedelta(days=45), clock=clock)
    assert order.weight_warning is not None and "45 days" in order.weight_warning
    assert order.total_mg == Decimal("41")


def test_unknown_action_is_a_clear_refusal(db: Session, booked: int, clock: FakeClock) -> None:
    with pytest.raises(ValidationError):
        change_state(db, NURSE, booked, "teleport", clock=clock)


def test_verification_is_seen_within_one_orm_session(
    db: Session, booked: int, clock: FakeClock
) -> None:
    """A relationship loaded before the verification must not hide it (CLI, demo, tests)."""
    _check_in(db, booked, clock)
    record_vitals(db, NURSE, booked, GOOD_VITALS, clock=clock)
    order = _dose(db, booked, clock)
    loaded = db.get(DoseOrder, order.dose_order_id)
    assert loaded is not None and loaded.verification is None  # now cached as "none"
    verify_dose(db, NURSE, booked, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    assert change_state(db, NURSE, booked, "start_infusion", clock=clock) is (
        SessionState.INFUSING)
