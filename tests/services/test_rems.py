"""The esketamine REMS record played through the real services, on SQLite and PostgreSQL.

An esketamine session is booked, dosed in devices, monitored and discharged as
the nurses do it; the tests then read the monitoring form, the filing list and
the filing itself back from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.rems import DoseChoice, FilingState, missing_fields
from ketalog.domain.session_state import SessionAction
from ketalog.services.board import day_board
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.rems import file_rems_form, rems_form, rems_list
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import (
    flag_event,
    record_scale,
    record_vitals,
    resolve_event,
    update_discharge_details,
)
from ketalog.services.session.state import (
    CHECKLIST_ITEMS,
    acknowledge_predose_bp,
    change_state,
    update_checklist,
)
from ketalog.services.session_view import load_session_view
from ketalog.services.settings import CLINIC_NAME, set_clinic_timezone, set_setting
from ketalog.store.models import AuditEntry, Course, RemsFiling
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.play import screen_course, standing_order
from tests.staff import ADMIN, NURSE, PHYSICIAN, prove

BASELINE = {"systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_bpm": 72,
            "spo2_percent": 98, "resp_rate_per_min": 14}
AT_40 = {"systolic_mmhg": 146, "diastolic_mmhg": 92, "heart_rate_bpm": 80,
         "spo2_percent": 97, "resp_rate_per_min": 14}
BEFORE_LEAVING = {"systolic_mmhg": 130, "diastolic_mmhg": 84, "heart_rate_bpm": 70,
                  "spo2_percent": 98, "resp_rate_per_min": 14}


UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def clinic_in_utc(db: Session) -> None:
    """Clinic dates are UTC dates here, whatever the test machine's zone."""
    set_clinic_timezone(db, ADMIN, "UTC")


@dataclass
class Esketamine:
    """One esketamine session and the times that matter."""

    session_id: int
    patient_id: int
    course_id: int
    first_device_at: datetime


def book_esketamine(db: Session, clock: FakeClock, *, family: str = "Ångström",
                    given: str = "Zoë", birth: date = date(1975, 1, 2),
                    course_id: int | None = None, patient_id: int | None = None,
                    screening: Mapping[str, object] | None = MappingProxyType({}),
                    approve: bool = True,
                    protocol: str = "esketamine-intranasal") -> Esketamine:
    """Register the patient (unless given), open an esketamine course and book a session now.

    The course's eligibility screening answers No to everything except
    ``screening``, and a physician approves it. ``screening=None`` (no
    screening) or ``approve=False`` make the course one from before ketalog
    recorded screenings (schema 0004), which may start without one.
    """
    if patient_id is None:
        patient_id = register_patient(db, NURSE, family_name=family, given_name=given,
                                      birth_date=birth, clock=clock).id
    if course_id is None:
        course_id = open_course(
            db, NURSE, patient_id=patient_id,
            protocol_id=protocol_id_by_code(db, protocol),
            indication="treatment-resistant depression", clock=clock)
        if screening is not None:
            answers = {"medications": "sertraline 100 mg daily", "allergies": "none known",
                       **screening}
            screen_course(db, course_id, clock, approve=approve, order=False, **answers)
        if screening is None or not approve:
            course = db.get(Course, course_id)
            assert course is not None
            course.screening_required = False
            db.commit()
        if protocol == "esketamine-intranasal":  # 56 mg, titration up to 84 mg
            standing_order(db, course_id, clock, dose=2, titration_ceiling=3)
        else:
            standing_order(db, course_id, clock)
    sid = schedule_session(db, NURSE, course_id=course_id, chair="Chair 2",
                           scheduled_at=clock(), confirm_chair_overlap=True, clock=clock)
    return Esketamine(sid, patient_id, course_id, clock())


def book_iv(db: Session, clock: FakeClock) -> int:
    """An IV racemic ketamine session (no REMS form): José Ñúñez."""
    return book_esketamine(db, clock, family="Ñúñez", given="José", birth=date(1980, 3, 14),
                           protocol="iv-depression-0.5").session_id


def dose_esketamine(db: Session, clock: FakeClock, sid: int, *, devices: int = 2,
                    baseline: Mapping[str, object] = BASELINE,
                    acknowledge_bp: bool = False) -> datetime:
    """Check in, checklist and escort, baseline, devices ordered and verified, first device."""
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             escort_name="Maria (wife)", clock=clock)
    clock.advance(2)
    record_vitals(db, NURSE, sid, baseline, clock=clock)
    if acknowledge_bp:
        acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                               physician=prove(db, "ada", "acknowledge_bp", clock))
    order = order_dose(db, NURSE, sid, inputs={"device_count": devices},
                       lot_number="ESK-2231", clock=clock)
    verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    clock.advance(1)
    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    return clock()


