"""The store's refusals, in one module every other store module may import.

Kept apart so that the modules raising them (engine, workstation, backup, ...)
need not import each other for an exception class. ``GuardsBroken`` stays in
:mod:`ketalog.store.guards`: it carries the guards' own problem list.
"""

from __future__ import annotations

from pathlib import Path


class DatabaseConfigError(Exception):
    """The database cannot be used as configured; the message says how to fix it."""


class NoDatabase(DatabaseConfigError):
    """There is no ketalog database where the URL points, and this command creates none.

    Only ``ketalog db upgrade``, ``ketalog demo`` and the app's first start
    create a schema: a typing error in a URL must not leave a new, empty
    clinic database (and its folder) behind a command that only reads.
    """

    def __init__(self, where: str, detail: str = "") -> None:
        super().__init__(
            f"There is no ketalog database at {where}{detail}: create one with 'ketalog db "
            "upgrade' (or start the app), or check --database-url. Nothing was created.")


class WriteInReadOnlyWork(Exception):
    """Read-only work (a list, a report, a check) tried to write; the database refused it.

    A fault in the code, never the user's: the message says nothing was written.
    """


class WorkstationConfigError(DatabaseConfigError):
    """The workstation file exists but cannot be read or understood."""


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


class RolesError(Exception):
    """The roles could not be set up; the message says why."""


class AnchorFileDamaged(Exception):
    """The anchor file was edited: a line does not parse or does not follow the one before."""


class FolderMissing(OSError):
    """The folder the file should go in does not exist."""


class FileNotWritten(Exception):
    """A file could not be written; the message says why and what to do, and nothing was."""


class NotAPlainFile(OSError):
    """The path names something that is not ours to replace: a device, a pipe, a link."""


class IsAFolder(NotAPlainFile):
    """The path names a folder, not a file."""


def not_a_plain_file(target: Path) -> str | None:
    """Why ``target`` may not be written over (None: nothing there, or a regular file).

    Writing goes through a temporary file renamed over the target, which would
    replace a device (/dev/null), a pipe or a link (and not write through it)
    with a regular file: a file that was not ours.
    """
    if str(target) == "-":
        return ("'-' (standard output) is not a file ketalog writes to; give a file name, "
                "so the whole file is written or none of it")
    if target.is_symlink():
        return f"{target} is a link, not a plain file"
    if target.exists() and not target.is_file() and not target.is_dir():
        return f"{target} is not a plain file (a device or a pipe)"
    return None
