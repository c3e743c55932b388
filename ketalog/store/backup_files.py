"""What a backup and a restore share, SQLite or PostgreSQL: names, results and refusals.

Kept apart from :mod:`ketalog.store.backup` (SQLite, and the entry points) and
:mod:`ketalog.store.pg_backup` (pg_dump/pg_restore) so that neither imports the other
for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketalog.store.errors import BackupError, not_a_plain_file
from ketalog.store.revisions import HEAD_REVISION, KNOWN_REVISIONS

#: Tables every ketalog database has had since its first schema.
REQUIRED_TABLES = ("alembic_version", "patients", "treatment_sessions", "audit_log")
#: The first bytes of a ``pg_dump --format=custom`` archive.
PG_ARCHIVE_MAGIC = b"PGDMP"
#: Unfinished copies are written under this prefix and renamed when complete.
PARTIAL_PREFIX = ".ketalog-backup-"
PARTIAL_SUFFIX = ".partial"


def check_backup_target(target: Path, example_name: str) -> Path:
    """Refuse a backup path whose folder is missing or that is a folder; return the folder."""
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist; create it or choose another "
                          "place. Nothing was written.")
    if target.is_dir() and not target.is_symlink():
        raise BackupError(f"{target} is a folder; give a file name such as "
                          f"{target / example_name}.")
    problem = not_a_plain_file(target)
    if problem is not None:
        raise BackupError(f"{problem}; nothing was written. Give a new file name.")
    return folder


@dataclass(frozen=True)
class BackupInfo:
    """A backup that was written and checked."""

    path: Path
    size_bytes: int
    revision: str
    database: str  # the database backed up: its file, or its URL with the password hidden


@dataclass(frozen=True)
class RestoreInfo:
    """A restore that replaced the database's content."""

    source: Path
    size_bytes: int
    revision: str
    database: str  # the database restored into: its file, or its URL without password
    previous_copy: Path | None  # the database as it was before, kept beside it (if any)

    @property
    def needs_upgrade(self) -> bool:
        """True when the backup is of an older schema: ketalog upgrades it at the next start."""
        return self.revision != HEAD_REVISION


def refuse_unknown_revision(revision: str, source: Path) -> None:
    """Refuse a backup whose schema this version of ketalog does not know."""
    if revision in KNOWN_REVISIONS:
        return
    if revision.isdigit() and revision > HEAD_REVISION:
        raise BackupError(f"{source} was made by a newer version of ketalog (schema {revision}; "
                          f"this version knows up to {HEAD_REVISION}). Update ketalog on this "
                          "computer, then restore it. Nothing was changed.")
    raise BackupError(f"{source} has a schema revision ketalog does not know ({revision!r}); it "
                      "is not a backup this version can restore. Nothing was changed.")


def read_header(path: Path) -> bytes:
    """The first 100 bytes of a file (the SQLite header), or a BackupError."""
    try:
        with path.open("rb") as handle:
            return handle.read(100)
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}. Check the file's permissions; "
                          "nothing was changed.") from exc