def monitor_to_discharge(db: Session, clock: FakeClock, sid: int, first: datetime) -> None:
    """Last device at 10 min, BP at 40 min, ready and discharged at 120 min."""
    clock.now = first + timedelta(minutes=10)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.now = first + timedelta(minutes=40)
    record_vitals(db, NURSE, sid, AT_40, action_note="rechecked in 15 min", clock=clock)
    clock.now = first + timedelta(minutes=115)
    record_vitals(db, NURSE, sid, BEFORE_LEAVING, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    clock.now = first + timedelta(minutes=120)
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)


def discharged_esketamine(db: Session, clock: FakeClock, **booking: object) -> Esketamine:
    """A whole esketamine session, from booking to discharge at 120 minutes."""
    session = book_esketamine(db, clock, **booking)  # type: ignore[arg-type]
    first = dose_esketamine(db, clock, session.session_id)
    session.first_device_at = first
    monitor_to_discharge(db, clock, session.session_id, first)
    return session


# --- the 2-hour minimum and the 40-minute prompt, end to end --------------------------


def test_discharge_is_refused_at_119_minutes_and_allowed_at_120(db: Session,
                                                                clock: FakeClock) -> None:
    session = book_esketamine(db, clock)
    sid = session.session_id
    first = dose_esketamine(db, clock, sid)
    clock.now = first + timedelta(minutes=10)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.now = first + timedelta(minutes=110)
    record_vitals(db, NURSE, sid, BEFORE_LEAVING, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    clock.now = first + timedelta(minutes=119)
    with pytest.raises(TransitionRefused) as refused:
        change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)
    assert refused.value.reasons == (
        "Monitoring must last at least 120 minutes from the first dose (now 119, 1 more to go).",
    )
    view = load_session_view(db, sid, clock())
    assert not view.can("discharge")
    assert "1 more to go" in view.why_not("discharge")
    clock.now = first + timedelta(minutes=120)
    assert load_session_view(db, sid, clock()).can("discharge")
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)
    assert load_session(db, sid).discharged_at_utc == first + timedelta(minutes=120)


def test_the_board_and_session_prompt_the_blood_pressure_at_40_minutes(
        db: Session, clock: FakeClock) -> None:
    session = book_esketamine(db, clock)
    sid = session.session_id
    first = dose_esketamine(db, clock, sid)
    forty = first + timedelta(minutes=40)

    def due(at: datetime) -> tuple[datetime | None, datetime | None]:
        clock.now = at
        board = [r for r in day_board(db, first.date(), UTC, now=at) if r.session_id == sid]
        view = load_session_view(db, sid, at)
        return board[0].next_vitals_due_at_utc, view.next_vitals_due_at_utc

    assert due(first + timedelta(minutes=5)) == (forty, forty)  # devices still being given
    clock.now = first + timedelta(minutes=10)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    assert due(first + timedelta(minutes=20)) == (forty, forty)  # in recovery, still due at 40
    board_row = next(r for r in day_board(db, first.date(), UTC, now=forty + timedelta(minutes=1))
                     if r.session_id == sid)
    assert board_row.vitals_overdue(forty + timedelta(minutes=1))
    clock.now = forty + timedelta(minutes=2)
    record_vitals(db, NURSE, sid, AT_40, action_note="rechecked", clock=clock)
    assert due(forty + timedelta(minutes=3)) == (None, None)  # no recovery interval: done


# --- the form ---------------------------------------------------------------------------


