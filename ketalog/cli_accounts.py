"""``ketalog user ...``, ``ketalog keys list`` and ``ketalog verify SESSION_ID``.

Account commands act as the system: whoever runs them already holds the
database file or its credentials. They are audited like every other change,
with the operating-system user and host as the workstation.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from ketalog.services.context import Actor

    OpenDb = Callable[[str | None], tuple[Engine, sessionmaker[Session]]]

EXIT_OK = 0
EXIT_FAILED = 1
#: ``ketalog verify`` of a session no physician has signed
EXIT_NOT_SIGNED = 2


class AccountCommandError(Exception):
    """A user-visible failure of an account command."""


def add_account_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``user`` and ``verify``."""
    user = sub.add_parser("user", help="user accounts: add, list, unlock")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create an account (the password is asked for)")
    add.add_argument("username", help="log-in name (letters, digits, '.', '_', '-')")
    add.add_argument("--role", required=True, choices=["nurse", "physician", "administrator"])
    add.add_argument("--name", required=True, help='full name, e.g. "Nora Reyes"')
    add.add_argument("--credentials", default="", help='e.g. "RN" or "MD"')
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    user_sub.add_parser("list", help="list the accounts")
    unlock = user_sub.add_parser("unlock", help="unlock an account locked by failed log-ins")
    unlock.add_argument("username")
    reset = user_sub.add_parser(
        "reset-password", help="set a temporary password (retires the signing key; the next "
        "log-in asks for a new password)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    keys = sub.add_parser("keys", help="signing keys: list")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_sub.add_parser("list", help="every signing key: owner, dates and fingerprint")
    verify = sub.add_parser("verify", help=(
        "check a signed session against its signature; exit 0 valid, 1 changed or not "
        "valid, 2 not signed"))
    verify.add_argument("session_id", type=int, help="the session id (see 'ketalog sessions')")


def cli_actor() -> Actor:
    """The system actor for command-line work, named by OS user and host."""
    from ketalog.services.context import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(username="system", display_name="command line", role="system",
                 workstation=f"cli:{who}@{socket.gethostname()}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise AccountCommandError("No password on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountCommandError("No terminal to ask for the password; use --password-stdin.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise AccountCommandError("The two passwords differ; nothing was created.")
    return first


def cmd_user(args: argparse.Namespace, open_db: OpenDb) -> int:
    """Add, list or unlock accounts."""
    from ketalog.services import accounts

    actor = cli_actor()
    password = (_read_password(args.password_stdin)
                if args.user_command in ("add", "reset-password") else "")
    engine, factory = open_db(args.database_url)
    try:
        with factory() as db:
            if args.user_command == "add":
                made = accounts.add_user(db, actor, username=args.username,
                                         full_name=args.name, role=args.role,
                                         password=password, credentials=args.credentials)
                print(f"Created {made.username} ({made.full_name}"
                      f"{', ' + made.credentials if made.credentials else ''}, {made.role}).")
            elif args.user_command == "list":
                for row in accounts.list_accounts(db, actor):
                    state = ("locked" if row.locked else "active" if row.is_active
                             else "disabled")
                    print(f"  {row.username:<16} {row.role:<14} {state:<9} {row.full_name}"
                          f"{', ' + row.credentials if row.credentials else ''}")
            elif args.user_command == "reset-password":
                accounts.reset_password(db, actor, args.username, password)
                print(f"Reset the password of {args.username}: the old signing key is "
                      "retired, a new one is issued, and the next log-in asks for a new "
                      "password.")
            else:
                accounts.unlock_account(db, actor, args.username)
                print(f"Unlocked {args.username}.")
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_keys(args: argparse.Namespace, open_db: OpenDb) -> int:
    """List every signing key with its owner, dates and fingerprint."""
    from ketalog.services.keys import list_keys

    engine, factory = open_db(args.database_url)
    try:
        with factory() as db:
            rows = list_keys(db, cli_actor())
    finally:
        engine.dispose()
    if not rows:
        print("No signing keys yet.")
        return EXIT_OK
    print(f"  {'key':>4}  {'user':<16} {'created (UTC)':<17} {'retired (UTC)':<17} "
          "fingerprint (SHA-256)                    owner")
    for row in rows:
        retired = (row.retired_at_utc.strftime("%Y-%m-%d %H:%M") if row.retired_at_utc
                   else "in use")
        reset = "  (issued after an administrator reset)" if row.issued_after_admin_reset else ""
        print(f"  {row.key_id:>4}  {row.username:<16} "
              f"{row.created_at_utc.strftime('%Y-%m-%d %H:%M'):<17} {retired:<17} "
              f"{row.fingerprint}  {row.owner}{reset}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, open_db: OpenDb) -> int:
    """Say whether a signed session is intact, or exactly what changed since signing.

    Exits 0 when the signature is valid, 1 when the record changed or the
    signature does not hold (e.g. no audit row of its signing), 2 when the
    session is not signed.
    """
    from ketalog.services.settings import clinic_timezone
    from ketalog.services.signature_status import SignatureState, signature_status
    from ketalog.services.signing import verify_session

    engine, factory = open_db(args.database_url)
    try:
        with factory() as db:
            status = signature_status(db, args.session_id)
            result = verify_session(db, args.session_id)
            tz = clinic_timezone(db)
    finally:
        engine.dispose()
    if status.state is SignatureState.NOT_SIGNED:
        print(f"Session {args.session_id} is not signed; there is nothing to verify yet.")
        for line in status.problems:
            print(f"  - {line}")
        return EXIT_NOT_SIGNED
    when = (result.signed_at_utc.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
            if result.signed_at_utc is not None else None)
    if status.valid:
        print(f"Session {args.session_id}: intact. Signed by {result.signer_name} at {when}; "
              f"SHA-256 {result.signed_sha256}.")
        for note in result.notes:
            print(f"  Note: {note}.")
        return EXIT_OK
    print(f"Session {args.session_id}: {status.banner}")
    if result.changed:
        print(f"Session {args.session_id}: CHANGED since it was signed by "
              f"{result.signer_name} at {when}.")
        print(f"  signed SHA-256:  {result.signed_sha256}")
        print(f"  current SHA-256: {result.current_sha256}")
    for line in status.findings:
        print(f"  - {line}")
    return EXIT_FAILED
