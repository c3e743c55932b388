"""The day log lists every session of the day exactly, page after page, with true totals."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.reports.base import Clinic
from ketalog.reports.day_log import build_day_log, state_label
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.documents import DayLogData, DayLogRow, day_log_data
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.services.settings import set_setting
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.play import screen_course, sign, start_infusion
from tests.staff import ADMIN, NURSE, seed_staff

VITALS = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72,
          "spo2_percent": 98, "resp_rate_per_min": 14}
CLINIC = Clinic("Riverside Ketamine Clinic", "12 River St, Springfield", "555-0100")
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 21)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def row_cells(text: str, mrn: str) -> list[str]:
    """One table row's cells as extracted, found by its MRN.

    Patient name and protocol may wrap over lines: their lines are joined again.
    The row starts after its booked time and ends at its signature cell.
    """
    lines = [line.strip() for line in text.split("\n")]
    at = lines.index(mrn)
    start = max(i for i in range(at) if re.fullmatch(r"\d\d:\d\d", lines[i])) + 1
    end = next(i for i in range(at, len(lines))
               if lines[i] in ("✓ signed", "not signed", "cancelled"))
    dose_at = next(i for i in range(at + 1, end) if re.fullmatch(r"[0-9.]+|—", lines[i]))
    return [" ".join(lines[start:at]), mrn, " ".join(lines[at + 1:dose_at]),
            *lines[dose_at:end + 1]]


# ----------------------------------------------------------------------------- services


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = open_database(copy_sqlite_template(tmp_path / "x.sqlite3"))
    seed_staff(engine)
    with make_sessionmaker(engine)() as session:
        set_setting(session, ADMIN, "clinic_timezone", "Europe/Berlin")
        set_setting(session, ADMIN, "clinic_name", CLINIC.name)
        yield session
    engine.dispose()


def book(db: Session, clock: FakeClock, family: str, given: str, kg: str, chair: str,
         at_utc: datetime) -> tuple[int, str]:
    patient = register_patient(db, NURSE, family_name=family, given_name=given,
                               birth_date=date(1980, 3, 14), clock=clock)
    record_weight(db, NURSE, patient.id, kg, clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="treatment-resistant depression", clock=clock)
    screen_course(db, course, clock)
    sid = schedule_session(db, NURSE, course_id=course, chair=chair, scheduled_at=at_utc,
                           clock=clock)
    return sid, patient.mrn


def play_to_discharge(db: Session, sid: int, clock: FakeClock, *, alert: bool = False) -> None:
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock, baseline=VITALS)
    clock.advance(20)
    if alert:
        record_vitals(db, NURSE, sid, {**VITALS, "systolic_mmhg": 186}, clock=clock)
    clock.advance(20)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, sid, VITALS, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)


def test_day_log_through_the_services(db: Session) -> None:
    clock = FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))
    day_start = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    jose, jose_mrn = book(db, clock, "Ñúñez", "José", "80", "Chair 1", day_start)
    dmitry, dmitry_mrn = book(db, clock, "Петров", "Дмитрий", "70", "Chair 2",
                              day_start + timedelta(minutes=30))
    ann, ann_mrn = book(db, clock, "Lee", "Ann", "60", "Chair 2", day_start + timedelta(hours=3))
    high, high_mrn = book(db, clock, "Okoye", "Chidi", "90", "Chair 3",
                          day_start + timedelta(hours=1))
    # 23:30 UTC on the 20th is 00:30 in Berlin on the 21st: on this day's log
    _early, early_mrn = book(db, clock, "Ávila", "Zoë", "55", "Chair 1",
                            datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    # 23:30 UTC on the 21st is already the 22nd in Berlin: not on this log
    _, late_mrn = book(db, clock, "Late", "Larry", "75", "Chair 1",
                       datetime(2026, 11, 21, 23, 30, tzinfo=UTC))

    clock.now = day_start
    play_to_discharge(db, jose, clock)
    sign(db, jose, clock)
    clock.now = day_start + timedelta(minutes=30)
    play_to_discharge(db, dmitry, clock, alert=True)
    change_state(db, NURSE, ann, SessionAction.CANCEL, reason="patient unwell", clock=clock)
    change_state(db, NURSE, high, SessionAction.CHECK_IN, clock=clock)
    record_vitals(db, NURSE, high, {**VITALS, "systolic_mmhg": 152, "diastolic_mmhg": 96},
                  clock=clock)

    pdf = build_day_log(day_log_data(db, DAY))
    texts = pages(pdf)
    text = "\n".join(texts)
    assert "Day log · Saturday 21 November 2026 · 5 sessions" in texts[0]
    assert late_mrn not in text and "Late, Larry" not in text

    protocol = "IV ketamine for depression, 0.5 mg/kg over 40 min"
    assert row_cells(text, jose_mrn) == [
        "Ñúñez, José", jose_mrn, protocol, "40.0", "09:03–09:43", "0", "10:13", "Signed",
        "✓ signed"]
    assert row_cells(text, dmitry_mrn) == [
        "Петров, Дмитрий", dmitry_mrn, protocol, "35.0", "09:33–10:13", "⚠ 1", "10:43",
        "Discharged", "not signed"]
    assert row_cells(text, ann_mrn) == [
        "Lee, Ann", ann_mrn, protocol, "—", "—", "0", "—", "Cancelled:", "patient", "unwell",
        "cancelled"]
    # pre-dose BP 152/96 is above 140/90: an alert before any dose
    assert row_cells(text, high_mrn) == [
        "Okoye, Chidi", high_mrn, protocol, "—", "—", "⚠ 1", "—", "Checked in", "not signed"]
    assert row_cells(text, early_mrn) == [
        "Ávila, Zoë", early_mrn, protocol, "—", "—", "0", "—", "Scheduled", "not signed"]
    assert "Chair 1\n00:30\nÁvila, Zoë" in text  # local time, first in its chair

    assert "5 (Scheduled 1, Checked in 1, Discharged 1, Signed 1, Cancelled 1)" in text
    assert "75.0 mg in 2 sessions whose dosing started" in text
    assert "1 session (discharged, not signed)" in text
    assert "2 alerts in 2 sessions" in text
    assert build_day_log(day_log_data(db, DAY)) == pdf


def test_ketamine_given_is_what_the_pump_log_delivered_at_the_printing_moment(
        db: Session) -> None:
    """Delivered, not ordered: a stopped-early, a running and a paused infusion count what
    ran by the printing moment (marked "so far"); a dose ordered but never started counts 0."""
    clock = FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))
    at = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    whole, whole_mrn = book(db, clock, "Ñúñez", "José", "80", "Chair 1", at)  # 40 mg
    early, early_mrn = book(db, clock, "Петров", "Дмитрий", "70", "Chair 2", at)  # 35 mg
    running, running_mrn = book(db, clock, "Lee", "Ann", "60", "Chair 3", at)  # 30 mg
    paused, paused_mrn = book(db, clock, "Okoye", "Chidi", "90", "Chair 4", at)  # 45 mg
    ready, ready_mrn = book(db, clock, "Ávila", "Zoë", "50", "Chair 5", at)  # 25 mg

    clock.now = at
    play_to_discharge(db, whole, clock)  # stopped at the planned end: 40 mg
    for sid in (early, running, paused, ready):
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, early, clock, baseline=VITALS)
    clock.advance(10)
    change_state(db, NURSE, early, SessionAction.STOP_EARLY, reason="patient asked to stop",
                 clock=clock)  # 10 of 40 minutes: 8.75 mg of 35
    start_infusion(db, running, clock, baseline=VITALS)
    started = clock.now
    start_infusion(db, paused, clock, baseline=VITALS)
    clock.advance(8)
    change_state(db, NURSE, paused, SessionAction.PAUSE, reason="BP 158/92", clock=clock)
    start_infusion(db, ready, clock, baseline=VITALS, start=False)  # ordered, never started
    clock.now = started + timedelta(minutes=16)  # 16 of 40 minutes: 12 mg of 30 so far

    text = "\n".join(pages(build_day_log(day_log_data(db, DAY, clock.now))))
    protocol = "IV ketamine for depression, 0.5 mg/kg over 40 min"
    assert "Given\n(mg)" in text
    assert row_cells(text, whole_mrn)[3] == "40.0"
    assert row_cells(text, early_mrn)[2:5] == [protocol, "8.8", "of 35.0"]
    assert row_cells(text, running_mrn)[2:6] == [protocol, "12.0", "of 30.0", "so far"]
    # paused after 8 of 40 minutes: 9 mg of 45, and no more while it stays paused
    assert row_cells(text, paused_mrn)[2:6] == [protocol, "9.0", "of 45.0", "so far"]
    assert row_cells(text, ready_mrn)[2:4] == [protocol, "—"]
    flat = " ".join(text.split())
    # 40 + 8.75 + 12 + 9 = 69.75
    assert ("Ketamine given 69.8 mg in 4 sessions whose dosing started, 21.0 mg of it so far in "
            "2 infusions still running or paused") in flat
    printed = clock.now.astimezone(BERLIN).strftime("%H:%M")
    assert f"2 infusions still in progress at {printed}: counted up to that moment." in flat

    # printed as of a moment before the later infusions started: those gave nothing yet
    before = started - timedelta(minutes=1)
    flat = " ".join(" ".join(pages(build_day_log(day_log_data(db, DAY, before)))).split())
    assert "Ketamine given 48.8 mg in 2 sessions whose dosing started" in flat


def test_cancelled_sessions_show_as_cancelled_with_their_reason(db: Session) -> None:
    clock = FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))
    at = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    done, _ = book(db, clock, "Ñúñez", "José", "80", "Chair 1", at)
    ann, ann_mrn = book(db, clock, "Lee", "Ann", "60", "Chair 2", at)
    zoe, zoe_mrn = book(db, clock, "Ávila", "Zoë", "50", "Chair 3", at)
    clock.now = at
    play_to_discharge(db, done, clock)
    change_state(db, NURSE, ann, SessionAction.CANCEL, reason="patient unwell", clock=clock)
    change_state(db, NURSE, zoe, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, zoe, clock, baseline=VITALS, start=False)  # ordered, then called off
    change_state(db, NURSE, zoe, SessionAction.CANCEL, reason="BP stayed above 160/100",
                 clock=clock)

    text = "\n".join(pages(build_day_log(day_log_data(db, DAY, clock.now))))
    assert row_cells(text, ann_mrn)[3:] == ["—", "—", "0", "—", "Cancelled:", "patient",
                                            "unwell", "cancelled"]
    zoe_cells = row_cells(text, zoe_mrn)
    assert zoe_cells[3] == "—" and zoe_cells[-1] == "cancelled"
    assert " ".join(zoe_cells[7:-1]) == "Cancelled: BP stayed above 160/100"
    flat = " ".join(text.split())
    assert "Awaiting physician signature 1 session (discharged, not signed)" in flat
    assert "Ketamine given 40.0 mg in 1 session whose dosing started" in flat


def test_cancelled_sessions_wait_for_no_signature(db: Session) -> None:
    """Neither the physician's waiting list nor the day board counts a cancelled session."""
    from ketalog.services.board import day_board
    from ketalog.services.signing import waiting_for_signature

    clock = FakeClock(datetime(2026, 11, 21, 7, 0, tzinfo=UTC))
    at = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    done, _ = book(db, clock, "Ñúñez", "José", "80", "Chair 1", at)
    ann, _ = book(db, clock, "Lee", "Ann", "60", "Chair 2", at)
    clock.now = at
    play_to_discharge(db, done, clock)
    change_state(db, NURSE, ann, SessionAction.CANCEL, reason="patient unwell", clock=clock)
    assert [w.session_id for w in waiting_for_signature(db)] == [done]
    rows = {r.session_id: r for r in day_board(db, DAY, BERLIN, now=clock.now)}
    assert rows[ann].state == "cancelled" and not rows[ann].signed
    assert not rows[ann].nursing_completed


