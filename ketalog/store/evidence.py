"""Opening a database only to read it, as evidence: nothing written, nothing created.

``ketalog verify``, ``audit verify`` and ``audit report`` must check a copy
handed to an investigator (a read-only file, in a read-only folder, often
without the -wal and -shm files beside it) and prove it unchanged afterwards
(same SHA-256, no new file beside it). Opening it as the app does would refuse
it, switch it to WAL, upgrade its schema, seed protocols or create -wal/-shm.

How a SQLite file is read (SQLite's URI parameters, sqlite.org/uri.html):

* a -wal and a -shm beside it (a live clinic's file, or a copy taken with
  both): ``mode=ro``, so SQLite reads the entries of the -wal too and takes
  its shared locks against writers meanwhile (``immutable`` would silently
  ignore the -wal). SQLite may update its read marks in a writable -shm: shared
  memory, not data; the database and -wal are not written;
* no -wal, or an empty one, and no -shm: the file alone is the whole database,
  so it is opened ``mode=ro&immutable=1``: no lock, no -wal, no -shm, nothing
  created even in a writable folder. ``immutable`` promises SQLite that nobody
  writes the file meanwhile, which holds for a copy nobody has open (a file
  being written has its -wal and -shm beside it: the case above);
* a -wal with entries but no -shm: SQLite cannot read it without creating the
  -shm beside the evidence, so the file and its -wal are copied into a private
  temporary folder, read there, and the copy deleted afterwards.

A schema that is not the current one is refused, not read: an older schema
would need the upgrade this mode must not make, and the services read only the
current one. On PostgreSQL every transaction of the session is read-only
(``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``): the server itself
refuses any write.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

from ketalog.store import encryption
from ketalog.store.engine import (
    make_engine,
    normalise_url,
    require_sqlite_file,
    resolve_database_url,
    sqlite_path,
)
from ketalog.store.errors import DatabaseConfigError, NoDatabase
from ketalog.store.faults import sqlite_header_problem
from ketalog.store.migrate import HEAD_REVISION, SchemaState, database_place, schema_status


def has_wal_entries(path: Path) -> bool:
    """Whether ``path``-wal holds entries SQLite must read with the file."""
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def cannot_be_written(path: Path) -> bool:
    """Whether the SQLite file at ``path`` or its folder is not to be written.

    Such a file is opened read-only by the commands that only check it, instead
    of being refused: a read-only disk, a file or folder this account may not
    write, or one whose modes allow nobody to write (``chmod 0444``), which
    says so even to an administrator's account that could write it anyway.
    """
    import os
    import stat

    def writable(where: Path) -> bool:
        return (os.access(where, os.W_OK)
                and bool(stat.S_IMODE(where.stat().st_mode) & 0o222))

    return path.is_file() and not (writable(path) and writable(path.parent))


def _read_only_uri(path: Path, *, immutable: bool) -> str:
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    return f"file:{quote(str(path.resolve()))}?{flags}"


def _sqlite_engine(url: URL, path: Path, uri: str,
                   key: encryption.DatabaseKey | None = None) -> Engine:
    """An engine whose every connection opens ``uri`` read-only; its URL stays the file's.

    The URL names the evidence file itself (never a temporary copy) so its audit
    anchor file, beside it, is the one checked. An encrypted copy is opened
    with its key from the key store (SQLCipher), read-only all the same.
    """
    def connect() -> sqlite3.Connection:
        return encryption.connect(uri, key, uri=True, timeout=5,  # type: ignore[no-any-return]
                                  check_same_thread=False)

    if key is None:
        engine = create_engine(url.set(database=str(path)), creator=connect)
    else:
        engine = create_engine(url.set(database=str(path)), creator=connect,
                               module=encryption.driver_module())

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 5000")
            cursor.execute("PRAGMA query_only = ON")  # a write is an error, never a change
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")  # a deferred read: no write lock is asked for

    return engine


def _postgres_engine(url: URL) -> Engine:
    """The server's engine with every transaction of every session read-only."""
    engine = make_engine(url, create=False)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_connection.commit()

    @event.listens_for(engine, "checkout")
    def _still_read_only(dbapi_connection: Any, _record: ConnectionPoolEntry,
                         _proxy: Any) -> None:
        # psycopg's own flag wins over the session's default: a connection that went
        # back to the pool from a reading session was reset to read_only=False, and
        # began READ WRITE from then on, so the flag is set at every checkout
        dbapi_connection.read_only = True

    return engine


