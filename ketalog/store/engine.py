"""Where the data lives: one SQLite file by default, or a shared PostgreSQL server.

The engine factory is the one place that knows database dialect details:
SQLite gets WAL, ``synchronous=FULL`` and foreign keys on every connection, and
real transactions (``BEGIN IMMEDIATE`` issued by us, so each unit of work reads
and writes under one lock); PostgreSQL URLs are routed to psycopg 3.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

ENV_DATABASE_URL = "KETALOG_DATABASE_URL"
DEFAULT_FILENAME = "ketalog.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"

#: File systems on which SQLite's locking is unreliable (SQLite FAQ 5).
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "9p", "ncpfs", "davfs",
     "fuse.sshfs", "sshfs", "fuse.rclone", "glusterfs", "ceph", "afpfs", "webdav"}
)


class DatabaseConfigError(Exception):
    """The database cannot be used as configured; the message says how to fix it."""


def default_database_path() -> Path:
    """Return the SQLite file in the platform's per-user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_path("ketalog", appauthor=False)) / DEFAULT_FILENAME


def resolve_database_url(
    cli_url: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """Pick the database: ``--database-url``, then the environment, then the default file."""
    env = os.environ if environ is None else environ
    if cli_url:
        return cli_url
    if env.get(ENV_DATABASE_URL):
        return env[ENV_DATABASE_URL]
    return f"sqlite:///{default_database_path()}"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url`` and route PostgreSQL to psycopg 3; refuse anything else."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"'{url}' is not a database URL. Use sqlite:///PATH/ketalog.sqlite3 or "
            "postgresql://USER@HOST:5432/DATABASE."
        ) from exc
    backend = parsed.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise DatabaseConfigError(
        f"ketalog works with SQLite or PostgreSQL, not '{backend}'. "
        "Use sqlite:///PATH or postgresql://USER@HOST/DATABASE."
    )


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).expanduser()


def _mount_table() -> list[tuple[str, str]]:
    try:
        text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mounts.append((parts[1].replace("\\040", " "), parts[2]))
    return mounts


def network_filesystem(path: Path, mounts: Iterable[tuple[str, str]] | None = None) -> str | None:
    r"""Name the network file system ``path`` lies on, or None when it is local.

    Windows UNC paths (``\\\\server\\share``) count as network; on Linux the
    longest matching mount point in ``/proc/mounts`` decides.
    """
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return "a Windows network share"
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0] + "\\"
        if ctypes.windll.kernel32.GetDriveTypeW(drive) == 4:  # DRIVE_REMOTE
            return "a mapped network drive"
        return None
    resolved = str(path.expanduser().resolve(strict=False))
    best: tuple[int, str] | None = None
    for mount_point, fstype in mounts if mounts is not None else _mount_table():
        inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), fstype)
    if best is not None and best[1].lower() in NETWORK_FILESYSTEMS:
        return best[1]
    return None


def check_sqlite_file(path: Path) -> None:
    """Refuse a path SQLite cannot safely use, before anything is written there."""
    fs = network_filesystem(path)
    if fs is not None:
        raise DatabaseConfigError(
            f"The database file {path} is on {fs}. SQLite files must not be shared over "
            "a network (they get corrupted); for several workstations use one PostgreSQL "
            f"server and set {ENV_DATABASE_URL}=postgresql://USER@HOST/DATABASE."
        )
    if path.is_dir():
        raise DatabaseConfigError(f"{path} is a folder; give the path of a database file.")
    if path.exists():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise DatabaseConfigError(
                f"Cannot read the database file {path}: {exc.strerror}."
            ) from exc
        if header and header != SQLITE_MAGIC:
            raise DatabaseConfigError(
                f"{path} is not a SQLite database (it may be another kind of file or damaged). "
                "ketalog left it untouched; choose another path or restore a backup."
            )
        # before the first connection: switching a file to WAL already writes to it
        from ketalog.store.faults import sqlite_file_problem

        problem = sqlite_file_problem(path)
        if problem is not None:
            raise DatabaseConfigError(problem)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseConfigError(
                f"Cannot create the folder {path.parent}: {exc.strerror}. "
                "Choose a database path you can write to."
            ) from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 5000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a unit of work that reads
        # then writes can never fail half-way with SQLITE_BUSY_SNAPSHOT because
        # another connection committed in between. Writers queue (busy_timeout);
        # WAL readers outside a transaction are never blocked.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """Create the engine for ``url`` (default: resolved from the environment).

    Raises:
        DatabaseConfigError: the URL is malformed, names an unsupported
            database, or points SQLite at a network share or a foreign file.
    """
    parsed = normalise_url(url if url is not None else resolve_database_url())
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            check_sqlite_file(path)
            parsed = parsed.set(database=str(path))
        engine = create_engine(parsed, echo=echo)
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5, "application_name": "ketalog"}
    return create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def describe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<malformed URL>"
    return parsed.render_as_string(hide_password=True)


def explain_connection_error(exc: BaseException, url: str | URL) -> str:
    """Turn a driver error into one line a clinic administrator can act on."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else ""
    where = describe_url(url)
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        hint = "authentication failed; check the user name and password"
    elif "does not exist" in lowered and "database" in lowered:
        hint = "the database does not exist; create it or fix its name in the URL"
    elif "connection refused" in lowered or "could not connect" in lowered:
        hint = "the server is unreachable; check that PostgreSQL is running and the host/port"
    elif "timeout" in lowered or "timed out" in lowered:
        hint = "the server did not answer in time; check the network and the host name"
    elif "ssl" in lowered or "tls" in lowered:
        hint = "the server requires TLS or rejected it; check sslmode in the URL"
    elif "unable to open database file" in lowered:
        hint = "the SQLite file cannot be opened; check the path and its permissions"
    elif "file is not a database" in lowered or "malformed" in lowered:
        hint = "the file is not a usable SQLite database; restore a backup"
    elif "readonly" in lowered or "read-only" in lowered:
        hint = "the database is read-only; check the file's permissions and free disk space"
    else:
        hint = text or exc.__class__.__name__
    return f"Cannot use the database {where}: {hint}."
