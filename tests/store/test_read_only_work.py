"""Read-only units of work: never the write lock, never a write (issue 18, item 1)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text

from ketalog.services.accounts import record_screen_lock
from ketalog.services.audit import append_audit
from ketalog.services.database import make_reading_sessionmaker, make_sessionmaker
from ketalog.store.engine import is_reading, make_engine, reading_engine
from ketalog.store.errors import WriteInReadOnlyWork
from ketalog.store.models import AuditEntry, Setting
from tests.staff import NURSE


def test_an_orm_write_in_read_only_work_is_refused_and_nothing_is_written(
        engine: Engine) -> None:
    before = _rows(engine)
    with make_reading_sessionmaker(engine)() as db:
        db.add(Setting(key="reading.test", value_json="1"))
        with pytest.raises(WriteInReadOnlyWork, match=r"read-only work.*nothing was written"):
            db.flush()
    assert _rows(engine) == before


def test_an_audit_row_in_read_only_work_is_refused(engine: Engine) -> None:
    before = _rows(engine)
    with make_reading_sessionmaker(engine)() as db, pytest.raises(WriteInReadOnlyWork):
        append_audit(db, NURSE, "view", at=datetime.now(UTC))
    assert _rows(engine) == before


@pytest.mark.parametrize("statement", [
    "INSERT INTO settings (key, value_json, updated_at_utc, version) "
    "VALUES ('reading.raw', '1', CURRENT_TIMESTAMP, 1)",
    "UPDATE settings SET value_json = value_json",
    "DELETE FROM settings WHERE key = 'nothing'",
])
def test_plain_sql_writes_in_read_only_work_are_refused(engine: Engine, statement: str) -> None:
    with reading_engine(engine).connect() as conn:
        with pytest.raises(WriteInReadOnlyWork, match=statement.split()[0]):
            conn.execute(text(statement))
        conn.rollback()


def test_a_connection_back_from_read_only_work_writes_again(engine: Engine) -> None:
    """The pool hands the same connection to a writer next: query_only must be off for it."""
    for _ in range(3):
        with make_reading_sessionmaker(engine)() as db:
            db.scalar(select(func.count()).select_from(AuditEntry))
        with make_sessionmaker(engine)() as db:
            record_screen_lock(db, NURSE)
    with make_reading_sessionmaker(engine)() as db, pytest.raises(WriteInReadOnlyWork):
        record_screen_lock(db, NURSE)


def test_which_engine_reads() -> None:
    engine = make_engine("sqlite://")
    try:
        assert not is_reading(engine)
        assert is_reading(reading_engine(engine))
        with reading_engine(engine).connect() as conn:
            assert is_reading(conn)
    finally:
        engine.dispose()


def test_read_only_work_is_one_snapshot_and_never_makes_a_save_wait(engine: Engine) -> None:
    """A read transaction held open: a save commits at once, and the read does not see it.

    SQLite: a deferred transaction is a WAL snapshot without the write lock (an
    IMMEDIATE one made this save wait for the busy timeout, then fail).
    PostgreSQL: READ ONLY and REPEATABLE READ; the connection goes back to the
    pool read-write and READ COMMITTED for the next writer.
    """
    postgresql = engine.dialect.name == "postgresql"
    with make_reading_sessionmaker(engine)() as reading:
        seen = reading.scalar(select(func.count()).select_from(AuditEntry)) or 0
        if postgresql:
            assert reading.scalar(text("SHOW transaction_read_only")) == "on"
            assert reading.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        began = time.perf_counter()
        with make_sessionmaker(engine)() as db:
            record_screen_lock(db, NURSE)
        assert time.perf_counter() - began < 1.0  # the busy timeout is 5 s
        assert reading.scalar(select(func.count()).select_from(AuditEntry)) == seen
    assert _rows(engine) == seen + 1
    if postgresql:
        with make_sessionmaker(engine)() as db:
            assert db.scalar(text("SHOW transaction_read_only")) == "off"
            assert db.scalar(text("SHOW transaction_isolation")) == "read committed"


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AuditEntry)) or 0)
