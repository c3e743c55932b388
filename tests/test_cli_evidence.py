"""Checking an evidence copy read-only: ``verify``, ``audit verify``, ``audit report`` (issue 18).

An investigator holds a copy of the clinic's database: a read-only file,
perhaps in a read-only folder, perhaps without its -wal and -shm. The three
commands that check a database accept it (or any database with
``--read-only``) and change nothing: the SHA-256 of every file in its folder
and the folder's listing are the same afterwards (no -wal, -shm, journal or
anchor created), and the output says that nothing was recorded. On PostgreSQL
``--read-only`` runs read-only transactions, so the server refuses any write.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.cli import main
from ketalog.cli.common import NOTHING_RECORDED
from ketalog.store.anchors import anchor_file_path
from ketalog.store.engine import sqlite_path
from ketalog.store.evidence import read_only_engine
from ketalog.store.models import AuditEntry, ClientWrite
from tests.conftest import REQUIRE_POSTGRES, FakeClock
from tests.play import discharged_session, sign
from tests.tamper import tamper

DAY = ("--from", "2000-01-01", "--to", "2099-12-31")


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with its SHA-256: the listing and the content at once."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


@pytest.fixture
def signed_clinic(database_url: str, db: Session, engine: Engine, clock: FakeClock) -> int:
    """A signed session, its trail checked once (so its anchor file holds an anchor)."""
    sid = discharged_session(db, clock)
    sign(db, sid, clock)
    db.rollback()
    assert main(["--database-url", database_url, "audit", "verify"]) == 0
    return sid


def _evidence_copy(database_url: str, engine: Engine, folder: Path) -> Path:
    """The clinic's file and its anchor file copied as an investigator receives them."""
    engine.dispose()  # the last connection closed: the -wal is copied back and removed
    source = sqlite_path(engine.url)
    assert source is not None and not Path(f"{source}-wal").exists()
    folder.mkdir()
    target = folder / source.name
    shutil.copy(source, target)
    anchors = anchor_file_path(database_url)
    assert anchors is not None and anchors.exists()
    shutil.copy(anchors, folder / anchors.name)
    return target


