"""Alerts that follow through: raised, on the board and the waiting list, acknowledged, cleared.

Every test plays José Ñúñez's IV infusion through the real services on SQLite
and PostgreSQL and asserts on what the database holds and the read models say.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.alerts import AlertSource, AlertStatus
from ketalog.domain.errors import TransitionRefused
from ketalog.domain.session_state import SessionAction
from ketalog.services.alerts import acknowledge_alert, alerts_waiting, session_alerts
from ketalog.services.board import day_board
from ketalog.services.chair_status import chair_status
from ketalog.services.errors import PermissionDenied
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import (
    add_vital_action_note,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.session.state import change_state
from ketalog.services.session_view import load_session_view
from ketalog.services.signing import complete_nursing_record, sign_session, verify_session
from ketalog.store.models import AlertAcknowledgment, AuditEntry, ScaleAlert
from tests.conftest import FakeClock
from tests.play import BASELINE, book, start_infusion
from tests.staff import NURSE, PHYSICIAN, password_of, prove

UTC_ZONE = ZoneInfo("UTC")
HIGH_BP = {**BASELINE, "systolic_mmhg": 185, "diastolic_mmhg": 100}


@pytest.fixture
def infusing(db: Session, clock: FakeClock) -> int:
    """José's infusion, running."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    return sid


def _board_row(db: Session, sid: int, clock: FakeClock):  # type: ignore[no-untyped-def]
    [row] = [r for r in day_board(db, clock().date(), UTC_ZONE, now=clock()) if
             r.session_id == sid]
    return row


def _high_bp_with_note(db: Session, sid: int, clock: FakeClock) -> int:
    clock.advance(10)
    saved = record_vitals(db, NURSE, sid, HIGH_BP, clock=clock)
    assert saved.alerts == ("sbp_high",)
    add_vital_action_note(db, NURSE, saved.vital_id, "labetalol 10 mg IV given",
                          expected_version=1, clock=clock)
    return saved.vital_id


def test_an_alert_with_its_action_note_stays_on_the_board_and_the_waiting_list(
        db: Session, clock: FakeClock, infusing: int) -> None:
    vital_id = _high_bp_with_note(db, infusing, clock)
    clock.advance(2)
    row = _board_row(db, infusing, clock)
    [alert] = row.open_alerts
    assert (alert.source, alert.source_id, alert.code) == (AlertSource.VITALS, vital_id,
                                                           "sbp_high")
    assert alert.message == "Systolic high: BP 185/100"
    assert alert.action_note == "labetalol 10 mg IV given"
    [waiting] = alerts_waiting(db)
    assert waiting.session_id == infusing and waiting.alert == alert
    view = load_session_view(db, infusing, clock())
    assert view.open_alerts == (alert,)
    # the lock page names the chair, never the patient
    lines = chair_status(db, tz=UTC_ZONE, now=clock()).lines
    assert any(line.chair == "Chair 1" and "alert not acknowledged" in line.text
               for line in lines)
    assert not any("Ñúñez" in line.text for line in lines)


