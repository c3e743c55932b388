"""``ketalog backup FILE`` and ``ketalog restore FILE``.

Like the account commands, these act as the system: whoever runs them already
holds the database file or its credentials, so no ketalog sign-in is asked
for. A restore replaces every record, so it asks for confirmation (or
``--yes``). Both are written to the audit trail of the database they leave
behind: the backup in the database backed up, the restore in the restored one.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK, CommandError, cli_actor, unmigrated_engine
from ketalog.services.context import system_clock
from ketalog.store.anchors import AnchorReason
from ketalog.store.engine import DatabaseConfigError, describe_url, resolve_database_url
from ketalog.store.migrate import HEAD_REVISION, SchemaState, schema_status

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse

    from ketalog.store.backup import BackupInfo, RestoreInfo


def add_backup_parsers(sub: Any) -> None:
    """Register ``backup`` and ``restore`` on the main sub-parsers."""
    backup = sub.add_parser(
        "backup", help="write a checked backup of the database to FILE (SQLite: a copy taken "
        "with SQLite's online backup API, safe while ketalog runs; PostgreSQL: a pg_dump "
        "archive)")
    backup.add_argument("file", metavar="FILE",
                        help="the backup file to write (written completely or not at all)")
    restore = sub.add_parser(
        "restore", help="replace the database with a backup made by 'ketalog backup' or the "
        "daily automatic backup (a SQLite database is kept beside itself first)")
    restore.add_argument("file", metavar="FILE", help="the backup file to restore")
    restore.add_argument("--yes", action="store_true",
                         help="do not ask for confirmation (for scripts)")


def _audit(url: str, action: str, *, old: str | None, new: str) -> str | None:
    """Write one audit row as the command line; None, or why it could not be written."""
    from sqlalchemy.exc import SQLAlchemyError

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.audit import append_audit
    from ketalog.services.database import make_sessionmaker

    try:
        with unmigrated_engine(url) as engine:
            if schema_status(engine).state not in (SchemaState.CURRENT, SchemaState.BEHIND):
                return "the database's schema is not one this version of ketalog writes to"
            with make_sessionmaker(engine)() as db:
                append_audit(db, cli_actor(), action, at=system_clock(), old=old, new=new)
                db.commit()
    except (DatabaseConfigError, SQLAlchemyError) as exc:
        return str(exc).splitlines()[0]
    return None


def _backup_line(info: BackupInfo) -> str:
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.backup import human_size

    return (f"Backed up {info.database} to {info.path} ({human_size(info.size_bytes)}, "
            f"schema {info.revision}).")


def _restore_line(info: RestoreInfo) -> str:
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.backup import human_size

    line = (f"Restored {info.source} ({human_size(info.size_bytes)}, schema {info.revision}) "
            f"into {info.database}")
    line += f"; the previous database is kept as {info.previous_copy}" \
        if info.previous_copy else ""
    if info.needs_upgrade:
        line += (f"; it is an older schema, which ketalog upgrades to {HEAD_REVISION} at its "
                 "next start (or run 'ketalog db upgrade')")
    return line + "."


def _confirmed(database: str, source: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"Replace every record in {database} with the backup {source}? "
                   "Type yes to go on: ")
    return answer.strip().lower() == "yes"


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a backup file and record it in the audit trail."""
    from pathlib import Path

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.backup import BackupError, backup_database

    url = resolve_database_url(args.database_url)
    try:
        info = backup_database(url, Path(args.file))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(_backup_line(info))
    problem = _audit(url, "backup_taken", old=None,
                     new=f"{info.path.resolve()} ({info.size_bytes} bytes, schema "
                         f"{info.revision})")
    if problem:
        print(f"ketalog: note: the backup is complete, but it could not be recorded in the "
              f"audit trail: {problem}", file=sys.stderr)
    else:
        _anchor(url, AnchorReason.BACKUP)
    return EXIT_OK


def _anchor(url: str, reason: str) -> None:
    """Append the trail's end (with the command's own audit row) to the audit anchor file."""
    from sqlalchemy.exc import SQLAlchemyError

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.audit_anchors import anchor_now
    from ketalog.services.database import make_sessionmaker

    try:
        with unmigrated_engine(url) as engine, make_sessionmaker(engine)() as db:
            anchor = anchor_now(db, now=system_clock(), reason=reason)
    except DatabaseConfigError as exc:
        print(f"ketalog: note: the audit trail was not anchored: {exc}", file=sys.stderr)
        return
    except (OSError, SQLAlchemyError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        what = "restore" if reason == AnchorReason.RESTORE else "backup"
        print(f"ketalog: note: the {what} is complete, but the audit trail could not be "
              f"anchored: {problem}", file=sys.stderr)
        return
    if anchor is not None:
        print(f"Anchored the audit trail at row {anchor.last_row_id or 0} "
              f"({anchor.row_count} rows).")


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup, after confirmation; record it in the audit trail."""
    from pathlib import Path

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.store.backup import BackupError, restore_database

    url = resolve_database_url(args.database_url)
    if not args.yes and not _confirmed(describe_url(url), args.file):
        raise CommandError("The restore replaces every record in the database and was not "
                           "confirmed; nothing was changed. Answer yes, or add --yes.")
    try:
        info = restore_database(url, Path(args.file))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(_restore_line(info))
    problem = _audit(url, "database_restored",
                     old=str(info.previous_copy) if info.previous_copy else None,
                     new=f"{info.source.resolve()} (schema {info.revision})")
    if problem:
        print(f"ketalog: note: the restore is complete, but it could not be recorded in the "
              f"audit trail: {problem}", file=sys.stderr)
    else:
        # anchors taken before describe the database replaced; from here on this one counts
        _anchor(url, AnchorReason.RESTORE)
    return EXIT_OK
