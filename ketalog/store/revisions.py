"""The schema revisions this ketalog knows, without loading the migration machinery.

Kept apart from :mod:`ketalog.store.migrate` so that the start-up checks of a
SQLite file (:mod:`ketalog.store.faults`) and backups can name the revisions
without importing the migration code (which imports the engine module).
"""

from __future__ import annotations

#: The newest schema revision this version of ketalog knows.
HEAD_REVISION = "0019"
#: Every revision this version knows, oldest first.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009",
                   "0010", "0011", "0013", "0014", "0015", "0016", "0017", "0018",
                   "0019")
