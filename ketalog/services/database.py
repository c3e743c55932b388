"""Opening the database a workstation is configured for, ready to use (engine: store.engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ketalog.services.clinic_clock import CHECK_CLOCK
from ketalog.store.engine import (
    DatabaseConfigError,
    explain_connection_error,
    make_engine,
    reading_engine,
)
from ketalog.store.guards import require_guards
from ketalog.store.migrate import SchemaState, ensure_schema
from ketalog.store.models import ClientWrite, ProtocolRecord, SessionPresence

#: A save is retried within minutes of a lost connection; its id is kept for days.
KEEP_WRITE_IDS = timedelta(days=7)


def make_sessionmaker(engine: Engine, *, check_clock: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (one session per user action).

    ``check_clock``: the app at the chair refuses entries from a clock that went
    back (:mod:`ketalog.services.clinic_clock`); set-up, imports and tests do not.
    """
    return sessionmaker(engine, expire_on_commit=False, info={CHECK_CLOCK: check_clock})


def make_reading_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads (board, search, documents, checks, reports, exports).

    Their transactions never make a save wait: a snapshot on SQLite (no write
    lock), a read-only REPEATABLE READ transaction on PostgreSQL; a write
    attempted in one raises ``WriteInReadOnlyWork`` (see ``store.engine.reading_engine``).
    An action that reads and then records that it read (a document printed, an
    audit row) writes in a session of :func:`make_sessionmaker`.
    """
    return sessionmaker(reading_engine(engine), expire_on_commit=False)


def open_database(url: str | None = None, *, check_guards: bool = True,
                  create: bool = True) -> Engine:
    """Connect, bring the schema up to date, check the guards and seed the default protocols.

    A new SQLite clinic is encrypted when the workstation has a key store
    (:mod:`ketalog.store.encryption`), plain otherwise.

    ``check_guards=False`` is for the commands that investigate a damaged
    database (``verify``, ``audit``): they must still run when a guard is gone.
    ``create=False`` is for the commands that work on an existing clinic: a
    missing SQLite file or an empty database is refused (:class:`NoDatabase`)
    with nothing created; only the app's first start, ``db upgrade`` and
    ``demo`` create one.

    Raises:
        DatabaseConfigError: with a message saying what is wrong and how to
            fix it (bad URL, unreachable server, foreign or newer database, a
            guard trigger missing or disabled: GuardsBroken).
    """
    # a new SQLite clinic: encrypted if it can be
    engine = make_engine(url, create=create, encrypt_new=True)
    try:
        status = ensure_schema(engine, create=create)
        if check_guards:
            require_guards(engine)
        now = datetime.now(UTC)
        # Looked at in a reading session: the first query of a process also sets up
        # the ORM (about 0.2 s under load), and holding the write lock meanwhile made
        # every chair-side save wait whenever a command started (issue 18).
        with make_reading_sessionmaker(engine)() as db:
            unseeded = status.state is not SchemaState.CURRENT or db.scalar(
                select(ProtocolRecord.id).limit(1)) is None
            chores = housekeeping_due(db, now)
        if unseeded or chores:
            with make_sessionmaker(engine)() as db:
                if unseeded:
                    # start-up: services.protocols adds about 0.5 s (-X importtime, loaded
                    # machine) and is needed only to seed; the path to the log-in page skips it
                    from ketalog.services.protocols import seed_default_protocols

                    seed_default_protocols(db)
                forget_old_housekeeping(db, now)
    except DatabaseConfigError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DatabaseConfigError(explain_connection_error(exc, engine.url)) from exc
    return engine


def housekeeping_due(db: Session, now: datetime) -> bool:
    """Whether :func:`forget_old_housekeeping` has anything to drop (reads only)."""
    old_writes = db.scalar(select(ClientWrite.request_id)
                           .where(ClientWrite.written_at_utc < now - KEEP_WRITE_IDS).limit(1))
    old_presence = db.scalar(select(SessionPresence.id)
                             .where(SessionPresence.seen_at_utc < now - timedelta(days=1))
                             .limit(1))
    return old_writes is not None or old_presence is not None


def forget_old_housekeeping(db: Session, now: datetime | None = None) -> None:
    """Drop write ids no retry can need any more and presences of workstations long gone.

    Reads first, so a start on a database that has nothing to drop writes nothing.
    """
    now = now or datetime.now(UTC)
    write_cutoff = now - KEEP_WRITE_IDS
    presence_cutoff = now - timedelta(days=1)
    if not housekeeping_due(db, now):
        db.rollback()
        return
    db.execute(delete(ClientWrite).where(ClientWrite.written_at_utc < write_cutoff))
    db.execute(delete(SessionPresence).where(SessionPresence.seen_at_utc < presence_cutoff))
    db.commit()