def test_a_nurse_cannot_acknowledge_and_a_physician_can_with_a_comment_and_an_audit_row(
        db: Session, clock: FakeClock, infusing: int) -> None:
    vital_id = _high_bp_with_note(db, infusing, clock)
    with pytest.raises(PermissionDenied, match="Only a physician can acknowledge an alert"):
        acknowledge_alert(db, NURSE, infusing, source="vital_signs", source_id=vital_id,
                          code="sbp_high", clock=clock,
                          physician=prove(db, "nora", "acknowledge_alert", clock))
    db.rollback()
    assert db.scalars(select(AlertAcknowledgment)).all() == []
    clock.advance(1)
    ack_id = acknowledge_alert(db, PHYSICIAN, infusing, source="vital_signs",
                               source_id=vital_id, code="sbp_high",
                               comment="  Seen; recheck in 5 min. ", clock=clock,
                               physician=prove(db, "ada", "acknowledge_alert", clock))
    ack = db.get(AlertAcknowledgment, ack_id)
    assert ack is not None and ack.comment == "Seen; recheck in 5 min."
    assert ack.acknowledged_at_utc == clock()
    audit = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "alert_acknowledgments")
                       ).one()
    assert (audit.action, audit.row_id, audit.username) == ("acknowledge", ack_id,
                                                            PHYSICIAN.username)
    [state] = session_alerts(db, [infusing])[infusing]
    assert state.status is AlertStatus.ACKNOWLEDGED
    assert state.acknowledgment is not None and state.acknowledgment.by_name.startswith("Ada")
    assert _board_row(db, infusing, clock).open_alerts == ()
    assert alerts_waiting(db) == []
    with pytest.raises(TransitionRefused, match="no longer open"):
        acknowledge_alert(db, PHYSICIAN, infusing, source="vital_signs", source_id=vital_id,
                          code="sbp_high", clock=clock,
                          physician=prove(db, "ada", "acknowledge_alert", clock))


def test_a_later_reading_back_in_range_clears_the_alert(
        db: Session, clock: FakeClock, infusing: int) -> None:
    _high_bp_with_note(db, infusing, clock)
    clock.advance(3)
    record_vitals(db, NURSE, infusing, {"heart_rate_bpm": 80}, clock=clock)
    assert len(_board_row(db, infusing, clock).open_alerts) == 1  # BP not measured again
    clock.advance(2)
    record_vitals(db, NURSE, infusing, {**BASELINE, "systolic_mmhg": 150}, clock=clock)
    [state] = session_alerts(db, [infusing])[infusing]
    assert state.status is AlertStatus.BACK_IN_RANGE and state.closed_at_utc == clock()
    assert _board_row(db, infusing, clock).open_alerts == ()


def test_after_an_alert_the_next_reading_is_due_in_five_minutes_not_ten(
        db: Session, clock: FakeClock, infusing: int) -> None:
    clock.advance(10)
    record_vitals(db, NURSE, infusing, BASELINE, clock=clock)
    assert _board_row(db, infusing, clock).next_vitals_due_at_utc == clock() + timedelta(
        minutes=10)
    _high_bp_with_note(db, infusing, clock)
    due = clock() + timedelta(minutes=5)
    assert _board_row(db, infusing, clock).next_vitals_due_at_utc == due
    assert load_session_view(db, infusing, clock()).next_vitals_due_at_utc == due


def test_moaas_three_and_a_high_cadss_raise_alerts_cleared_by_a_later_score(
        db: Session, clock: FakeClock, infusing: int) -> None:
    clock.advance(20)
    moaas = record_scale(db, NURSE, infusing, "moaas", [3], clock=clock)
    cadss = record_scale(db, NURSE, infusing, "cadss6", [3, 3, 2, 2, 2, 2], clock=clock)
    clock.advance(3)
    record_scale(db, NURSE, infusing, "cadss6", [3, 3, 2, 2, 1, 1], clock=clock)
    stored = db.scalars(select(ScaleAlert).order_by(ScaleAlert.id)).all()
    assert [(a.scale_score_id, a.code) for a in stored] == [(moaas, "moaas_low"),
                                                           (cadss, "cadss_high")]
    states = {s.alert.code: s.status for s in session_alerts(db, [infusing])[infusing]}
    # the second CADSS (12 of 24) is back in range; the MOAA/S 3 is still open
    assert states == {"moaas_low": AlertStatus.OPEN, "cadss_high": AlertStatus.BACK_IN_RANGE}
    [open_alert] = _board_row(db, infusing, clock).open_alerts
    assert open_alert.message == "Sedation deep: MOAA/S 3"
    [cadss_alert] = [s.alert for s in session_alerts(db, [infusing])[infusing]
                     if s.alert.code == "cadss_high"]
    assert cadss_alert.message == "Dissociation marked: CADSS-6 14 of 24"
    clock.advance(5)
    record_scale(db, NURSE, infusing, "moaas", [4], clock=clock)
    assert _board_row(db, infusing, clock).open_alerts == ()


