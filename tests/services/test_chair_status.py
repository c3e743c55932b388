"""The lock page's read model: each chair's needs from the real services, and no identity."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketalog.domain.chair_status import Urgency
from ketalog.domain.clinic_time import clock_text
from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.chair_status import chair_status
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_timezone
from tests.conftest import FakeClock
from tests.play import BASELINE, book, screen_course, start_infusion
from tests.staff import NURSE


def book_other(db: Session, clock: FakeClock, chair: str) -> int:
    """Zoë Ångström at ``chair``: a second patient, booked now."""
    patient = register_patient(db, NURSE, family_name="Ångström", given_name="Zoë",
                               birth_date=date(1975, 6, 2), clock=clock)
    record_weight(db, NURSE, patient.id, "64", clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="treatment-resistant depression", clock=clock)
    screen_course(db, course, clock)
    return schedule_session(db, NURSE, course_id=course, chair=chair, scheduled_at=clock(),
                            clock=clock)


def lines(db: Session, clock: FakeClock) -> list[str]:
    status = chair_status(db, tz=clinic_timezone(db), now=clock())
    return [line.text for line in status.lines]


def test_each_chair_says_what_it_needs_as_the_session_goes(db: Session,
                                                           clock: FakeClock) -> None:
    tz = clinic_timezone(db)
    first = book(db, clock, chair="Chair 1")
    second = book_other(db, clock, "Chair 2")
    assert lines(db, clock) == []  # booked, nobody in a chair yet
    change_state(db, NURSE, first, SessionAction.CHECK_IN, clock=clock)
    change_state(db, NURSE, second, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, first, clock)
    started = clock()
    record_vitals(db, NURSE, second, BASELINE, clock=clock)
    status = chair_status(db, tz=tz, now=clock())
    assert not status.needs_someone
    assert [line.urgency for line in status.lines] == [Urgency.ROUTINE, Urgency.ROUTINE]
    assert lines(db, clock)[0].startswith("Chair 1: infusing, next vitals ")
    assert lines(db, clock)[1] == "Chair 2: checked in"

    clock.advance(11)  # the 10-minute reading is late
    overdue = lines(db, clock)[0]
    assert overdue.startswith("Chair 1: vitals overdue since "), overdue
    assert chair_status(db, tz=tz, now=clock()).needs_someone

    record_vitals(db, NURSE, first, BASELINE, clock=clock)
    clock.advance(1)
    change_state(db, NURSE, first, SessionAction.PAUSE, reason="nausea", clock=clock)
    paused_at = clock()
    clock.advance(2)
    assert lines(db, clock)[0] == (f"Chair 1: infusion paused since {clock_text(paused_at, tz)}")
    clock.advance(1)
    change_state(db, NURSE, first, SessionAction.RESUME, clock=clock)
    # 40 minutes of infusion, 3 of them paused: the end moves by 3 minutes
    end = started + timedelta(minutes=43)
    while end - clock() > timedelta(minutes=9):
        record_vitals(db, NURSE, first, BASELINE, clock=clock)
        clock.advance(8)
    clock.advance((end - clock()).total_seconds() / 60 - 3)
    record_vitals(db, NURSE, first, BASELINE, clock=clock)
    assert lines(db, clock)[0] == f"Chair 1: infusion ends at {clock_text(end, tz)}"
    clock.advance(5)
    assert lines(db, clock)[0].startswith(f"Chair 1: infusion reached its planned end at "
                                          f"{clock_text(end, tz)}; stop not recorded")
    change_state(db, NURSE, first, SessionAction.STOP_INFUSION, clock=clock)
    assert lines(db, clock)[0].startswith("Chair 1: recovering, next vitals ")


def test_nothing_in_it_names_the_patient(db: Session, clock: FakeClock) -> None:
    first = book(db, clock, chair="Chair 1")
    change_state(db, NURSE, first, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, first, clock)
    clock.advance(30)
    status = chair_status(db, tz=clinic_timezone(db), now=clock())
    assert status.needs_someone and status.lines
    shown = repr(status)
    for identity in ("Ñúñez", "José", "1980", "K0"):
        assert identity not in shown
