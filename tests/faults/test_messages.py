"""The sentence a failed save shows, for each storage fault SQLite or PostgreSQL reports."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from ketalog.store import faults
from ketalog.store.faults import describe_database_error


def _wrapped(orig: Exception) -> OperationalError:
    """As SQLAlchemy hands a driver error to the caller."""
    return OperationalError("INSERT INTO vital_signs ...", {}, orig)


@pytest.mark.parametrize(("said", "message"), [
    ("database or disk is full", faults.DISK_FULL),
    ("attempt to write a readonly database", faults.READ_ONLY),
    ("database disk image is malformed", faults.DAMAGED),
    ("malformed database schema (vital_signs)", faults.DAMAGED),
    ("file is not a database", faults.NOT_A_DATABASE),
    ("disk I/O error", faults.DISK_ERROR),
    ("unable to open database file", faults.CANNOT_OPEN),
    ("database is locked", faults.BUSY),
    ("no such table: vital_signs", faults.GENERIC_SAVE_FAILURE),
])
def test_sqlite_texts_without_a_code(said: str, message: str) -> None:
    assert describe_database_error(_wrapped(sqlite3.OperationalError(said))) == message


def test_real_sqlite_errors_are_told_by_their_code() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA query_only = ON")
        with pytest.raises(sqlite3.OperationalError) as caught:
            conn.execute("CREATE TABLE t (x)")
    finally:
        conn.close()
    assert caught.value.sqlite_errorname == "SQLITE_READONLY"
    assert describe_database_error(_wrapped(caught.value)) == faults.READ_ONLY


def test_every_message_says_nothing_was_saved_and_what_to_do() -> None:
    messages = [value for name, value in vars(faults).items()
                if name.isupper() and isinstance(value, str) and name != "GENERIC_SAVE_FAILURE"]
    assert len(messages) == 11
    for message in messages:
        assert "nothing was saved" in message, message
        assert any(fix in message.lower() for fix in ("ask the administrator", "free space",
                                                      "try again")), message


@pytest.mark.parametrize(("error", "message"), [
    (psycopg.errors.DiskFull('could not extend file "base/16384/24576": No space left on '
                             "device"), faults.SERVER_DISK_FULL),
    (psycopg.errors.DataCorrupted('invalid page in block 7 of relation "base/1/2"'),
     faults.SERVER_DAMAGED),
    (psycopg.errors.IoError("could not read block 9"), faults.SERVER_DISK_ERROR),
])
def test_postgresql_faults_by_sqlstate(error: Exception, message: str) -> None:
    assert describe_database_error(_wrapped(error)) == message


@pytest.mark.postgres
def test_a_read_only_postgresql_transaction_is_named(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            with pytest.raises(DBAPIError) as caught:
                conn.execute(text("CREATE TABLE t (x int)"))
    finally:
        engine.dispose()
    assert describe_database_error(caught.value) == faults.SERVER_READ_ONLY


@pytest.mark.gui
def test_the_screen_shows_the_storage_fault() -> None:
    from ketalog.ui.core.context import refusal_text

    full = _wrapped(sqlite3.OperationalError("database or disk is full"))
    assert refusal_text(full) == faults.DISK_FULL
    assert refusal_text(_wrapped(sqlite3.OperationalError("something new"))) == (
        faults.GENERIC_SAVE_FAILURE)
