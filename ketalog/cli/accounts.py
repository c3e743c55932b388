"""``ketalog user ...`` and ``ketalog keys list``: accounts and their signing keys.

Account commands act as the system: whoever runs them already holds the
database file or its credentials. They are audited like every other change,
with the operating-system user and host as the workstation.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from ketalog.cli.common import EXIT_OK, CommandError, cli_actor, clinic_database
from ketalog.domain.roles import Role

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).


def add_account_parsers(sub: Any) -> None:
    """Register ``user`` and ``keys`` on the main sub-parsers."""
    user = sub.add_parser("user", help="user accounts: add, list, unlock")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create an account (the password is asked for)")
    add.add_argument("username", help="log-in name (letters, digits, '.', '_', '-')")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
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



def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("No password on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password; use --password-stdin.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CommandError("The two passwords differ; nothing was created.")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    """Add, list or unlock accounts."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services import accounts

    actor = cli_actor()
    password = (_read_password(args.password_stdin)
                if args.user_command in ("add", "reset-password") else "")
    with clinic_database(args.database_url) as factory, factory() as db:
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
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    """List every signing key with its owner, dates and fingerprint."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.keys import list_keys

    with clinic_database(args.database_url) as factory, factory() as db:
        rows = list_keys(db, cli_actor())
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

