"""``ketalog db ...``: the schema, the connection, the guards and the server roles.

``db upgrade`` creates or upgrades the schema, ``db check`` says whether the
database is usable as it is (schema, guards, anchors) without changing it,
``db test`` diagnoses the connection, ``db repair-guards`` puts the tamper
guards back and ``db setup-roles`` makes PostgreSQL's least-privilege roles.
``db use`` writes the workstation settings file only after a successful
connection test (``--force`` skips that), so a typing error in a URL cannot
leave a workstation that no longer starts.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    Guards,
    cli_workstation,
    clinic_database,
    unmigrated_engine,
)
from ketalog.cli.db_encryption import (
    add_encryption_parsers,
    cmd_db_encrypt,
    cmd_db_key,
    encryption_line,
    new_clinic_file,
)
from ketalog.services.errors import PermissionDenied
from ketalog.store.engine import (
    ENV_DATABASE_URL,
    describe_url,
    normalise_url,
    resolve_database_url,
)
from ketalog.store.guards import GuardsBroken, require_guards
from ketalog.store.migrate import HEAD_REVISION, SchemaState, schema_status
from ketalog.store.pg_roles import NO_ROLES_ON_SQLITE, RolesError, setup_roles
from ketalog.store.workstation import (
    WorkstationConfig,
    WorkstationConfigError,
    database_url_source,
    load_workstation_config,
    save_workstation_config,
)

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ketalog.services.audit_anchors import AnchorCheck
    from ketalog.store.connection import ConnectionCheck

#: Given to ``db use`` instead of a URL: forget the setting, use the default SQLite file.
DEFAULT_WORD = "default"


def add_db_parser(sub: Any) -> None:
    """Register ``db`` and its actions on the main sub-parsers."""
    db = sub.add_parser("db", help="database schema commands")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema (a SQLite file is "
                      "backed up first)")
    db_sub.add_parser("check", help="check the connection and the schema version")
    _add_connection_parsers(db_sub)
    _add_guard_parsers(db_sub)
    add_encryption_parsers(db_sub)


def cmd_db(args: argparse.Namespace) -> int:
    """Run the ``db`` action asked for."""
    actions = {"upgrade": cmd_db_upgrade, "check": cmd_db_check, "test": cmd_db_test,
               "use": cmd_db_use, "repair-guards": cmd_db_repair_guards,
               "setup-roles": cmd_db_setup_roles, "encrypt": cmd_db_encrypt,
               "key": cmd_db_key}
    return actions[args.db_command](args)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the schema (opening the database does it)."""
    url = resolve_database_url(args.database_url)
    new = new_clinic_file(url)
    with clinic_database(url, create=True):  # opening it creates or upgrades the schema
        pass
    print(f"Database {describe_url(url)} is at schema {HEAD_REVISION}.")
    if new is not None:
        print(encryption_line(new))
    return EXIT_OK


def cmd_db_check(args: argparse.Namespace) -> int:
    """Say whether the database is usable as it is: schema, guards and anchors; change nothing."""
    url = resolve_database_url(args.database_url)
    with unmigrated_engine(url) as engine:
        status = schema_status(engine)
        if status.state is SchemaState.CURRENT:
            try:
                require_guards(engine)
            except GuardsBroken as exc:
                raise CommandError(str(exc)) from exc
            anchors = anchor_check(engine)
            if not anchors.ok:
                raise CommandError(anchors.summary)
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


def _add_connection_parsers(db_sub: Any) -> None:
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
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.connection import test_connection

    url = resolve_database_url(args.database_url)
    print(f"Database: {describe_url(url)} (from {database_url_source(args.database_url)})")
    check = test_connection(url, timeout_s=args.timeout)
    if check.ok and check.schema_state == "current":
        check = _with_anchors(check, url)
    _print_check(check)
    return EXIT_OK if check.ok else EXIT_FAILED


def anchor_check(engine: Engine) -> AnchorCheck:
    """Whether the trail of ``engine``'s database holds its anchors (read only)."""
    from sqlalchemy.orm import Session

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.audit_anchors import check_own_anchors

    with Session(engine) as db:
        return check_own_anchors(db)


def _with_anchors(check: ConnectionCheck, url: str) -> ConnectionCheck:
    """The connection check, failed when the audit trail no longer holds its anchors."""
    from dataclasses import replace

    with unmigrated_engine(url) as engine:
        anchors = anchor_check(engine)
    if anchors.ok:
        return replace(check, message=f"{check.message} And {anchors.summary}.")
    return replace(check, ok=False, message=anchors.summary)


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

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.connection import test_connection

    url: str | None = None if args.url == DEFAULT_WORD else args.url
    if url is not None:
        check = test_connection(url)
        _print_check(check)
        if not check.ok and not args.force:
            raise CommandError("nothing was saved; fix the problem above, or add --force "
                               "to save this URL anyway")
    try:
        current = load_workstation_config()
    except WorkstationConfigError:
        current = WorkstationConfig()  # a damaged file is what this command repairs
    try:
        path = save_workstation_config(replace(current, database_url=url))
    except OSError as exc:
        raise CommandError(f"cannot write the workstation settings: {exc}; nothing was "
                           "changed") from exc
    chosen = describe_url(url) if url else "the default SQLite file"
    print(f"Saved in {path} (readable only by you): ketalog on this workstation will use "
          f"{chosen} the next time it starts.")
    if os.environ.get(ENV_DATABASE_URL):
        print(f"Note: {ENV_DATABASE_URL} is set "
              f"({describe_url(os.environ[ENV_DATABASE_URL])}) and takes precedence over "
              "this setting until it is removed.")
    return EXIT_OK


