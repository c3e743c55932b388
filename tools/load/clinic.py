"""The load test's clinic: a database, ten nurses and a day of running infusions.

Everything is made through the real services (as the front desk and the chair
nurses would), so the rows the workstations then write to are ordinary ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ketalog.domain.session_state import SessionAction
from ketalog.services.accounts import add_user
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.state import change_state
from tests.play import screen_course, start_infusion
from tests.staff import ADMIN, NURSE, seed_staff

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Simulated minutes the set-up of one session takes (start_infusion advances 3).
MINUTES_PER_SESSION = 3


class SetupClock:
    """Simulated time for the set-up, ending before the real now (never in the future)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@dataclass(frozen=True)
class Nurse:
    """One load-test nurse account (each workstation signs in as a different one)."""

    user_id: int
    username: str
    display_name: str


def create_database(server_url: str = DEFAULT_SERVER) -> str:
    """A new, empty database ``ketalog_load_<stamp>`` on the server; its URL."""
    stamp = f"{datetime.now(UTC):%Y%m%d_%H%M%S}_{secrets.token_hex(3)}"
    name = f"ketalog_load_{stamp}"
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def drop_database(url: str, server_url: str = DEFAULT_SERVER) -> None:
    """Drop the database made by :func:`create_database` (connections forced off)."""
    name = make_url(url).database
    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def seed_clinic(url: str, *, sessions: int, nurses: int) -> tuple[list[int], list[Nurse]]:
    """Schema, protocols, staff, ``nurses`` extra nurse accounts and ``sessions`` infusions.

    Each session gets its own patient and screened course, is checked in,
    has its checklist, escort, baseline reading and verified dose, and is
    infusing (started in the simulated past, so nothing is timed ahead of the
    real clock the workstations then use). Returns (session ids, nurses).
    """
    engine = open_database(url)
    try:
        seed_staff(engine)
        factory = make_sessionmaker(engine)
        clock = SetupClock(datetime.now(UTC)
                           - timedelta(minutes=MINUTES_PER_SESSION * sessions + 10))
        made: list[Nurse] = []
        with factory() as db:
            for n in range(1, nurses + 1):
                user = add_user(db, ADMIN, username=f"load{n:02d}",
                                full_name=f"Load Nurse {n:02d}", role="nurse",
                                password=f"load{n:02d}-pass-{secrets.token_hex(4)}",
                                credentials="RN", clock=clock)
                made.append(Nurse(user.id, user.username, f"{user.full_name}, RN"))
            protocol = protocol_id_by_code(db, "iv-depression-0.5")
            ids = []
            for i in range(sessions):
                patient = register_patient(db, NURSE, family_name=f"Loadtest{i:03d}",
                                           given_name="Pat", birth_date=date(1970 + i % 40, 1, 1),
                                           clock=clock)
                record_weight(db, NURSE, patient.id, str(60 + i % 40), clock=clock)
                course = open_course(db, NURSE, patient_id=patient.id, protocol_id=protocol,
                                     indication="treatment-resistant depression",
                                     clock=clock)
                screen_course(db, course, clock)
                sid = schedule_session(db, NURSE, course_id=course, chair=f"Chair {i % 4 + 1}",
                                       scheduled_at=clock(), clock=clock)
                change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
                start_infusion(db, sid, clock)
                ids.append(sid)
        return ids, made
    finally:
        engine.dispose()
