"""One clinic clock (issue 16, item 2): the clinic's zone required before clinical entry,
the server's time on PostgreSQL, a clock that went back refused on SQLite.

Before: a workstation clock 3 hours fast stored readings and audit rows 3 hours
in the future; a slow one refused the true time as "in the future"; with no
clinic zone set each workstation used its own, so two showed different "today".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.clinic_clock import ClockProblem, ServerClock, database_now
from ketalog.services.database import make_sessionmaker
from ketalog.services.errors import PermissionDenied
from ketalog.services.session.entries import add_note, record_vitals
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_timezone, set_clinic_timezone
from ketalog.store.models import AuditEntry, Note, Setting, VitalSign
from tests.conftest import FakeClock
from tests.play import BASELINE, book
from tests.staff import ADMIN, NURSE


def test_no_clinical_entry_until_the_clinic_has_a_time_zone(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    db.execute(delete(Setting).where(Setting.key == "clinic_timezone"))
    db.commit()
    with pytest.raises(PermissionDenied, match="The clinic's time zone is not set") as refused:
        record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    assert "ketalog settings set clinic_timezone" in str(refused.value)
    assert db.scalar(select(func.count()).select_from(VitalSign)) == 0
    # meanwhile every workstation shows the same zone (UTC), never its own
    assert clinic_timezone(db).key == "UTC"
    set_clinic_timezone(db, ADMIN, "America/Chicago")
    record_vitals(db, NURSE, sid, BASELINE, clock=clock)


def test_the_server_clock_corrects_a_fast_workstation(db: Session) -> None:
    """Measured against the database's own time; on SQLite there is none to ask."""
    workstation = FakeClock(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))  # 3 hours fast
    clock = ServerClock(workstation, lambda _db: datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    assert clock.measure(db) == timedelta(hours=-3)
    assert clock() == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert clock.skewed
    assert clock.skew_text().startswith("This workstation's clock is 3 h fast against the "
                                        "database server's.")
    workstation.advance(10)
    assert clock() == datetime(2026, 11, 21, 9, 10, tzinfo=UTC)  # follows the workstation
    close = ServerClock(workstation, lambda _db: workstation() + timedelta(seconds=90))
    close.measure(db)
    assert not close.skewed  # within the two-minute limit: no banner


@pytest.mark.postgres
def test_postgres_tells_its_own_time(postgres_url: str) -> None:
    from ketalog.services.database import open_database

    engine = open_database(postgres_url)
    try:
        with make_sessionmaker(engine)() as db:
            server = database_now(db)
        assert server is not None
        assert abs(server - datetime.now(UTC)) < timedelta(minutes=1)  # same machine here
    finally:
        engine.dispose()


def test_sqlite_refuses_an_entry_from_a_clock_that_went_back(
        sqlite_url: str, clock: FakeClock) -> None:
    """One workstation, no server to ask: the trail itself shows the clock went back."""
    from ketalog.services.database import open_database
    from tests.staff import seed_staff

    engine = open_database(sqlite_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    before = clock.now
    gone_back = FakeClock(before - timedelta(hours=3))
    with make_sessionmaker(engine, check_clock=True)() as db:
        audit_rows = db.scalar(select(func.count()).select_from(AuditEntry))
        with pytest.raises(ClockProblem, match=r"the clock must have gone back. Nothing was "
                                               "recorded"):
            add_note(db, NURSE, sid, "nursing", "Feels calm.", clock=gone_back)
        db.rollback()
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows
        assert db.scalar(select(func.count()).select_from(Note)) == 0
        # a few minutes' difference is a clock adjusted, not a problem
        add_note(db, NURSE, sid, "nursing", "Feels calm.",
                 clock=FakeClock(before - timedelta(minutes=4)))
    engine.dispose()
