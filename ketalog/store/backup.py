"""Backups: a consistent copy of the database now, a daily one at start-up, and restore.

SQLite copies go through SQLite's online backup API, so a backup taken while
the app is writing (WAL mode) holds every committed row and never a torn
page; each copy is written beside its target, checked with ``PRAGMA
integrity_check`` and only then renamed into place. Restore refuses anything
that is not a readable ketalog database of a schema this version knows, and
keeps the database it replaces. PostgreSQL goes through ``pg_dump`` and
``pg_restore`` (see :mod:`ketalog.store.pg_backup`).
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from ketalog.store import encryption
from ketalog.store.anchors import (
    TRAIL_END_SQL,
    AnchorReason,
    anchor_file_path,
    anchor_of,
    append_anchor,
)
from ketalog.store.backup_files import (
    PARTIAL_PREFIX,
    PARTIAL_SUFFIX,
    PG_ARCHIVE_MAGIC,
    REQUIRED_TABLES,
    check_backup_target,
    read_header,
    refuse_unknown_revision,
)
from ketalog.store.backup_files import BackupInfo as BackupInfo
from ketalog.store.backup_files import RestoreInfo as RestoreInfo
from ketalog.store.engine import (
    ENV_DATABASE_URL,
    SQLITE_MAGIC,
    describe_url,
    network_filesystem,
    normalise_url,
    sqlite_path,
)
from ketalog.store.errors import BackupError as BackupError
from ketalog.store.errors import DatabaseConfigError
from ketalog.store.files import make_private_folder
from ketalog.store.pg_backup import pg_backup, pg_restore_archive

#: How many automatic daily backups are kept.
KEEP_DAILY = 14
#: The folder, beside the database file, that holds the automatic backups.
BACKUP_FOLDER_NAME = "backups"
#: A partial copy older than this is left over from a crash and may be removed.
STALE_PARTIAL_S = 3600.0

#: An automatic backup's name after its database's file stem: "<stem>-YYYY-MM-DD.sqlite3".
_AUTOMATIC_DATE = r"-(\d{4}-\d{2}-\d{2})\.sqlite3"
_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupFile:
    """One automatic backup in the backups folder."""

    path: Path
    taken_on: date  # the workstation's local date, from the file name
    size_bytes: int


@dataclass(frozen=True)
class DailyBackupResult:
    """What the start-up backup did: took one, had nothing to do, or failed (never raised)."""

    taken: BackupFile | None
    skipped_reason: str | None
    error: str | None
    in_progress: bool = False  # being written in the background right now

    @property
    def message(self) -> str:
        """One line for the settings dialog or a status bar."""
        if self.error:
            return self.error
        if self.in_progress:
            return "Today's automatic backup is being written."
        if self.taken is not None:
            return (f"Today's automatic backup was saved as {self.taken.path} "
                    f"({human_size(self.taken.size_bytes)}).")
        return self.skipped_reason or ""


_last_daily: DailyBackupResult | None = None
_daily_lock = threading.Lock()


def last_daily_result() -> DailyBackupResult | None:
    """The outcome of this process's start-up backup check (None before it ran)."""
    with _daily_lock:
        return _last_daily


def _remember(result: DailyBackupResult) -> DailyBackupResult:
    global _last_daily
    with _daily_lock:
        _last_daily = result
    return result