# ------------------------------------------------------------------------- constructed

STATES = ("scheduled", "checked_in", "infusing", "discharged", "signed", "cancelled")


def constructed_day(count: int) -> DayLogData:
    """``count`` sessions across 5 chairs; each state 1/6 of them, every 5th with an alert."""
    rows = []
    for i in range(count):
        state = STATES[i % len(STATES)]
        booked = datetime(2026, 11, 21, 8, 0, tzinfo=UTC) + timedelta(minutes=20 * (i // 5))
        started = booked + timedelta(minutes=10) if state in ("infusing", "discharged",
                                                               "signed") else None
        ended = None if started is None or state == "infusing" else started + timedelta(
            minutes=40)
        name = ("Ñúñez", "José") if i % 3 == 0 else (("Петров", "Дмитрий") if i % 3 == 1
                                                      else ("Lee", "Ann"))
        ordered = None if state == "scheduled" else Decimal(300 + i) / 10
        # a running infusion is half way through at the printing moment
        given = None if started is None or ordered is None else (
            ordered / 2 if state == "infusing" else ordered)
        rows.append(DayLogRow(
            session_id=i + 1, chair=f"Chair {i % 5 + 1}", scheduled_at_utc=booked,
            patient_name=f"{name[0]}{i}, {name[1]}", mrn=f"K{i:07d}",
            protocol_name="IV ketamine for depression, 0.5 mg/kg over 40 min",
            total_mg=ordered,
            dose_started_at_utc=started, dose_ended_at_utc=ended,
            alert_count=1 if i % 5 == 0 else 0,
            discharged_at_utc=None if ended is None else ended + timedelta(minutes=45),
            state=state, signed=state == "signed", delivered_mg=given,
            infusion_open=state == "infusing"))
    rows.sort(key=lambda r: (r.chair, r.scheduled_at_utc, r.session_id))
    return DayLogData(CLINIC, BERLIN, DAY, tuple(rows))


def test_many_sessions_run_over_pages_with_header_identity_and_page_numbers() -> None:
    data = constructed_day(120)
    texts = pages(build_day_log(data))
    assert len(texts) >= 3
    for number, page_text in enumerate(texts, start=1):
        assert "Riverside Ketamine Clinic" in page_text
        assert "Day log · Saturday 21 November 2026 · 120 sessions" in page_text
        assert f"Page {number} of {len(texts)}" in page_text
        if number < len(texts) or "Chair\nTime" in page_text:
            # the table's header row repeats at the top of every page it runs onto
            assert "Chair\nTime\nPatient\nMRN\nProtocol\nGiven\n(mg)\nInfusion\nstart–stop" \
                   "\nAlerts\nDis-\ncharged\nState\nSigned" in page_text
    text = "\n".join(texts)
    for row in data.rows:
        found = row_cells(text, row.mrn)
        assert found[:3] == [row.patient_name, row.mrn, row.protocol_name]
        assert found[3] == ("—" if row.delivered_mg is None else f"{row.delivered_mg:.1f}")
        # from the end: alerts, discharge time, state, signature (the infusion cell before
        # them wraps while running: "09:10–" / "running")
        assert found[-4] == ("⚠ 1" if row.alert_count else "0")
        assert found[-2] == state_label(row.state)
        assert found[-1] == ("✓ signed" if row.signed else "cancelled"
                             if row.state == "cancelled" else "not signed")


def test_totals_are_worked_out_from_every_row() -> None:
    text = " ".join(" ".join(pages(build_day_log(constructed_day(120)))).split())
    # 20 of each state; dosing started in the infusing, discharged and signed sessions,
    # i = 6k + 2, 6k + 3, 6k + 4 for k = 0..19, each ordered (300 + i) / 10 mg, given in
    # full except the infusing ones (6k + 2), half way through at the printing moment:
    # (7180 / 2 + 7200 + 7220) / 10 = 359.0 + 720.0 + 722.0 = 1801.0
    running = sum(Decimal(300 + i) / 20 for i in range(120) if i % 6 == 2)
    done = sum(Decimal(300 + i) / 10 for i in range(120) if i % 6 in (3, 4))
    assert (running, running + done) == (Decimal("359.0"), Decimal("1801.0"))
    assert ("Sessions 120 (Scheduled 20, Checked in 20, Infusing 20, Discharged 20, Signed 20, "
            "Cancelled 20)") in text
    assert ("Ketamine given 1801.0 mg in 60 sessions whose dosing started, 359.0 mg of it so "
            "far in 20 infusions still running or paused") in text
    assert "Awaiting physician signature 20 sessions (discharged, not signed)" in text
    assert "Signed 20 sessions" in text
    assert "Vital-sign alerts 24 alerts in 24 sessions" in text


def test_unicode_names_extract_as_written() -> None:
    texts = "\n".join(pages(build_day_log(constructed_day(6))))
    assert "Ñúñez0, José" in texts
    assert "Петров1, Дмитрий" in texts  # noqa: RUF001 - a Cyrillic name on purpose


def test_an_empty_day_says_so() -> None:
    texts = pages(build_day_log(DayLogData(CLINIC, BERLIN, DAY, ())))
    assert len(texts) == 1
    assert "No sessions on this day." in texts[0]
    assert "Day log · Saturday 21 November 2026 · 0 sessions" in texts[0]
    assert "Page 1 of 1" in texts[0]


def test_identical_data_gives_identical_bytes() -> None:
    assert build_day_log(constructed_day(40)) == build_day_log(constructed_day(40))


def test_forty_sessions_build_quickly() -> None:
    data = constructed_day(40)
    build_day_log(data)  # fonts and caches warm
    times = []
    for _ in range(5):
        start = time.perf_counter()
        build_day_log(data)
        times.append(time.perf_counter() - start)
    # the benchmark's target is a 250 ms median; this only catches a gross regression
    assert median(times) < 1.0
