"""Connection settings as data, and a test that says what is wrong (the engine: store.engine).

The settings dialog and ``ketalog db test`` both edit a :class:`ConnectionSettings`
and turn it into the one URL ketalog stores; ``sslmode`` and ``sslrootcert``
travel as URL query parameters, which psycopg hands to libpq unchanged.
:func:`test_connection` really connects and never raises: a clinic
administrator gets one message naming the problem and how to fix it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ketalog.store import encryption
from ketalog.store.engine import (
    check_sqlite_file,
    describe_url,
    explain_connection_error,
    make_engine,
    network_filesystem,
    normalise_url,
    sqlite_path,
)
from ketalog.store.errors import DatabaseConfigError
from ketalog.store.guards import check_guards, describe_problems
from ketalog.store.migrate import HEAD_REVISION, schema_status

DatabaseKind = Literal["sqlite", "postgresql"]

#: libpq's SSL modes, weakest first, with what each one protects against.
SSL_MODES: dict[str, str] = {
    "disable": "No encryption. Only for a network you fully control.",
    "allow": "Encrypts only if the server insists; no protection against eavesdropping.",
    "prefer": "Encrypts when the server offers it, without checking who the server is "
              "(PostgreSQL's default).",
    "require": "Always encrypted, but the server's identity is not checked.",
    "verify-ca": "Encrypted; the server's certificate must be signed by the root "
                 "certificate below.",
    "verify-full": "Encrypted; the certificate and the host name are both checked. "
                   "Recommended when the network is not fully trusted.",
}
DEFAULT_SSLMODE = "prefer"
DEFAULT_PORT = 5432
#: Host names that never leave this computer: an unencrypted link is harmless there.
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the database is, as the settings dialog edits it.

    Attributes:
        kind: ``"sqlite"`` (one file on this computer) or ``"postgresql"`` (a server
            shared by several workstations).
        sqlite_path: the SQLite file (kind sqlite).
        host, port, database, user, password: the PostgreSQL server and login.
        sslmode: one of :data:`SSL_MODES`.
        sslrootcert: the clinic's CA certificate (PEM) for verify-ca and verify-full.
        options: other URL query parameters, kept as they were (e.g. ``options``).
    """

    kind: DatabaseKind = "sqlite"
    sqlite_path: str = ""
    host: str = "localhost"
    port: int = DEFAULT_PORT
    database: str = "ketalog"
    user: str = ""
    password: str = ""
    sslmode: str = DEFAULT_SSLMODE
    sslrootcert: str = ""
    options: dict[str, str] = field(default_factory=dict)

    def to_url(self) -> str:
        """The URL ketalog stores, with the password URL-quoted.

        Raises:
            DatabaseConfigError: a required part is missing or the SSL mode is unknown.
        """
        if self.kind == "sqlite":
            if not self.sqlite_path.strip():
                raise DatabaseConfigError("Choose the SQLite database file.")
            return f"sqlite:///{Path(self.sqlite_path.strip()).expanduser()}"
        if not self.host.strip():
            raise DatabaseConfigError("Enter the PostgreSQL server's host name or address.")
        if not self.database.strip():
            raise DatabaseConfigError("Enter the name of the database on the server.")
        if self.sslmode not in SSL_MODES:
            raise DatabaseConfigError(
                f"'{self.sslmode}' is not an SSL mode; use one of {', '.join(SSL_MODES)}."
            )
        if not 0 < self.port < 65536:
            raise DatabaseConfigError(f"{self.port} is not a port number; PostgreSQL uses 5432.")
        login = quote(self.user.strip(), safe="")
        if self.password:
            login += ":" + quote(self.password, safe="")
        host = self.host.strip()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        query: dict[str, str] = {"sslmode": self.sslmode}
        if self.sslrootcert.strip():
            query["sslrootcert"] = str(Path(self.sslrootcert.strip()).expanduser())
        query.update({k: v for k, v in self.options.items() if k not in query})
        return (f"postgresql://{login + '@' if login else ''}{host}:{self.port}/"
                f"{quote(self.database.strip(), safe='')}?{urlencode(query, quote_via=quote)}")

    @classmethod
    def from_url(cls, url: str | URL) -> ConnectionSettings:
        """Read settings back from a URL (``to_url`` and ``from_url`` round-trip).

        Raises:
            DatabaseConfigError: the URL is malformed or not SQLite/PostgreSQL.
        """
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_path(parsed)
            return cls(kind="sqlite", sqlite_path=str(path) if path is not None else "")
        query = {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()}
        sslmode = query.pop("sslmode", DEFAULT_SSLMODE)
        sslrootcert = query.pop("sslrootcert", "")
        return cls(
            kind="postgresql",
            host=parsed.host or "localhost",
            port=parsed.port or DEFAULT_PORT,
            database=parsed.database or "",
            user=parsed.username or "",
            password=parsed.password or "",
            sslmode=sslmode,
            sslrootcert=sslrootcert,
            options=query,
        )

    def with_password(self, password: str) -> ConnectionSettings:
        """A copy with another password (the dialog keeps the rest)."""
        return replace(self, password=password)


