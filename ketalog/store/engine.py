"""The engine: one SQLite file by default, or a shared PostgreSQL server.

The engine factory is the one place that knows database dialect details:
SQLite gets WAL, ``synchronous=FULL`` and foreign keys on every connection, and
real transactions (``BEGIN IMMEDIATE`` issued by us, so each unit of work reads
and writes under one lock); PostgreSQL URLs are routed to psycopg 3. Read-only
work goes through :func:`reading_engine`: a snapshot that never takes the write
lock on SQLite, a read-only transaction on PostgreSQL.

Its neighbours: ``store.connection`` (the settings a dialog edits, the connection
test), ``store.connectivity`` (a lost server told from a refusal) and
``services.database`` (the workstation's database, opened ready to use).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from ketalog.store import encryption
from ketalog.store.errors import DatabaseConfigError as DatabaseConfigError
from ketalog.store.errors import NoDatabase, WriteInReadOnlyWork
from ketalog.store.faults import sqlite_file_problem
from ketalog.store.files import make_private_folder, make_sqlite_files_private, private_umask
from ketalog.store.workstation import ENV_DATABASE_URL as ENV_DATABASE_URL
from ketalog.store.workstation import load_workstation_config

DEFAULT_FILENAME = "ketalog.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"

#: File systems on which SQLite's locking is unreliable (SQLite FAQ 5).
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "afs", "9p", "ncpfs", "davfs",
     "fuse.sshfs", "sshfs", "fuse.rclone", "glusterfs", "ceph", "afpfs", "webdav"}
)


def default_database_path() -> Path:
    """Return the SQLite file in the platform's per-user data folder."""
    import platformdirs

    return Path(platformdirs.user_data_path("ketalog", appauthor=False)) / DEFAULT_FILENAME


def resolve_database_url(
    cli_url: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """Pick the database: ``--database-url``, the environment, the workstation file, the default.

    Raises:
        DatabaseConfigError: the workstation file is damaged (never silently
            ignored: the default file would be the wrong database).
    """
    env = os.environ if environ is None else environ
    if cli_url:
        return cli_url
    if env.get(ENV_DATABASE_URL):
        return env[ENV_DATABASE_URL]

    saved = load_workstation_config(env).database_url
    if saved:
        return saved
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


def check_sqlite_file(path: Path) -> encryption.DatabaseKey | None:
    """Refuse a path SQLite cannot safely use, before anything is written there.

    Returns the key of an encrypted file (None for a plain or a new one).
    """
    key: encryption.DatabaseKey | None = None
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
            key = encryption.key_for_file(path)  # encrypted: its key, or why there is none
        if header and header != SQLITE_MAGIC and key is None:
            raise DatabaseConfigError(
                f"{path} is not a SQLite database (it may be another kind of file or damaged). "
                "ketalog left it untouched; choose another path or restore a backup."
            )
        # before the first connection: switching a file to WAL already writes to it

        problem = sqlite_file_problem(path, key=key)
        if problem is not None:
            raise DatabaseConfigError(problem)
        encryption.remember_file(path, key)  # not read again while connections hold locks
    else:
        try:

            if not path.parent.exists():  # a new folder holds only ketalog's files
                make_private_folder(path.parent)
        except OSError as exc:
            raise DatabaseConfigError(
                f"Cannot create the folder {path.parent}: {exc.strerror}. "
                "Choose a database path you can write to."
            ) from exc
    return key


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
    def _on_begin(connection: Connection) -> None:
        # Writers: IMMEDIATE takes the write lock up front, so a unit of work that
        # reads then writes can never fail half-way with SQLITE_BUSY_SNAPSHOT
        # because another connection committed in between; writers queue
        # (busy_timeout). Readers (reading_engine): a deferred transaction is a
        # WAL snapshot that never takes the write lock, so a long report cannot
        # make a save wait, and query_only refuses any write made in it.
        reading = is_reading(connection)
        state = connection.connection.info
        if state.get(_QUERY_ONLY, False) != reading:  # a pooled connection keeps the pragma
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if reading else 'OFF'}")
            state[_QUERY_ONLY] = reading
        connection.exec_driver_sql("BEGIN DEFERRED" if reading else "BEGIN IMMEDIATE")


#: The execution option that marks an engine's work as read-only (see reading_engine).
READ_ONLY = "ketalog_read_only"
#: Where a SQLite connection's record keeps whether ``PRAGMA query_only`` is on.
_QUERY_ONLY = "ketalog_query_only"
#: SQLSTATE of PostgreSQL's "cannot execute ... in a read-only transaction".
_PG_READ_ONLY_TRANSACTION = "25006"