def test_the_form_is_filled_from_the_session_record(db: Session, clock: FakeClock) -> None:
    set_setting(db, ADMIN, CLINIC_NAME, "Riverside Ketamine Clinic", clock=clock)
    set_setting(db, ADMIN, "clinic_address", "12 River Road, Springfield", clock=clock)
    session = book_esketamine(db, clock, screening={"takes_benzodiazepine": True,
                                                    "takes_maoi": None}, approve=False)
    sid = session.session_id
    first = dose_esketamine(db, clock, sid, devices=3)
    clock.now = first + timedelta(minutes=25)
    flag = flag_event(db, NURSE, sid, "dissociation", clock=clock)
    clock.now = first + timedelta(minutes=50)
    resolve_event(db, NURSE, flag, clock=clock)
    monitor_to_discharge(db, clock, sid, first)

    form = rems_form(db, sid)
    assert (form.patient_name, form.birth_date) == ("Ångström, Zoë", date(1975, 1, 2))
    assert form.first_treatment is True
    assert (form.takes_benzodiazepine, form.takes_sedative_hypnotic, form.takes_psychostimulant,
            form.takes_maoi, form.takes_opioid) == (True, False, False, None, False)
    assert form.treatment_date == first.date()
    assert form.dose_mg == Decimal(84) and form.dose_choice is DoseChoice.MG_84
    assert form.device_count == 3 and form.lot_number == "ESK-2231"
    assert form.monitoring_minutes == 120
    assert form.ready_to_leave_at_utc == first + timedelta(minutes=120)
    assert form.bp_before_dosing is not None and form.bp_before_dosing.text == "128/82"
    assert form.bp_at_40_min is not None and form.bp_at_40_min.text == "146/92"
    assert form.bp_at_40_min.minutes_after_first_device == 40
    assert form.bp_before_completion is not None and form.bp_before_completion.text == "130/84"
    assert form.vitals_acceptable_before_dosing is True
    assert form.vitals_acceptable_before_completion is True
    assert (form.sedation_observed, form.dissociation_observed,
            form.respiratory_depression_observed) == (False, True, False)
    assert form.monitoring_provider == "Nora Reyes, RN"  # prepared the dose; no attestation yet
    assert form.setting == "Riverside Ketamine Clinic, 12 River Road, Springfield"
    assert missing_fields(form) == ["Concomitant MAOIs"]


def test_a_second_esketamine_session_is_not_the_first_treatment(db: Session,
                                                                clock: FakeClock) -> None:
    first = discharged_esketamine(db, clock)
    clock.advance(60 * 24 * 3)
    second = book_esketamine(db, clock, patient_id=first.patient_id, course_id=first.course_id)
    assert rems_form(db, first.session_id).first_treatment is True
    assert rems_form(db, second.session_id).first_treatment is False


def test_a_form_before_discharge_lists_what_is_still_unknown(db: Session,
                                                             clock: FakeClock) -> None:
    session = book_esketamine(db, clock, screening=None)
    first = dose_esketamine(db, clock, session.session_id, devices=2,
                            baseline=dict(BASELINE, systolic_mmhg=150), acknowledge_bp=True)
    clock.now = first + timedelta(minutes=30)
    form = rems_form(db, session.session_id)
    assert form.dose_choice is DoseChoice.MG_56
    assert form.vitals_acceptable_before_dosing is False  # 150/82 is above 140/90
    missing = missing_fields(form)
    for label in ("Concomitant benzodiazepines", "Blood pressure at about 40 minutes",
                  "Blood pressure before completion",
                  "Total minutes from first device to end of monitoring", "Sedation observed",
                  "Vital signs acceptable before completion"):
        assert label in missing


def test_the_form_refuses_a_session_that_is_not_esketamine(db: Session,
                                                           clock: FakeClock) -> None:
    sid = book_iv(db, clock)  # IV racemic ketamine
    with pytest.raises(ValidationError, match="not an esketamine session"):
        rems_form(db, sid)
    with pytest.raises(NotFound):
        rems_form(db, 9999)


# --- the list ---------------------------------------------------------------------------


def test_the_list_puts_overdue_first_and_counts_days(db: Session, clock: FakeClock) -> None:
    old = discharged_esketamine(db, clock, family="Older", given="Ana")  # day 0: 21 Nov
    clock.advance(60 * 24 * 2)
    mid = discharged_esketamine(db, clock, family="Middle", given="Ben")  # 23 Nov
    clock.advance(60 * 24 * 3)
    new = discharged_esketamine(db, clock, family="Newest", given="Cy")  # 26 Nov
    not_dosed = book_esketamine(db, clock, family="Booked", given="Di")
    book_iv(db, clock)  # IV ketamine: never on the list

    rows = rems_list(db, today=date(2026, 11, 29))
    assert [r.session_id for r in rows] == [old.session_id, mid.session_id, new.session_id]
    assert not_dosed.session_id not in [r.session_id for r in rows]
    assert [r.status_text for r in rows] == ["overdue by 1 day", "due in 1 day", "due in 4 days"]
    assert rows[0].patient_name == "Older, Ana" and rows[0].status.overdue
    assert all(r.discharged and r.filed_by is None for r in rows)

    file_rems_form(db, PHYSICIAN, old.session_id, confirmation="RX-1", clock=clock)
    rows = rems_list(db, today=date(2026, 11, 29))
    assert [r.session_id for r in rows] == [mid.session_id, new.session_id, old.session_id]
    assert rows[-1].status.state is FilingState.FILED
    assert rows[-1].filed_by == "Ada Lindqvist, MD" and rows[-1].confirmation == "RX-1"
    assert rows[-1].status_text == "filed on 26 Nov 2026"
    unfiled = rems_list(db, today=date(2026, 11, 29), include_filed=False)
    assert [r.session_id for r in unfiled] == [mid.session_id, new.session_id]


