"""Shared by the backup and restore tests of the store and of the command line."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from ketalog.services.booking import open_course, schedule_session
from ketalog.services.database import make_sessionmaker
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from tests.conftest import FakeClock
from tests.play import screen_course
from tests.staff import NURSE


def fingerprint(path: Path) -> dict[str, str]:
    """SHA-256 of the database file and each of its side files that exist."""
    found = {}
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        if Path(name).exists():
            found[Path(name).name] = hashlib.sha256(Path(name).read_bytes()).hexdigest()
    return found


def add_session(engine: Engine) -> None:
    """Book a second patient's session (another course, so no duplicate patient)."""
    clock = FakeClock()
    with make_sessionmaker(engine)() as db:
        patient = register_patient(db, NURSE, family_name="Okoro", given_name="Ada",
                                   birth_date=date(1975, 6, 2), clock=clock)
        record_weight(db, NURSE, patient.id, "70", clock=clock)
        course = open_course(db, NURSE, patient_id=patient.id,
                             protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                             indication="treatment-resistant depression", clock=clock)
        screen_course(db, course, clock)
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=clock(), clock=clock)