def _refuse_schema(engine: Engine) -> None:
    """Refuse anything but a ketalog database at the current schema, in one line."""
    status = schema_status(engine)
    where = database_place(engine)
    if status.state is SchemaState.CURRENT:
        return
    if status.state is SchemaState.EMPTY:
        raise NoDatabase(where, " (the database is empty)")
    if status.state is SchemaState.BEHIND:
        raise DatabaseConfigError(
            f"The database {where} is at schema {status.revision}, older than this ketalog's "
            f"{HEAD_REVISION}; read-only, it cannot be upgraded. Check it with the ketalog "
            "version that wrote it, or upgrade a copy ('ketalog --database-url sqlite:///COPY "
            "db upgrade') and check the copy. Nothing was changed.")
    if status.state is SchemaState.NEWER:
        raise DatabaseConfigError(
            f"The database {where} was written by a newer version of ketalog (schema "
            f"{status.revision}; this version knows up to {HEAD_REVISION}). Check it with "
            "that version; nothing was changed.")
    raise DatabaseConfigError(
        f"The database {where} holds tables that are not ketalog's; nothing was changed. "
        "Choose the ketalog database.")


@contextmanager
def _sqlite_source(path: Path) -> Iterator[tuple[Path, bool]]:
    """The file to open and whether it is immutable; a private copy when SQLite needs one."""
    if Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists():
        yield path, False  # perhaps a live clinic's file: read with its -wal, under locks
        return
    if not has_wal_entries(path):
        yield path, True
        return
    folder = Path(tempfile.mkdtemp(prefix="ketalog-evidence-"))  # 0700: patient data
    try:
        copy = folder / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(f"{path}-wal", f"{copy}-wal")
        yield copy, False
    except OSError as exc:
        raise DatabaseConfigError(
            f"Cannot copy {path} and its -wal file into a private temporary folder to read "
            f"them ({exc.strerror}); nothing was changed. Check that this account may read "
            f"both files and that {folder.parent} has room (or set TMPDIR to a folder that "
            "has).") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def read_only_engine(url: str | URL | None) -> Iterator[Engine]:
    """The database at ``url`` opened only to read, at the current schema; disposed after.

    Raises:
        NoDatabase: nothing is there (no file, an empty file or database).
        DatabaseConfigError: not a ketalog database at the current schema, or
            unreadable; the message says what to do.
    """
    parsed = normalise_url(url if url is not None else resolve_database_url())
    if parsed.get_backend_name() != "sqlite":
        engine = _postgres_engine(parsed)
        try:
            _refuse_schema(engine)
            yield engine
        finally:
            engine.dispose()
        return
    path = sqlite_path(parsed)
    if path is None:
        raise NoDatabase("an in-memory SQLite database")
    require_sqlite_file(path)
    if not path.is_file():
        raise DatabaseConfigError(f"{path} is not a database file (a folder, a device or a "
                                  "pipe); give the path of a ketalog database file.")
    key = encryption.key_for_file(path)  # an encrypted copy: its key, or a one-line refusal
    try:
        problem = None if key is not None else sqlite_header_problem(path)
    except OSError as exc:
        raise DatabaseConfigError(f"Cannot read the database file {path}: "
                                  f"{exc.strerror}.") from exc
    if problem is not None:
        raise DatabaseConfigError(problem)
    with _sqlite_source(path) as (source, immutable):
        engine = _sqlite_engine(parsed, path, _read_only_uri(source, immutable=immutable), key)
        try:
            _refuse_schema(engine)
            yield engine
        finally:
            engine.dispose()