def test_the_list_is_one_query_whatever_its_length(db: Session, clock: FakeClock) -> None:
    from sqlalchemy import event

    for n in range(3):
        discharged_esketamine(db, clock, family=f"Patient{n}", given="X")
        clock.advance(60 * 24)
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        assert len(rems_list(db, today=date(2026, 11, 30))) == 3
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert len(statements) <= 2, statements


# --- filing ------------------------------------------------------------------------------


def test_filing_once_after_discharge_audited(db: Session, clock: FakeClock) -> None:
    session = book_esketamine(db, clock)
    sid = session.session_id
    first = dose_esketamine(db, clock, sid)
    with pytest.raises(TransitionRefused, match="not been discharged"):
        file_rems_form(db, NURSE, sid, confirmation="X", clock=clock)
    monitor_to_discharge(db, clock, sid, first)
    clock.advance(60 * 24)
    filing_id = file_rems_form(db, NURSE, sid, confirmation="  RX-88  ", clock=clock)
    stored = db.get(RemsFiling, filing_id)
    assert stored is not None
    assert (stored.session_id, stored.filed_by_id, stored.confirmation,
            stored.filed_at_utc) == (sid, 1, "RX-88", clock())
    audit = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "rems_filings")).one()
    assert (audit.action, audit.row_id, audit.user_id, audit.patient_id) == (
        "create", filing_id, 1, session.patient_id)
    assert audit.new_value is not None and '"confirmation": "RX-88"' in audit.new_value

    clock.advance(30)
    with pytest.raises(ValidationError) as again:
        file_rems_form(db, PHYSICIAN, sid, confirmation="RX-99", clock=clock)
    assert again.value.messages == [
        "This REMS form was already filed by Nora Reyes, RN on 22 Nov 2026 11:03 "
        "(confirmation RX-88); it is filed once."]
    assert db.scalar(select(func.count()).select_from(RemsFiling)) == 1


def test_filing_refusals(db: Session, clock: FakeClock) -> None:
    session = discharged_esketamine(db, clock)
    with pytest.raises(ValidationError, match="at most 120"):
        file_rems_form(db, NURSE, session.session_id, confirmation="9" * 121, clock=clock)
    with pytest.raises(NotFound):
        file_rems_form(db, NURSE, 9999, confirmation=None, clock=clock)
    iv = book_iv(db, clock)
    with pytest.raises(ValidationError, match="not an esketamine session"):
        file_rems_form(db, NURSE, iv, confirmation=None, clock=clock)
    from ketalog.services.context import Actor

    nobody = Actor(username="ghost", display_name="Ghost", user_id=None)
    with pytest.raises(PermissionDenied):
        file_rems_form(db, nobody, session.session_id, confirmation=None, clock=clock)
    assert db.scalar(select(func.count()).select_from(RemsFiling)) == 0
    # an administrator may file (the back office often does it); no number is allowed
    file_rems_form(db, ADMIN, session.session_id, confirmation="  ", clock=clock)
    stored = db.scalars(select(RemsFiling)).one()
    assert stored.confirmation is None and stored.filed_by_id == 4


def test_filing_a_signed_session_leaves_its_signature_intact(db: Session,
                                                             clock: FakeClock) -> None:
    from ketalog.services.signing import verify_session
    from tests.play import sign

    session = discharged_esketamine(db, clock)
    sign(db, session.session_id, clock)
    file_rems_form(db, NURSE, session.session_id, confirmation="RX-5", clock=clock)
    assert not verify_session(db, session.session_id).changed
    assert rems_form(db, session.session_id).monitoring_provider == "Nora Reyes, RN"
