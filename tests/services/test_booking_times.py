"""Bookings on the nights the clocks change, and a chair booked twice (issue 16, item 1).

Before: a booking at 02:30 on 2026-03-08 (a time New York skips) silently
became 03:30, double-booking the chair with another 03:30 session without a
word; a booking at 01:30 on 2026-11-01 (a time New York has twice) took one of
the two without asking.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import AmbiguousLocalTime, NonexistentLocalTime
from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import (
    open_course,
    reschedule_session,
    schedule_session,
    series_preview,
    set_closed_days,
)
from ketalog.services.session.common import load_session
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import AuditEntry, TreatmentSession
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import ADMIN, NURSE

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def course(db: Session, clock: FakeClock) -> int:
    """José's IV course in a New York clinic, his first session booked now at Chair 1."""
    set_clinic_timezone(db, ADMIN, "America/New_York")
    clock.now = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
    sid = book(db, clock)
    return load_session(db, sid).course_id


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(TreatmentSession)) or 0


def test_a_time_the_clocks_skip_is_refused_with_the_reason(
        db: Session, clock: FakeClock, course: int) -> None:
    before = _count(db)
    with pytest.raises(NonexistentLocalTime, match="02:30 on 2026-03-08 does not exist in "
                                                   "America/New_York"):
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),
                         clock=clock)
    assert _count(db) == before


def test_a_time_the_clocks_repeat_must_be_chosen(
        db: Session, clock: FakeClock, course: int) -> None:
    with pytest.raises(AmbiguousLocalTime) as twice:
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK),
                         clock=clock)
    est = twice.value.choices[1]
    assert est.label == "01:30 EST"
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=est.at_utc, clock=clock)
    assert load_session(db, sid).scheduled_at_utc == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_a_chair_already_booked_then_needs_a_confirmation(
        db: Session, clock: FakeClock, course: int) -> None:
    first = datetime(2026, 2, 23, 14, 0, tzinfo=UTC)  # 09:00 EST, a 90-minute IV visit
    schedule_session(db, NURSE, course_id=course, chair="Chair 2", scheduled_at=first,
                     clock=clock)
    before = _count(db)
    with pytest.raises(ValidationError) as taken:
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=first + timedelta(minutes=60), clock=clock)
    assert str(taken.value) == (
        "Chair 2 is already booked then (Ñúñez, José 09:00-10:30). Choose another time or "
        "chair, or confirm to book it anyway.")
    assert _count(db) == before
    # another chair, or after the first visit's recovery, is free
    schedule_session(db, NURSE, course_id=course, chair="Chair 3",
                     scheduled_at=first + timedelta(minutes=60), clock=clock)
    schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                     scheduled_at=first + timedelta(minutes=90), clock=clock)
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=first + timedelta(minutes=30),
                           confirm_chair_overlap=True, clock=clock)
    audit = db.scalar(select(AuditEntry.new_value).where(
        AuditEntry.table_name == "treatment_sessions", AuditEntry.row_id == sid,
        AuditEntry.action == "create"))
    assert "chair_overlap_confirmed" in (audit or "")


def test_a_cancelled_visit_holds_no_chair(db: Session, clock: FakeClock, course: int) -> None:
    at = datetime(2026, 2, 24, 14, 0, tzinfo=UTC)
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2", scheduled_at=at,
                           clock=clock)
    change_state(db, NURSE, sid, SessionAction.CANCEL, reason="patient unwell", clock=clock)
    schedule_session(db, NURSE, course_id=course, chair="Chair 2", scheduled_at=at,
                     clock=clock)


def _other_patients_session(db: Session, clock: FakeClock) -> int:
    """Ana Lima's first IV session, booked now at Chair 4."""
    from ketalog.services.patients import record_weight, register_patient
    from ketalog.services.protocols import protocol_id_by_code
    from tests.play import screen_course

    patient = register_patient(db, NURSE, family_name="Lima", given_name="Ana",
                               birth_date=date(1975, 6, 2), clock=clock)
    record_weight(db, NURSE, patient.id, "64", clock=clock)
    other_course = open_course(db, NURSE, patient_id=patient.id,
                               protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                               indication="treatment-resistant depression", clock=clock)
    screen_course(db, other_course, clock)
    return schedule_session(db, NURSE, course_id=other_course, chair="Chair 4",
                            scheduled_at=clock(), clock=clock)


def test_moving_a_session_onto_a_taken_chair_asks_too(
        db: Session, clock: FakeClock, course: int) -> None:
    at = datetime(2026, 2, 25, 14, 0, tzinfo=UTC)
    schedule_session(db, NURSE, course_id=course, chair="Chair 2", scheduled_at=at,
                     clock=clock)
    other = _other_patients_session(db, clock)
    version = load_session(db, other).version
    with pytest.raises(ValidationError, match="Chair 2 is already booked then"):
        reschedule_session(db, NURSE, other, new_start=at, chair="Chair 2",
                           expected_version=version, clock=clock)
    with pytest.raises(NonexistentLocalTime):
        reschedule_session(db, NURSE, other,
                           new_start=datetime(2026, 3, 8, 2, 15, tzinfo=NEW_YORK),
                           expected_version=version, clock=clock)
    reschedule_session(db, NURSE, other, new_start=at, chair="Chair 2",
                       expected_version=version, confirm_chair_overlap=True, clock=clock)


def test_a_series_at_a_skipped_time_names_the_day(
        db: Session, clock: FakeClock, course: int) -> None:
    set_closed_days(db, ADMIN, weekdays=[], dates=[], clock=clock)  # open on Sundays
    preview = series_preview(db, course, first_day=date(2026, 3, 6), weekdays={0, 4, 6},
                             time_of_day=time(2, 30), count=3, chair="Chair 2",
                             clock=clock)
    notes = {line.on: line.note for line in preview.lines}
    assert notes[date(2026, 3, 8)] is not None
    assert "does not exist in America/New_York" in (notes[date(2026, 3, 8)] or "")