def human_size(size_bytes: int) -> str:
    """A file size as people read it: 812 KiB, 3.4 MiB."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    value = size_bytes / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- daily backups


def backup_folder(database_path: Path) -> Path:
    """The folder of automatic backups: ``backups`` beside the database file."""
    return Path(database_path).expanduser().parent / BACKUP_FOLDER_NAME


def automatic_backup_path(database_path: Path, day: date) -> Path:
    """Where the automatic backup of ``day`` lives: named after the database and the day.

    Two databases in one folder ("ketalog.sqlite3" and "training.sqlite3") share the
    backups folder, so the name says whose backup it is ("training-2026-11-21.sqlite3");
    otherwise the first one's backup would stand for both every day.
    """
    stem = Path(database_path).expanduser().stem
    return backup_folder(database_path) / f"{stem}-{day.isoformat()}.sqlite3"


def list_automatic_backups(database_path: Path) -> list[BackupFile]:
    """This database's automatic backups, newest first; other files are not listed.

    Another database's backups in the same folder are not this one's: the date
    must follow this database's own stem directly, and dates have a fixed length,
    so no other stem's backup can match.
    """
    found: list[BackupFile] = []
    pattern = re.compile(re.escape(Path(database_path).expanduser().stem) + _AUTOMATIC_DATE)
    try:
        entries = list(os.scandir(backup_folder(database_path)))
    except OSError:
        return []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            taken_on = date.fromisoformat(match.group(1))
            if not entry.is_file():
                continue
            size = entry.stat().st_size
        except (ValueError, OSError):
            continue
        found.append(BackupFile(Path(entry.path), taken_on, size))
    found.sort(key=lambda b: b.taken_on, reverse=True)
    return found


def _database_file(database: Engine | URL | str | Path) -> Path | str | None:
    """The SQLite file behind ``database``; None for in-memory; the URL text for PostgreSQL."""
    if isinstance(database, Path):
        return database.expanduser()
    url = database.url if isinstance(database, Engine) else normalise_url(database)
    if url.get_backend_name() != "sqlite":
        return describe_url(url)
    return sqlite_path(url)


def _postgres_skip() -> str:
    return ("PostgreSQL databases get no automatic backup from the workstations: back up on "
            "the server (pg_dump or the server's own backups), or run 'ketalog backup FILE'.")


def daily_backup_due(database: Engine | URL | str | Path, *, today: date) -> bool:
    """Whether :func:`daily_backup` would take a backup: one file check, no database access."""
    try:
        path = _database_file(database)
    except DatabaseConfigError:
        return False
    if not isinstance(path, Path) or not path.is_file():
        return False
    return not automatic_backup_path(path, today).exists()


def daily_backup(database: Engine | URL | str | Path, *, today: date,
                 keep: int = KEEP_DAILY) -> DailyBackupResult:
    """Back up the SQLite file once per local day and keep the newest ``keep`` such backups.

    Cheap when today's backup exists (one ``stat``). Never raises: a failure
    (disk full, folder not writable) comes back as ``error``, a message the
    app shows without stopping. The result is also kept for
    :func:`last_daily_result`.
    """
    try:
        result = _daily_backup(database, today=today, keep=keep)
    except Exception as exc:  # anything at all: a backup must never stop the app starting
        result = DailyBackupResult(None, None, f"Today's automatic backup failed unexpectedly "
                                   f"({type(exc).__name__}: {exc}). ketalog works normally; "
                                   "run 'ketalog backup FILE' to take one by hand.")
    return _remember(result)


def _daily_backup(database: Engine | URL | str | Path, *, today: date,
                  keep: int) -> DailyBackupResult:
    try:
        path = _database_file(database)
    except DatabaseConfigError as exc:
        return DailyBackupResult(None, None, str(exc))
    if isinstance(path, str):
        return DailyBackupResult(None, _postgres_skip(), None)
    if path is None:
        return DailyBackupResult(None, "An in-memory database has no file to back up.", None)
    target = automatic_backup_path(path, today)
    if target.exists():
        return DailyBackupResult(None, f"Today's automatic backup already exists ({target}).",
                                 None)
    if not path.is_file():
        return DailyBackupResult(None, f"There is no database file at {path} yet.", None)
    folder = target.parent
    try:
        make_private_folder(folder)
        _remove_stale_partials(folder)
        source = _open_existing(path)
        try:
            _copy_into_new_file(source, target, source_name=path)
            _anchor_trail(source, path)
        finally:
            source.close()
        taken = BackupFile(target, today, target.stat().st_size)
    except _errors(OSError, BackupError) as exc:
        return DailyBackupResult(None, None, _daily_failure(folder, exc))
    removed_error = _rotate(path, keep)
    return DailyBackupResult(taken, None, removed_error)


def _errors(*others: type[Exception]) -> tuple[type[Exception], ...]:
    """``others`` and the errors of the database drivers (plain or encrypted files)."""
    return (*others, *encryption.driver_errors())


def _anchor_trail(source: sqlite3.Connection, database_path: Path) -> None:
    """Anchor the audit trail as the backup holds it; a failure leaves the backup standing.

    ``ketalog audit verify`` anchors it anyway, and a backup must never fail for this.
    """
    try:
        row = source.execute(TRAIL_END_SQL).fetchone()
        anchor = anchor_of(row, at=datetime.now(UTC), reason=AnchorReason.BACKUP)
        target = anchor_file_path(f"sqlite:///{database_path}")
        if target is not None:
            append_anchor(target, anchor)
    except _errors(OSError):
        pass


def _daily_failure(folder: Path, exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, BackupError) and exc.__cause__ else exc
    if isinstance(cause, BackupError):  # a refusal (e.g. integrity) says what to do itself
        return (f"Today's automatic backup was not kept: {cause} ketalog works normally and "
                "tries again at the next start.")
    reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    lowered = reason.lower()
    errno_value = cause.errno if isinstance(cause, OSError) else None
    if errno_value in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or "full" in lowered:
        fix = "Free some disk space."
    elif "disk i/o error" in lowered:
        fix = "Free some disk space and check the disk."
    elif errno_value in (errno.EACCES, errno.EPERM, errno.EROFS) or "read-only" in lowered \
            or "readonly" in lowered or "permission" in lowered:
        fix = f"Make the folder {folder} writable."
    elif errno_value in (errno.ENOTDIR, errno.EEXIST):
        fix = f"Move the file named {folder} out of the way so the folder can be created."
    else:
        fix = f"Check that the folder {folder} is writable and the disk has free space."
    return (f"Today's automatic backup could not be written to {folder}: {reason.rstrip('.')}. "
            f"{fix} ketalog works normally and tries again at the next start.")


def _rotate(database_path: Path, keep: int) -> str | None:
    """Delete automatic backups beyond the newest ``keep``; an error message, or None."""
    for old in list_automatic_backups(database_path)[max(keep, 1):]:
        try:
            old.path.unlink()
        except OSError as exc:
            return (f"Today's backup was taken, but the old backup {old.path} could not be "
                    f"deleted: {exc.strerror}. Delete it by hand to free the space.")
    return None


def _remove_stale_partials(folder: Path) -> None:
    """Remove unfinished copies a crash left behind (only ours, only old ones)."""
    cutoff = time.time() - STALE_PARTIAL_S
    for entry in os.scandir(folder):
        if entry.name.startswith(PARTIAL_PREFIX) and PARTIAL_SUFFIX in entry.name:
            try:
                if entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink()
            except OSError:
                pass


def start_daily_backup(database: Engine | URL | str | Path, *, today: date,
                       keep: int = KEEP_DAILY) -> threading.Thread | None:
    """Run :func:`daily_backup` off the GUI thread when one is due; return the thread.

    The check is one ``stat``; when no backup is due, the result is recorded
    at once and None is returned. The thread is not a daemon: quitting the
    app waits for a backup under way rather than leave it half-written.
    """
    if not daily_backup_due(database, today=today):
        daily_backup(database, today=today, keep=keep)
        return None
    _remember(DailyBackupResult(None, None, None, in_progress=True))
    worker = threading.Thread(target=daily_backup, args=(database,),
                              kwargs={"today": today, "keep": keep},
                              name="ketalog-daily-backup", daemon=False)
    try:
        worker.start()
    except RuntimeError as exc:  # no thread to be had: skip today's, never stop the start
        _remember(DailyBackupResult(None, None, f"Today's automatic backup could not be "
                                    f"started ({exc}). ketalog works normally; run 'ketalog "
                                    "backup FILE' to take one by hand."))
        return None
    return worker


# --------------------------------------------------------------------------- backup and restore


def backup_database(url: str | URL, target: Path) -> BackupInfo:
    """Write a checked backup of the database at ``url`` to ``target`` (complete or not at all).

    SQLite: a copy made with the online backup API; PostgreSQL: a
    ``pg_dump --format=custom`` archive.

    Raises:
        BackupError: the database cannot be backed up, or the file not written.
    """
    try:
        parsed = normalise_url(url)
    except DatabaseConfigError as exc:
        raise BackupError(str(exc)) from exc
    target = Path(target).expanduser()
    if parsed.get_backend_name() != "sqlite":
        return pg_backup(parsed, target)
    path = sqlite_path(parsed)
    if path is None:
        raise BackupError("An in-memory database cannot be backed up; give a database file "
                          f"with --database-url or {ENV_DATABASE_URL}.")
    if not path.is_file():
        raise BackupError(f"There is no database file at {path}, so there is nothing to back up. "
                          f"Check --database-url or {ENV_DATABASE_URL}.")
    _refuse_same_file(path, target, "write the backup over the database itself")
    source = _open_existing(path)
    try:
        revision = _copy_into_new_file(source, target, source_name=path)
    finally:
        source.close()
    return BackupInfo(target, target.stat().st_size, revision, str(path))


def restore_database(url: str | URL, source: Path) -> RestoreInfo:
    """Replace the database at ``url`` with the backup ``source``.

    Refuses, changing nothing, a file that is not a ketalog backup, a backup
    of a newer schema than this version knows, and a damaged one. A SQLite
    database is kept beside itself as ``<stem>.before-restore-<UTC>.sqlite3``.

    Raises:
        BackupError: the restore was refused or failed; the message says why.
    """
    try:
        parsed = normalise_url(url)
    except DatabaseConfigError as exc:
        raise BackupError(str(exc)) from exc
    source = _existing_file(Path(source).expanduser())
    if parsed.get_backend_name() != "sqlite":
        return pg_restore_archive(parsed, source)
    path = sqlite_path(parsed)
    if path is None:
        raise BackupError("Cannot restore into an in-memory database; give a database file "
                          f"with --database-url or {ENV_DATABASE_URL}.")
    _refuse_same_file(path, source, "restore the database over itself")
    header = read_header(source)
    if header.startswith(PG_ARCHIVE_MAGIC):
        raise BackupError(f"{source} is a PostgreSQL backup (pg_dump archive); restore it into a "
                          "PostgreSQL database (--database-url postgresql://USER@HOST/DATABASE). "
                          "Nothing was changed.")
    if not header.startswith(SQLITE_MAGIC) and not encryption.is_encrypted_file(source):
        raise BackupError(f"{source} is not a ketalog backup: it is not a SQLite database file. "
                          "Choose a file written by 'ketalog backup' or one from the backups "
                          f"folder {backup_folder(path)}. Nothing was changed.")
    _check_restore_target(path)
    backup = _open_backup_file(source)
    try:
        revision = inspect_sqlite(backup, source, kind="backup")
        refuse_unknown_revision(revision, source)
        problem = integrity_problem(backup)
        if problem is not None:
            raise BackupError(f"{source} is damaged: it fails SQLite's integrity check "
                              f"({problem}). Choose an older backup; nothing was changed.")
        previous = _replace_sqlite(path, backup, source)
    finally:
        backup.close()
    return RestoreInfo(source, source.stat().st_size, revision, str(path), previous)


# --------------------------------------------------------------------------- SQLite details


def _check_restore_target(path: Path) -> None:
    """Refuse a target SQLite cannot safely use, or a file that is not a database at all.

    Unlike opening the database, a damaged ketalog database is accepted here:
    replacing it is what a restore is for (it is moved aside, not deleted).
    """
    where = network_filesystem(path)
    if where is not None:
        raise BackupError(f"The database file {path} is on {where}. SQLite files must not be "
                          "shared over a network (they get corrupted); restore into a local "
                          "file, or use PostgreSQL for several workstations. Nothing was "
                          "changed.")
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the path of the database file.")
    if path.exists():
        header = read_header(path)
        if (header and not header.startswith(SQLITE_MAGIC)
                and not encryption.is_encrypted_file(path)):
            raise BackupError(f"{path} is not a SQLite database, so ketalog will not overwrite "
                              "it; point --database-url at the ketalog database or at a new "
                              "file. Nothing was changed.")
        return
    try:
        if not path.parent.exists():
            make_private_folder(path.parent)
    except OSError as exc:
        raise BackupError(f"Cannot create the folder {path.parent}: {exc.strerror}. Choose a "
                          "database path you can write to.") from exc


def _existing_file(path: Path) -> Path:
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the backup file itself.")
    if not path.is_file():
        raise BackupError(f"There is no file {path}; check the name. Nothing was changed.")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _refuse_same_file(database: Path, other: Path, what: str) -> None:
    names = {database.resolve()} | {Path(f"{database.resolve()}{s}") for s in _SIDECARS}
    if other.resolve() in names or _same_file(database, other):
        raise BackupError(f"{other} is the database file itself; ketalog will not {what}. "
                          "Choose another file name. Nothing was changed.")


def _file_key(path: Path) -> encryption.DatabaseKey | None:
    """The key of an encrypted file (None: plain); BackupError when this workstation has none."""
    try:
        return encryption.key_for_file(path)
    except DatabaseConfigError as exc:
        raise BackupError(f"{exc} Nothing was changed.") from exc


def _open_existing(path: Path) -> sqlite3.Connection:
    """A connection to an existing database file (never creates one); keyed if encrypted."""
    key = _file_key(path)
    try:
        conn: sqlite3.Connection = encryption.connect(
            f"{path.resolve().as_uri()}?mode=rw", key, uri=True, isolation_level=None)
    except encryption.driver_errors() as exc:
        raise BackupError(f"Cannot open the database {path}: {exc}. Check the path and its "
                          "permissions.") from exc
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _open_backup_file(path: Path) -> sqlite3.Connection:
    """A read-only connection to a backup file that leaves the file and its folder unchanged.

    A file in WAL mode without a ``-wal`` beside it is opened as immutable, so
    SQLite does not create ``-wal``/``-shm`` files next to the user's backup.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    header = read_header(path)
    key = _file_key(path)  # an encrypted backup: its header is not in clear
    in_wal = key is not None or (len(header) >= 20 and header[18] == 2)
    if in_wal and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    try:
        conn: sqlite3.Connection = encryption.connect(uri, key, uri=True, isolation_level=None)
        return conn
    except encryption.driver_errors() as exc:
        raise BackupError(f"Cannot open {path}: {exc}. Nothing was changed.") from exc


