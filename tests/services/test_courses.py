"""Planning a series, moving one session, numbering and ending a course (SQLite and PostgreSQL).

The clinic is in Europe/Berlin (UTC+1 in winter) so that clinic dates and UTC
instants differ; the test clock starts on Saturday 21 November 2026, 09:00 UTC,
when José Ñúñez has his first infusion booked (tests.play.book).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import (
    booking_of,
    closed_days,
    complete_course,
    course_overview,
    plan_induction_series,
    preview_series,
    renumber_course,
    reschedule_session,
    schedule_session,
    series_preview,
    set_closed_days,
    start_maintenance,
    stop_course,
)
from ketalog.services.errors import PermissionDenied, StaleEdit
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import AuditEntry, Course, TreatmentSession
from tests.conftest import FakeClock
from tests.play import BASELINE, book, sign, start_infusion
from tests.staff import ADMIN, NURSE, NURSE2, PHYSICIAN

BERLIN = ZoneInfo("Europe/Berlin")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MONDAY = date(2026, 11, 23)
NINE = time(9, 0)


@pytest.fixture
def first(db: Session, clock: FakeClock) -> int:
    """The first infusion of José Ñúñez's course (6 planned), booked for now."""
    set_clinic_timezone(db, ADMIN, "Europe/Berlin")
    return book(db, clock)


def _course_id(db: Session, session_id: int) -> int:
    return db.get(TreatmentSession, session_id, populate_existing=True).course_id  # type: ignore[union-attr]


def _rows(db: Session, course_id: int) -> list[tuple[int, datetime, str, int | None, str]]:
    """(id, clinic time, chair, number, state) of every session, in time order."""
    found = db.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_at_utc, TreatmentSession.chair,
               TreatmentSession.sequence_number, TreatmentSession.state)
        .where(TreatmentSession.course_id == course_id)
        .order_by(TreatmentSession.scheduled_at_utc)
        .execution_options(populate_existing=True)
    ).all()
    return [(r[0], r[1].astimezone(BERLIN), r[2], r[3], r[4]) for r in found]


def _count_sessions(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(TreatmentSession)) or 0


def _plan(db: Session, course_id: int, clock: FakeClock, **kwargs: object) -> list[int]:
    args: dict[str, object] = {"first_day": MONDAY, "weekdays": {MON, WED, FRI},
                               "time_of_day": NINE, "chair": "Chair 2"}
    args.update(kwargs)
    return plan_induction_series(db, NURSE, course_id, clock=clock, **args)  # type: ignore[arg-type]


def test_a_nurse_books_the_rest_of_the_induction_mon_wed_fri(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    assert preview_series(db, course_id, first_day=MONDAY, weekdays={MON, WED, FRI}) == [
        date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 30),
        date(2026, 12, 2)]
    ids = _plan(db, course_id, clock)
    assert len(ids) == 5  # 6 planned, 1 already booked
    rows = _rows(db, course_id)
    assert [(r[1].date(), r[1].time(), r[3]) for r in rows[1:]] == [
        (date(2026, 11, 23), NINE, 2), (date(2026, 11, 25), NINE, 3),
        (date(2026, 11, 27), NINE, 4), (date(2026, 11, 30), NINE, 5),
        (date(2026, 12, 2), NINE, 6)]
    assert {r[2] for r in rows[1:]} == {"Chair 2"}
    assert rows[0][3] == 1
    # stored in UTC: 09:00 in Berlin is 08:00 UTC in November
    stored = db.get(TreatmentSession, ids[0])
    assert stored is not None and stored.scheduled_at_utc == datetime(2026, 11, 23, 8, tzinfo=UTC)
    series_audit = db.scalars(select(AuditEntry.new_value).where(
        AuditEntry.table_name == "courses", AuditEntry.field == "series")).all()
    assert len(series_audit) == 1 and "2026-11-23" in series_audit[0]


