"""Encrypting an existing clinic, and its key's recovery file (``ketalog db encrypt``, ``db key``).

The conversion never touches the plain file until the encrypted copy is
complete and checked: a checked backup first, the key into the key store
before a byte is encrypted with it (a key lost half-way would lose the clinic),
``sqlcipher_export`` into a new file beside the database, the copy's integrity
and row counts compared with the original, then one atomic rename over it.

The recovery file is the key in words (see :meth:`DatabaseKey.recovery_text`):
written once, readable only by its owner, never over an existing file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ketalog.store import encryption
from ketalog.store.backup import (
    backup_database,
    backup_folder,
    integrity_problem,
    list_automatic_backups,
)
from ketalog.store.backup_files import REQUIRED_TABLES
from ketalog.store.encryption import DatabaseKey
from ketalog.store.engine import check_sqlite_file, normalise_url, sqlite_path
from ketalog.store.errors import BackupError, DatabaseConfigError, not_a_plain_file
from ketalog.store.files import make_private_folder

#: A recovery file is a few lines; anything larger is not one.
RECOVERY_FILE_MAX_BYTES = 4096
_SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class EncryptedClinic:
    """What ``db encrypt`` did."""

    database: Path
    clinic_id: str
    tables: int
    rows: int
    plain_copies: tuple[Path, ...]  # plain backups left from before (patient data in clear)


def clinic_file(url: str) -> Path:
    """The SQLite file behind ``url``; DatabaseConfigError for PostgreSQL or memory."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise DatabaseConfigError(
            "Encryption at rest is for SQLite clinics; a PostgreSQL server encrypts its disk "
            "itself (ask its administrator) and its connections with TLS (sslmode=verify-full).")
    path = sqlite_path(parsed)
    if path is None:
        raise DatabaseConfigError("An in-memory database has no file to encrypt.")
    return path


