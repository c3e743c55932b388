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
def clinic_database(url: str | None, *,
                    guards: Guards = Guards.REQUIRE) -> Iterator[sessionmaker[Session]]:
    """The clinic database brought up to date, as a session factory; disposed after ``with``.

    ``url`` None is the database ketalog would open (``--database-url``, else
    the environment, else the workstation's setting or the local SQLite file).
    """
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.database import make_sessionmaker, open_database

    engine = open_database(url, check_guards=guards is Guards.REQUIRE)
    try:
        if guards is Guards.WARN:
            try:
                require_guards(engine)
            except GuardsBroken as exc:
                print(f"ketalog: warning: {exc}", file=sys.stderr)
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


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
    would change what they look at.
    """
    engine = make_engine(url)
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
