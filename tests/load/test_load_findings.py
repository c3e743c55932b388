"""What the load test found, pinned down, and the read-back that judges it.

Two workstations changing one session row at the same moment: the second must
be refused in words (the move is already done, or the field changed and by
whom), never fail at the UPDATE with an ORM StaleDataError. And the read-back
of tools/load/verify.py must notice a lost, an unacknowledged and a failed-but-
stored write, or the load test could pass while losing data.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused
from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.errors import StaleEdit
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from tests.conftest import FakeClock
from tests.play import BASELINE, book, start_infusion
from tests.staff import NURSE, NURSE2, seed_staff
from tools.load.verify import baseline, check_rows


def _infusing(url: str, clock: FakeClock) -> tuple[Engine, int]:
    engine = open_database(url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        start_infusion(db, sid, clock)
    return engine, sid


def _blocked_by(conn: Any, pid: int) -> bool:
    """Whether some backend waits for a lock ``pid`` holds (a fresh look, not the snapshot
    pg_stat_activity otherwise keeps for the whole transaction)."""
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))
    return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                  "WHERE :pid = ANY(pg_blocking_pids(pid))"),
                             {"pid": pid}).scalar())


def _while_another_workstation_commits(engine: Engine, sid: int, sql: str,
                                       action: Any) -> BaseException | None:
    """Run ``action`` while another connection holds an uncommitted change of the row."""
    caught: list[BaseException] = []

    def second() -> None:
        with make_sessionmaker(engine)() as db:
            try:
                action(db)
            except Exception as exc:  # what the second workstation's user would get
                caught.append(exc)

    with engine.connect() as other:
        pid = other.execute(text("SELECT pg_backend_pid()")).scalar()
        other.execute(text(sql), {"sid": sid})
        worker = threading.Thread(target=second)
        worker.start()
        deadline = time.monotonic() + 10
        # commit only once the second save waits for this row lock: before the fix it
        # waited at its UPDATE (having judged the old row), after it at its first read
        while not _blocked_by(other, pid):
            assert time.monotonic() < deadline, "the second save never met the row lock"
            time.sleep(0.02)
        other.commit()
    worker.join(timeout=10)
    assert not worker.is_alive()
    return caught[0] if caught else None


@pytest.mark.postgres
def test_a_pause_racing_another_pause_is_refused_as_already_done(
    postgres_url: str, clock: FakeClock,
) -> None:
    engine, sid = _infusing(postgres_url, clock)
    try:
        clock.advance(10)
        exc = _while_another_workstation_commits(
            engine, sid,
            "UPDATE treatment_sessions SET state = 'paused', version = version + 1 "
            "WHERE id = :sid",
            lambda db: change_state(db, NURSE2, sid, SessionAction.PAUSE,
                                    reason="BP 180/110", clock=clock))
        assert isinstance(exc, TransitionRefused), repr(exc)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_escort_edit_racing_another_is_refused_as_a_stale_edit(
    postgres_url: str, clock: FakeClock,
) -> None:
    engine, sid = _infusing(postgres_url, clock)
    try:
        with make_sessionmaker(engine)() as db:
            shown = load_session(db, sid).version
        exc = _while_another_workstation_commits(
            engine, sid,
            "UPDATE treatment_sessions SET escort_name = 'Ana (sister)', "
            "version = version + 1 WHERE id = :sid",
            lambda db: update_discharge_details(db, NURSE2, sid, expected_version=shown,
                                                escort_name="Luis (son)", clock=clock))
        assert isinstance(exc, StaleEdit), repr(exc)
    finally:
        engine.dispose()


def _vital(db: Session, sid: int, clock: FakeClock) -> tuple[int, datetime]:
    station = replace(NURSE, workstation="load-ws01")  # the read-back counts audit rows by it
    saved = record_vitals(db, station, sid, BASELINE, clock=clock)
    return saved.vital_id, clock()


def test_the_read_back_notices_lost_unacknowledged_and_failed_but_stored_writes(
    sqlite_url: str, clock: FakeClock,
) -> None:
    engine, sid = _infusing(sqlite_url, clock)
    try:
        factory = make_sessionmaker(engine)
        with factory() as db:
            base = baseline(db)
            clock.advance(1)
            first, first_at = _vital(db, sid, clock)
            clock.advance(1)
            second, second_at = _vital(db, sid, clock)

        def ack(row_id: int, at: datetime, tag: str = "w01-000001") -> dict[str, Any]:
            return {"kind": "vitals", "session_id": sid, "tag": tag, "value": row_id,
                    "taken_at": at.isoformat()}

        with factory() as db:
            honest = check_rows(db, base, [ack(first, first_at), ack(second, second_at)], [])
            lying = check_rows(db, base, [ack(first, first_at), ack(second + 99, second_at)],
                               [{**ack(second, second_at), "type": "DeadlockDetected"}])
    finally:
        engine.dispose()
    assert set(honest["counts"].values()) == {0}
    assert lying["counts"]["lost"] == 1
    assert lying["counts"]["unacknowledged_rows"] == 1
    assert lying["counts"]["failed_but_present"] == 1
