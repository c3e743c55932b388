"""``ketalog db encrypt`` and ``ketalog db key export|import``: encryption at rest.

A new SQLite clinic is encrypted when it is created on a workstation with a key
store; ``db encrypt`` converts an existing one. The key lives only in the
operating system's key store: ``db key export`` writes it to a recovery file
for the clinic's safe, ``db key import`` puts it in another workstation's key
store. Each is written to the clinic's audit trail (never the key itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK
from ketalog.store.engine import resolve_database_url

if TYPE_CHECKING:
    import argparse

#: Printed once, when the recovery file is written.
RECOVERY_WARNING = (
    "Keep it locked away: anyone holding this file can read every patient record in the "
    "database, and without it a database whose workstation is lost cannot be read by anyone. "
    "Print it or copy it to removable media for the clinic's safe, then delete {file} from "
    "this computer.")


def add_encryption_parsers(db_sub: Any) -> None:
    """Register ``db encrypt`` and ``db key export|import`` on the ``db`` sub-parsers."""
    db_sub.add_parser(
        "encrypt", help="encrypt this SQLite clinic with a new key kept in this workstation's "
        "key store (a checked backup first; close ketalog everywhere before)")
    key = db_sub.add_parser("key", help="the encrypted clinic's key: export it to a recovery "
                            "file, or import one on another workstation")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    export = key_sub.add_parser("export", help="write the key to a new recovery FILE (keep it "
                                "locked away)")
    export.add_argument("file", metavar="FILE", help="the recovery file to write (must not exist)")
    imported = key_sub.add_parser("import", help="keep the key of a recovery FILE in this "
                                  "workstation's key store")
    imported.add_argument("file", metavar="FILE", help="a file written by 'ketalog db key export'")


def cmd_db_encrypt(args: argparse.Namespace) -> int:
    """Convert the plain SQLite clinic into an encrypted one."""
    # start-up: the store's backup and SQLCipher load when the command runs
    from ketalog.store.encrypt_clinic import encrypt_clinic

    url = resolve_database_url(args.database_url)
    done = encrypt_clinic(url)
    print(f"Encrypted {done.database}: {done.tables} tables, {done.rows} rows, checked; the "
          "plain file is gone and its key is in this workstation's key store. Export the key "
          "now for the clinic's safe: ketalog db key export FILE")
    if done.plain_copies:
        print(f"Note: {len(done.plain_copies)} backup(s) taken before still hold patient data in "
              f"clear (e.g. {done.plain_copies[0]}); delete them once a new backup is taken.")
    _record(url, "database_encrypted", f"clinic {done.clinic_id}")
    return EXIT_OK


def cmd_db_key(args: argparse.Namespace) -> int:
    """Export or import the clinic's key."""
    from ketalog.store.encrypt_clinic import export_recovery_key, import_recovery_key

    url = resolve_database_url(args.database_url)
    target = Path(args.file)
    if args.key_command == "export":
        key = export_recovery_key(url, target)
        print(f"Wrote the recovery key of this clinic ({key.clinic_id[:8]}...) to {target}. "
              + RECOVERY_WARNING.format(file=target))
        _record(url, "recovery_key_exported", f"clinic {key.clinic_id}")
        return EXIT_OK
    key, used = import_recovery_key(url, target)
    where = "the database here opens with it" if used else (
        "no database here uses it yet (restore the clinic's backup, or point ketalog at its "
        "file)")
    print(f"Kept the key of clinic {key.clinic_id[:8]}... in this workstation's key store; "
          f"{where}.")
    if used:
        _record(url, "recovery_key_imported", f"clinic {key.clinic_id}")
    return EXIT_OK


def _record(url: str, action: str, what: str) -> None:
    """The audit row for a key operation; a note when it could not be written."""
    import sys

    from ketalog.cli.backup import _audit

    problem = _audit(url, action, old=None, new=what)
    if problem:
        print(f"ketalog: note: done, but it could not be recorded in the audit trail: {problem}",
              file=sys.stderr)




def new_clinic_file(url: str | None) -> Path | None:
    """The SQLite file ``url`` names when opening it will create a new clinic, else None."""
    from ketalog.store.encrypt_clinic import clinic_file

    try:
        path = clinic_file(resolve_database_url(url))
    except Exception:  # PostgreSQL, memory or a bad URL: not a new file; opening says why
        return None
    return path if not path.exists() or (path.is_file() and path.stat().st_size == 0) else None


def encryption_line(path: Path) -> str:
    """One line on whether the clinic just created at ``path`` is encrypted, and why not."""
    from ketalog.store import encryption

    if encryption.is_encrypted_file(path):
        return ("Encrypted at rest: its key is in this workstation's key store; export it for "
                "the clinic's safe with 'ketalog db key export FILE'.")
    problem = encryption.key_store_problem() or "it was created plain"
    return (f"Note: {path} is not encrypted: {problem}. Encrypt it later with 'ketalog db "
            "encrypt' on a workstation that has one.")