def _counts(conn: object) -> dict[str, int]:
    """Every table's row count (the schema's own tables left out)."""
    execute = conn.execute  # type: ignore[attr-defined]
    names = [str(row[0]) for row in execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {name: int(execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names}


def _plain_copies(path: Path) -> tuple[Path, ...]:
    """Backups of the clinic written before it was encrypted: still in clear."""
    found = [b.path for b in list_automatic_backups(path)]
    found += sorted(path.parent.glob(f"{path.stem}.before-*{path.suffix}"))
    folder = backup_folder(path)
    found += sorted(folder.glob(f"{path.stem}.before-*{path.suffix}")) if folder.is_dir() else []
    return tuple(p for p in found if p.is_file() and not encryption.is_encrypted_file(p))


def encrypt_clinic(url: str) -> EncryptedClinic:
    """Convert the plain SQLite clinic at ``url`` into an encrypted one, in place.

    Raises:
        DatabaseConfigError: nothing was changed; the message says why.
    """
    path = clinic_file(url)
    if not path.is_file() or path.stat().st_size == 0:
        raise DatabaseConfigError(f"There is no database at {path}; a new clinic is "
                                  "encrypted when it is created. Nothing was changed.")
    if encryption.is_encrypted_file(path):
        raise DatabaseConfigError(f"{path} is already encrypted; nothing was changed.")
    problem = encryption.key_store_problem()
    if problem is not None:
        raise DatabaseConfigError(f"The database cannot be encrypted: {problem}. Nothing was "
                                  "changed.")
    check_sqlite_file(path)  # a damaged, foreign or newer file is refused as at start-up
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safety = backup_folder(path) / f"{path.stem}.before-encryption-{stamp}{path.suffix}"
    try:
        make_private_folder(safety.parent)
        backup_database(url, safety)  # "backup first": the plain file as it is now, checked
    except (BackupError, OSError) as exc:
        raise DatabaseConfigError(f"The backup taken before encrypting failed: {exc} "
                                  "Nothing was changed.") from exc
    key = DatabaseKey.generate()
    encryption.keep_key(key)  # before a byte is encrypted with it
    handle, temp_name = tempfile.mkstemp(prefix=".ketalog-encrypt-", suffix=".partial",
                                         dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        counts = _export_checked(path, temp, key)
        if any(Path(f"{path}{s}").exists() for s in ("-wal", "-shm")):
            raise DatabaseConfigError(
                f"ketalog is still open on {path} (on this or another workstation), so saves "
                "made there now would be lost: close it everywhere, then run 'ketalog db "
                "encrypt' again. Nothing was changed.")
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        temp_name = ""
        if os.name != "nt":
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except encryption.driver_errors() as exc:
        raise DatabaseConfigError(f"The encrypted copy of {path} could not be written ({exc}); "
                                  "check the free disk space. Nothing was changed.") from exc
    except OSError as exc:
        raise DatabaseConfigError(f"The encrypted copy of {path} could not be put in place "
                                  f"({exc.strerror or exc}); nothing was changed.") from exc
    finally:
        if temp_name:  # stopped before the rename: the plain file is the clinic, as it was
            for name in (temp_name, *(temp_name + s for s in _SIDECARS)):
                Path(name).unlink(missing_ok=True)
            encryption.drop_key(key)
        # Either the plain file is untouched or its checked encrypted copy replaced it: the
        # backup (kept only if the process dies half-way) would be one more copy in clear.
        safety.unlink(missing_ok=True)
    return EncryptedClinic(path, key.clinic_id, len(counts), sum(counts.values()),
                           _plain_copies(path))


def _export_checked(path: Path, temp: Path, key: DatabaseKey) -> dict[str, int]:
    """Export ``path`` into ``temp`` encrypted, check the copy; the row counts per table.

    The plain file is read in one IMMEDIATE transaction (no save lands between the
    export and the count), then closed, which folds its WAL back in.
    """
    plain = encryption.open_plain_with_cipher_driver(path)
    try:
        plain.execute("PRAGMA busy_timeout = 5000")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        quoted = str(temp).replace("'", "''")
        plain.execute(f"ATTACH DATABASE '{quoted}' AS encrypted KEY \"{key.raw}\"")
        try:
            plain.execute("BEGIN IMMEDIATE")
            plain.execute("SELECT sqlcipher_export('encrypted')").fetchall()
            counts = _counts(plain)
            plain.execute("COMMIT")
        finally:
            plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    copy = encryption.connect(temp, key, isolation_level=None)
    try:
        copy.execute("PRAGMA journal_mode = WAL").fetchall()
        problem = integrity_problem(copy)
        copied = _counts(copy)
        copy.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        copy.close()
    if problem is not None or copied != counts or not set(REQUIRED_TABLES) <= set(counts):
        raise DatabaseConfigError(
            f"The encrypted copy of {path} did not match it ({problem or 'row counts differ'}); "
            "it was deleted and the database left as it was.")
    return counts


# --------------------------------------------------------------------------- recovery file


def export_recovery_key(url: str, target: Path) -> DatabaseKey:
    """Write the clinic's key to ``target`` (a new file, owner-only); return the key.

    Raises:
        DatabaseConfigError: the database is not encrypted, this workstation
            has no key for it, or the file cannot be written (nothing written).
    """
    path = clinic_file(url)
    key = encryption.key_for_file(path)
    if key is None:
        raise DatabaseConfigError(f"{path} is not encrypted, so it has no key to export "
                                  "('ketalog db encrypt' encrypts it).")
    target = target.expanduser()
    problem = not_a_plain_file(target)
    if problem is None and target.exists():
        problem = f"{target} already exists"
    if problem is not None:
        raise DatabaseConfigError(f"{problem}; give a new file name. Nothing was written.")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DatabaseConfigError(f"Cannot write {target}: {exc.strerror or exc}. Nothing was "
                                  "written.") from exc
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.recovery_text())
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise DatabaseConfigError(f"Cannot write {target}: {exc.strerror or exc}. Nothing was "
                                  "written.") from exc
    return key


def import_recovery_key(url: str, source: Path) -> tuple[DatabaseKey, bool]:
    """Keep the key in ``source`` in this workstation's key store.

    Returns the key and whether the configured database uses it. A key for
    another clinic than the configured (encrypted) database, or one that does
    not open it, is refused before anything is stored.

    Raises:
        DatabaseConfigError: the file is not a recovery file, the key does not
            fit the database, or there is no key store; nothing was stored.
    """
    source = source.expanduser()
    try:
        if not source.is_file():
            raise DatabaseConfigError(f"There is no file {source}; check the name.")
        if source.stat().st_size > RECOVERY_FILE_MAX_BYTES:
            raise ValueError("it is too large")
        key = DatabaseKey.from_recovery_text(source.read_text(encoding="ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and not isinstance(
            exc, UnicodeDecodeError) else "it is not text"
        raise DatabaseConfigError(f"{source} is not a ketalog recovery key file ({reason}); "
                                  "nothing was stored.") from exc
    except OSError as exc:
        raise DatabaseConfigError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    path = clinic_file(url)
    used = False
    if encryption.is_encrypted_file(path):
        clinic = encryption.clinic_id_of(encryption.read_start(path))
        if clinic != key.clinic_id:
            raise DatabaseConfigError(
                f"{source} is the key of another database, not of {path}; nothing was stored. "
                "Use the recovery file made for this clinic.")
        if not encryption.key_opens(path, key):
            raise DatabaseConfigError(
                f"The key in {source} does not open {path} (the file was altered, or the "
                "database is damaged); nothing was stored.")
        used = True
    encryption.keep_key(key)
    return key, used
