"""Change feeds: another connection's commit is heard, a rollback is not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ketalog.domain.session_state import SessionAction
from ketalog.services.audit import append_audit
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.state import change_state
from ketalog.store.changes import DATA, PRESENCE, ChangeFeed, open_change_feed
from ketalog.store.models import SessionPresence
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, seed_staff


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'k.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = open_database(url)
    seed_staff(engine)
    yield engine
    engine.dispose()


def _write_after(delay_s: float, action: object) -> threading.Thread:
    def run() -> None:
        time.sleep(delay_s)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_committed_change_is_heard_within_a_second(engine: Engine, url: str) -> None:
    clock = FakeClock()
    factory = make_sessionmaker(engine)
    with factory() as db:
        sid = book(db, clock)
    feed: ChangeFeed = open_change_feed(url)
    try:
        assert feed.wait(0.3) == set()

        committed_at: list[float] = []

        def check_in() -> None:
            with factory() as db:
                change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
            committed_at.append(time.monotonic())

        # The promise is about the time from the commit to its being heard, so the clock
        # starts when the check-in has committed (a loaded machine may take long before).
        thread = _write_after(0.2, check_in)
        kinds: set[str] = set()
        heard_at = 0.0
        give_up = time.monotonic() + 30
        while DATA not in kinds and time.monotonic() < give_up:
            kinds |= feed.wait(0.05)
            heard_at = time.monotonic()
        thread.join()
        assert DATA in kinds
        assert committed_at, "the check-in did not commit"
        assert heard_at - committed_at[0] < 1.0
    finally:
        feed.close()


def test_a_rolled_back_write_is_not_heard(engine: Engine, url: str) -> None:
    clock = FakeClock()
    factory = make_sessionmaker(engine)
    with factory() as db:
        book(db, clock)
    feed = open_change_feed(url)
    try:
        feed.wait(0.2)  # whatever the booking left behind
        with factory() as db:
            append_audit(db, NURSE, "view", at=clock(), table_name="x", row_id=1)
            db.rollback()
        assert feed.wait(0.8) == set()
    finally:
        feed.close()


def test_presence_is_told_apart_from_data(engine: Engine, url: str) -> None:
    clock = FakeClock()
    factory = make_sessionmaker(engine)
    with factory() as db:
        sid = book(db, clock)
    feed = open_change_feed(url)
    try:
        feed.wait(0.2)
        with factory() as db:
            db.add(SessionPresence(session_id=sid, user_id=1, display_name="A",
                                   workstation="chair-1", opened_at_utc=clock(),
                                   seen_at_utc=clock()))
            db.commit()
        kinds: set[str] = set()
        deadline = time.monotonic() + 2
        while not kinds and time.monotonic() < deadline:
            kinds = feed.wait(0.5)
        assert kinds == {PRESENCE}
    finally:
        feed.close()
