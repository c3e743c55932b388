"""Report test set-up: sessions played through the real services on a temporary SQLite file.

The clinic runs in America/New_York so every printed time proves the UTC to
clinic-time conversion (the fake clock starts 2026-11-21 09:00 UTC = 04:00 EST).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.context import SYSTEM
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.documents import (
    SessionSummaryData,
    VisitReportData,
    session_summary_data,
    visit_report_data,
)
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import (
    add_note,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.session.state import change_state
from ketalog.services.settings import CLINIC_NAME, set_clinic_timezone, set_setting
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.play import BASELINE, screen_course, sign, start_infusion
from tests.staff import NURSE

CLINIC_TZ = "America/New_York"
PHONE = "+1 555 0100"


def reading(i: int) -> dict[str, object]:
    """The i-th of a long run of distinct, possible, non-alerting readings."""
    values: dict[str, object] = {
        "systolic_mmhg": 100 + i % 70, "diastolic_mmhg": 60 + i % 35,
        "heart_rate_bpm": 55 + i % 60, "spo2_percent": 93 + i % 8,
        "resp_rate_per_min": 10 + i % 15,
    }
    if i % 3 == 0:
        values["temperature_c"] = f"{36 + (i % 20) / 10:.1f}"
    if i % 4 == 0:
        values["etco2_mmhg"] = 30 + i % 15
    if i % 5 == 0:
        values["pain_score"] = i % 11
    return values


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of every page."""
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


_FURNITURE = re.compile(r"^(Riverside Ketamine Clinic|Session summary|Visit report|"
                        r"DRAFT - not signed|12 River Road, Springfield · .*|"
                        r".* · MRN K\d+ · born .*|Page \d+ of \d+|"
                        r"Age \d+ · Sex .*)$")


def body_text(pages: list[str]) -> str:
    """All pages' text without the page furniture, whitespace as single spaces.

    Text that breaks across a page then reads on as one; the furniture itself
    is checked page by page elsewhere.
    """
    lines = [line.strip() for page in pages for line in page.splitlines()]
    return re.sub(r"\s+", " ", " ".join(line for line in lines if not _FURNITURE.match(line)))


@dataclass
class ClinicDb:
    """A clinic database and the means to play sessions through the services."""

    engine: Engine
    factory: sessionmaker[Session]
    clock: FakeClock

    def db(self) -> Session:
        return self.factory()

    def book(self, family: str = "Ñúñez", given: str = "José", *,
             birth: date = date(1980, 3, 14), weight: str = "80",
             planned: int | None = None, protocol: str = "iv-depression-0.5",
             in_minutes: float = 0) -> int:
        """A new patient with a course (IV depression by default) and a session booked now
        (or ``in_minutes`` from now)."""
        c = self.clock
        with self.factory() as db:
            patient = register_patient(db, NURSE, family_name=family, given_name=given,
                                       birth_date=birth, clock=c)
            record_weight(db, NURSE, patient.id, weight, clock=c)
            course = open_course(db, NURSE, patient_id=patient.id,
                                 protocol_id=protocol_id_by_code(db, protocol),
                                 indication="treatment-resistant depression",
                                 planned_infusions=planned, clock=c)
            screen_course(db, course, c)
            return schedule_session(db, NURSE, course_id=course, chair="Chair 1",
                                    scheduled_at=c.now + timedelta(minutes=in_minutes),
                                    clock=c)

    def start(self, sid: int) -> None:
        """Check in, checklist and escort, baseline reading, dose ordered and verified, start."""
        c = self.clock
        with self.factory() as db:
            change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=c)
            start_infusion(db, sid, c, baseline=BASELINE)

    def vitals(self, sid: int, values: dict[str, object], *, minutes: float = 1,
               action_note: str | None = None) -> None:
        self.clock.advance(minutes)
        with self.factory() as db:
            record_vitals(db, NURSE, sid, values, action_note=action_note, clock=self.clock)

    def action(self, sid: int, action: SessionAction, *, minutes: float = 0,
               reason: str | None = None) -> None:
        self.clock.advance(minutes)
        with self.factory() as db:
            change_state(db, NURSE, sid, action, reason=reason, clock=self.clock)

    def discharge(self, sid: int, *, note: str = "Tolerated infusion well; steady gait.") -> None:
        """Recovery reading, Aldrete 10, instructions, a recovery note, discharge."""
        c = self.clock
        with self.factory() as db:
            c.advance(20)
            record_vitals(db, NURSE, sid, BASELINE, clock=c)
            record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=c)
            update_discharge_details(db, NURSE, sid, expected_version=self.version(db, sid),
                                     instructions_given=True, clock=c)
            add_note(db, NURSE, sid, "recovery", note, clock=c)
            c.advance(10)  # 30 min of recovery, the reading 10 min old
            change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=c)

    def run(self, sid: int, *, readings: int = 4) -> None:
        """A whole uneventful session up to discharge (40 min infusion)."""
        self.start(sid)
        self.run_rest(sid, readings=readings)

    def run_rest(self, sid: int, *, readings: int = 4) -> None:
        """From a started infusion: readings over 40 min, the stop, then discharge."""
        for i in range(readings):
            self.vitals(sid, reading(i), minutes=40 / max(readings, 1))
        self.action(sid, SessionAction.STOP_INFUSION, minutes=0.5)
        self.discharge(sid)

    def sign(self, sid: int) -> None:
        """The nurse completes the record and the physician signs (Ada Lindqvist, MD)."""
        with self.factory() as db:
            self.clock.advance(30)
            sign(db, sid, self.clock)

    @staticmethod
    def version(db: Session, sid: int) -> int:
        return load_session(db, sid).version

    def summary(self, sid: int) -> SessionSummaryData:
        with self.factory() as db:
            return session_summary_data(db, sid, self.clock.now)

    def visit(self, sid: int) -> VisitReportData:
        with self.factory() as db:
            return visit_report_data(db, sid, self.clock.now)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[ClinicDb]:
    """An empty clinic in New York time with a name and a phone number on its documents."""
    # a copy of the run's migrated, seeded template (tests/helpers/databases.py)
    engine = open_database(copy_sqlite_template(tmp_path / "reports.sqlite3"))
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        set_clinic_timezone(db, SYSTEM, CLINIC_TZ)
        set_setting(db, SYSTEM, CLINIC_NAME, "Riverside Ketamine Clinic", clock=clock)
        set_setting(db, SYSTEM, "clinic_phone", PHONE, clock=clock)
        set_setting(db, SYSTEM, "clinic_address", "12 River Road, Springfield", clock=clock)
    yield ClinicDb(engine, factory, clock)
    engine.dispose()


@pytest.fixture
def played(clinic: ClinicDb) -> int:
    """José Ñúñez's first session, discharged and not signed."""
    sid = clinic.book()
    clinic.run(sid)
    return sid

