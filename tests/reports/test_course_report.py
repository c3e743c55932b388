"""The course report reads right on paper: verdicts worked by hand, every page identified."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from ketalog.domain.outcomes import course_outcomes, primary_scale
from ketalog.domain.session_state import SessionAction
from ketalog.reports.base import Clinic
from ketalog.reports.course_report import build_course_report
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.documents import CourseReportData, course_report_data
from ketalog.services.outcomes import CourseSessionRow, CourseView
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_setting
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.play import screen_course, start_infusion
from tests.staff import ADMIN, NURSE, seed_staff

BASELINE_VITALS = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72,
                   "spo2_percent": 98, "resp_rate_per_min": 14}
CLINIC = Clinic("Riverside Ketamine Clinic", "12 River St, Springfield", "555-0100")
TZ = ZoneInfo("America/New_York")


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def items_for(total: int, count: int, *, last_zero: bool = False) -> list[int]:
    """Item scores of 0-3 adding up to ``total`` (PHQ-9 item 9 kept 0: no risk flag)."""
    items = [0] * count
    left = total
    for i in range(count - 1 if last_zero else count):
        items[i] = min(3, left)
        left -= items[i]
    assert left == 0, "total out of reach"
    return items


def play_session(db: Session, sid: int, clock: FakeClock, *, phq9: int | None = None,
                 gad7: int | None = None, discharge: bool = True) -> None:
    """Check in, score the questionnaires, then dose and discharge through the services."""
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    if phq9 is not None:
        record_scale(db, NURSE, sid, "phq9", items_for(phq9, 9, last_zero=True),
                     clock=clock)
    if gad7 is not None:
        record_scale(db, NURSE, sid, "gad7", items_for(gad7, 7), clock=clock)
    if not discharge:
        return
    start_infusion(db, sid, clock, baseline=BASELINE_VITALS)
    clock.advance(40)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, sid, BASELINE_VITALS, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)


@dataclass
class Course:
    db: Session
    course_id: int
    mrn: str


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = open_database(copy_sqlite_template(tmp_path / "x.sqlite3"))
    seed_staff(engine)
    with make_sessionmaker(engine)() as session:
        set_setting(session, ADMIN, "clinic_timezone", "America/New_York")
        set_setting(session, ADMIN, "clinic_name", CLINIC.name)
        yield session
    engine.dispose()


def make_course(db: Session, phq9: Sequence[int | None], *, gad7: Sequence[int | None] = (),
                booked_after: int = 1) -> Course:
    """José Ñúñez, 80 kg, IV 0.5 mg/kg: one discharged session per score, then more booked."""
    clock = FakeClock(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    patient = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                               birth_date=date(1980, 3, 14), clock=clock)
    record_weight(db, NURSE, patient.id, "80", clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="treatment-resistant depression", clock=clock)
    screen_course(db, course, clock)
    start = clock.now
    played = len(phq9)
    ids = [schedule_session(db, NURSE, course_id=course, chair="Chair 1",
                            scheduled_at=start + timedelta(days=2 * n), clock=clock)
           for n in range(played + booked_after)]
    for n, sid in enumerate(ids[:played]):
        clock.now = start + timedelta(days=2 * n)
        play_session(db, sid, clock, phq9=phq9[n], gad7=gad7[n] if n < len(gad7) else None)
    return Course(db, course, patient.mrn)


def test_course_report_through_the_services_shows_the_hand_worked_response(
        db: Session) -> None:
    course = make_course(db, [22, 18, 14, 10], gad7=[15, 12, None, 6], booked_after=2)
    data = course_report_data(db, course.course_id)
    pdf = build_course_report(data)
    texts = pages(pdf)
    text = "\n".join(texts)

    identity = f"Ñúñez, José · MRN {course.mrn} · born 1980-03-14 · course {course.course_id}"
    for page_text in texts:
        assert identity in page_text
        assert "Course report" in page_text
        assert "Riverside Ketamine Clinic" in page_text
    assert "Page 1 of" in texts[0]

    assert "treatment-resistant depression" in text
    assert "IV ketamine for depression, 0.5 mg/kg over 40 min" in text
    assert "4 of 6 planned; 2 more booked" in text
    # PHQ-9 22 -> 10: -12 points, -54.5 %, at or below half the baseline (11): response;
    # not below 5: no remission.
    assert "22 (severe)" in text
    assert "10 (moderate)" in text
    assert "-12 (-54.5 %)" in text
    assert "yes (≤ 11)" in text
    assert "no (< 5)" in text
    # GAD-7 15 -> 6: -9 points, -60 %, response (<= 7.5), no remission (6 is not below 5).
    assert "-9 (-60 %)" in text
    assert "yes (≤ 7.5)" in text
    # the chart: baseline and response line labelled for each scale
    assert "baseline 22" in text
    assert "50 % response (≤ 11)" in text
    assert "50 % response (≤ 7.5)" in text
    assert "remission (< 5)" in text
    # the session table: date in the clinic's zone, dose and mg/kg, scores
    assert "2026-11-02" in text and "2026-11-08" in text
    assert "40.0" in text and "0.5" in text
    assert "Discharged" in text and "Scheduled" in text
    assert "PHQ-9: no response after 3 infusions" not in text

    assert build_course_report(course_report_data(db, course.course_id)) == pdf


def test_remission_worked_by_hand(db: Session) -> None:
    course = make_course(db, [22, 12, 4], booked_after=0)
    text = "\n".join(pages(build_course_report(course_report_data(db, course.course_id))))
    # 22 -> 4: -18 points, -81.8 %, response, and 4 is below 5: remission
    assert "4 (minimal)" in text
    assert "-18 (-81.8 %)" in text
    assert "yes (≤ 11)" in text
    assert "yes (< 5)" in text


def line(number: int, day: int, scores: dict[str, int], state: str = "discharged",
         mg: str | None = "40.0") -> CourseSessionRow:
    at = datetime(2026, 11, day, 14, 0, tzinfo=UTC)
    return CourseSessionRow(number, number, at, state, "Chair 1",
                            None if state in ("scheduled", "cancelled") else at,
                            None if mg is None else Decimal(mg),
                            None if mg is None else Decimal("0.5"), scores)


def direct(lines: Sequence[CourseSessionRow], *, name: str = "Ñúñez, José",
           indication: str = "treatment-resistant depression") -> CourseReportData:
    primary = primary_scale(indication)
    outcomes = course_outcomes([ln.visit for ln in lines],
                               [primary, *(c for c in ("phq9", "gad7", "pcl5") if c != primary)])
    view = CourseView(7, 1, name, "K0000042", date(1980, 3, 14), indication, primary,
                      "iv-depression-0.5", "IV ketamine for depression, 0.5 mg/kg over 40 min",
                      "induction", "active", None, date(2026, 11, 2), None, 6, tuple(lines),
                      outcomes)
    return CourseReportData(CLINIC, TZ, view)


def test_no_response_after_three_infusions_is_flagged_in_words() -> None:
    lines = [line(1, 2, {"phq9": 22, "pcl5": 50}), line(2, 4, {"phq9": 20, "pcl5": 47}),
             line(3, 6, {"phq9": 19}), line(4, 9, {"phq9": 18, "pcl5": 30}),
             line(5, 11, {}, state="scheduled", mg=None)]
    text = " ".join(" ".join(pages(build_course_report(direct(lines)))).split())
    assert "PHQ-9: no response after 3 infusions." in text
    assert ("4 infusions have been given since the baseline of 22 and none of the 3 scores "
            "since has fallen to 11 or below") in text
    assert "the latest is 18" in text
    assert "-4 (-18.2 %)" in text
    # PCL-5 50 -> 30 is a 40 % fall: no response; only 2 scores since the baseline, but
    # the flag counts infusions (4 given); PCL-5 has no remission rule
    assert "-20 (-40 %)" in text
    assert "no rule" in text
    assert ("PCL-5: no response after 3 infusions. 4 infusions have been given since the "
            "baseline of 50 and none of the 2 scores since has fallen to 25 or below") in text
    assert "50 % response (≤ 25)" in text
    assert "PHQ-9 (primary)" in text


def test_scores_do_not_raise_the_flag_before_the_third_infusion() -> None:
    # questionnaires at four visits, but the third infusion has not started yet
    lines = [line(1, 2, {"phq9": 22}), line(2, 4, {"phq9": 21}),
             line(3, 6, {"phq9": 20}, state="checked_in", mg=None),
             line(4, 9, {}, state="scheduled", mg=None)]
    text = "\n".join(pages(build_course_report(direct(lines))))
    assert "no response after 3 infusions." not in text
    assert "2 of 6 planned; 1 more booked" in text


def test_a_ptsd_course_is_judged_on_pcl5_and_flags_three_infusions_without_scores() -> None:
    lines = [line(1, 2, {"pcl5": 52, "phq9": 20}), line(2, 4, {}), line(3, 6, {})]
    text = " ".join(" ".join(
        pages(build_course_report(direct(lines, indication="PTSD")))).split())
    assert "PTSD (judged on PCL-5)" in text
    assert "PCL-5 (primary)" in text
    assert text.index("PCL-5 (primary)") < text.index("PHQ-9")
    assert ("3 infusions have been given since the baseline of 52 and no score has been "
            "recorded since, so none shows a response") in text


def test_a_course_without_scores_says_so_plainly() -> None:
    lines = [line(1, 2, {}), line(2, 4, {}, state="scheduled", mg=None)]
    text = "\n".join(pages(build_course_report(direct(lines, name="Дмитрий Петров"))))
    assert "No outcome scores have been recorded in this course." in text
    assert "50 % response" not in text
    assert "Дмитрий Петров · MRN K0000042" in text


def test_a_course_without_sessions() -> None:
    text = "\n".join(pages(build_course_report(direct([]))))
    assert "No sessions have been booked in this course yet." in text
    assert "0 of 6 planned" in text


def test_identical_data_gives_identical_bytes() -> None:
    lines = [line(n, 2 + 2 * n, {"phq9": 22 - 3 * n}) for n in range(1, 6)]
    assert build_course_report(direct(lines)) == build_course_report(direct(lines))


def test_a_long_course_runs_over_pages_with_the_identity_on_each() -> None:
    lines = [line(n, 1 + n % 28, {"phq9": max(0, 24 - n // 2), "gad7": 15, "pcl5": 60})
             for n in range(1, 41)]
    texts = pages(build_course_report(direct(lines)))
    assert len(texts) > 1
    for number, page_text in enumerate(texts, start=1):
        assert "Ñúñez, José · MRN K0000042 · born 1980-03-14 · course 7" in page_text
        assert f"Page {number} of {len(texts)}" in page_text