def _add_guard_parsers(db_sub: Any) -> None:
    """Register ``db repair-guards`` and ``db setup-roles`` on the ``db`` sub-parsers."""
    repair = db_sub.add_parser(
        "repair-guards", help="re-create missing, disabled or altered guard triggers "
        "(an administrator's user name and password; on PostgreSQL the owner's login)")
    repair.add_argument("--user", required=True, metavar="USERNAME",
                        help="an administrator's ketalog user name")
    repair.add_argument("--password-stdin", action="store_true",
                        help="read the administrator's password from standard input")
    roles = db_sub.add_parser(
        "setup-roles", help="PostgreSQL: create the owner role (migrations) and the app role "
        "(workstations, least privilege); run with a superuser's --database-url")
    roles.add_argument("--owner", default="ketalog_owner", metavar="ROLE",
                       help="the role that owns the tables and runs upgrades "
                       "(default ketalog_owner)")
    roles.add_argument("--app", default="ketalog_app", metavar="ROLE",
                       help="the role the workstations log in as (default ketalog_app)")
    roles.add_argument("--passwords-stdin", action="store_true",
                       help="read the owner's password, then the app role's, one a line "
                       "(an empty line keeps or sets no password)")


def _one_line(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password; use the --...-stdin option")
    return getpass.getpass(prompt)


def cmd_db_repair_guards(args: argparse.Namespace) -> int:
    """Check the guards and re-create the broken ones, audited under the administrator."""
    from sqlalchemy.exc import DBAPIError

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.accounts import LoginRefused
    from ketalog.services.guards import repair_database_guards

    password = _one_line("Administrator's password: ", args.password_stdin)
    url = resolve_database_url(args.database_url)
    with clinic_database(url, guards=Guards.IGNORE) as factory, factory() as db:
        try:
            repaired = repair_database_guards(db, args.user, password,
                                              workstation=cli_workstation())
        except (LoginRefused, PermissionDenied) as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        except DBAPIError as exc:
            db.rollback()
            raise CommandError(
                f"the guards of {describe_url(url)} could not be re-created "
                f"({str(exc.orig).splitlines()[0] if exc.orig else exc}); on PostgreSQL "
                "run this with the tables' owner login (see 'ketalog db setup-roles'). "
                "Nothing was changed.") from exc
    if not repaired:
        print(f"OK: every guard of {describe_url(url)} is in place and enabled; nothing to do.")
        return EXIT_OK
    for problem in repaired:
        print(f"Repaired: {problem.describe()}.")
    print("Every guard is in place again (recorded in the audit trail). Check what may have "
          "changed meanwhile: 'ketalog audit verify' and 'ketalog verify SESSION_ID'.")
    return EXIT_OK


def cmd_db_setup_roles(args: argparse.Namespace) -> int:
    """Create the owner and app roles on PostgreSQL and say which URL each one uses."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError


    url = resolve_database_url(args.database_url)
    if normalise_url(url).get_backend_name() == "sqlite":  # not "no database": no roles
        raise CommandError(f"{NO_ROLES_ON_SQLITE} Nothing was changed.")
    owner_password = _one_line(f"Password for {args.owner}: ", args.passwords_stdin)
    app_password = _one_line(f"Password for {args.app}: ", args.passwords_stdin)
    try:
        with unmigrated_engine(url) as engine, engine.begin() as conn:
            report = setup_roles(conn, owner=args.owner, app=args.app,
                                 owner_password=owner_password or None,
                                 app_password=app_password or None)
    except RolesError as exc:
        raise CommandError(f"{exc} Nothing was changed.") from exc
    except DBAPIError as exc:
        raise CommandError(
            f"the roles could not be set up on {describe_url(url)} "
            f"({str(exc.orig).splitlines()[0] if exc.orig else exc}); run this with a "
            "superuser's login. Nothing was changed.") from exc
    base = make_url(url).set(drivername="postgresql", password=None)
    print(f"Database {report.database}, schema {report.schema}: {report.tables} tables now "
          f"belong to {report.owner}; {report.app} may read and write what the services need, "
          "and cannot disable or drop guards, truncate tables or reset id sequences.")
    print(f"Workstations:  ketalog db use {describe_url(base.set(username=report.app))}")
    print(f"Upgrades:      ketalog --database-url {describe_url(base.set(username=report.owner))}"
          " db upgrade   (then run setup-roles again)")
    return EXIT_OK
