"""The ``ketalog`` command: the window by default, and sub-commands for the clinic's admin work.

This module assembles the argument parser from the command modules beside it
and runs the command asked for. Every failure a user can cause prints one line
saying what is wrong and how to fix it, and exits non-zero; no traceback
reaches the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ketalog import __version__
from ketalog.cli.accounts import add_account_parsers, cmd_keys, cmd_user
from ketalog.cli.audit import add_audit_parser, cmd_audit
from ketalog.cli.backup import add_backup_parsers, cmd_backup, cmd_restore
from ketalog.cli.certificate import add_certificate_parser, cmd_certificate
from ketalog.cli.common import EXIT_FAILED, EXIT_OK, CommandError
from ketalog.cli.db import add_db_parser, cmd_db
from ketalog.cli.demo import add_demo_parser, cmd_demo
from ketalog.cli.outcomes import add_outcomes_parser, cmd_outcomes
from ketalog.cli.pdf import add_pdf_parser, cmd_pdf
from ketalog.cli.rems import add_rems_parser, cmd_rems
from ketalog.cli.sessions import add_sessions_parser, cmd_sessions
from ketalog.cli.settings import add_settings_parser, cmd_settings
from ketalog.cli.stock import add_stock_parser, cmd_stock
from ketalog.cli.verify import add_verify_parser, cmd_verify
from ketalog.domain.errors import DomainError
from ketalog.store.engine import DatabaseConfigError

#: ``ketalog`` interrupted with Ctrl+C (128 + SIGINT, as shells report it)
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with --help on every sub-command."""
    parser = argparse.ArgumentParser(
        prog="ketalog",
        description="Chair-side session log for ketamine infusion clinics. "
        "Without a sub-command, starts the application window.",
    )
    parser.add_argument("--version", action="version", version=f"ketalog {__version__}")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to use (default: $KETALOG_DATABASE_URL, else a SQLite file in the "
        "user data folder); e.g. sqlite:///clinic.sqlite3 or postgresql://user@host/ketalog",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("gui", help="start the application window (the default)")
    add_demo_parser(sub)
    add_sessions_parser(sub)
    add_pdf_parser(sub)
    add_db_parser(sub)
    add_audit_parser(sub)
    add_rems_parser(sub)
    add_outcomes_parser(sub)
    add_account_parsers(sub)
    add_verify_parser(sub)
    add_backup_parsers(sub)
    add_certificate_parser(sub)
    add_settings_parser(sub)
    add_stock_parser(sub)
    return parser


def cmd_gui(args: argparse.Namespace) -> int:
    """Start the application window."""
    # start-up: PySide6 and the window (about 3 s) load only when the window is wanted
    from ketalog.ui.launch import run_gui

    return run_gui(args.database_url)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo, "sessions": cmd_sessions, "db": cmd_db, "gui": cmd_gui, "pdf": cmd_pdf,
    "audit": cmd_audit, "rems": cmd_rems, "outcomes": cmd_outcomes,
    "user": cmd_user, "verify": cmd_verify, "keys": cmd_keys,
    "backup": cmd_backup, "restore": cmd_restore, "certificate": cmd_certificate,
    "settings": cmd_settings, "stock": cmd_stock,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = COMMANDS[args.command or "gui"]
    try:
        return command(args)
    except (CommandError, DatabaseConfigError, DomainError) as exc:
        print(f"ketalog: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ketalog: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