def inspect_sqlite(conn: sqlite3.Connection, path: Path, *, kind: str) -> str:
    """The schema revision of a ketalog database; BackupError when it is not one.

    ``kind`` names the file in messages ("backup" or "database").
    """
    try:
        tables = {str(row[0]) for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        rows = [] if missing else conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except encryption.database_errors() as exc:
        raise BackupError(f"{path} is damaged: SQLite cannot read it ({exc}). "
                          + ("Choose an older backup; nothing was changed." if kind == "backup"
                             else "Restore a backup with 'ketalog restore FILE'.")) from exc
    if not tables:
        raise BackupError(f"{path} is an empty SQLite database, not a ketalog {kind}. "
                          "Nothing was changed.")
    if missing:
        holds = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise BackupError(f"{path} is a SQLite database but not a ketalog {kind}: it lacks "
                          f"ketalog's {', '.join(missing)} table{'s' if len(missing) > 1 else ''} "
                          f"(it holds {holds}). Nothing was changed.")
    if len(rows) != 1 or not rows[0][0]:
        raise BackupError(f"{path} is not a ketalog {kind}: it records no schema revision. "
                          "Nothing was changed.")
    return str(rows[0][0])


def integrity_problem(conn: sqlite3.Connection) -> str | None:
    """None when ``PRAGMA integrity_check`` says ok, else its first complaint.

    An encrypted file's pages are checked against their authentication codes
    first (``cipher_integrity_check``): SQLite's own check on a page that fails
    to decrypt says only "SQL logic error".
    """
    if encryption.key_of(conn) is not None:
        damage = encryption.cipher_problems(conn)
        if damage is not None:
            return damage
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except encryption.database_errors() as exc:
        return str(exc)
    problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    if not rows:
        return "no answer"
    if not problems:
        return None
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return problems[0] + more


def _fsync_path(path: Path, *, folder: bool = False) -> None:
    if folder and os.name == "nt":  # pragma: no cover - Windows cannot open a folder
        return
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if folder else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_with_sidecars(path: Path) -> None:
    for name in (str(path), *(f"{path}{s}" for s in _SIDECARS)):
        Path(name).unlink(missing_ok=True)


class DamagedSource(BackupError):
    """The database copied from fails SQLCipher's page authentication: it is damaged."""


def _copy_into_new_file(source: sqlite3.Connection, target: Path, *, source_name: Path,
                        check: bool = True) -> str:
    """Copy ``source`` with the backup API to a temporary file beside ``target``, then rename.

    With ``check`` the copy must be a ketalog database that passes
    ``integrity_check``, or it is deleted and BackupError raised. Returns the
    copy's schema revision ("" without ``check``). The copy uses a rollback
    journal, so it is one self-contained file.
    """
    folder = check_backup_target(target, "ketalog-backup.sqlite3")
    temp: Path | None = None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX,
                                             dir=folder)
        os.close(handle)
        temp = Path(temp_name)
        # an encrypted database's copy is encrypted with the same key (same salt: same clinic)
        dest = encryption.connect(temp, encryption.key_of(source), isolation_level=None)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE").fetchall()
            revision = ""
            if check:
                revision = inspect_sqlite(dest, source_name, kind="database")
                problem = integrity_problem(dest)
                if problem is not None:
                    raise BackupError(
                        f"The copy of {source_name} fails SQLite's integrity check ({problem}), "
                        "so it was not kept: the database itself may be damaged. Restore the "
                        "newest good backup with 'ketalog restore FILE'.")
        finally:
            dest.close()
        _fsync_path(temp)
        os.replace(temp, target)
        temp = None
        _fsync_path(folder, folder=True)
        return revision
    except encryption.codec_errors() as exc:
        key = encryption.key_of(source)
        damage = encryption.cipher_damage(source_name, key) if key is not None else None
        if damage is not None:
            raise DamagedSource(f"{source_name} is damaged ({damage}): restore the newest good "
                                "backup with 'ketalog restore FILE'. Nothing was written.") from exc
        if isinstance(exc, MemoryError):  # SQLCipher's codec error state, not a full memory
            raise
        raise BackupError(f"Could not copy {source_name} to {target}: {exc}. Check the free "
                          "disk space; nothing was written.") from exc
    except OSError as exc:
        raise BackupError(f"Could not write {target}: {exc.strerror or exc}. Check the free disk "
                          "space and the folder's permissions; nothing was written.") from exc
    finally:
        if temp is not None:
            _remove_with_sidecars(temp)