def test_discharge_one_minute_after_the_infusion_with_vitals_overdue_is_refused_in_words(
        db: Session, clock: FakeClock, infusing: int) -> None:
    """The defect: discharge was allowed a minute after the infusion, vitals overdue."""
    clock.advance(40)
    change_state(db, NURSE, infusing, SessionAction.STOP_INFUSION, clock=clock)
    record_scale(db, NURSE, infusing, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, infusing,
                             expected_version=load_session(db, infusing).version,
                             instructions_given=True, clock=clock)
    clock.advance(1)
    with pytest.raises(TransitionRefused) as refused:
        change_state(db, NURSE, infusing, SessionAction.DISCHARGE, clock=clock)
    assert refused.value.reasons == (
        "Recovery must last at least 30 minutes after the dose ended (now 1, 29 more to go).",
        "The last vitals reading is 42 minutes old; take a new one (discharge needs one "
        "within the last 15 minutes).",
    )
    assert load_session(db, infusing).state == "recovering"


def test_an_open_alert_blocks_discharge_until_a_physician_acknowledges_it(
        db: Session, clock: FakeClock, infusing: int) -> None:
    clock.advance(40)
    change_state(db, NURSE, infusing, SessionAction.STOP_INFUSION, clock=clock)
    record_scale(db, NURSE, infusing, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, infusing,
                             expected_version=load_session(db, infusing).version,
                             instructions_given=True, clock=clock)
    clock.advance(25)
    score = record_scale(db, NURSE, infusing, "moaas", [2], clock=clock)
    record_vitals(db, NURSE, infusing, BASELINE, clock=clock)
    clock.advance(5)
    view = load_session_view(db, infusing, clock())
    assert not view.can("discharge")
    assert view.discharge_problems == (
        "Alert not followed up (Sedation deep: MOAA/S 2); a physician must acknowledge it, or "
        "a new reading must be back in range.",)
    acknowledge_alert(db, PHYSICIAN, infusing, source=AlertSource.SCALE, source_id=score,
                      code="moaas_low", clock=clock,
                      physician=prove(db, "ada", "acknowledge_alert", clock))
    assert load_session_view(db, infusing, clock()).can("discharge")
    change_state(db, NURSE, infusing, SessionAction.DISCHARGE, clock=clock)


def test_after_signing_alert_rows_are_in_the_signed_record_and_cannot_change(
        db: Session, engine: Engine, clock: FakeClock, infusing: int) -> None:
    clock.advance(20)
    score = record_scale(db, NURSE, infusing, "moaas", [3], clock=clock)
    acknowledge_alert(db, PHYSICIAN, infusing, source="scale_scores", source_id=score,
                      code="moaas_low", comment="airway fine", clock=clock,
                      physician=prove(db, "ada", "acknowledge_alert", clock))
    clock.advance(20)
    change_state(db, NURSE, infusing, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, infusing, BASELINE, clock=clock)
    record_scale(db, NURSE, infusing, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, infusing,
                             expected_version=load_session(db, infusing).version,
                             instructions_given=True, clock=clock)
    change_state(db, NURSE, infusing, SessionAction.DISCHARGE, clock=clock)
    complete_nursing_record(db, NURSE, infusing, password=password_of(NURSE.username), clock=clock)
    sign_session(db, PHYSICIAN, infusing, password=password_of(PHYSICIAN.username), clock=clock)
    assert verify_session(db, infusing).intact
    db.rollback()
    for statement in (
        "UPDATE alert_acknowledgments SET comment = 'never seen'",
        "DELETE FROM alert_acknowledgments",
        "UPDATE scale_alerts SET code = 'none'",
        "DELETE FROM scale_alerts",
        "INSERT INTO scale_alerts (session_id, scale_score_id, code, message, raised_at_utc, "
        "created_at_utc) SELECT session_id, scale_score_id, code, message, raised_at_utc, "
        "created_at_utc FROM scale_alerts",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_session(db, infusing).intact
