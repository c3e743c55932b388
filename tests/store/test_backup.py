"""Backups and restores of real ketalog databases, on SQLite and PostgreSQL.

Every refusal is checked to leave the database byte for byte as it was; the
backup is taken while another connection writes, and a restore goes into a
database whose engine is still open, as it would be beside a running app.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.backup import (
    BackupError,
    automatic_backup_path,
    backup_database,
    backup_folder,
    daily_backup,
    daily_backup_due,
    last_daily_result,
    list_automatic_backups,
    restore_database,
    start_daily_backup,
)
from ketalog.store.engine import make_engine
from ketalog.store.migrate import HEAD_REVISION, SchemaState, schema_status
from ketalog.store.models import AuditEntry, TreatmentSession
from tests.conftest import PG_URL, FakeClock, require_postgres
from tests.helpers.backups import add_session, fingerprint
from tests.play import book
from tests.staff import seed_staff

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2026, 11, 21)


def sessions_in(engine: Engine) -> int:
    with make_sessionmaker(engine)() as db:
        return int(db.scalar(select(func.count()).select_from(TreatmentSession)) or 0)


def sqlite_sessions(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM treatment_sessions").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[str, Engine, Path]]:
    """A SQLite ketalog database with one booked session; its engine stays open (the app)."""
    path = tmp_path / "clinic" / "ketalog.sqlite3"
    url = f"sqlite:///{path}"
    engine = open_database(url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        book(db, FakeClock())
    yield url, engine, path
    engine.dispose()


# --------------------------------------------------------------------------- backup


def test_backup_holds_committed_wal_rows_but_not_an_open_transaction(
        clinic: tuple[str, Engine, Path], tmp_path: Path) -> None:
    url, engine, path = clinic
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # not busy
    raw.close()
    add_session(engine)
    # the second session is committed but still sits in the WAL: the main file lacks it
    assert Path(f"{path}-wal").stat().st_size > 0
    main_only = tmp_path / "main-only.sqlite3"
    shutil.copyfile(path, main_only)
    assert sqlite_sessions(main_only) == 1
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE treatment_sessions SET chair = 'Uncommitted'")
        target = tmp_path / "out" / "backup.sqlite3"
        target.parent.mkdir()
        started = time.perf_counter()
        info = backup_database(url, target)
        assert time.perf_counter() - started < 3  # not blocked by the open write transaction
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (info.path, info.revision) == (target, HEAD_REVISION)
    assert info.size_bytes == target.stat().st_size > 0
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT chair FROM treatment_sessions ORDER BY id").fetchall() == [
            ("Chair 1",), ("Chair 2",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["backup.sqlite3"]
    assert sessions_in(engine) == 2


def test_backup_refuses_missing_database_and_missing_folder(tmp_path: Path,
                                                            clinic: tuple[str, Engine, Path]
                                                            ) -> None:
    url, _engine, path = clinic
    with pytest.raises(BackupError, match="no database file"):
        backup_database(f"sqlite:///{tmp_path / 'nothing.sqlite3'}", tmp_path / "b.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()
    with pytest.raises(BackupError, match="does not exist; create it"):
        backup_database(url, tmp_path / "missing" / "b.sqlite3")
    before = fingerprint(path)
    with pytest.raises(BackupError, match="the database file itself"):
        backup_database(url, path)
    assert fingerprint(path) == before


def test_backup_refuses_a_foreign_database_and_leaves_no_file(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="not a ketalog database"):
        backup_database(f"sqlite:///{foreign}", tmp_path / "b.sqlite3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.sqlite3"]


# --------------------------------------------------------------------------- restore


def test_restore_round_trip_into_an_open_database(clinic: tuple[str, Engine, Path],
                                                  tmp_path: Path) -> None:
    url, engine, path = clinic
    backup = tmp_path / "backup.sqlite3"
    backup_database(url, backup)
    add_session(engine)
    assert sessions_in(engine) == 2
    info = restore_database(url, backup)
    # the app's engine (still open) sees the restored content
    assert sessions_in(engine) == 1
    assert info.revision == HEAD_REVISION and not info.needs_upgrade
    assert info.source == backup and info.size_bytes == backup.stat().st_size
    assert info.previous_copy is not None
    assert info.previous_copy.parent == path.parent
    assert info.previous_copy.name.startswith("ketalog.before-restore-")
    assert info.previous_copy.suffix == ".sqlite3"
    assert sqlite_sessions(info.previous_copy) == 2  # the replaced database, WAL rows included
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    assert not Path(f"{backup}-wal").exists() and not Path(f"{backup}-shm").exists()


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()
    return path


def _empty(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")  # writes the header page, no tables
    conn.close()
    return path


def _newer(path: Path, backup: Path) -> Path:
    shutil.copyfile(backup, path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    return path


def _corrupt(path: Path, backup: Path) -> Path:
    """A valid header and first pages, then garbage over the data pages."""
    data = bytearray(backup.read_bytes())
    page = 4096
    garbage = os.urandom(len(data) - 8 * page)
    data[8 * page:] = garbage
    path.write_bytes(bytes(data))
    return path


REFUSALS = {
    "text": ("is not a ketalog backup: it is not a SQLite database file",
             lambda p, b: (p.write_text("patient list\nJosé Ñúñez\n", encoding="utf-8"), p)[1]),
    "pg archive": ("is a PostgreSQL backup",
                   lambda p, b: (p.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 200), p)[1]),
    "foreign": ("is a SQLite database but not a ketalog backup: it lacks ketalog's",
                lambda p, b: _foreign(p)),
    "empty sqlite": ("is an empty SQLite database", lambda p, b: _empty(p)),
    "newer": (r"made by a newer version of ketalog \(schema 9999; this version knows up to "
              f"{HEAD_REVISION}\\)", _newer),
    "corrupt": ("is damaged", _corrupt),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_restore_refuses_and_changes_nothing(kind: str, clinic: tuple[str, Engine, Path],
                                             tmp_path: Path) -> None:
    url, engine, path = clinic
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    message, make = REFUSALS[kind]
    bad = make(tmp_path / f"{kind.replace(' ', '-')}.bin", good)
    before = fingerprint(path)
    folder_before = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(BackupError, match=message) as refused:
        restore_database(url, bad)
    assert "nothing was changed" in str(refused.value).lower()
    assert fingerprint(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == folder_before
    assert sessions_in(engine) == 1


def test_corrupt_data_pages_fail_the_integrity_check(clinic: tuple[str, Engine, Path],
                                                     tmp_path: Path) -> None:
    """Garbage in one table page only: SQLite still opens it, integrity_check catches it."""
    url, _engine, path = clinic
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    conn = sqlite3.connect(good)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'treatment_sessions'"
                        ).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(good.read_bytes())
    start = (root - 1) * page_size
    data[start + 8:start + page_size] = b"\xa5" * (page_size - 8)
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(bytes(data))
    before = fingerprint(path)
    with pytest.raises(BackupError, match="is damaged: it fails SQLite's integrity check"):
        restore_database(url, bad)
    assert fingerprint(path) == before


def test_restore_refuses_to_overwrite_a_foreign_database(clinic: tuple[str, Engine, Path],
                                                         tmp_path: Path) -> None:
    url, _engine, _path = clinic
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    foreign = _foreign(tmp_path / "recipes.sqlite3")
    before = fingerprint(foreign)
    with pytest.raises(BackupError, match="holds tables that are not ketalog's"):
        restore_database(f"sqlite:///{foreign}", good)
    assert fingerprint(foreign) == before
    assert not list(tmp_path.glob("recipes.before-restore-*"))


def test_restore_an_older_schema_then_the_app_upgrades_it(tmp_path: Path) -> None:
    target = tmp_path / "ketalog.sqlite3"
    url = f"sqlite:///{target}"
    engine = open_database(url)
    engine.dispose()
    info = restore_database(url, FIXTURES / "schema_0004.sqlite3")
    assert info.revision == "0004" and info.needs_upgrade
    check = make_engine(url)
    assert schema_status(check).state is SchemaState.BEHIND
    check.dispose()
    upgraded = open_database(url)
    try:
        assert schema_status(upgraded).state is SchemaState.CURRENT
        assert sessions_in(upgraded) >= 1
    finally:
        upgraded.dispose()


def test_restore_into_a_new_file_ignores_stale_wal(clinic: tuple[str, Engine, Path],
                                                   tmp_path: Path) -> None:
    url, _engine, _path = clinic
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    target = tmp_path / "new" / "ketalog.sqlite3"
    target.parent.mkdir()
    Path(f"{target}-wal").write_bytes(b"\x37\x7f\x06\x82" + os.urandom(5000))  # left behind
    Path(f"{target}-shm").write_bytes(os.urandom(32768))
    info = restore_database(f"sqlite:///{target}", good)
    assert info.previous_copy is None
    assert sqlite_sessions(target) == 1
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def test_restore_over_a_damaged_database_moves_it_aside(clinic: tuple[str, Engine, Path],
                                                        tmp_path: Path) -> None:
    url, engine, path = clinic
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    engine.dispose()
    damaged = bytearray(path.read_bytes())
    damaged[100:4096] = b"\xff" * (4096 - 100)  # the schema page itself
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    path.write_bytes(bytes(damaged))
    info = restore_database(url, good)
    assert info.previous_copy is not None
    assert info.previous_copy.read_bytes() == bytes(damaged)
    assert sqlite_sessions(path) == 1


# --------------------------------------------------------------------------- daily backups


def test_daily_backup_once_a_day(clinic: tuple[str, Engine, Path]) -> None:
    url, engine, path = clinic
    assert daily_backup_due(url, today=TODAY)
    first = daily_backup(engine, today=TODAY)
    assert first.error is None and first.skipped_reason is None
    assert first.taken is not None
    assert first.taken.path == backup_folder(path) / "ketalog-2026-11-21.sqlite3"
    assert first.taken.taken_on == TODAY
    assert first.taken.size_bytes == first.taken.path.stat().st_size
    assert sqlite_sessions(first.taken.path) == 1
    assert last_daily_result() == first
    stamp = first.taken.path.stat().st_mtime_ns
    assert not daily_backup_due(url, today=TODAY)
    again = daily_backup(url, today=TODAY)
    assert again.taken is None and again.error is None
    assert again.skipped_reason is not None and "already exists" in again.skipped_reason
    assert first.taken.path.stat().st_mtime_ns == stamp
    assert [b.path.name for b in list_automatic_backups(path)] == ["ketalog-2026-11-21.sqlite3"]


def test_daily_backup_keeps_the_newest_14_and_nothing_else_is_touched(
        clinic: tuple[str, Engine, Path]) -> None:
    url, _engine, path = clinic
    folder = backup_folder(path)
    folder.mkdir()
    others = ["notes.txt", "ketalog-2020-01-01.sqlite3.txt", "ketalog-manual.sqlite3",
              "clinic-2026-11-01.sqlite3"]
    for name in others:
        (folder / name).write_text("keep me", encoding="utf-8")
    days = [TODAY + timedelta(days=n) for n in range(16)]
    for day in days:
        result = daily_backup(url, today=day)
        assert result.taken is not None and result.error is None
    kept = list_automatic_backups(path)
    assert [b.taken_on for b in kept] == sorted(days[-14:], reverse=True)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(others + [f"ketalog-{d.isoformat()}.sqlite3" for d in days[-14:]])


def test_two_databases_in_one_folder_each_get_their_own_daily_backup(
        clinic: tuple[str, Engine, Path]) -> None:
    """The backups are named after the database (file stem and date): a second database
    beside the first is backed up too, and each keeps and rotates only its own."""
    _url, engine, path = clinic
    other = path.with_name("training.sqlite3")
    second = open_database(f"sqlite:///{other}")
    try:
        seed_staff(second)
        with make_sessionmaker(second)() as db:
            book(db, FakeClock())
        add_session(second)
    finally:
        second.dispose()
    folder = backup_folder(path)
    assert backup_folder(other) == folder

    ours = daily_backup(engine, today=TODAY)
    assert ours.taken is not None and ours.taken.path == folder / "ketalog-2026-11-21.sqlite3"
    theirs = daily_backup(other, today=TODAY)
    assert theirs.error is None and theirs.skipped_reason is None, theirs.message
    assert theirs.taken is not None
    assert theirs.taken.path == folder / "training-2026-11-21.sqlite3"
    assert automatic_backup_path(other, TODAY) == theirs.taken.path
    assert (sqlite_sessions(ours.taken.path), sqlite_sessions(theirs.taken.path)) == (1, 2)

    again = daily_backup(other, today=TODAY)
    assert again.skipped_reason is not None
    assert str(theirs.taken.path) in again.skipped_reason
    assert not daily_backup_due(other, today=TODAY)
    assert [b.path for b in list_automatic_backups(path)] == [ours.taken.path]
    assert [b.path for b in list_automatic_backups(other)] == [theirs.taken.path]

    # rotating one database's backups leaves the other's alone
    for n in range(1, 4):
        assert daily_backup(other, today=TODAY + timedelta(days=n), keep=2).taken is not None
    assert [b.taken_on for b in list_automatic_backups(other)] == [
        TODAY + timedelta(days=3), TODAY + timedelta(days=2)]
    assert [b.path for b in list_automatic_backups(path)] == [ours.taken.path]


def test_daily_backup_when_today_exists_is_fast(clinic: tuple[str, Engine, Path]) -> None:
    url, _engine, _path = clinic
    daily_backup(url, today=TODAY)
    times = []
    for _ in range(200):
        started = time.perf_counter()
        result = daily_backup(url, today=TODAY)
        times.append(time.perf_counter() - started)
    assert result.taken is None and result.error is None
    times.sort()
    assert times[len(times) // 2] < 0.005, f"median {times[len(times) // 2] * 1000:.3f} ms"


def test_daily_backup_failure_is_a_message_not_an_exception(
        clinic: tuple[str, Engine, Path]) -> None:
    url, _engine, path = clinic
    blocker = backup_folder(path)
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    result = daily_backup(url, today=TODAY)
    assert result.taken is None and result.error is not None
    assert str(blocker) in result.error and "works normally" in result.error
    assert last_daily_result() == result
    assert blocker.read_text(encoding="utf-8") == "a file where the folder should be"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and mounts")
def test_daily_backup_into_a_read_only_folder(clinic: tuple[str, Engine, Path]) -> None:
    """Read-only by permissions for a user; for root (whom permissions don't stop), a
    read-only file system mounted on the folder."""
    import subprocess

    url, _engine, path = clinic
    folder = backup_folder(path)
    folder.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                       check=True)
    else:
        folder.chmod(0o555)
    try:
        result = daily_backup(url, today=TODAY)
        assert list(folder.iterdir()) == []
    finally:
        if as_root:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)
    assert result.taken is None and result.error is not None
    assert "writable" in result.error, result.error


_FULL_DISK_SCRIPT = """
import resource, signal, sys
from datetime import date
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from ketalog.store.backup import daily_backup
result = daily_backup(Path(sys.argv[1]), today=date(2026, 11, 21))
print("taken" if result.taken else "not taken")
print(result.error)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE stands in for a full disk")
def test_daily_backup_on_a_full_disk_reports_and_leaves_no_partial_file(
        clinic: tuple[str, Engine, Path]) -> None:
    """A file size limit makes every write past it fail with EFBIG, as a full disk would."""
    _url, engine, path = clinic
    engine.dispose()
    size = path.stat().st_size
    done = subprocess.run([sys.executable, "-c", _FULL_DISK_SCRIPT, str(path), str(size // 4)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    taken, error = done.stdout.splitlines()
    assert taken == "not taken"
    assert "could not be written" in error and "works normally" in error
    assert list(backup_folder(path).iterdir()) == []
    assert sqlite_sessions(path) == 1


def test_start_daily_backup_runs_in_the_background_once(
        clinic: tuple[str, Engine, Path]) -> None:
    url, _engine, path = clinic
    worker = start_daily_backup(url, today=TODAY)
    assert worker is not None
    worker.join(timeout=30)
    result = last_daily_result()
    assert result is not None and result.taken is not None
    assert result.taken.path == automatic_backup_path(path, TODAY)
    assert "saved" in result.message
    assert start_daily_backup(url, today=TODAY) is None
    skipped = last_daily_result()
    assert skipped is not None and skipped.taken is None and skipped.error is None


def test_postgresql_gets_no_automatic_backup() -> None:
    result = daily_backup("postgresql://ketalog@db.clinic.example/ketalog", today=TODAY)
    assert result.taken is None and result.error is None
    assert result.skipped_reason is not None and "PostgreSQL" in result.skipped_reason
    assert "server" in result.skipped_reason


# --------------------------------------------------------------------------- PostgreSQL


def _pg_tools() -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None \
            or shutil.which("psql") is None:
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore, psql) are not installed")


@pytest.mark.postgres
def test_postgresql_round_trip(postgres_url: str, tmp_path: Path) -> None:
    _pg_tools()
    engine = open_database(postgres_url)
    seed_staff(engine)
    try:
        with make_sessionmaker(engine)() as db:
            book(db, FakeClock())
        archive = tmp_path / "clinic.dump"
        info = backup_database(postgres_url, archive)
        assert info.revision == HEAD_REVISION
        assert archive.read_bytes()[:5] == b"PGDMP" and info.size_bytes == archive.stat().st_size
        assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.dump"]
        add_session(engine)
        with engine.begin() as conn:  # as a newer schema revision would add a table
            conn.execute(text("CREATE TABLE added_after_the_backup (id integer)"))
        audit_rows = _audit_count(engine)
        engine.dispose()
        restored = restore_database(postgres_url, archive)
        assert restored.revision == HEAD_REVISION
        assert restored.previous_copy is not None and restored.previous_copy.exists()
        assert sessions_in(engine) == 1
        assert _audit_count(engine) < audit_rows
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('added_after_the_backup')")
                                ).scalar() is None
        # the kept copy holds the state before the restore
        again = restore_database(postgres_url, restored.previous_copy)
        assert again.revision == HEAD_REVISION
        assert sessions_in(engine) == 2
    finally:
        engine.dispose()


def _audit_count(engine: Engine) -> int:
    with make_sessionmaker(engine)() as db:
        return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.mark.postgres
def test_postgresql_restore_refusals_change_nothing(postgres_url: str, tmp_path: Path) -> None:
    _pg_tools()
    engine = open_database(postgres_url)
    seed_staff(engine)
    try:
        with make_sessionmaker(engine)() as db:
            book(db, FakeClock())
        archive = tmp_path / "newer.dump"
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        backup_database(postgres_url, archive)
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))
        add_session(engine)
        sqlite_file = tmp_path / "x.sqlite3"
        conn2 = sqlite3.connect(sqlite_file)
        conn2.execute("CREATE TABLE t (x)")
        conn2.close()
        text_file = tmp_path / "notes.txt"
        text_file.write_text("not a backup", encoding="utf-8")
        for source, message in [(archive, "made by a newer version of ketalog"),
                                (sqlite_file, "is a SQLite backup"),
                                (text_file, "is not a pg_dump archive")]:
            with pytest.raises(BackupError, match=message):
                restore_database(postgres_url, source)
            assert sessions_in(engine) == 2
        assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.dump", "notes.txt",
                                                              "x.sqlite3"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_public_schema_round_trip(tmp_path: Path) -> None:
    """A whole database of its own (ketalog in ``public``), as a clinic server has it."""
    require_postgres()
    _pg_tools()
    from sqlalchemy import create_engine

    name = f"ketalog_backup_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = open_database(url)
        seed_staff(engine)
        with make_sessionmaker(engine)() as db:
            book(db, FakeClock())
        archive = tmp_path / "public.dump"
        backup_database(url, archive)
        add_session(engine)
        engine.dispose()
        restore_database(url, archive)
        assert sessions_in(engine) == 1
        assert schema_status(engine).state is SchemaState.CURRENT
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