def reading_engine(engine: Engine) -> Engine:
    """The same database and pool, for work that only reads: it never makes a save wait.

    On SQLite each transaction begins DEFERRED, a snapshot of the WAL that never
    takes the write lock, with ``PRAGMA query_only`` on for it; on PostgreSQL it
    is READ ONLY and REPEATABLE READ (one consistent snapshot, no write). A
    write attempted in it raises :class:`WriteInReadOnlyWork` on both.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ",
                                        postgresql_readonly=True, **{READ_ONLY: True})
    return engine.execution_options(**{READ_ONLY: True})


def is_reading(bind: Engine | Connection) -> bool:
    """Whether ``bind`` (an engine or one of its connections) does read-only work."""
    return bool(bind.get_execution_options().get(READ_ONLY))


def _refuse_writes_in_read_only_work(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        if context.connection is None or not is_reading(context.connection):
            return None
        original = context.original_exception
        refused = (getattr(original, "sqlstate", None) == _PG_READ_ONLY_TRANSACTION
                   or "attempt to write a readonly database" in str(original))
        if not refused:
            return None
        statement = (context.statement or "").split(None, 1)[:1]
        return WriteInReadOnlyWork(
            f"A {statement[0].upper() if statement else 'write'} was attempted in read-only "
            "work (a list, a report, a check) and refused; nothing was written. This is a "
            "fault in ketalog: please report it.")


def _make_private(path: Path) -> None:
    """Patient data for this account only: umask, the data folder 0700, the files 0600.

    A folder the user chose is left as it is (it may be shared with other
    files); the default data folder is ketalog's own and is made 0700.
    """
    private_umask()
    try:
        if path.parent.resolve() == default_database_path().parent.resolve():
            make_private_folder(path.parent)
        make_sqlite_files_private(path)
    except OSError as exc:
        raise DatabaseConfigError(
            f"Cannot make the database {path} private to this account: {exc.strerror}. "
            "Check that this account owns the file and its folder."
        ) from exc


def require_sqlite_file(path: Path) -> None:
    """Refuse a SQLite path with no database yet (no folder, no file, an empty file).

    Checked before anything else looks at the path: the folder check and
    SQLite's own connect would otherwise create the folder and the file.
    """
    if not path.exists():
        raise NoDatabase(str(path), "" if path.parent.is_dir()
                         else f" (the folder {path.parent} does not exist either)")
    if path.is_file() and path.stat().st_size == 0:
        raise NoDatabase(str(path), " (the file is empty)")


def make_engine(url: str | URL | None = None, *, echo: bool = False,
                create: bool = True, encrypt_new: bool = False) -> Engine:
    """Create the engine for ``url`` (default: resolved from the environment).

    ``create=False`` is for every command but those that create a database:
    a SQLite path with no database file is refused (:class:`NoDatabase`)
    before its folder or file is made.

    An encrypted SQLite file is opened with its key from the key store.
    ``encrypt_new``: a new SQLite clinic is created encrypted when this
    workstation has a key store (the first run, ``ketalog demo``, ``db upgrade``).

    Raises:
        DatabaseConfigError: the URL is malformed, names an unsupported
            database, or points SQLite at a network share or a foreign file.
    """
    parsed = normalise_url(url if url is not None else resolve_database_url())
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None and not create:
            require_sqlite_file(path)
        key: encryption.DatabaseKey | None = None
        new = False
        if path is not None:
            new = not path.exists() or (path.is_file() and path.stat().st_size == 0)
            key = check_sqlite_file(path)
            if key is None and new and encrypt_new:
                key = encryption.new_clinic_key()
            _make_private(path)
            parsed = parsed.set(database=str(path))
        if key is None:
            engine = create_engine(parsed, echo=echo)
        else:
            engine = encryption.keyed_engine(parsed, key, path, echo=echo)
        _configure_sqlite(engine)
        if path is not None and new:
            encryption.remember_when_written(engine, path, key)
        _refuse_writes_in_read_only_work(engine)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": 5, "application_name": "ketalog"}
    engine = create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    _refuse_writes_in_read_only_work(engine)
    return engine


def describe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<malformed URL>"
    return parsed.render_as_string(hide_password=True)


def _quoted_after(text: str, marker: str) -> str | None:
    """The first double-quoted name after ``marker`` in a libpq message."""
    import re

    found = re.search(re.escape(marker) + r'\s*"([^"]*)"', text, flags=re.IGNORECASE)
    return found.group(1) if found else None


def explain_connection_error(  # noqa: C901 - one branch per known driver message
        exc: BaseException, url: str | URL) -> str:
    """Turn a driver error into one line a clinic administrator can act on.

    libpq prefixes every failure with "connection to server at ... failed:";
    what follows decides which of the distinct problems this is: the host
    cannot be reached, the login was refused, the database is missing, the
    server requires (or lacks) TLS, or the server's certificate was not trusted.
    """
    full = str(getattr(exc, "orig", None) or exc).strip()
    text = full.splitlines()[0] if full else ""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        parsed = None
    # shown as the administrator writes it: postgresql://, not postgresql+psycopg://
    where = describe_url(parsed.set(drivername=parsed.get_backend_name()) if parsed else url)
    host = (parsed.host if parsed is not None else None) or "localhost"
    port = (parsed.port if parsed is not None else None) or 5432
    sslmode = str(parsed.query.get("sslmode", "prefer")) if parsed is not None else "prefer"
    lowered = text.lower()
    if "root certificate file" in lowered and "does not exist" in lowered:
        cert = _quoted_after(text, "root certificate file") or "(none given)"
        hint = (f"TLS certificate problem: the root certificate file {cert} does not exist; "
                f"sslmode={sslmode} needs the clinic's CA certificate (sslrootcert) to check "
                "the server, so choose that file")
    elif "could not read root certificate file" in lowered:
        cert = _quoted_after(text, "root certificate file") or ""
        hint = (f"TLS certificate problem: the root certificate file {cert} could not be read; "
                "choose the clinic's CA certificate in PEM format")
    elif "does not match host name" in lowered:
        named = _quoted_after(text, "server certificate for") or "another name"
        hint = (f"TLS certificate problem: the server's certificate is for {named}, not for "
                f"the host name {host}; connect using the name in the certificate, or have the "
                "certificate re-issued for this name")
    elif "certificate verify failed" in lowered or "certificate has expired" in lowered:
        hint = ("TLS certificate problem: the server's certificate could not be verified "
                "against the root certificate given (sslrootcert) or has expired; check that "
                "you have the clinic's CA certificate and that this is really your server")
    elif ("pg_hba.conf" in lowered and "no encryption" in lowered) or "ssl off" in lowered:
        hint = ("TLS required: the server accepts only encrypted connections from here; set "
                "SSL mode to verify-full (recommended) or require")
    elif "server does not support ssl" in lowered:
        hint = (f"TLS required by sslmode={sslmode} but the server does not offer it; switch "
                "on ssl in the server's postgresql.conf, or use sslmode=prefer on a trusted "
                "network only")
    elif "invalid response to ssl negotiation" in lowered or "received invalid response" in lowered:
        hint = (f"something other than PostgreSQL answered at {host}:{port}; check the port "
                "(PostgreSQL listens on 5432 by default)")
    elif ("password authentication failed" in lowered or "authentication failed" in lowered):
        user = _quoted_after(text, "for user") or (parsed.username if parsed else None) or ""
        hint = (f"authentication failed for user {user}; check the user name and password "
                "(passwords are case-sensitive)")
    elif "no password supplied" in lowered:
        hint = ("authentication failed: the server asks for a password and none was given; "
                "enter the password")
    elif lowered.find("role \"") >= 0 and "does not exist" in lowered:
        user = _quoted_after(text, "role") or ""
        hint = (f"authentication failed: the user {user} does not exist on the server; check "
                "the user name or ask the administrator to create it")
    elif "no pg_hba.conf entry" in lowered or "pg_hba.conf rejects" in lowered:
        hint = ("the server does not accept this user and database from this computer; the "
                "server's administrator must allow it in pg_hba.conf")
    elif "does not exist" in lowered and "database" in lowered:
        name = _quoted_after(text, "database") or (parsed.database if parsed else None) or ""
        hint = (f"the database \"{name}\" does not exist on the server; create it "
                f"(createdb -h {host} -O USER {name}) or fix its name")
    elif ("could not translate host name" in lowered or "failed to resolve host" in lowered
          or "name or service not known" in lowered or "nodename nor servname" in lowered):
        hint = (f"the server is unreachable: the host name {host} is unknown; check its "
                "spelling, or use the server's IP address")
    elif ("timeout expired" in lowered or "timed out" in lowered or "timeout" in lowered):
        hint = (f"the server is unreachable: {host}:{port} did not answer in time; check the "
                "network cable or Wi-Fi, the firewall and the host name")
    elif ("connection refused" in lowered or "could not connect" in lowered
          or "no route to host" in lowered or "network is unreachable" in lowered):
        hint = (f"the server is unreachable: nothing accepts connections at {host}:{port}; "
                "check that PostgreSQL is running there and the host name, port and firewall")
    elif "starting up" in lowered or "shutting down" in lowered or "in recovery" in lowered:
        hint = "the server is starting up or shutting down; try again in a minute"
    elif "too many clients" in lowered or "connection slots" in lowered:
        hint = ("the server has no free connection slots; close other programs using it or "
                "ask its administrator to raise max_connections")
    elif "invalid sslmode" in lowered:
        hint = ("the SSL mode is not valid; use disable, allow, prefer, require, verify-ca or "
                "verify-full")
    elif "ssl" in lowered or "tls" in lowered:
        hint = f"TLS problem ({text}); check the SSL mode and the root certificate"
    elif "unable to open database file" in lowered:
        hint = "the SQLite file cannot be opened; check the path and its permissions"
    elif "file is not a database" in lowered or "malformed" in lowered:
        hint = "the file is not a usable SQLite database; restore a backup"
    elif "readonly" in lowered or "read-only" in lowered:
        hint = "the database is read-only; check the file's permissions and free disk space"
    else:
        hint = text or exc.__class__.__name__
    return f"Cannot use the database {where}: {hint}."
