"""Storage faults in words a nurse or the clinic's administrator can act on.

Two jobs, both read-only:

* :func:`describe_database_error` turns what SQLite or PostgreSQL said when a
  save failed (disk full, read-only, damaged file, I/O error) into one sentence
  that says nothing was saved and what to do. Whatever it does not recognise
  gets the general "could not save" sentence.
* :func:`sqlite_file_problem` looks at an existing SQLite file before ketalog
  opens it for writing: merely opening a file in WAL mode rewrites two bytes
  of its header, so a foreign, truncated or damaged file must be refused
  before that happens. The look is cheap on purpose (the header, the file
  size and the schema; a few pages whatever the file's size): a full
  ``PRAGMA quick_check`` reads every page, far too slow for every start on a
  clinic's ten-year file. Damage in pages not read at start is reported by
  :func:`describe_database_error` when a read reaches it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ketalog.store import encryption
from ketalog.store import revisions as schema  # a module: no upper-case names here but messages

#: The general sentence for a failed save whose cause is not recognised.
GENERIC_SAVE_FAILURE = ("The database could not save this; nothing was changed. Check the "
                        "connection and try again.")

DISK_FULL = ("The disk holding the database is full; nothing was saved. Free space on that "
             "disk (delete or move other files, or ask the administrator), then save again.")
READ_ONLY = ("The database is read-only, so nothing was saved: the disk holding it has "
             "become read-only (often after a disk fault) or the file's permissions forbid "
             "writing. Ask the administrator to check the disk and make the database file "
             "writable, then save again.")
DAMAGED = ("The database file is damaged (SQLite found a malformed page); nothing was "
           "saved. Stop entering data on this workstation and ask the administrator to "
           "restore the latest backup; the damaged file is left as it is.")
NOT_A_DATABASE = ("The database file is no longer a SQLite database (it was overwritten or "
                  "damaged); nothing was saved. Ask the administrator to restore the latest "
                  "backup.")
DISK_ERROR = ("The disk holding the database reported a read or write error (it may be "
              "failing, unplugged or no longer writable); nothing was saved. Ask the "
              "administrator to check the disk, then try again; if it keeps failing, restore "
              "the latest backup onto another disk.")
CANNOT_OPEN = ("The database file cannot be opened (the disk holding it is unplugged or "
               "read-only, or the file was moved or deleted); nothing was saved. Ask the "
               "administrator to check the disk and the database path, then try again.")
BUSY = ("The database file is held by another program or workstation; nothing was saved. "
        "Try again in a moment; if it keeps happening, close other programs that use the file.")
SERVER_DISK_FULL = ("The database server's disk is full; nothing was saved. Ask the "
                    "administrator to free space on the PostgreSQL server, then save again.")
SERVER_READ_ONLY = ("The database server accepts only reading now (a read-only standby, or "
                    "writing switched off); nothing was saved. Ask the administrator to point "
                    "ketalog at the primary server or allow writing, then save again.")
SERVER_DAMAGED = ("The database server reports damaged data; nothing was saved. Ask the "
                  "administrator to check the server and restore the latest backup.")
SERVER_DISK_ERROR = ("The database server could not read or write its disk; nothing was "
                     "saved. Ask the administrator to check the server's disk, then try again.")

#: SQLite's primary result code names (the extended ones start with these).
_SQLITE_MESSAGES = (
    ("SQLITE_FULL", DISK_FULL),
    ("SQLITE_READONLY", READ_ONLY),
    ("SQLITE_CORRUPT", DAMAGED),
    ("SQLITE_NOTADB", NOT_A_DATABASE),
    ("SQLITE_IOERR", DISK_ERROR),
    ("SQLITE_CANTOPEN", CANNOT_OPEN),
    ("SQLITE_BUSY", BUSY),
    ("SQLITE_LOCKED", BUSY),
)
#: Texts of the same errors, for drivers or versions that give no code.
_TEXT_MESSAGES = (
    ("database or disk is full", DISK_FULL),
    ("attempt to write a readonly database", READ_ONLY),
    ("database disk image is malformed", DAMAGED),
    ("malformed database schema", DAMAGED),
    ("file is not a database", NOT_A_DATABASE),
    ("disk i/o error", DISK_ERROR),
    ("unable to open database file", CANNOT_OPEN),
    ("database is locked", BUSY),
    # PostgreSQL
    ("could not extend file", SERVER_DISK_FULL),
    ("no space left on device", SERVER_DISK_FULL),
    ("read-only transaction", SERVER_READ_ONLY),
    ("invalid page in block", SERVER_DAMAGED),
)
#: PostgreSQL SQLSTATEs (exact, then by class prefix).
_SQLSTATE_MESSAGES = {
    "53100": SERVER_DISK_FULL,   # disk_full
    "25006": SERVER_READ_ONLY,   # read_only_sql_transaction
    "XX001": SERVER_DAMAGED,     # data_corrupted
    "XX002": SERVER_DAMAGED,     # index_corrupted
    "58030": SERVER_DISK_ERROR,  # io_error
}


def describe_database_error(exc: BaseException) -> str:
    """One sentence for a failed save: what went wrong with the storage, and the fix.

    ``exc`` is a SQLAlchemy error (its driver error in ``orig``) or the
    driver's own; anything unrecognised gets :data:`GENERIC_SAVE_FAILURE`.
    """
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, message in _SQLITE_MESSAGES:
            if name == prefix or name.startswith(prefix + "_"):
                return message
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str) and state in _SQLSTATE_MESSAGES:
        return _SQLSTATE_MESSAGES[state]
    lowered = str(orig).lower()
    for text, message in _TEXT_MESSAGES:
        if text in lowered:
            return message
    return GENERIC_SAVE_FAILURE


def _hot_wal(path: Path) -> bool:
    """Whether committed pages may still wait in ``path``-wal (SQLite replays them)."""
    try:
        return Path(f"{path}-wal").stat().st_size > 0
    except OSError:
        return False


def _header_problem(path: Path, header: bytes, size_bytes: int) -> str | None:
    """Check the 100-byte header against the file's size (SQLite file format, section 1.3)."""
    if len(header) < 100:
        return (f"The database file {path} is cut short ({size_bytes} bytes, less than a "
                "SQLite header): an incomplete copy or a failed disk. ketalog left it "
                "untouched; restore a backup.")
    raw_page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if raw_page_size == 1 else raw_page_size
    if page_size < 512 or page_size & (page_size - 1):
        return (f"The database file {path} has a damaged header (page size {raw_page_size}). "
                "ketalog left it untouched; restore a backup.")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    pages = int.from_bytes(header[28:32], "big")
    # The page count is trusted only when the writer kept it current; a WAL not
    # yet copied back may legitimately hold pages beyond the end of the file.
    if pages and change_counter == valid_for and not _hot_wal(path):
        expected = pages * page_size
        if size_bytes < expected:
            return (f"The database file {path} is cut short: its header says "
                    f"{expected} bytes, the file has {size_bytes} (an incomplete copy or a "
                    "failed disk). ketalog left it untouched; restore a backup.")
    return None