def _previous_copy_name(database: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count():
        suffix = f"-{n}" if n else ""
        candidate = database.with_name(f"{database.stem}.before-restore-{stamp}{suffix}.sqlite3")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def _target_state(database: Path) -> str:
    """'ketalog', 'empty', 'foreign' or 'damaged' for an existing database file.

    An encrypted database whose key this workstation lacks is refused (BackupError),
    not taken for a damaged one.
    """
    _file_key(database)
    try:
        conn = _open_existing(database)
    except BackupError:
        return "damaged"
    try:
        tables = {str(row[0]) for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except encryption.database_errors():
        return "damaged"
    finally:
        conn.close()
    if not tables:
        return "empty"
    return "ketalog" if "alembic_version" in tables else "foreign"


def _move_aside(database: Path, previous: Path) -> None:
    """Rename a damaged database (with its WAL or journal) out of the way."""
    os.replace(database, previous)
    for suffix in ("-wal", "-journal"):
        side = Path(f"{database}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{previous}{suffix}"))
    Path(f"{database}-shm").unlink(missing_ok=True)


def _replace_sqlite(database: Path, backup: sqlite3.Connection, source: Path) -> Path | None:
    """Put the checked backup's content into ``database``; the kept previous copy, if any."""
    if not database.exists() or database.stat().st_size == 0:
        # WAL or journal files without their database would be applied to the new file
        for suffix in _SIDECARS:
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _copy_into_new_file(backup, database, source_name=source)
        return None
    state = _target_state(database)
    if state == "foreign":
        raise BackupError(f"{database} holds tables that are not ketalog's; ketalog will not "
                          "overwrite it. Point --database-url at the ketalog database or at a new "
                          "file. Nothing was changed.")
    previous = _previous_copy_name(database)
    if state != "damaged":
        current = _open_existing(database)
        try:
            _copy_into_new_file(current, previous, source_name=database, check=False)
        except BackupError as exc:
            cause = exc.__cause__
            # "malformed" is a DatabaseError; a full disk or a lock is an OperationalError
            damaged = isinstance(exc, DamagedSource) or (
                cause is not None and encryption.damage_error(cause))
            if not damaged:
                raise BackupError(f"The current database could not be kept before the restore: "
                                  f"{exc} Nothing was changed.") from exc
            state = "damaged"
        finally:
            current.close()
    if state == "damaged":
        try:
            _move_aside(database, previous)
        except OSError as exc:
            raise BackupError(f"The damaged database {database} could not be moved aside: "
                              f"{exc.strerror}. Close ketalog and try again; nothing was "
                              "changed.") from exc
        _copy_into_new_file(backup, database, source_name=source)
        return previous
    _restore_into_live(database, backup, source, previous)
    return previous


def _mixed_encryption(source: Path, database: Path, backup_key: encryption.DatabaseKey | None,
                      database_key: encryption.DatabaseKey | None) -> str:
    """The refusal for a backup whose encryption differs from the database's."""
    if backup_key is None:
        what = "is not encrypted, unlike"
    elif database_key is None:
        what = "is encrypted, unlike"
    else:
        what = "is encrypted with another clinic's key than"
    return (f"{source} {what} the database {database}, so it cannot be restored into it: "
            "restore it into a new file (--database-url sqlite:///NEW-FILE); nothing was "
            "changed.")


def _restore_into_live(database: Path, backup: sqlite3.Connection, source: Path,
                       previous: Path) -> None:
    """Write the backup into the database through SQLite (safe beside open WAL connections)."""
    dest = _open_existing(database)
    try:
        if encryption.key_of(dest) != encryption.key_of(backup):
            previous.unlink(missing_ok=True)
            raise BackupError(_mixed_encryption(source, database, encryption.key_of(backup),
                                                encryption.key_of(dest)))
        try:
            backup.backup(dest)
        except encryption.driver_errors() as exc:
            previous.unlink(missing_ok=True)
            raise BackupError(f"The restore of {source} into {database} failed: {exc}. The "
                              "database was not changed; check the free disk space and close "
                              "ketalog on this computer, then try again.") from exc
        dest.execute("PRAGMA journal_mode = WAL").fetchall()
        dest.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        problem = integrity_problem(dest)
    finally:
        dest.close()
    if problem is not None:
        raise BackupError(f"After the restore, {database} fails SQLite's integrity check "
                          f"({problem}). The database as it was before is kept as {previous}; "
                          "copy it back with ketalog closed, or restore another backup.")
