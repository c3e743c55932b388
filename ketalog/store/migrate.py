"""Schema versions: check on start-up, back up, upgrade, refuse a newer database.

The start-up check reads ``alembic_version`` with one plain query and compares
it to :data:`HEAD_REVISION`, so Alembic (slow to import) loads only when an
upgrade is actually needed. A test keeps the constant equal to Alembic's head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from ketalog.store import encryption
from ketalog.store.engine import explain_connection_error, reading_engine, sqlite_path
from ketalog.store.errors import DatabaseConfigError, NoDatabase
from ketalog.store.files import make_private_file
from ketalog.store.revisions import HEAD_REVISION as HEAD_REVISION
from ketalog.store.revisions import KNOWN_REVISIONS as KNOWN_REVISIONS

if TYPE_CHECKING:
    from alembic.config import Config



class SchemaState(StrEnum):
    """How a database's schema relates to this version of ketalog."""

    EMPTY = "empty"          # nothing there yet: create everything
    CURRENT = "current"      # up to date
    BEHIND = "behind"        # an older ketalog schema: back up, then upgrade
    NEWER = "newer"          # written by a newer ketalog: refuse
    FOREIGN = "foreign"      # tables that are not ketalog's: refuse, never touch


@dataclass(frozen=True)
class SchemaStatus:
    """The schema state with the revision found (None when empty or foreign)."""

    state: SchemaState
    revision: str | None


def alembic_config() -> Config:
    """Alembic's configuration, built in code so no alembic.ini needs to ship."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "ketalog.store:migrations")
    return config


def schema_status(engine: Engine) -> SchemaStatus:
    """Read the schema revision with one cheap query (read-only: it makes no save wait)."""
    try:
        with reading_engine(engine).connect() as conn:
            try:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            except DBAPIError:
                conn.rollback()
                tables = inspect(conn).get_table_names()
                if tables:
                    return SchemaStatus(SchemaState.FOREIGN, None)
                return SchemaStatus(SchemaState.EMPTY, None)
    except DBAPIError as exc:
        raise DatabaseConfigError(explain_connection_error(exc, engine.url)) from exc
    if not rows:
        return SchemaStatus(SchemaState.EMPTY, None)
    revision = str(rows[0][0])
    if revision == HEAD_REVISION:
        return SchemaStatus(SchemaState.CURRENT, revision)
    if revision in KNOWN_REVISIONS:
        return SchemaStatus(SchemaState.BEHIND, revision)
    return SchemaStatus(SchemaState.NEWER, revision)


def backup_sqlite(engine: Engine, label: str) -> Path | None:
    """Copy the SQLite file with the online backup API before a migration."""
    path = sqlite_path(engine.url)
    if path is None or not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-{label}-{stamp}{path.suffix}")

    make_private_file(target)  # patient data: 0600 before a byte is written
    key = encryption.key_for_file(path)  # an encrypted clinic's copy keeps its key
    source = encryption.connect(path, key)
    try:
        dest = encryption.connect(target, key)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def upgrade(engine: Engine) -> None:
    """Apply every pending migration in one transaction.

    On SQLite, batch migrations rebuild tables (copy, drop, rename), which
    foreign-key enforcement would refuse mid-way; enforcement is switched off
    for the migration (it cannot change inside a transaction) and the result
    is checked with ``PRAGMA foreign_key_check`` before it is committed.
    """
    from alembic import command

    config = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseConfigError(
                            f"The upgrade would leave {len(broken)} broken references "
                            f"(first in table {broken[0][0]}); nothing was changed. Restore "
                            "the backup or contact support."
                        )
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def database_place(engine: Engine) -> str:
    """Where the database is, as an administrator writes it: the file, or the URL."""
    if engine.url.get_backend_name() == "sqlite":
        return str(sqlite_path(engine.url) or "an in-memory SQLite database")
    url = engine.url.set(drivername=engine.url.get_backend_name())
    return url.render_as_string(hide_password=True)


def ensure_schema(engine: Engine, *, create: bool = True) -> SchemaStatus:
    """Bring the database to :data:`HEAD_REVISION`, or refuse it with a clear message.

    ``create=False``: an empty database is refused (:class:`NoDatabase`), not
    given a schema; an older ketalog schema is still upgraded (a clinic's own
    database, not a new one). Returns the status found before any upgrade.
    """
    status = schema_status(engine)
    if status.state is SchemaState.CURRENT:
        return status
    if status.state is SchemaState.EMPTY and not create:
        raise NoDatabase(database_place(engine), " (the database is empty)")
    if status.state is SchemaState.NEWER:
        raise DatabaseConfigError(
            f"This database was written by a newer version of ketalog (schema {status.revision}; "
            f"this version knows up to {HEAD_REVISION}). Update ketalog on this workstation; "
            "nothing was changed."
        )
    if status.state is SchemaState.FOREIGN:
        raise DatabaseConfigError(
            f"The database {engine.url.render_as_string(hide_password=True)} holds tables that "
            "are not ketalog's. ketalog left it untouched; point it at an empty database or a "
            "ketalog one."
        )
    if status.state is SchemaState.BEHIND:
        backup_sqlite(engine, f"upgrade-from-{status.revision}")
    try:
        upgrade(engine)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        who = engine.url.username or "this login"
        raise DatabaseConfigError(
            f"The database needs an upgrade to schema {HEAD_REVISION}, which only the owner of "
            f"its tables may run, not {who} (the workstations' least-privilege role). Ask the "
            "administrator to run 'ketalog --database-url postgresql://OWNER@HOST/DATABASE db "
            "upgrade' with the owner role, then 'ketalog db setup-roles' again; nothing was "
            "changed."
        ) from exc
    return status
