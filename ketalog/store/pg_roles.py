"""Least privilege on PostgreSQL: an owner role for migrations, an app role for workstations.

Every workstation holds its login's password, so that login must not be able
to switch the guards off. PostgreSQL lets only a table's owner disable or drop
its triggers and drop the guard functions, only a role with TRUNCATE empty a
table, and only a role with UPDATE on a sequence ``setval`` it. The app role
therefore owns nothing and gets exactly what the services use:

- SELECT and INSERT on every table;
- UPDATE except on rows that are never changed (audit trail, signatures,
  addenda, alerts and acknowledgments, the clinic's certificates) and the
  schema version; on those that hold an audit reference (0013), UPDATE of just
  ``audit_id`` and ``audit_sha256``, which their guard lets change only once,
  from empty;
- DELETE only where the services delete (:data:`DELETE_ALLOWED`: housekeeping);
- USAGE on the sequences (``nextval`` for new ids; not ``setval``).

Tables created later by a migration run as the owner get SELECT, INSERT and
UPDATE through default privileges; running ``db setup-roles`` again after an
upgrade applies the finer rules above to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from ketalog.store.errors import RolesError as RolesError
from ketalog.store.guards import (
    APPEND_ONLY,
    COSIGN_COLUMNS,
    FUNCTIONS,
    INSERT_ONLY,
    ORDERS_TABLE,
    SESSION_RECORDS,
    WRITE_ONCE,
)

#: The only tables the services DELETE from (grep ``delete(`` in ketalog/services).
DELETE_ALLOWED: frozenset[str] = frozenset({"session_presence", "client_writes"})
#: Tables whose rows the services never UPDATE.
NO_UPDATE: frozenset[str] = frozenset({*APPEND_ONLY, *SESSION_RECORDS, *WRITE_ONCE,
                                       *INSERT_ONLY, ORDERS_TABLE, "alembic_version"})
#: Columns of a NO_UPDATE table the services do fill in later, once (besides audit references).
LATER_COLUMNS: dict[str, tuple[str, ...]] = {ORDERS_TABLE: COSIGN_COLUMNS}

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class RolesReport:
    """What ``setup_roles`` did."""

    database: str
    schema: str
    owner: str
    app: str
    tables: int


#: ``db setup-roles`` on SQLite, said before the file is even looked at.
NO_ROLES_ON_SQLITE = ("Roles exist only on PostgreSQL; a SQLite file is protected by its file "
                      "permissions.")

def _ident(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise RolesError(f"'{name}' is not usable as a role name: use lower-case letters, "
                         "digits and '_', starting with a letter.")
    return f'"{name}"'


def _literal(conn: Connection, value: str) -> str:
    return str(conn.execute(text("SELECT quote_literal(:v)"), {"v": value}).scalar_one())


def _ensure_role(conn: Connection, name: str, password: str | None) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    verb = "ALTER" if exists else "CREATE"
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    if password:
        options += f" PASSWORD {_literal(conn, password)}"
    conn.exec_driver_sql(f"{verb} ROLE {_ident(name)} {options}")


def setup_roles(conn: Connection, *, owner: str, app: str, owner_password: str | None = None,
                app_password: str | None = None) -> RolesReport:
    """Create or update the two roles and hand out privileges, in the caller's transaction.

    Run as a superuser (or the current owner with CREATEROLE) on a database
    already at ketalog's schema. Idempotent: running it again re-applies the
    privileges, e.g. after an upgrade added tables.
    """
    if conn.dialect.name != "postgresql":
        raise RolesError(NO_ROLES_ON_SQLITE)
    if owner == app:
        raise RolesError("The owner and the app role must be two different roles.")
    owner_q, app_q = _ident(owner), _ident(app)
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    if schema is None:
        raise RolesError("No schema is selected (check the search_path).")
    tables = list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    )).scalars())
    if "alembic_version" not in tables:
        raise RolesError(f"The schema {schema} of database {database} holds no ketalog tables; "
                         "run 'ketalog db upgrade' first (as this login), then setup-roles.")
    _ensure_role(conn, owner, owner_password)
    _ensure_role(conn, app, app_password)
    if conn.execute(text("SELECT pg_has_role(:a, :o, 'MEMBER')"), {"a": app, "o": owner}).scalar():
        conn.exec_driver_sql(f"REVOKE {owner_q} FROM {app_q}")
    db_q, schema_q = f'"{database}"', f'"{schema}"'
    conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {db_q} TO {owner_q}, {app_q}")
    conn.exec_driver_sql(f"GRANT USAGE, CREATE ON SCHEMA {schema_q} TO {owner_q}")
    conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {schema_q} FROM PUBLIC, {app_q}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema_q} TO {app_q}")
    for table in tables:
        conn.exec_driver_sql(f'ALTER TABLE {schema_q}."{table}" OWNER TO {owner_q}')
    for function in ("ketalog_notify_change", *FUNCTIONS):
        found = conn.execute(text(
            "SELECT 1 FROM pg_proc WHERE proname = :f AND pronamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"), {"f": function})
        if found.first():
            conn.exec_driver_sql(f"ALTER FUNCTION {schema_q}.{function}() OWNER TO {owner_q}")
    conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema_q} FROM PUBLIC, {app_q}")
    conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema_q} FROM PUBLIC, {app_q}")
    for table in tables:
        privileges = ["SELECT", "INSERT"]
        if table not in NO_UPDATE:
            privileges.append("UPDATE")
        if table in DELETE_ALLOWED:
            privileges.append("DELETE")
        if table == "alembic_version":
            privileges = ["SELECT"]
        conn.exec_driver_sql(
            f'GRANT {", ".join(privileges)} ON {schema_q}."{table}" TO {app_q}')
    referenced = set(conn.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND column_name = 'audit_sha256'")).scalars())
    for table in sorted(referenced & NO_UPDATE):
        columns = ", ".join(("audit_id", "audit_sha256", *LATER_COLUMNS.get(table, ())))
        conn.exec_driver_sql(
            f'GRANT UPDATE ({columns}) ON {schema_q}."{table}" TO {app_q}')
    conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema_q} TO {app_q}")
    conn.exec_driver_sql(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA {schema_q} "
        f"GRANT SELECT, INSERT, UPDATE ON TABLES TO {app_q}")
    conn.exec_driver_sql(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA {schema_q} "
        f"GRANT USAGE ON SEQUENCES TO {app_q}")
    return RolesReport(str(database), str(schema), owner, app, len(tables))
