"""Opening the database a workstation is configured for, ready to use."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ketalog.store.engine import DatabaseConfigError, explain_connection_error, make_engine
from ketalog.store.migrate import SchemaState, ensure_schema
from ketalog.store.models import ProtocolRecord


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (one session per user action)."""
    return sessionmaker(engine, expire_on_commit=False)


def open_database(url: str | None = None) -> Engine:
    """Connect, bring the schema up to date and seed the default protocols.

    Raises:
        DatabaseConfigError: with a message saying what is wrong and how to
            fix it (bad URL, unreachable server, foreign or newer database).
    """
    engine = make_engine(url)
    try:
        status = ensure_schema(engine)
        with make_sessionmaker(engine)() as db:
            if status.state is not SchemaState.CURRENT or db.scalar(
                select(ProtocolRecord.id).limit(1)
            ) is None:
                # loaded only to seed: the start-up path to the log-in page skips it
                from ketalog.services.protocols import seed_default_protocols

                seed_default_protocols(db)
    except DatabaseConfigError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DatabaseConfigError(explain_connection_error(exc, engine.url)) from exc
    return engine
