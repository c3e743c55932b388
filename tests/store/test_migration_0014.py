"""Schema 0014: every clinician act keyed; the rows made before are listed once, write-once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.keyed import load_keys
from ketalog.services.signing import verify_session

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_acts_made_before_0014_are_listed_and_still_verify(tmp_path: Path) -> None:
    copy = tmp_path / "schema_0010.sqlite3"
    shutil.copy(FIXTURES / "schema_0010.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            listed = set(conn.execute(text(
                "SELECT table_name, row_id FROM legacy_keyless_rows")).all())
            # the attestation, both dose checks, the alert acknowledgment and the addendum
            assert listed == {("signatures", 1), ("dose_verifications", 1),
                              ("dose_verifications", 2), ("alert_acknowledgments", 1),
                              ("addenda", 1)}
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                conn.execute(text("INSERT INTO legacy_keyless_rows (table_name, row_id) "
                                  "VALUES ('addenda', 2)"))
            conn.rollback()
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                conn.execute(text("DELETE FROM legacy_keyless_rows"))
        with make_sessionmaker(engine)() as db:
            check = verify_session(db, 2)
            assert check.intact and not check.invalid_reasons, check.invalid_reasons
    finally:
        engine.dispose()


def test_a_keyless_act_not_on_the_list_does_not_verify(tmp_path: Path) -> None:
    copy = tmp_path / "schema_0010.sqlite3"
    shutil.copy(FIXTURES / "schema_0010.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with engine.begin() as conn:  # an addendum written by SQL after the upgrade
            conn.execute(text(
                "INSERT INTO addenda (session_id, author_id, written_at_utc, reason, text, "
                "created_at_utc) VALUES (2, 3, '2026-11-22 09:00:00.000000', 'correction', "
                "'BP was fine.', '2026-11-22 09:00:00.000000')"))
        with make_sessionmaker(engine)() as db:
            check = verify_session(db, 2)
        assert not check.intact
        assert check.invalid_reasons == (
            "addendum 2 by Ada Lindqvist, MD at 2026-11-22 09:00 UTC was not made with Ada "
            "Lindqvist, MD's key (it was written without their password)",)
    finally:
        engine.dispose()


def test_a_keys_creation_is_found_through_the_partial_index(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with make_sessionmaker(engine)() as db:
            load_keys(db, [1])  # compiles the query the plan is asked for
            statement = str(db.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT (SELECT new_value FROM audit_log WHERE action = "
                "'key_created' AND table_name = 'user_keys' AND row_id = user_keys.id "
                "ORDER BY id LIMIT 1) FROM user_keys WHERE user_keys.id = 1").all())
        assert "ix_audit_log_key_created" in statement, statement
    finally:
        engine.dispose()