def _check_all(url: str, sid: int, out: Path, capsys: pytest.CaptureFixture[str],
               *flags: str) -> None:
    """verify, audit verify and both kinds of audit report; each says nothing was recorded."""
    assert main(["--database-url", url, "verify", str(sid), *flags]) == 0
    said = capsys.readouterr()
    assert f"Session {sid}: intact. Signed by Ada Lindqvist, MD" in said.out, said
    assert said.out.strip().splitlines()[-1] == NOTHING_RECORDED
    assert main(["--database-url", url, "audit", "verify", *flags]) == 0
    said = capsys.readouterr()
    lines = said.out.strip().splitlines()
    assert lines[0].startswith("Audit trail intact") and "It holds its anchor." in lines[0]
    assert lines[-1] == NOTHING_RECORDED and "Anchored at row" not in said.out, said
    assert main(["--database-url", url, "audit", "report", *DAY, *flags]) == 0
    said = capsys.readouterr()
    assert "Audit trail from 2000-01-01" in said.out and "sign" in said.out
    assert said.out.strip().splitlines()[-1] == NOTHING_RECORDED
    assert main(["--database-url", url, "audit", "report", *DAY, "--csv", str(out),
                 *flags]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == NOTHING_RECORDED
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle))) > 10


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_read_only_flag_changes_nothing_in_a_writable_folder(
        database_url: str, engine: Engine, signed_clinic: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without ``--read-only`` the same commands would make -wal/-shm and a new anchor."""
    copy = _evidence_copy(database_url, engine, tmp_path / "evidence")
    before = fingerprint(copy.parent)
    assert sorted(before) == ["ketalog.sqlite3", "ketalog.sqlite3.audit-anchors.jsonl"]
    _check_all(f"sqlite:///{copy}", signed_clinic, tmp_path / "report.csv", capsys,
               "--read-only")
    assert fingerprint(copy.parent) == before

    # the same command without the flag records its check: the difference is real
    assert main(["--database-url", f"sqlite:///{copy}", "audit", "verify"]) == 0
    assert "Anchored at row" in capsys.readouterr().out
    assert fingerprint(copy.parent) != before


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` with its files 0444 and itself unwritable, as a write-blocked medium is.

    Root ignores file modes, so as root (CI) the folder becomes a tmpfs remounted
    read-only; another account gets the modes alone (0444 files, a 0555 folder).
    """
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    if os.geteuid() != 0:
        for p in folder.iterdir():
            p.chmod(0o444)
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs",
                            str(folder)], capture_output=True, text=True, check=False)
    if mount.returncode != 0:
        if REQUIRE_POSTGRES:
            pytest.fail(f"cannot mount a tmpfs: {mount.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs: {mount.stderr.strip()}")
    try:
        for name, content in files.items():
            (folder / name).write_bytes(content)
            (folder / name).chmod(0o444)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_only_copy_in_a_read_only_folder_is_checked_without_the_flag(
        database_url: str, engine: Engine, signed_clinic: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """It used to be refused: "ketalog must write every entry"."""
    copy = _evidence_copy(database_url, engine, tmp_path / "evidence")
    with read_only_folder(copy.parent):
        before = fingerprint(copy.parent)
        _check_all(f"sqlite:///{copy}", signed_clinic, tmp_path / "report.csv", capsys)
        assert fingerprint(copy.parent) == before
        # the commands that write still refuse it, in one line, as before
        assert main(["--database-url", f"sqlite:///{copy}", "sessions"]) == 1
        err = capsys.readouterr().err.strip()
        assert "is read-only" in err and len(err.splitlines()) == 1
        assert fingerprint(copy.parent) == before


def _copy_with_wal(source: Path, folder: Path, *, shm: bool) -> Path:
    folder.mkdir()
    for suffix in ("", "-wal", *(("-shm",) if shm else ())):
        shutil.copy(f"{source}{suffix}", folder / f"{source.name}{suffix}")
    return folder / source.name


@pytest.mark.parametrize("shm", [True, False], ids=["with -shm", "without -shm"])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_entries_still_in_the_wal_are_read_and_nothing_is_changed(
        database_url: str, db: Session, engine: Engine, clock: FakeClock, tmp_path: Path,
        shm: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """A copy taken while the clinic ran: the signature is only in the -wal beside it."""
    sid = discharged_session(db, clock)
    db.rollback()
    engine.dispose()  # the last connection closed: everything so far is in the main file
    sign(db, sid, clock)  # ...and the signature only in the -wal (the pool keeps it open)
    db.rollback()
    source = sqlite_path(engine.url)
    assert source is not None and Path(f"{source}-wal").stat().st_size > 0

    alone = tmp_path / "file-alone"
    alone.mkdir()
    shutil.copy(source, alone / source.name)
    assert main(["--database-url", f"sqlite:///{alone / source.name}", "verify", str(sid),
                 "--read-only"]) == 2  # the main file alone: not signed yet
    assert [p.name for p in alone.iterdir()] == [source.name]  # no -wal or -shm made

    copy = _copy_with_wal(source, tmp_path / "evidence", shm=shm)
    with read_only_folder(copy.parent):
        before = fingerprint(copy.parent)
        capsys.readouterr()
        assert main(["--database-url", f"sqlite:///{copy}", "verify", str(sid)]) == 0
        out = capsys.readouterr().out
        assert f"Session {sid}: intact" in out and NOTHING_RECORDED in out
        assert main(["--database-url", f"sqlite:///{copy}", "audit", "report", *DAY,
                     "--read-only"]) == 0
        assert "sign" in capsys.readouterr().out
        assert fingerprint(copy.parent) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_older_schema_is_refused_not_upgraded(
        database_url: str, engine: Engine, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    fixture = Path(__file__).parent / "store" / "fixtures" / "schema_0005.sqlite3"
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(fixture, folder / "ketalog.sqlite3")
    before = fingerprint(folder)
    assert main(["--database-url", f"sqlite:///{folder / 'ketalog.sqlite3'}", "audit",
                 "verify", "--read-only"]) == 1
    err = capsys.readouterr().err.strip()
    assert "is at schema 0005, older than this ketalog's" in err and "upgrade a copy" in err
    assert len(err.splitlines()) == 1 and fingerprint(folder) == before


@pytest.mark.parametrize("bad", ["a folder", "not sqlite", "cut short"])
def test_what_is_not_a_database_is_refused_in_one_line(
        bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ketalog.sqlite3"
    if bad == "a folder":
        path.mkdir()
    elif bad == "not sqlite":
        path.write_bytes(b"%PDF-1.7 not a database" * 10)
    else:
        path.write_bytes(b"SQLite format 3\x00" + b"\x10\x00" + b"\x00" * 30)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["--database-url", f"sqlite:///{path}", "audit", "verify", "--read-only"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ketalog: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_write_through_a_read_only_engine_is_refused_by_the_database(
        database_url: str, engine: Engine) -> None:
    """SQLite (query_only) and PostgreSQL (read-only transactions) refuse it themselves."""
    engine.dispose()
    probe = text("INSERT INTO client_writes (request_id, written_at_utc) "
                 "VALUES ('probe', '2026-12-03 06:00:00')")  # a table no guard protects
    with read_only_engine(database_url) as evidence, evidence.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            conn.execute(probe)
        assert ("read-only" in str(refused.value).lower()
                or "readonly" in str(refused.value).lower()), refused.value
        conn.rollback()
        assert conn.scalar(select(func.count()).select_from(ClientWrite)) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_read_only_on_postgresql_records_nothing(
        database_url: str, engine: Engine, signed_clinic: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    anchors = anchor_file_path(database_url)
    assert anchors is not None
    before_anchors = anchors.read_bytes()
    with engine.connect() as conn:
        rows_before = conn.scalar(select(func.count()).select_from(AuditEntry))
    _check_all(database_url, signed_clinic, tmp_path / "report.csv", capsys, "--read-only")
    assert anchors.read_bytes() == before_anchors
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == rows_before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_tampered_copy_is_reported_read_only_with_its_guards_missing(
        database_url: str, engine: Engine, signed_clinic: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The guard check and the chain still report on evidence; nothing is repaired or added."""
    with engine.connect() as conn:
        victim = conn.scalar(select(func.min(AuditEntry.id)))
    tamper(engine, "UPDATE audit_log SET new_value = 'nothing to see' WHERE id = :id",
           id=victim)
    copy = _evidence_copy(database_url, engine, tmp_path / "evidence")
    before = fingerprint(copy.parent)
    capsys.readouterr()
    assert main(["--database-url", f"sqlite:///{copy}", "audit", "verify", "--read-only"]) == 1
    said = capsys.readouterr()
    assert said.err.startswith("ketalog: warning: ") and "guard" in said.err, said.err
    assert f"row {victim}: its content does not match its hash (edited)" in said.out
    assert said.out.strip().splitlines()[-1] == NOTHING_RECORDED
    assert fingerprint(copy.parent) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_nobody_may_write_is_checked_read_only_without_the_flag(
        database_url: str, engine: Engine, signed_clinic: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``chmod 0444`` in a writable folder: read-only for every account, root included."""
    copy = _evidence_copy(database_url, engine, tmp_path / "evidence")
    copy.chmod(0o444)
    before = fingerprint(copy.parent)
    _check_all(f"sqlite:///{copy}", signed_clinic, tmp_path / "report.csv", capsys)
    assert fingerprint(copy.parent) == before