def test_a_holiday_moves_the_series_on(db: Session, first: int, clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    with pytest.raises(PermissionDenied, match="Only an administrator"):
        set_closed_days(db, NURSE, weekdays=[SAT, SUN], dates=[date(2026, 11, 25)],
                        clock=clock)
    set_closed_days(db, ADMIN, weekdays=[SAT, SUN], dates=[date(2026, 11, 25)],
                    clock=clock)
    assert closed_days(db).dates == frozenset({date(2026, 11, 25)})
    preview = series_preview(db, course_id, first_day=MONDAY, weekdays={MON, WED, FRI},
                             time_of_day=NINE, clock=clock)
    assert [line.text for line in preview.lines][:2] == [
        "Mon 23 Nov 2026", "Wed 25 Nov 2026: clinic closed (holiday), moved"]
    assert preview.problems == ()
    _plan(db, course_id, clock)
    days = [r[1].date() for r in _rows(db, course_id)[1:]]
    assert days == [date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 30),
                    date(2026, 12, 2), date(2026, 12, 4)]


def test_the_default_closed_days_are_the_weekend(db: Session) -> None:
    closed = closed_days(db)
    assert closed.weekdays == frozenset({SAT, SUN}) and not closed.dates


def test_a_day_in_the_past_books_nothing(db: Session, first: int, clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    before = _count_sessions(db)
    with pytest.raises(ValidationError) as refused:
        _plan(db, course_id, clock, first_day=date(2026, 11, 20))
    assert "Fri 20 Nov 2026: 09:00 is in the past" in str(refused.value)
    assert "Nothing was booked" in str(refused.value)
    assert _count_sessions(db) == before


def test_a_day_the_patient_is_already_booked_books_nothing(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    schedule_session(db, NURSE, course_id=course_id, chair="Chair 3",
                     scheduled_at=datetime(2026, 11, 27, 13, 30, tzinfo=BERLIN), clock=clock)
    before = _count_sessions(db)
    preview = series_preview(db, course_id, first_day=MONDAY, weekdays={MON, WED, FRI},
                             time_of_day=NINE, count=3, clock=clock)
    assert [p.text for p in preview.problems] == [
        "Fri 27 Nov 2026: the patient already has a session (13:30, Chair 3)"]
    with pytest.raises(ValidationError, match="Fri 27 Nov 2026: the patient already has a "
                                              "session \\(13:30, Chair 3\\)"):
        _plan(db, course_id, clock, count=3)
    assert _count_sessions(db) == before


def test_count_validation_reaches_the_nurse(db: Session, first: int, clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    with pytest.raises(ValidationError, match="between 1 and 50"):
        _plan(db, course_id, clock, count=51)
    with pytest.raises(ValidationError, match="Choose at least one weekday"):
        _plan(db, course_id, clock, weekdays=set())
    with pytest.raises(ValidationError, match="Choose the chair"):
        _plan(db, course_id, clock, chair="  ")


def test_rescheduling_one_session_keeps_the_rest(db: Session, first: int,
                                                 clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    ids = _plan(db, course_id, clock)
    before = {r[0]: r for r in _rows(db, course_id)}
    third = ids[2]  # Fri 27 Nov, infusion 4
    version = booking_of(db, third).version
    reschedule_session(db, NURSE, third, new_start=datetime(2026, 12, 1, 10, 30,
                                                            tzinfo=BERLIN),
                       chair="Chair 1", expected_version=version, clock=clock)
    after = {r[0]: r for r in _rows(db, course_id)}
    moved = after[third]
    assert (moved[1], moved[2]) == (datetime(2026, 12, 1, 10, 30, tzinfo=BERLIN), "Chair 1")
    for sid in before:
        if sid != third:
            assert after[sid][1:3] == before[sid][1:3]
    # numbers follow the new order: Mon 30 Nov is now infusion 4, the moved Tue 1 Dec is 5
    assert [r[3] for r in _rows(db, course_id)] == [1, 2, 3, 4, 5, 6]
    assert after[ids[3]][3] == 4 and moved[3] == 5
    audit = db.execute(select(AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value)
                       .where(AuditEntry.row_id == third,
                              AuditEntry.table_name == "treatment_sessions",
                              AuditEntry.field.in_(["scheduled_at_utc", "chair"]))).all()
    assert ("chair", "Chair 2", "Chair 1") in audit
    assert ("scheduled_at_utc", "2026-11-27T08:00:00+00:00", "2026-12-01T09:30:00+00:00") in audit


def test_rescheduling_refuses_closed_days_past_and_double_booking(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    ids = _plan(db, course_id, clock)
    version = booking_of(db, ids[0]).version
    with pytest.raises(ValidationError, match="Sat 28 Nov 2026: the clinic is closed on "
                                              "Saturdays; choose another day"):
        reschedule_session(db, NURSE, ids[0], new_start=datetime(2026, 11, 28, 9,
                                                                 tzinfo=BERLIN),
                           expected_version=version, clock=clock)
    with pytest.raises(ValidationError, match="in the past"):
        reschedule_session(db, NURSE, ids[0], new_start=datetime(2026, 11, 20, 9,
                                                                 tzinfo=BERLIN),
                           expected_version=version, clock=clock)
    with pytest.raises(ValidationError, match="already has a session on Wed 25 Nov 2026"):
        reschedule_session(db, NURSE, ids[0], new_start=datetime(2026, 11, 25, 14,
                                                                 tzinfo=BERLIN),
                           expected_version=version, clock=clock)
    assert booking_of(db, ids[0]).version == version


def test_a_stale_reschedule_names_who_moved_it(db: Session, first: int,
                                               clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    ids = _plan(db, course_id, clock)
    opened = booking_of(db, ids[1]).version
    clock.advance(3)
    reschedule_session(db, NURSE2, ids[1], new_start=datetime(2026, 11, 26, 9,
                                                              tzinfo=BERLIN),
                       expected_version=opened, clock=clock)
    with pytest.raises(StaleEdit, match="changed by Sam Okafor \\(sam\\) at Sat 21 Nov 2026 "
                                        "10:03"):
        reschedule_session(db, NURSE, ids[1], new_start=datetime(2026, 11, 24, 9,
                                                                 tzinfo=BERLIN),
                           expected_version=opened, clock=clock)
    assert booking_of(db, ids[1]).scheduled_at_utc == datetime(2026, 11, 26, 8,
                                                               tzinfo=UTC)


def test_only_a_scheduled_session_moves(db: Session, first: int, clock: FakeClock) -> None:
    change_state(db, NURSE, first, SessionAction.CHECK_IN, clock=clock)
    version = booking_of(db, first).version
    with pytest.raises(TransitionRefused, match="this one is checked in"):
        reschedule_session(db, NURSE, first, new_start=datetime(2026, 11, 24, 9,
                                                                tzinfo=BERLIN),
                           expected_version=version, clock=clock)


def test_renumbering_after_a_cancellation_repeats_no_number(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    ids = _plan(db, course_id, clock)
    before = {r[0]: r[3] for r in _rows(db, course_id)}
    # the cancellation renumbers the course itself
    change_state(db, NURSE, ids[1], SessionAction.CANCEL, reason="patient has flu",
                 clock=clock)
    after = {r[0]: r[3] for r in _rows(db, course_id)}
    changed = {sid for sid in before if before[sid] != after[sid]}
    # infusion 3 (cancelled) loses its number; 4, 5, 6 become 3, 4, 5; infusion 1 untouched
    assert changed == {ids[1], ids[2], ids[3], ids[4]}
    assert renumber_course(db, course_id, actor=NURSE, at=clock()) == {}
    extra = schedule_session(db, NURSE, course_id=course_id, chair="Chair 2",
                             scheduled_at=datetime(2026, 12, 4, 9, tzinfo=BERLIN),
                             clock=clock)
    renumber_course(db, course_id, actor=NURSE, at=clock())
    db.commit()
    rows = _rows(db, course_id)
    numbers = [r[3] for r in rows if r[4] != "cancelled"]
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert [r[3] for r in rows if r[4] == "cancelled"] == [None]
    assert rows[-1][0] == extra
    audited = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.field == "sequence_number", AuditEntry.row_id == ids[2]))
    assert audited == 1
    assert renumber_course(db, course_id, actor=NURSE, at=clock()) == {}


def test_renumbering_never_touches_a_signed_session(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    # booked later but earlier in time: the old rule gave today's session 1, this one 2
    later = schedule_session(db, NURSE, course_id=course_id, chair="Chair 1",
                             scheduled_at=datetime(2026, 11, 24, 9, tzinfo=BERLIN),
                             clock=clock)
    # and swap them so that the signed session carries a number out of time order
    db.get(TreatmentSession, first).sequence_number = 2  # type: ignore[union-attr]
    db.get(TreatmentSession, later).sequence_number = 1  # type: ignore[union-attr]
    db.commit()
    change_state(db, NURSE, first, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, first, clock)
    clock.advance(40)
    change_state(db, NURSE, first, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, first, BASELINE, clock=clock)
    record_scale(db, NURSE, first, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, first, expected_version=load_session(db, first).version,
                             instructions_given=True, clock=clock)
    change_state(db, NURSE, first, SessionAction.DISCHARGE, clock=clock)
    sign(db, first, clock)
    changed = renumber_course(db, course_id, actor=NURSE, at=clock())
    db.commit()
    assert changed == {later: (1, 3)}
    numbers = {r[0]: r[3] for r in _rows(db, course_id)}
    assert numbers == {first: 2, later: 3}


def test_stopping_the_course_cancels_what_is_still_booked(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    ids = _plan(db, course_id, clock)
    with pytest.raises(PermissionDenied, match="Only a physician"):
        stop_course(db, NURSE, course_id, reason="patient moved away", clock=clock)
    with pytest.raises(ValidationError, match="reason for stopping the course"):
        stop_course(db, PHYSICIAN, course_id, reason=" ", clock=clock)
    assert all(r[4] == "scheduled" for r in _rows(db, course_id))
    cancelled = stop_course(db, PHYSICIAN, course_id, reason="patient moved away",
                            clock=clock)
    assert set(cancelled) == {first, *ids}
    rows = _rows(db, course_id)
    assert {r[4] for r in rows} == {"cancelled"} and {r[3] for r in rows} == {None}
    reasons = db.scalars(select(TreatmentSession.state_reason)
                         .where(TreatmentSession.course_id == course_id)).all()
    assert set(reasons) == {"course stopped: patient moved away"}
    course = db.get(Course, course_id, populate_existing=True)
    assert course is not None
    assert (course.status, course.status_reason, course.ended_on) == (
        "stopped", "patient moved away", date(2026, 11, 21))
    with pytest.raises(TransitionRefused, match="The course is stopped; nothing can be booked"):
        _plan(db, course_id, clock)


def test_a_course_does_not_stop_under_a_patient_in_the_chair(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    change_state(db, NURSE, first, SessionAction.CHECK_IN, clock=clock)
    with pytest.raises(TransitionRefused, match="Sat 21 Nov 2026 10:00, Chair 1 is checked in"):
        stop_course(db, PHYSICIAN, course_id, reason="no response", clock=clock)
    assert db.get(Course, course_id, populate_existing=True).status == "active"  # type: ignore[union-attr]


def test_maintenance_boosters_continue_the_numbering(
    db: Session, first: int, clock: FakeClock
) -> None:
    course_id = _course_id(db, first)
    _plan(db, course_id, clock)
    with pytest.raises(ValidationError, match="All 6 planned induction infusions are booked"):
        _plan(db, course_id, clock, first_day=date(2026, 12, 7))
    with pytest.raises(PermissionDenied):
        start_maintenance(db, NURSE, course_id, clock=clock)
    start_maintenance(db, PHYSICIAN, course_id, clock=clock)
    [booster] = _plan(db, course_id, clock, first_day=date(2026, 12, 14), weekdays={MON})
    assert db.get(TreatmentSession, booster).sequence_number == 7  # type: ignore[union-attr]
    with pytest.raises(TransitionRefused, match="7 sessions are still booked"):
        complete_course(db, PHYSICIAN, course_id, clock=clock)
    overview = course_overview(db, course_id)
    assert (overview.phase, overview.sessions_booked, overview.remaining_induction) == (
        "maintenance", 7, 0)


def test_completing_a_course_after_its_sessions(db: Session, first: int,
                                                clock: FakeClock) -> None:
    course_id = _course_id(db, first)
    change_state(db, NURSE, first, SessionAction.CANCEL, reason="patient unwell",
                 clock=clock)
    complete_course(db, PHYSICIAN, course_id, clock=clock)
    course = db.get(Course, course_id, populate_existing=True)
    assert course is not None and (course.status, course.ended_on) == ("completed",
                                                                       date(2026, 11, 21))
    audit = db.scalars(select(AuditEntry.field).where(AuditEntry.table_name == "courses",
                                                      AuditEntry.row_id == course_id)).all()
    assert {"status", "ended_on"} <= set(audit)
    with pytest.raises(TransitionRefused, match="already completed"):
        stop_course(db, PHYSICIAN, course_id, reason="x", clock=clock)
