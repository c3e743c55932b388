"""Course view and clinic outcomes read through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services import outcomes as outcomes_service
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.context import SYSTEM
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.outcomes import clinic_outcomes_report, course_view
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.entries import record_scale
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_setting
from tests.conftest import FakeClock
from tests.play import screen_course, start_infusion
from tests.staff import ADMIN, NURSE, PHYSICIAN

IV = "IV ketamine for depression, 0.5 mg/kg over 40 min"
IM = "IM ketamine, 0.5 mg/kg"
TRD = "treatment-resistant depression"
#: item count and highest item score of each outcome scale
ITEMS = {"phq9": (9, 3), "gad7": (7, 3), "pcl5": (20, 4), "madrs": (10, 6), "pain": (1, 10)}


def items_for(scale: str, total: int) -> list[int]:
    """Item scores adding up to ``total``; PHQ-9 item 9 stays 0 (no safety prompt)."""
    count, top = ITEMS[scale]
    items = [0] * count
    left = total
    for i in range(count - 1 if scale == "phq9" else count):
        items[i] = min(top, left)
        left -= items[i]
    assert left == 0, "total out of reach"
    return items


@dataclass(frozen=True)
class Visit:
    """One session of a played course: the scores at check-in and how far it goes."""

    scores: dict[str, int] = field(default_factory=dict)
    to: str = "infused"  # infused | checked_in | scheduled | cancelled


def play_course(db: Session, clock: FakeClock, *, family: str, first: datetime,
                visits: Sequence[Visit], indication: str = TRD,
                protocol: str = "iv-depression-0.5", started_on: date | None = None,
                every_days: int = 2) -> int:
    """Register a patient, open a course and play each visit through the services."""
    # registered and screened the day before, mid-day (the same date in UTC and New York)
    clock.now = datetime.combine((first - timedelta(days=1)).date(), time(15), tzinfo=UTC)
    patient = register_patient(db, NURSE, family_name=family, given_name="Test",
                               birth_date=date(1980, 3, 14), clock=clock)
    record_weight(db, NURSE, patient.id, "80", clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, protocol),
                         indication=indication, started_on=started_on, clock=clock)
    screen_course(db, course, clock)
    for n, visit in enumerate(visits):
        at = first + timedelta(days=every_days * n)
        sid = schedule_session(db, NURSE, course_id=course, chair="Chair 1",
                               scheduled_at=at, confirm_chair_overlap=True,  # many patients
                               clock=clock)
        if visit.to == "scheduled":
            continue
        clock.now = at
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        for scale, total in visit.scores.items():
            record_scale(db, NURSE, sid, scale, items_for(scale, total), clock=clock)
        if visit.to == "cancelled":
            change_state(db, NURSE, sid, SessionAction.CANCEL, reason="patient unwell",
                         clock=clock)
        elif visit.to == "infused":
            start_infusion(db, sid, clock)
            clock.advance(40)
            change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    return course


@pytest.fixture
def ny(db: Session) -> Session:
    """The clinic keeps New York time: local days differ from UTC days at night."""
    set_setting(db, ADMIN, "clinic_timezone", "America/New_York")
    return db


def test_course_view_numbers_doses_scores_and_the_infusion_count(ny: Session) -> None:
    db, clock = ny, FakeClock()
    course = play_course(db, clock, family="Ñúñez", first=datetime(2026, 11, 2, 14, tzinfo=UTC),
                         visits=[Visit({"phq9": 22, "gad7": 15}), Visit({"phq9": 20}),
                                 Visit({"phq9": 18, "gad7": 9}), Visit({"phq9": 17}, "checked_in"),
                                 Visit(to="scheduled")])
    view = course_view(db, course)
    assert (view.patient_name, view.indication, view.primary_scale) == ("Ñúñez, Test", TRD, "phq9")
    assert (view.protocol_code, view.protocol_name) == ("iv-depression-0.5", IV)
    assert (view.phase, view.status, view.planned_infusions) == ("induction", "active", 6)
    assert [s.number for s in view.sessions] == [1, 2, 3, 4, 5]
    assert [s.state for s in view.sessions] == ["recovering"] * 3 + ["checked_in", "scheduled"]
    assert [s.given_mg for s in view.sessions] == [Decimal("40.0")] * 3 + [None, None]
    assert view.sessions[0].dose_mg_per_kg == Decimal("0.5")
    assert [dict(s.scores) for s in view.sessions] == [
        {"phq9": 22, "gad7": 15}, {"phq9": 20}, {"phq9": 18, "gad7": 9}, {"phq9": 17}, {}]
    assert (view.infusions_given, view.booked, view.progress_text) == (3, 1, "infusion 3 of 6")
    assert view.scales == ("phq9", "gad7")
    assert list(view.outcomes) == ["phq9", "gad7"]
    phq9 = view.outcomes["phq9"]
    # three infusions since the baseline of 22; 17 is above 11: flagged for the physician
    assert (phq9.baseline, phq9.latest, phq9.follow_ups) == (22, 17, 3)
    assert phq9.infusions_since_baseline == 3 and phq9.no_response_flag
    gad7 = view.outcomes["gad7"]
    # GAD-7 15 -> 9: 40 % fall, and only 3 infusions counted from its baseline at visit 1
    assert (gad7.change, gad7.percent_change, gad7.response) == (-6, Decimal("-40.0"), False)

    # a second PHQ-9 at visit 4 does not replace the check-in score (the first counts);
    # the dose of visit 4 starts: four infusions; visit 5's check-in score responds
    sid4, sid5 = view.sessions[3].session_id, view.sessions[4].session_id
    record_scale(db, NURSE, sid4, "phq9", items_for("phq9", 3), clock=clock)
    start_infusion(db, sid4, clock)
    clock.now = view.sessions[4].scheduled_at_utc
    change_state(db, NURSE, sid5, SessionAction.CHECK_IN, clock=clock)
    record_scale(db, NURSE, sid5, "phq9", items_for("phq9", 10), clock=clock)
    view = course_view(db, course)
    assert view.sessions[3].scores["phq9"] == 17
    assert view.sessions[3].given_mg == Decimal("40.0")
    phq9 = view.outcomes["phq9"]
    assert (phq9.latest, phq9.response, phq9.remission, phq9.no_response_flag) == (
        10, True, False, False)
    assert phq9.infusions_since_baseline == 4 and view.progress_text == "infusion 4 of 6"

    with pytest.raises(NotFound, match="No course with id 999"):
        course_view(db, 999)


def test_a_course_before_its_first_infusion(ny: Session) -> None:
    course = play_course(ny, FakeClock(), family="Early", first=datetime(2026, 11, 2, 14,
                                                                         tzinfo=UTC),
                         visits=[Visit(to="scheduled")], indication="chronic pain")
    view = course_view(ny, course)
    assert view.primary_scale == "pain" and view.outcomes == {}
    assert view.progress_text == "no infusion given yet (6 planned)"


@dataclass
class Statements:
    count: int = 0


@pytest.fixture
def statements(engine: Engine) -> Iterator[Statements]:
    """Counts the SQL statements the engine runs."""
    seen = Statements()

    def count(*_args: object) -> None:
        seen.count += 1

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_clinic_outcomes_by_hand(ny: Session, statements: Statements) -> None:
    db, clock = ny, FakeClock()
    nov = datetime(2026, 11, 2, 14, tzinfo=UTC)
    # in range (November 2026, New York days):
    # A: 22 -> 10, response; its started_on is in October but its first infusion counts
    play_course(db, clock, family="Alpha", first=nov, started_on=date(2026, 10, 20),
                visits=[Visit({"phq9": 22}), Visit({"phq9": 16}), Visit({"phq9": 10})])
    # B: 22 -> 4, response and remission (a MADRS is shown but never swapped in)
    play_course(db, clock, family="Bravo", first=nov, indication="major depressive disorder",
                visits=[Visit({"phq9": 22, "madrs": 30}), Visit({"phq9": 4, "madrs": 12})])
    # C: PTSD on IM, 50 -> 40, no response; PCL-5 has no remission rule
    play_course(db, clock, family="Charlie", first=nov, indication="PTSD",
                protocol="im-ketamine-0.5", visits=[Visit({"pcl5": 50}), Visit({"pcl5": 40})])
    # D: anxiety with only a baseline: excluded for a missing follow-up
    play_course(db, clock, family="Delta", first=nov, indication="anxiety",
                visits=[Visit({"gad7": 14}), Visit()])
    # E: an infusion but no PHQ-9 (only a GAD-7): excluded for a missing baseline
    play_course(db, clock, family="Echo", first=nov, visits=[Visit({"gad7": 12})])
    # F: never infused, started_on in range: counted, excluded for a missing baseline
    play_course(db, clock, family="Foxtrot", first=nov, started_on=date(2026, 11, 30),
                visits=[Visit(to="scheduled")])
    # out of range:
    # G: first infusion 1 Nov 03:00 UTC is 31 Oct 23:00 in New York
    play_course(db, clock, family="Golf", first=datetime(2026, 11, 1, 3, tzinfo=UTC),
                visits=[Visit({"phq9": 22}), Visit({"phq9": 3})])
    # H: started_on in range, but its first infusion is in December
    play_course(db, clock, family="Hotel", first=datetime(2026, 12, 3, 14, tzinfo=UTC),
                started_on=date(2026, 11, 28), visits=[Visit({"phq9": 20}), Visit({"phq9": 5})])
    # I: no infusion and no start date: not a course that began in any period
    play_course(db, clock, family="India", first=nov, visits=[Visit(to="scheduled")])

    statements.count = 0
    outcomes = clinic_outcomes_report(db, PHYSICIAN, start=date(2026, 11, 1),
                                      end=date(2026, 11, 30))
    assert statements.count <= 7  # a few queries, whatever the number of courses

    rows = {r.group: r for r in outcomes.by_indication}
    assert list(rows) == [TRD, "major depressive disorder", "PTSD", "anxiety"]
    trd = rows[TRD]  # A, E, F
    assert (trd.courses, trd.patients, trd.evaluable, trd.responders, trd.remitters) == (
        3, 3, 1, 1, 0)
    assert (trd.missing_baseline, trd.missing_follow_up, trd.excluded) == (2, 0, 2)
    assert trd.response_percent == Decimal("100.0")
    mdd = rows["major depressive disorder"]
    assert (mdd.evaluable, mdd.responders, mdd.remitters) == (1, 1, 1)
    ptsd = rows["PTSD"]
    assert (ptsd.evaluable, ptsd.responders, ptsd.remitters) == (1, 0, None)
    anxiety = rows["anxiety"]
    assert (anxiety.evaluable, anxiety.missing_follow_up, anxiety.response_percent) == (
        0, 1, None)

    protocols = {r.group: r for r in outcomes.by_protocol}
    assert list(protocols) == [IM, IV]
    assert (protocols[IV].courses, protocols[IV].evaluable, protocols[IV].responders) == (5, 2, 2)
    assert (protocols[IV].remitters, protocols[IV].remission_evaluable) == (1, 2)
    assert (protocols[IM].courses, protocols[IM].remitters) == (1, None)
    total = outcomes.total
    assert (total.courses, total.patients, total.evaluable, total.excluded) == (6, 6, 3, 3)
    assert (total.responders, total.remitters, total.response_percent) == (
        2, 1, Decimal("66.7"))

    # many courses are read in chunks; the tally is the same whatever the chunk size
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outcomes_service, "ID_CHUNK", 2)
        assert clinic_outcomes_report(db, PHYSICIAN, start=date(2026, 11, 1),
                                      end=date(2026, 11, 30)) == outcomes

    october = clinic_outcomes_report(db, ADMIN, start=date(2026, 10, 1),
                                     end=date(2026, 10, 31))
    assert (october.total.courses, october.total.responders, october.total.remitters) == (
        1, 1, 1)  # G
    # the command line acts as the system
    december = clinic_outcomes_report(db, SYSTEM, start=date(2026, 12, 1),
                                      end=date(2026, 12, 31))
    assert december.total.courses == 1 and december.total.remitters == 0  # H: 5 is not < 5
    empty = clinic_outcomes_report(db, PHYSICIAN, start=date(2025, 1, 1),
                                   end=date(2025, 12, 31))
    assert empty.total.courses == 0 and empty.by_indication == ()


def test_clinic_outcomes_are_for_physicians_and_administrators(db: Session) -> None:
    with pytest.raises(PermissionDenied, match="Only an administrator or a physician can "
                                               "view the clinic's outcomes"):
        clinic_outcomes_report(db, NURSE, start=date(2026, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ValidationError, match=r"ends .2026-01-01. before it starts"):
        clinic_outcomes_report(db, ADMIN, start=date(2026, 12, 31), end=date(2026, 1, 1))
