"""Telling "the database is gone" from "the database said no" (the engine: store.engine).

A lost connection (server stopped, network cut, backend terminated) is not a
refusal of what the user entered: the entry is kept and tried again when the
server answers. Everything else (a constraint, a deadlock the caller retries,
a full disk) is reported as it is.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

#: SQLSTATEs meaning the server ended or refused the connection itself.
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the PostgreSQL server could not be reached or went away."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None) or exc
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if isinstance(orig, psycopg.InterfaceError):
        return True  # "the connection is closed"
    if isinstance(orig, psycopg.OperationalError):
        state = getattr(orig, "sqlstate", None)
        # libpq's own failures (refused, timed out, closed unexpectedly) carry no SQLSTATE
        return state is None or state.startswith(_CONNECTION_STATES)
    return False


def probe(engine: Engine) -> None:
    """Raise unless the database answers a trivial query now."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
