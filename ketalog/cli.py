"""The ``ketalog`` command: the GUI by default, and sub-commands for the clinic's admin work.

Every failure a user can cause prints one line saying what is wrong and how to
fix it, and exits non-zero; no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ketalog import __version__
from ketalog.cli_accounts import (
    AccountCommandError,
    add_account_parsers,
    cmd_keys,
    cmd_user,
    cmd_verify,
)
from ketalog.cli_audit import add_audit_parser, cmd_audit
from ketalog.cli_backup import add_backup_parsers, cmd_backup, cmd_restore
from ketalog.cli_certificate import (
    CertificateCommandError,
    add_certificate_parser,
    cmd_certificate,
)
from ketalog.cli_db import (
    DbCommandError,
    add_db_connection_parsers,
    add_db_guard_parsers,
    cmd_db_repair_guards,
    cmd_db_setup_roles,
    cmd_db_test,
    cmd_db_use,
)
from ketalog.cli_outcomes import add_outcomes_parser, cmd_outcomes
from ketalog.cli_rems import add_rems_parser, cmd_rems
from ketalog.cli_settings import add_settings_parser, cmd_settings
from ketalog.domain.documents import DocumentKind
from ketalog.domain.errors import DomainError
from ketalog.store.engine import DatabaseConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A sub-command failed with a message for the user."""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD") from None


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
    demo = sub.add_parser("demo", help="fill an empty database with the demo clinic")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    sessions = sub.add_parser("sessions", help="list the sessions of a day")
    sessions.add_argument("--date", type=_iso_date, default=None, metavar="YYYY-MM-DD",
                          help="the clinic day (default: today in the clinic's time zone)")
    sessions.add_argument("--json", action="store_true", help="print a JSON list")
    pdf = sub.add_parser("pdf", help="write a chart document as PDF")
    pdf.add_argument("document", choices=[kind.value for kind in DocumentKind],
                     help="session summary, patient visit report, day log or course report")
    pdf.add_argument("key", metavar="ID_OR_DATE",
                     help="session id (session, visit), course id (course) or YYYY-MM-DD (day)")
    pdf.add_argument("-o", "--output", required=True, metavar="FILE",
                     help="the PDF file to write (written completely or not at all)")
    db = sub.add_parser("db", help="database schema commands")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema (a SQLite file is "
                      "backed up first)")
    db_sub.add_parser("check", help="check the connection and the schema version")
    add_db_connection_parsers(db_sub)
    add_db_guard_parsers(db_sub)
    add_audit_parser(sub)
    add_rems_parser(sub)
    add_outcomes_parser(sub)
    add_account_parsers(sub)
    add_backup_parsers(sub)
    add_certificate_parser(sub)
    add_settings_parser(sub)
    return parser