@dataclass(frozen=True)
class ConnectionCheck:
    """What a connection test found.

    Attributes:
        ok: ketalog can use this database (reachable, and its schema is empty,
            current or older); False also for a newer or foreign database.
        message: one or two sentences for the administrator.
        server_version: the server's ``SELECT version()`` (PostgreSQL) or the
            SQLite library version; None when nothing answered.
        schema_state: ``empty``, ``current``, ``behind``, ``newer`` or
            ``foreign`` (ketalog.store.migrate.SchemaState); None when unknown.
        encrypted: whether the link to the server uses TLS; None for SQLite and
            when no connection was made.
    """

    ok: bool
    message: str
    server_version: str | None = None
    schema_state: str | None = None
    encrypted: bool | None = None


def test_connection(target: ConnectionSettings | str, timeout_s: float = 5) -> ConnectionCheck:  # noqa: PT028 - not a pytest test
    """Connect to the database as ketalog would and report what was found; never raises.

    Nothing is created or changed: the schema is only read.
    """
    try:
        url = target.to_url() if isinstance(target, ConnectionSettings) else target
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            return _test_sqlite(parsed)
        sslmode = str(parsed.query.get("sslmode", DEFAULT_SSLMODE))
        if sslmode not in SSL_MODES:
            return ConnectionCheck(False, f"'{sslmode}' is not an SSL mode; use one of "
                                   f"{', '.join(SSL_MODES)}.")
        return _test_postgres(parsed, timeout_s)
    except DatabaseConfigError as exc:
        return ConnectionCheck(False, str(exc))
    except Exception as exc:  # the promise is "never raises": say what happened instead
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return ConnectionCheck(False, "The connection test failed unexpectedly: "
                               f"{type(exc).__name__}: {first_line}")


# keep pytest from collecting the function above when a test module imports it
test_connection.__test__ = False  # type: ignore[attr-defined]


def _schema_words(state: str, revision: str | None, *, sqlite: bool) -> tuple[bool, str]:
    """Whether ketalog can use a database in ``state``, and that state in plain words."""
    if state == "empty":
        return True, "It holds no tables yet; ketalog will create them at its next start."
    if state == "current":
        return True, f"It holds ketalog data, schema {revision} (up to date)."
    if state == "behind":
        backup = ("ketalog backs up the file first" if sqlite
                  else "take a backup with pg_dump first")
        return True, (f"It holds ketalog data from an older version (schema {revision}); "
                      f"ketalog will upgrade it to {HEAD_REVISION} at its next start "
                      f"({backup}).")
    if state == "newer":
        return False, (f"It was written by a newer version of ketalog (schema {revision}); "
                       "update ketalog on this workstation before using it.")
    return False, ("It holds tables that are not ketalog's; ketalog will not touch it. "
                   "Choose another database (or, for PostgreSQL, an empty one).")


def _test_sqlite(url: URL) -> ConnectionCheck:
    import sqlite3

    path = sqlite_path(url)
    if path is None:
        return ConnectionCheck(True, "An in-memory database: everything is lost when "
                               "ketalog closes (for tests only).",
                               f"SQLite {sqlite3.sqlite_version}", "empty")
    fs = network_filesystem(path)
    key = None
    if fs is not None or path.exists() or path.parent.is_dir():
        # nothing is created here: the folder exists, so the check only reads
        try:
            key = check_sqlite_file(path)
        except DatabaseConfigError as exc:
            return ConnectionCheck(False, str(exc), None, _refused_state(str(exc)))
    if not path.exists():
        existing = next((p for p in path.parents if p.exists()), None)
        if existing is None or not os.access(existing, os.W_OK | os.X_OK):
            return ConnectionCheck(False, f"The file {path} cannot be created: no permission "
                                   f"to write in {existing or path.parent}. Choose a folder "
                                   "you can write to.")
        return ConnectionCheck(True, f"The file {path} does not exist yet; ketalog will "
                               "create a new, empty database there at its next start.",
                               f"SQLite {sqlite3.sqlite_version}", "empty")
    if not os.access(path, os.R_OK | os.W_OK):
        return ConnectionCheck(False, f"The file {path} exists but this user cannot write to "
                               "it; check its permissions.", None, None)
    # read-only and without ketalog's pragmas: testing must not switch a file to WAL
    read_only = URL.create("sqlite", database=f"file:{quote(str(path))}",
                           query={"mode": "ro", "uri": "true"})
    engine = (create_engine(read_only) if key is None
              else encryption.keyed_engine(read_only, key, path))
    try:
        status = schema_status(engine)
        guards = _guard_problem(engine, status.state.value)
    except DatabaseConfigError as exc:
        return ConnectionCheck(False, str(exc))
    finally:
        engine.dispose()
    if guards is not None:
        return ConnectionCheck(False, guards, f"SQLite {sqlite3.sqlite_version}",
                               status.state.value)
    usable, words = _schema_words(status.state.value, status.revision, sqlite=True)
    size_mb = path.stat().st_size / 1_000_000
    at_rest = ", encrypted at rest" if key is not None else ""
    return ConnectionCheck(usable, f"SQLite file {path} ({size_mb:.1f} MB{at_rest}). {words}",
                           f"SQLite {sqlite3.sqlite_version}", status.state.value)


