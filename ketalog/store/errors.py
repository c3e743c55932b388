"""The store's refusals, in one module every other store module may import.

Kept apart so that the modules raising them (engine, workstation, backup, ...)
need not import each other for an exception class. ``GuardsBroken`` stays in
:mod:`ketalog.store.guards`: it carries the guards' own problem list.
"""

from __future__ import annotations


class DatabaseConfigError(Exception):
    """The database cannot be used as configured; the message says how to fix it."""


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


class IsAFolder(OSError):
    """The path names a folder, not a file."""