def _writable_problem(path: Path) -> str | None:
    """Whether ketalog could write the file and its -wal beside it (a read-only disk?)."""
    folder = path.parent
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK):
        return None
    return (f"The database file {path} is read-only (the disk holding it is mounted "
            "read-only, or the file or its folder may not be written), and ketalog must write "
            "every entry. Nothing was changed. Ask the administrator to make the disk and "
            f"the folder {folder} writable, then start ketalog again.")


def _schema_problem(path: Path, key: encryption.DatabaseKey | None = None) -> str | None:
    """Read the table names without writing: damage near the schema, or a foreign file.

    With no -wal file beside it the file alone is the whole database and is
    read as immutable (no -wal or -shm is created next to a file that may be
    refused); with one, SQLite must read it too. An encrypted file is read
    with its ``key``.
    """
    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    uri = f"{path.resolve().as_uri()}?mode=ro{immutable}"
    try:
        conn = encryption.connect(uri, key, uri=True, timeout=5)
        try:
            names = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            revisions = [str(row[0]) for row in conn.execute(
                "SELECT version_num FROM alembic_version")] if "alembic_version" in names else []
        finally:
            conn.close()
    except encryption.codec_errors() as exc:  # SQLCipher: "out of memory" after a bad page
        return _unreadable(path, exc)
    tables = [name for name in names if not name.startswith("sqlite_")]
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        return (f"The file {path} is a SQLite database of another program (tables: {shown}), "
                "not a ketalog database. ketalog left it untouched; choose the ketalog "
                "database file, or a new file name to start an empty one.")
    return _revision_problem(path, revisions)


def _revision_problem(path: Path, revisions: list[str]) -> str | None:
    """A schema revision this ketalog does not know: newer, or another Alembic program's."""
    unknown = [r for r in revisions if r not in schema.KNOWN_REVISIONS]
    if not unknown:
        return None
    if unknown[0].isdigit() and len(unknown[0]) == len(schema.HEAD_REVISION):
        return (f"The database {path} was written by a newer version of ketalog (schema "
                f"{unknown[0]}; this version knows up to {schema.HEAD_REVISION}). Update "
                "ketalog on this workstation; nothing was changed.")
    return (f"The file {path} belongs to another program (its schema revision {unknown[0]} "
            "is not ketalog's). ketalog left it untouched; choose the ketalog database file, "
            "or a new file name to start an empty one.")


def _unreadable(path: Path, exc: Exception) -> str:
    """The start-up refusal for a file SQLite could not read."""
    detail = str(exc).strip() or type(exc).__name__
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in detail:
        return (f"The database file {path} is damaged (SQLite: {detail}). ketalog left it "
                "untouched; restore the latest backup, or choose another database file.")
    return (f"Cannot read the database file {path} (SQLite: {detail}). ketalog left it "
            "untouched; check the disk and the file, then start ketalog again.")


def sqlite_header_problem(path: Path) -> str | None:
    """The header and size checks alone, for a file opened only to be read (evidence).

    A read-only copy may not be writable, and that is no reason to refuse it.
    """
    with path.open("rb") as handle:
        header = handle.read(100)
    if header[:16] != b"SQLite format 3\x00":
        return (f"{path} is not a SQLite database (it may be another kind of file or "
                "damaged). ketalog left it untouched; choose the ketalog database file.")
    return _header_problem(path, header, path.stat().st_size)


def sqlite_file_problem(path: Path, *, key: encryption.DatabaseKey | None = None) -> str | None:
    """Why an existing SQLite file must not be opened for writing; None when it may.

    Reads only: the header, the file's size and the list of tables (with a
    read-only connection), so a refused file is byte for byte as it was. A
    zero-length file passes: it holds nothing to overwrite, SQLite treats it
    as a new empty database, and it is what a first start killed before its
    first write leaves behind. An encrypted file (``key`` given) has no
    header in clear: its writability and schema are checked.
    """
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        return _writable_problem(path)
    if key is not None:
        return _writable_problem(path) or _schema_problem(path, key)
    with path.open("rb") as handle:
        header = handle.read(100)
    return (_header_problem(path, header, size_bytes) or _writable_problem(path)
            or _schema_problem(path))
