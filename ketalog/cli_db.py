"""``ketalog db test`` and ``ketalog db use``: check a database, and point this workstation at it.

``db use`` writes the workstation settings file only after a successful
connection test (``--force`` skips that), so a typing error in a URL cannot
leave a workstation that no longer starts.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

#: Given to ``db use`` instead of a URL: forget the setting, use the default SQLite file.
DEFAULT_WORD = "default"


class DbCommandError(Exception):
    """A ``db test`` / ``db use`` failure with a message for the user."""


def add_db_connection_parsers(db_sub: Any) -> None:
    """Register ``db test`` and ``db use`` on the ``db`` sub-parsers."""
    test = db_sub.add_parser(
        "test", help="connect to the database and say what is wrong, if anything "
        "(unreachable, authentication, missing database, TLS, certificate)")
    # SUPPRESS: when absent, the global --database-url (before "db") still counts
    test.add_argument("--database-url", metavar="URL", default=argparse.SUPPRESS,
                      help="the database to test (default: the one ketalog would open)")
    test.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                      help="give up connecting after this long (default 5)")
    use = db_sub.add_parser(
        "use", help="make this workstation open URL from its next start (tested first); "
        f"'{DEFAULT_WORD}' goes back to the local SQLite file")
    use.add_argument("url", metavar="URL",
                     help="e.g. postgresql://nurse@db.clinic/ketalog?sslmode=verify-full")
    use.add_argument("--force", action="store_true",
                     help="save even when the connection test fails")


def cmd_db_test(args: argparse.Namespace) -> int:
    """Print the connection check; exit 0 only when ketalog can use the database."""
    from ketalog.store.connection import test_connection
    from ketalog.store.engine import describe_url, resolve_database_url
    from ketalog.store.workstation import database_url_source

    url = resolve_database_url(args.database_url)
    print(f"Database: {describe_url(url)} (from {database_url_source(args.database_url)})")
    check = test_connection(url, timeout_s=args.timeout)
    _print_check(check)
    return 0 if check.ok else 1


def _print_check(check: Any) -> None:
    if check.server_version:
        print(f"Server: {check.server_version}")
    if check.schema_state:
        print(f"Schema: {check.schema_state}")
    if check.encrypted is not None:
        print(f"Encrypted: {'yes' if check.encrypted else 'no'}")
    print(("OK: " if check.ok else "PROBLEM: ") + check.message)


def cmd_db_use(args: argparse.Namespace) -> int:
    """Test the URL, then write it to the workstation settings file."""
    from dataclasses import replace

    from ketalog.store.connection import test_connection
    from ketalog.store.engine import ENV_DATABASE_URL, describe_url
    from ketalog.store.workstation import (
        WorkstationConfig,
        WorkstationConfigError,
        load_workstation_config,
        save_workstation_config,
    )

    url: str | None = None if args.url == DEFAULT_WORD else args.url
    if url is not None:
        check = test_connection(url)
        _print_check(check)
        if not check.ok and not args.force:
            raise DbCommandError("nothing was saved; fix the problem above, or add --force "
                                 "to save this URL anyway")
    try:
        current = load_workstation_config()
    except WorkstationConfigError:
        current = WorkstationConfig()  # a damaged file is what this command repairs
    try:
        path = save_workstation_config(replace(current, database_url=url))
    except OSError as exc:
        raise DbCommandError(f"cannot write the workstation settings: {exc}; nothing was "
                             "changed") from exc
    chosen = describe_url(url) if url else "the default SQLite file"
    print(f"Saved in {path} (readable only by you): ketalog on this workstation will use "
          f"{chosen} the next time it starts.")
    if os.environ.get(ENV_DATABASE_URL):
        print(f"Note: {ENV_DATABASE_URL} is set "
              f"({describe_url(os.environ[ENV_DATABASE_URL])}) and takes precedence over "
              "this setting until it is removed.")
    return 0
