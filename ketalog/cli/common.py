"""What every ``ketalog`` command shares: its error, its exit codes, its actor, its database.

A command that fails for a reason the user can fix raises :class:`CommandError`;
:func:`ketalog.cli.main.main` prints it as one line (``ketalog: ...``) and exits
1, so no traceback reaches the terminal. Commands open the clinic database
through :func:`clinic_database` (migrated, guards checked, disposed at the end)
or, when they must look at a database without changing it,
:func:`unmigrated_engine`. What only reads (lists, reports, checks, a document
before it is recorded) runs in :func:`reading_sessions`, so it never makes a
chair-side save wait.

Services are imported inside the functions that use them: ``ketalog`` with no
arguments starts the window, and ``ketalog --help`` should not wait for the
services to load (start-up cost).
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING

from ketalog.services.context import Actor
from ketalog.store.engine import make_engine
from ketalog.store.guards import GuardsBroken, require_guards

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

EXIT_OK = 0
EXIT_FAILED = 1


class CommandError(Exception):
    """A command failed for a reason the user can fix; the message says what and how."""


class Guards(Enum):
    """What opening the database does about its guard triggers (the tamper guards)."""

    #: refuse a database whose guards are missing or disabled (every ordinary command)
    REQUIRE = "require"
    #: say so on standard error and go on: the commands that look for tampering
    WARN = "warn"
    #: say nothing: ``db repair-guards`` is the command that puts them back
    IGNORE = "ignore"


@contextmanager
def clinic_database(url: str | None, *, guards: Guards = Guards.REQUIRE,
                    create: bool = False) -> Iterator[sessionmaker[Session]]:
    """The clinic database brought up to date, as a session factory; disposed after ``with``.

    ``url`` None is the database ketalog would open (``--database-url``, else
    the environment, else the workstation's setting or the local SQLite file).
    ``create``: only ``db upgrade`` and ``demo`` make a new database; every
    other command refuses a missing file or an empty database (NoDatabase),
    so a mistyped URL leaves nothing behind.
    """
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.database import make_sessionmaker, open_database

    engine = open_database(url, check_guards=guards is Guards.REQUIRE, create=create)
    try:
        if guards is Guards.WARN:
            _warn_about_guards(engine)
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _warn_about_guards(engine: Engine) -> None:
    try:
        require_guards(engine)
    except GuardsBroken as exc:
        print(f"ketalog: warning: {exc}", file=sys.stderr)


#: Printed last by the commands that checked a database opened read-only.
NOTHING_RECORDED = ("Read-only: nothing was recorded (no audit row, no anchor), and nothing "
                    "in the database or beside it was changed.")


def add_read_only_option(parser: argparse.ArgumentParser) -> None:
    """``--read-only``: check a database as evidence, changing nothing at all."""
    parser.add_argument(
        "--read-only", action="store_true",
        help="open the database only to read it (an evidence copy): no upgrade, nothing "
        "recorded, no file created beside it; a file or folder that cannot be written is "
        "opened this way anyway")


@contextmanager
def evidence_database(url: str | None, *,
                      read_only: bool) -> Iterator[tuple[sessionmaker[Session], bool]]:
    """The database for the commands that check it, and whether it was opened read-only.

    Read-only when asked (``--read-only``) or when the SQLite file or its folder
    cannot be written (an evidence copy, a write-protected disk): then nothing
    is upgraded, seeded, tidied or anchored (:mod:`ketalog.store.evidence`).
    Otherwise as :func:`clinic_database` with the guards' state as a warning.
    """
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.database import make_sessionmaker
    from ketalog.store.engine import normalise_url, resolve_database_url, sqlite_path
    from ketalog.store.evidence import cannot_be_written, read_only_engine

    resolved = resolve_database_url(url)
    if not read_only:
        parsed = normalise_url(resolved)
        path = sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
        read_only = path is not None and cannot_be_written(path)
    if not read_only:
        with clinic_database(resolved, guards=Guards.WARN) as factory:
            yield factory, False
        return
    with read_only_engine(resolved) as engine:
        _warn_about_guards(engine)
        yield make_sessionmaker(engine), True


def reading_sessions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Read-only units of work on the database ``factory`` opens (never the write lock).

    See :func:`ketalog.services.database.make_reading_sessionmaker`; a write
    attempted in one is refused.
    """
    # start-up: services load when the command runs, not for --help
    from ketalog.services.database import make_reading_sessionmaker

    return make_reading_sessionmaker(factory.kw["bind"])


@contextmanager
def unmigrated_engine(url: str) -> Iterator[Engine]:
    """The database's engine as it is, neither upgraded nor checked; disposed at the end.

    For the commands that report on a database's state (``db check``), set up
    its server roles, or write beside a backup or restore, where an upgrade
    would change what they look at. A missing SQLite file is refused, not made.
    """
    engine = make_engine(url, create=False)
    try:
        yield engine
    finally:
        engine.dispose()


def iso_date(text: str) -> date:
    """An argparse type: a ``YYYY-MM-DD`` day, or a usage error saying so."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def cli_workstation() -> str:
    """How the audit trail names this command line: ``cli:<OS user>@<host>``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"cli:{who}@{socket.gethostname()}"


def cli_actor() -> Actor:
    """The system actor for command-line work, named by OS user and host.

    Whoever runs a command already holds the database file or its credentials,
    so no ketalog sign-in is asked for; the audit row still says who it was.
    """
    return Actor(username="system", display_name="command line", role="system",
                 workstation=cli_workstation())