def _guard_problem(engine: Engine, state: str) -> str | None:
    """Why a current database's guards do not protect it, or None when they all do."""
    if state != "current":
        return None
    with engine.connect() as conn:
        problems = check_guards(conn)
    return describe_problems(problems) if problems else None


def _refused_state(message: str) -> str | None:
    """The schema state behind a refusal of a SQLite file, when the message names one."""
    lowered = message.lower()
    if "newer version of ketalog" in lowered:
        return "newer"
    if ("not a sqlite database" in lowered or "another program" in lowered
            or "not a ketalog database" in lowered):
        return "foreign"
    return None


def _test_postgres(url: URL, timeout_s: float) -> ConnectionCheck:
    engine = make_engine(url)
    _limit_connect_time(engine, timeout_s)
    shown = url.set(drivername="postgresql")  # as the administrator wrote it
    try:
        try:
            with engine.connect() as conn:
                version = str(conn.exec_driver_sql("SELECT version()").scalar())
                ssl = conn.exec_driver_sql(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
                ).scalar()
            status = schema_status(engine)
            guards = _guard_problem(engine, status.state.value)
        except DBAPIError as exc:
            return ConnectionCheck(False, explain_connection_error(exc, shown))
        except DatabaseConfigError as exc:
            return ConnectionCheck(False, str(exc))
        except SQLAlchemyError as exc:
            return ConnectionCheck(False, explain_connection_error(exc, shown))
    finally:
        engine.dispose()
    encrypted = bool(ssl)
    if guards is not None:
        return ConnectionCheck(False, guards, version, status.state.value, encrypted)
    usable, words = _schema_words(status.state.value, status.revision, sqlite=False)
    short_version = " ".join(version.split()[:2])
    who = f" as {url.username}" if url.username else ""
    return ConnectionCheck(
        usable,
        f"Connected to {short_version} at {url.host or 'localhost'}:{url.port or DEFAULT_PORT}, "
        f"database {url.database}{who}. {words} {_encryption_words(url, encrypted)}",
        version, status.state.value, encrypted,
    )


def _encryption_words(url: URL, encrypted: bool) -> str:
    """Say how well the link is protected, and what to change when it is not."""
    sslmode = str(url.query.get("sslmode", DEFAULT_SSLMODE))
    if encrypted and sslmode == "verify-full":
        return "The connection is encrypted; the server's certificate and name were verified."
    if encrypted and sslmode == "verify-ca":
        return ("The connection is encrypted; the server's certificate was verified, but not "
                "its name (verify-full also checks the name).")
    if encrypted:
        return ("The connection is encrypted, but the server's identity was not checked; "
                "use verify-full with the clinic's root certificate if the network is not "
                "fully trusted.")
    if (url.host or "") in LOCAL_HOSTS:
        return "The connection is not encrypted (fine on this computer)."
    return ("The connection is NOT encrypted: anyone on the network could read patient data. "
            "Set the SSL mode to verify-full (or require) unless the network is fully trusted.")


def _limit_connect_time(engine: Engine, timeout_s: float) -> None:
    """Make libpq give up after ``timeout_s`` (whole seconds, at least 1: libpq's unit)."""
    seconds = max(1, round(timeout_s))

    @event.listens_for(engine, "do_connect")
    def _timeout(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["connect_timeout"] = seconds


def describe_settings(settings: ConnectionSettings) -> str:
    """The settings as a URL with the password hidden, for labels and logs."""
    try:
        return describe_url(settings.to_url())
    except DatabaseConfigError as exc:
        return str(exc)
