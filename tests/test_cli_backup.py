"""``ketalog backup FILE`` and ``ketalog restore FILE``, run as an administrator would."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ketalog.cli import main
from ketalog.cli.main import build_parser
from ketalog.services.audit_trail import verify_chain
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.engine import make_engine
from ketalog.store.migrate import HEAD_REVISION
from ketalog.store.models import AuditEntry, TreatmentSession
from tests.conftest import FakeClock
from tests.helpers.backups import add_session, fingerprint
from tests.play import book
from tests.staff import seed_staff

FIXTURES = Path(__file__).parent / "store" / "fixtures"


@pytest.fixture
def clinic(database_url: str, seeded_database: None) -> str:
    """A database with one booked session; the URL (SQLite and PostgreSQL)."""
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    engine = open_database(database_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        book(db, FakeClock())
    engine.dispose()
    return database_url


def _counts(url: str) -> tuple[int, list[str]]:
    """Sessions, and the audit actions, in order."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            sessions = int(db.scalar(select(func.count()).select_from(TreatmentSession)) or 0)
            actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    finally:
        engine.dispose()
    return sessions, actions


def _with_engine(url: str, then: Callable[[Engine], None]) -> None:
    engine = make_engine(url)
    try:
        then(engine)
    finally:
        engine.dispose()


def test_backup_and_restore_commands_are_listed() -> None:
    text = build_parser().format_help()
    assert "backup" in text and "restore" in text


def test_backup_then_restore(clinic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                             ) -> None:
    url = clinic
    target = tmp_path / "clinic-backup.bin"
    assert main(["--database-url", url, "backup", str(target)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert re.fullmatch(
        rf"Backed up \S+ to {re.escape(str(target))} \(\d+(\.\d)? KiB, schema "
        rf"{HEAD_REVISION}\)\.\nAnchored the audit trail at row \d+ \(\d+ rows\)\.\n",
        out.out), out.out
    sessions, actions = _counts(url)
    assert actions[-1] == "backup_taken"
    _with_engine(url, add_session)
    assert _counts(url)[0] == sessions + 1

    assert main(["--database-url", url, "restore", "--yes", str(target)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.startswith(f"Restored {target} (")
    assert "the previous database is kept as" in out.out and out.out.count("\n") == 2
    assert "Anchored the audit trail at row" in out.out.splitlines()[1]
    restored_sessions, restored_actions = _counts(url)
    assert restored_sessions == sessions
    # the backup's own audit row came after the copy; the restore is recorded instead
    assert restored_actions[-1] == "database_restored"
    assert "backup_taken" not in restored_actions
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            assert verify_chain(db).ok
    finally:
        engine.dispose()


def test_restore_needs_confirmation(clinic: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = clinic
    target = tmp_path / "b.sqlite3"
    assert main(["--database-url", url, "backup", str(target)]) == 0
    _with_engine(url, add_session)
    before = _counts(url)
    capsys.readouterr()
    assert main(["--database-url", url, "restore", str(target)]) == 1
    err = capsys.readouterr().err
    assert "not confirmed" in err and "--yes" in err
    assert _counts(url) == before


@pytest.mark.parametrize(("content", "message"), [
    (b"date,patient\n2026-11-21,Nunez\n", "not a ketalog backup"),
    (b"", "not a ketalog backup"),
])
def test_restore_refuses_a_file_that_is_not_a_backup(
        clinic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        content: bytes, message: str) -> None:
    url = clinic
    bad = tmp_path / "export.csv"
    bad.write_bytes(content)
    before = _counts(url)
    assert main(["--database-url", url, "restore", "--yes", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ketalog: ") and message in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert _counts(url) == before


def test_restore_refuses_a_newer_backup_byte_for_byte(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(sqlite_url)
    seed_staff(engine)
    engine.dispose()
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    newer = tmp_path / "newer.sqlite3"
    assert main(["--database-url", sqlite_url, "backup", str(newer)]) == 0
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = fingerprint(path)
    capsys.readouterr()
    assert main(["--database-url", sqlite_url, "restore", "--yes", str(newer)]) == 1
    err = capsys.readouterr().err
    assert "newer version of ketalog (schema 9999" in err and "Update ketalog" in err
    assert fingerprint(path) == before


def test_restore_an_older_backup_says_it_will_be_upgraded(
        sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", sqlite_url, "restore", "--yes",
                 str(FIXTURES / "schema_0004.sqlite3")]) == 0
    out = capsys.readouterr().out
    assert "schema 0004" in out and f"upgrades to {HEAD_REVISION} at its next start" in out
    engine = open_database(sqlite_url)  # the app's next start
    try:
        with make_sessionmaker(engine)() as db:
            assert verify_chain(db).ok
            actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-1] == "database_restored"
    finally:
        engine.dispose()


def test_backup_into_a_missing_folder(clinic: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic, "backup", str(tmp_path / "no" / "b.bin")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()


def test_a_backup_never_replaces_a_device_or_a_link(
        clinic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: 'ketalog backup /dev/null' replaced the device with a regular file."""
    import os
    import stat

    pipe = tmp_path / "pipe.bak"
    os.mkfifo(pipe)
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("not ketalog's")
    link = tmp_path / "link.bak"
    link.symlink_to(theirs)
    for target in (pipe, link):
        assert main(["--database-url", clinic, "backup", str(target)]) == 1
        err = capsys.readouterr().err.strip()
        assert "not a plain file" in err and len(err.splitlines()) == 1, err
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert link.is_symlink() and theirs.read_text() == "not ketalog's"
    left = {p.name for p in tmp_path.iterdir()} - {"link.bak", "pipe.bak", "theirs.txt"}
    assert {name for name in left if not name.startswith("ketalog.sqlite3")} == set()


def test_a_backup_to_a_dash_is_refused(clinic: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert main(["--database-url", clinic, "backup", "-"]) == 1
    err = capsys.readouterr().err.strip()
    assert "standard output" in err and len(err.splitlines()) == 1, err
    assert list(folder.iterdir()) == []
