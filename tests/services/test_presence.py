"""Presence (who else has a session open) and the housekeeping of write ids."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ketalog.services.booking import schedule_session
from ketalog.services.database import forget_old_housekeeping, make_sessionmaker, open_database
from ketalog.services.presence import (
    PRESENCE_FRESH,
    announce_presence,
    leave_session,
    others_present,
)
from ketalog.store.models import ClientWrite, SessionPresence, TreatmentSession
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.play import book
from tests.staff import NURSE, NURSE2, seed_staff


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(copy_sqlite_template(tmp_path / 'p.sqlite3'))
    seed_staff(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


def test_each_sees_the_other_not_themselves(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    announce_presence(db, NURSE, sid, clock=clock)
    assert others_present(db, NURSE, sid, clock()) == ()
    announce_presence(db, NURSE2, sid, clock=clock)
    seen = others_present(db, NURSE, sid, clock())
    assert [(p.display_name, p.workstation) for p in seen] == [("Sam Okafor, RN", "t")]
    leave_session(db, NURSE2)
    assert others_present(db, NURSE, sid, clock()) == ()


def test_the_same_user_at_another_workstation_counts(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    announce_presence(db, NURSE, sid, clock=clock)
    announce_presence(db, replace(NURSE, workstation="chair-3"), sid, clock=clock)
    assert [p.workstation for p in others_present(db, NURSE, sid, clock())] == ["chair-3"]


def test_a_workstation_that_went_quiet_is_not_shown(db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    announce_presence(db, NURSE2, sid, clock=clock)
    clock.advance(PRESENCE_FRESH.total_seconds() / 60 + 0.1)
    assert others_present(db, NURSE, sid, clock()) == ()
    announce_presence(db, NURSE2, sid, clock=clock)  # the heartbeat brings it back
    assert len(others_present(db, NURSE, sid, clock())) == 1


def test_opening_another_session_moves_the_presence(db: Session, clock: FakeClock) -> None:
    first = book(db, clock)
    course = db.get(TreatmentSession, first).course_id  # type: ignore[union-attr]
    second = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                              scheduled_at=clock() + timedelta(days=2), clock=clock)
    announce_presence(db, NURSE2, first, clock=clock)
    announce_presence(db, NURSE2, second, clock=clock)
    assert others_present(db, NURSE, first, clock()) == ()
    assert len(others_present(db, NURSE, second, clock())) == 1
    assert db.scalar(select(func.count()).select_from(SessionPresence)) == 1


def test_old_write_ids_and_presences_are_dropped_recent_ones_kept(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    now = clock()
    db.add_all([ClientWrite(request_id="old", written_at_utc=now - timedelta(days=8)),
                ClientWrite(request_id="new", written_at_utc=now - timedelta(days=1))])
    db.commit()
    announce_presence(db, NURSE2, sid, clock=lambda: now - timedelta(days=2))
    forget_old_housekeeping(db, now)
    assert list(db.scalars(select(ClientWrite.request_id))) == ["new"]
    assert db.scalar(select(func.count()).select_from(SessionPresence)) == 0