def _open(url: str | None, *, check_guards: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    from ketalog.services.database import make_sessionmaker, open_database

    engine = open_database(url, check_guards=check_guards)
    return engine, make_sessionmaker(engine)


def _open_to_investigate(url: str | None) -> tuple[Engine, sessionmaker[Session]]:
    """Open for the commands that look for tampering: a broken guard is told, not refused."""
    from ketalog.store.guards import GuardsBroken, require_guards

    engine, factory = _open(url, check_guards=False)
    try:
        require_guards(engine)
    except GuardsBroken as exc:
        print(f"ketalog: warning: {exc}", file=sys.stderr)
    return engine, factory


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo clinic and say what was made."""
    from ketalog.services.demo import DEMO_PATIENTS, DEMO_USERS, DemoRefused, build_demo_clinic

    done = [0]

    def progress(_patient: str) -> None:  # a line now and then: the build takes a while
        done[0] += 1
        if done[0] % 5 == 0 or done[0] == DEMO_PATIENTS:
            print(f"  {done[0]} of {DEMO_PATIENTS} patients so far", flush=True)

    engine, factory = _open(args.database_url)
    try:
        with factory() as db:
            try:
                summary = build_demo_clinic(db, seed=args.seed, progress=progress,
                                            announce=lambda: print(
                                                f"Building the demo clinic: {DEMO_PATIENTS} "
                                                "patients with a month of sessions each...",
                                                flush=True))
            except DemoRefused as exc:
                raise CommandError(str(exc)) from exc
    finally:
        engine.dispose()
    today = ", ".join(f"{n} {state}" for state, n in sorted(summary.today_states.items()))
    print(f"Demo clinic ready: {summary.patients} patients, {summary.sessions} sessions, "
          f"{summary.vitals} vital sign readings. Today: {today}.")
    print("Demo users (user / password): "
          + "; ".join(f"{u} / {p} ({role})" for u, _n, _c, role, p in DEMO_USERS))
    return EXIT_OK


def cmd_sessions(args: argparse.Namespace) -> int:
    """List a day's sessions as a table or JSON."""
    from ketalog.services.board import day_board
    from ketalog.services.settings import clinic_timezone

    engine, factory = _open(args.database_url)
    try:
        with factory() as db:
            tz = clinic_timezone(db)
            day = args.date or datetime.now(UTC).astimezone(tz).date()
            rows = day_board(db, day, tz)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([
            {
                "id": r.session_id, "chair": r.chair, "patient": r.patient_name, "mrn": r.mrn,
                "state": r.state, "course_id": r.course_id,
                "scheduled_at": r.scheduled_at_utc.isoformat(),
                "scheduled_at_local": r.scheduled_at_utc.astimezone(tz).isoformat(),
                "infusion": f"{r.sequence_number} of {r.planned_infusions}"
                if r.sequence_number else None,
                "protocol": r.protocol_name, "signed": r.signed,
                "next_vitals_due": r.next_vitals_due_at_utc.isoformat()
                if r.next_vitals_due_at_utc else None,
            }
            for r in rows
        ], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print(f"No sessions on {day.isoformat()}.")
        return EXIT_OK
    print(f"Sessions on {day.isoformat()} ({tz.key}):")
    for r in rows:
        local = r.scheduled_at_utc.astimezone(tz).strftime("%H:%M")
        course = f"{r.sequence_number}/{r.planned_infusions}" if r.sequence_number else "-"
        print(f"  {r.session_id:>6}  {r.chair:<8} {local}  {r.state:<13} {course:>5}  "
              f"{r.patient_name} ({r.mrn})")
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    """Upgrade or check the schema."""
    from ketalog.store.engine import describe_url, make_engine, resolve_database_url
    from ketalog.store.migrate import HEAD_REVISION, SchemaState, schema_status

    if args.db_command in {"test", "use"}:
        return cmd_db_test(args) if args.db_command == "test" else cmd_db_use(args)
    if args.db_command == "repair-guards":
        return cmd_db_repair_guards(args)
    if args.db_command == "setup-roles":
        return cmd_db_setup_roles(args)
    url = resolve_database_url(args.database_url)
    if args.db_command == "upgrade":
        engine, _factory = _open(url)
        engine.dispose()
        print(f"Database {describe_url(url)} is at schema {HEAD_REVISION}.")
        return EXIT_OK
    from ketalog.cli_db import anchor_check
    from ketalog.store.guards import GuardsBroken, require_guards

    engine = make_engine(url)
    try:
        status = schema_status(engine)
        if status.state is SchemaState.CURRENT:
            try:
                require_guards(engine)
            except GuardsBroken as exc:
                raise CommandError(str(exc)) from exc
            anchors = anchor_check(engine)
            if not anchors.ok:
                raise CommandError(anchors.summary)
    finally:
        engine.dispose()
    where = describe_url(url)
    if status.state is SchemaState.CURRENT:
        print(f"OK: {where} is reachable, at schema {status.revision} (current), every "
              f"guard trigger is in place and enabled, and {anchors.summary}.")
        return EXIT_OK
    messages = {
        SchemaState.EMPTY: "is empty; run 'ketalog db upgrade' (or start ketalog) to create it",
        SchemaState.BEHIND: f"is at schema {status.revision}; run 'ketalog db upgrade' to reach "
        f"{HEAD_REVISION}",
        SchemaState.NEWER: f"was written by a newer ketalog (schema {status.revision}); "
        "update ketalog",
        SchemaState.FOREIGN: "holds tables that are not ketalog's",
    }
    raise CommandError(f"{where} {messages[status.state]}.")


def cmd_pdf(args: argparse.Namespace) -> int:
    """Write one document; a failure leaves no file behind."""
    from pathlib import Path

    from ketalog.cli_accounts import cli_actor as _cli_actor
    from ketalog.reports.base import ReportError, write_pdf_atomic
    from ketalog.services.pdf import produce_document, record_document

    key: int | date
    if args.document == "day":
        try:
            key = date.fromisoformat(args.key)
        except ValueError:
            raise CommandError(f"'{args.key}' is not a date; use YYYY-MM-DD.") from None
    else:
        try:
            key = int(args.key)
        except ValueError:
            raise CommandError(f"'{args.key}' is not an id; give the number shown by "
                               "'ketalog sessions'.") from None
    output = Path(args.output)
    if output.parent != Path("") and not output.expanduser().parent.is_dir():
        raise CommandError(f"The folder {output.parent} does not exist; nothing was written.")
    engine, factory = _open(args.database_url)
    try:
        with factory() as db:
            produced = produce_document(db, args.document, key)
            data = produced.data
            write_pdf_atomic(output, data)
            record_document(db, _cli_actor(), args.document, key, action="pdf_saved",
                            detail=str(output.resolve()))
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        engine.dispose()
    print(f"Wrote {output} ({len(data) // 1024 + 1} KiB).")
    if produced.pdf_signed:
        print("The PDF carries the clinic's digital signature (check it in any PDF reader).")
    elif produced.note:
        print(f"Note: {produced.note}.")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    """Start the application window."""
    from ketalog.app import run_gui

    return run_gui(args.database_url)


def cmd_user_accounts(args: argparse.Namespace) -> int:
    """Add, list or unlock accounts."""
    return cmd_user(args, _open)


def cmd_signing_keys(args: argparse.Namespace) -> int:
    """List the signing keys."""
    return cmd_keys(args, _open)


def cmd_verify_session(args: argparse.Namespace) -> int:
    """Check a signed session against its signature."""
    return cmd_verify(args, _open_to_investigate)


def cmd_clinic_certificate(args: argparse.Namespace) -> int:
    """Show, create or import the clinic's document certificate."""
    return cmd_certificate(args, _open)


def cmd_clinic_settings(args: argparse.Namespace) -> int:
    """List, show or change the clinic's settings."""
    return cmd_settings(args, _open)


def cmd_clinic_outcomes(args: argparse.Namespace) -> int:
    """Response and remission across the clinic's courses in a date range."""
    return cmd_outcomes(args, _open)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo, "sessions": cmd_sessions, "db": cmd_db, "gui": cmd_gui, "pdf": cmd_pdf,
    "audit": cmd_audit, "rems": cmd_rems, "outcomes": cmd_clinic_outcomes,
    "user": cmd_user_accounts, "verify": cmd_verify_session, "keys": cmd_signing_keys,
    "backup": cmd_backup, "restore": cmd_restore, "certificate": cmd_clinic_certificate,
    "settings": cmd_clinic_settings,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = COMMANDS[args.command or "gui"]
    try:
        return command(args)
    except (CommandError, AccountCommandError, DatabaseConfigError, DomainError,
            DbCommandError, CertificateCommandError) as exc:
        print(f"ketalog: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ketalog: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; that is not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
