"""Guards that report themselves: a dropped, disabled or altered guard stops ketalog.

Each attack is the one from issue 14: someone who can write the database
switches a guard off; before, every check still said "OK".
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from ketalog.cli import main
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.guards import GuardsBroken, check_guards, expected_guards
from ketalog.store.models import AuditEntry
from ketalog.store.workstation import ENV_CONFIG_DIR
from tests.staff import password_of


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the real workstation file."""
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "config"))
    monkeypatch.delenv("KETALOG_DATABASE_URL", raising=False)


def _run(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql))


def _problems(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [p.describe() for p in check_guards(conn)]


def _repair(url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
            user: str = "admin", password: str | None = None) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO((password or password_of(user)) + "\n"))
    code = main(["--database-url", url, "db", "repair-guards", "--user", user,
                 "--password-stdin"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_fresh_database_has_every_guard_and_no_problem(engine: Engine) -> None:
    assert _problems(engine) == []
    with engine.connect() as conn:
        assert len(expected_guards(conn.dialect.name)) > 30


def test_a_dropped_trigger_stops_start_up_db_check_and_db_test_naming_it(
        engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name == "sqlite":
        _run(engine, "DROP TRIGGER ketalog_guard_vital_signs_update")
        name = "ketalog_guard_vital_signs_update"
    else:
        _run(engine, "DROP TRIGGER ketalog_guard_vital_signs ON vital_signs")
        name = "ketalog_guard_vital_signs"
    with pytest.raises(GuardsBroken, match=f"{name} on vital_signs is missing"):
        open_database(database_url)
    assert main(["--database-url", database_url, "db", "check"]) == 1
    assert f"{name} on vital_signs is missing" in capsys.readouterr().err
    assert main(["db", "test", "--database-url", database_url]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: " in out and name in out and "repair-guards" in out

    code, said = _repair(database_url, capsys, monkeypatch)
    assert code == 0 and f"Repaired: guard trigger {name} on vital_signs is missing" in said
    assert _problems(engine) == []
    open_database(database_url).dispose()
    assert main(["--database-url", database_url, "db", "check"]) == 0
    with make_sessionmaker(engine)() as db:
        row = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert row is not None and row.action == "guards_repaired"
        assert row.username == "admin" and name in (row.new_value or "")


def test_a_trigger_replaced_by_a_harmless_one_of_the_same_name_is_altered(
        engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _run(engine, "DROP TRIGGER ketalog_guard_audit_log_no_delete")
        _run(engine, "CREATE TRIGGER ketalog_guard_audit_log_no_delete BEFORE DELETE ON "
                     "audit_log WHEN 0 BEGIN SELECT 1; END")
        assert _problems(engine) == [
            "guard trigger ketalog_guard_audit_log_no_delete on audit_log is altered"]
    else:
        _run(engine, "DROP TRIGGER ketalog_guard_audit_log_append_only ON audit_log")
        _run(engine, "CREATE TRIGGER ketalog_guard_audit_log_append_only AFTER INSERT ON "
                     "audit_log FOR EACH ROW EXECUTE FUNCTION ketalog_refuse_change()")
        assert _problems(engine) == [
            "guard trigger ketalog_guard_audit_log_append_only on audit_log is altered"]


@pytest.mark.postgres
def test_a_disabled_trigger_is_named_and_repair_enables_it(
        postgres_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.staff import seed_staff

    engine = open_database(postgres_url)
    seed_staff(engine)
    try:
        _run(engine, "ALTER TABLE notes DISABLE TRIGGER ketalog_guard_notes")
        assert _problems(engine) == ["guard trigger ketalog_guard_notes on notes is disabled"]
        with pytest.raises(GuardsBroken, match="ketalog_guard_notes on notes is disabled"):
            open_database(postgres_url)
        # a trigger that fires only on a replica does not protect this database either
        _run(engine, "ALTER TABLE notes ENABLE REPLICA TRIGGER ketalog_guard_notes")
        assert _problems(engine) == ["guard trigger ketalog_guard_notes on notes is disabled"]
        code, _said = _repair(postgres_url, capsys, monkeypatch)
        assert code == 0 and _problems(engine) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_dropped_guard_function_is_named_and_repair_restores_it_with_its_triggers(
        postgres_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.staff import seed_staff

    engine = open_database(postgres_url)
    seed_staff(engine)
    try:
        _run(engine, "DROP FUNCTION ketalog_refuse_change() CASCADE")
        problems = _problems(engine)
        assert "guard function ketalog_refuse_change() is missing" in problems
        assert ("guard trigger ketalog_guard_audit_log_append_only on audit_log is missing"
                in problems)
        assert main(["--database-url", postgres_url, "db", "check"]) == 1
        assert "ketalog_refuse_change() is missing" in capsys.readouterr().err
        code, said = _repair(postgres_url, capsys, monkeypatch)
        assert code == 0, said
        assert _problems(engine) == []
        with pytest.raises(DBAPIError, match="never changed or deleted"), \
                engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
        # a function rewritten to let everything through is caught too
        _run(engine, "CREATE OR REPLACE FUNCTION ketalog_guard_signed() RETURNS trigger "
                     "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
        assert _problems(engine) == ["guard function ketalog_guard_signed() is altered"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_every_clinical_table_refuses_truncate(postgres_url: str) -> None:
    engine = open_database(postgres_url)
    for table in ("vital_signs", "treatment_sessions", "patients", "dose_verifications"):
        with pytest.raises(DBAPIError, match="never changed or deleted"), \
                engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    engine.dispose()


def test_repair_needs_an_administrators_own_password(
        engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name == "sqlite":
        _run(engine, "DROP TRIGGER ketalog_guard_signatures_insert")
    else:
        _run(engine, "DROP TRIGGER ketalog_guard_signatures_insert ON signatures")
    before = _problems(engine)
    code, said = _repair(database_url, capsys, monkeypatch, password="guess")
    assert code == 1 and "Nothing was changed" in said
    code, said = _repair(database_url, capsys, monkeypatch, user="ada")
    assert code == 1 and "Only an administrator" in said
    assert _problems(engine) == before


@pytest.fixture
def broken_sqlite(tmp_path: Path) -> Path:
    """A SQLite database whose signed-session guard on vitals was dropped."""
    path = tmp_path / "clinic.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    _run(engine, "DROP TRIGGER ketalog_guard_vital_signs_delete")
    engine.dispose()
    return path


@pytest.mark.gui
def test_the_app_start_refuses_with_the_guards_name_in_a_message_box(
        qtbot: object, broken_sqlite: Path) -> None:
    from tests.faults.test_corrupt import app_start_message

    code, message = app_start_message(qtbot, broken_sqlite)
    assert code == 1
    assert "ketalog_guard_vital_signs_delete on vital_signs is missing" in message
    assert "repair-guards" in message


def test_verify_and_audit_verify_still_run_and_warn(
        broken_sqlite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{broken_sqlite}"
    assert main(["--database-url", url, "audit", "verify"]) == 0
    assert "ketalog_guard_vital_signs_delete" in capsys.readouterr().err


def test_every_table_holding_a_sessions_rows_is_guarded_or_says_why_not() -> None:
    """A new table with a session_id fails here until the registry guards it (or says why)."""
    from ketalog.store.guards import (
        APPEND_ONLY,
        SESSION_RECORDS,
        SESSION_ROWS,
        UNLOCKED_SESSION_TABLES,
    )
    from ketalog.store.models import Base

    declared = {*SESSION_ROWS, *APPEND_ONLY, *SESSION_RECORDS, *UNLOCKED_SESSION_TABLES}
    with_session = {t.name for t in Base.metadata.sorted_tables if "session_id" in t.c}
    assert with_session <= declared, with_session - declared
    sqlite_tables = {g.table for g in expected_guards("sqlite")}
    assert with_session - set(UNLOCKED_SESSION_TABLES) <= sqlite_tables
