"""Encryption at rest: SQLCipher 4 files whose key lives in the operating system's key store.

A clinic's key is 32 random bytes plus a 16-byte salt, given to SQLCipher in its
raw form (``x'<key><salt>'``): no key derivation at each connection (about
1 ms to open a file against some 270 ms for a passphrase's 256,000 PBKDF2
rounds, measured on the development machine). The salt is written in clear as
the first 16 bytes of every file encrypted with the key (the database, its
backups, a converted copy), so it names the clinic: the key store holds the key
under ``ketalog`` / ``database <salt in hex>``, wherever the file is moved or
restored, and never beside the database.

The key store is ``keyring`` (Windows Credential Locker, macOS Keychain, Secret
Service). keyring and sqlcipher3 are imported only when a file is encrypted or a
new clinic is created (start-up time is measured). A plain-text keyring
(``keyrings.alt``) is no key store for patient data: it counts only when chosen
explicitly with ``PYTHON_KEYRING_BACKEND`` (the tests do).

Connections opened here speak the DB-API of ``sqlite3``; their errors are
``sqlcipher3``'s classes, so callers catch :func:`driver_errors`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketalog.store.errors import DatabaseConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

#: The first bytes of a plain SQLite file; an encrypted one starts with its salt.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Where keys live in the key store: the service name, and the entry per clinic.
KEY_SERVICE = "ketalog"
KEY_ENTRY_PREFIX = "database "
#: The first line of a recovery file, so that no other file is taken for one.
RECOVERY_HEADER = "ketalog database recovery key"
KEY_BYTES = 32
SALT_BYTES = 16
#: SQLCipher 4's page size: an encrypted file is a whole number of these.
CIPHER_PAGE_BYTES = 4096
ENV_KEYRING_BACKEND = "PYTHON_KEYRING_BACKEND"

NO_KEY_STORE = ("this workstation has no key store (Windows Credential Locker, macOS Keychain "
                "or a Secret Service such as GNOME Keyring), so ketalog cannot keep a "
                "database key on it")


def no_key_message(path: Path) -> str:
    """The refusal for an encrypted file whose key this workstation does not hold."""
    return (f"{path}: this database is encrypted and this workstation has no key for it: "
            "import the recovery key with 'ketalog db key import FILE'.")


def wrong_key_message(path: Path) -> str:
    """The refusal for a key that does not decrypt the file (another clinic's, or damaged)."""
    return (f"{path}: the key this workstation holds for this database does not open it "
            "(the key was replaced, or the file is damaged): import the clinic's recovery "
            "key with 'ketalog db key import FILE', or restore a backup.")


@dataclass(frozen=True)
class DatabaseKey:
    """A clinic's key: what SQLCipher decrypts with, and the salt that names the clinic."""

    secret: bytes
    salt: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES or len(self.salt) != SALT_BYTES:
            raise ValueError("a database key is 32 bytes and its salt 16 bytes")

    def __repr__(self) -> str:  # never the secret in a log or a traceback
        return f"DatabaseKey(clinic={self.clinic_id})"

    @classmethod
    def generate(cls) -> DatabaseKey:
        """A new random 256-bit key and salt, for a new clinic."""
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(SALT_BYTES))

    @property
    def clinic_id(self) -> str:
        """The salt in hex: what every file encrypted with this key starts with."""
        return self.salt.hex()

    @property
    def raw(self) -> str:
        """The key in SQLCipher's raw form (no key derivation), for ``PRAGMA key``."""
        return f"x'{self.secret.hex()}{self.salt.hex()}'"

    def recovery_text(self) -> str:
        """The recovery file's content: the header, the clinic and the key."""
        return (f"{RECOVERY_HEADER}\nclinic: {self.clinic_id}\n"
                f"key: {self.secret.hex()}{self.salt.hex()}\n")

    @classmethod
    def from_stored(cls, text: str) -> DatabaseKey:
        """The key from its 96 hex digits (key then salt), as stored and exported."""
        raw = bytes.fromhex(text.strip())
        return cls(raw[:KEY_BYTES], raw[KEY_BYTES:])

    @classmethod
    def from_recovery_text(cls, text: str) -> DatabaseKey:
        """Read a recovery file; ValueError when it is not one or was altered."""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines or lines[0] != RECOVERY_HEADER:
            raise ValueError("it is not a ketalog recovery key file")
        fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        try:
            key = cls.from_stored(fields["key"])
        except (KeyError, ValueError):
            raise ValueError("its key line is missing or damaged") from None
        if fields.get("clinic", "").strip() != key.clinic_id:
            raise ValueError("its clinic line does not match its key (the file was altered)")
        return key


# --------------------------------------------------------------------------- the key store

_cache: dict[str, DatabaseKey] = {}
_cache_lock = threading.Lock()


def _keyring() -> Any:
    import keyring  # start-up: keyring loads its backends (tens of ms); only when needed

    return keyring


def key_store_problem() -> str | None:
    """Why this workstation cannot keep a database key (None: it can)."""
    try:
        backend = _keyring().get_keyring()
    except Exception as exc:  # a broken keyring configuration is "no key store"
        return f"{NO_KEY_STORE} (keyring: {exc})"
    from keyring.backends import chainer

    chosen = bool(os.environ.get(ENV_KEYRING_BACKEND))
    if isinstance(backend, chainer.ChainerBackend):
        if any(_real_key_store(b, chosen) for b in backend.backends):
            return None
        return NO_KEY_STORE
    if _real_key_store(backend, chosen):
        return None
    if type(backend).__module__.startswith("keyrings.alt"):
        return (f"{NO_KEY_STORE}; the file keyring of keyrings.alt ({type(backend).__name__}) "
                "does not count")
    return NO_KEY_STORE


def _real_key_store(backend: Any, chosen: bool) -> bool:
    """Not keyring's fail or null backend, nor a keyrings.alt file unless chosen explicitly."""
    from keyring.backends import fail

    module = type(backend).__module__
    if isinstance(backend, fail.Keyring) or module.startswith("keyring.backends.null"):
        return False
    return chosen or not module.startswith("keyrings.alt")


def _entry(clinic_id: str) -> str:
    return KEY_ENTRY_PREFIX + clinic_id


def stored_key(clinic_id: str) -> DatabaseKey | None:
    """The key this workstation holds for ``clinic_id``, or None."""
    with _cache_lock:
        if clinic_id in _cache:
            return _cache[clinic_id]
    if key_store_problem() is not None:
        return None
    try:
        text = _keyring().get_password(KEY_SERVICE, _entry(clinic_id))
    except Exception:  # a locked or broken key store holds no key we can use
        return None
    if not text:
        return None
    try:
        key = DatabaseKey.from_stored(text)
    except ValueError:
        return None
    if key.clinic_id != clinic_id:
        return None
    with _cache_lock:
        _cache[clinic_id] = key
    return key


def keep_key(key: DatabaseKey) -> None:
    """Put ``key`` in the key store (replacing an entry for the same clinic).

    Raises:
        DatabaseConfigError: there is no usable key store, or it refused.
    """
    problem = key_store_problem()
    if problem is not None:
        raise DatabaseConfigError(f"The key cannot be kept: {problem}.")
    try:
        _keyring().set_password(KEY_SERVICE, _entry(key.clinic_id),
                                f"{key.secret.hex()}{key.salt.hex()}")
    except Exception as exc:
        raise DatabaseConfigError(f"The key store refused the database key ({exc}); unlock "
                                  "it (sign in to the desktop) and try again.") from exc
    with _cache_lock:
        _cache[key.clinic_id] = key


def drop_key(key: DatabaseKey) -> None:
    """Remove a key no file was encrypted with (a conversion that stopped before the rename)."""
    with _cache_lock:
        _cache.pop(key.clinic_id, None)
    with contextlib.suppress(Exception):  # an entry left behind names no file; harmless
        _keyring().delete_password(KEY_SERVICE, _entry(key.clinic_id))


def forget_cached_keys() -> None:
    """Drop the keys read in this process (tests switch key stores, workstations)."""
    with _cache_lock:
        _cache.clear()
        _known_files.clear()


def new_clinic_key() -> DatabaseKey | None:
    """A new key kept in the key store for a new clinic; None when there is no key store."""
    problem = key_store_problem()
    if problem is not None:
        import logging

        logging.getLogger(__name__).info("A new clinic is created without encryption: %s.",
                                         problem)
        return None
    key = DatabaseKey.generate()
    keep_key(key)
    return key


# --------------------------------------------------------------------------- files


def read_start(path: Path) -> bytes:
    """The first 100 bytes of ``path`` (b"" for an empty file); OSError passes through."""
    with path.open("rb") as handle:
        return handle.read(100)


def looks_encrypted(header: bytes, size_bytes: int) -> bool:
    """Whether a file may be a SQLCipher database: whole pages, no SQLite or text start.

    Without the key no file can be proved to be one; a file of whole 4 KiB pages
    whose first bytes are neither SQLite's magic nor text is taken for one.
    """
    if size_bytes < CIPHER_PAGE_BYTES or size_bytes % CIPHER_PAGE_BYTES:
        return False
    start = header[:SALT_BYTES]
    if len(start) < SALT_BYTES or header.startswith(SQLITE_MAGIC):
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in start)
    return printable < SALT_BYTES


def clinic_id_of(header: bytes) -> str:
    """The clinic an encrypted file belongs to: its salt, in hex."""
    return header[:SALT_BYTES].hex()


#: What each database file (by path, device and inode) was found to be: its key, or None for
#: plain. Closing any descriptor of a file drops every POSIX lock this process's SQLite holds
#: on it, so a file the app has open is not opened again to read its header (SQLite FAQ, "How
#: to corrupt"); a file replaced by a rename is another inode and is read afresh.
_known_files: dict[tuple[str, int, int], DatabaseKey | None] = {}


def _identity(path: Path) -> tuple[str, int, int] | None:
    try:
        info = path.stat()
        where = str(path.resolve())
    except OSError:
        return None
    return (where, info.st_dev, info.st_ino) if info.st_size else None


def remember_file(path: Path, key: DatabaseKey | None) -> None:
    """Note what ``path`` is (checked before the first connection), so it is not read again."""
    identity = _identity(path)
    if identity is not None:
        with _cache_lock:
            _known_files[identity] = key


def _known(path: Path) -> tuple[bool, DatabaseKey | None]:
    identity = _identity(path)
    with _cache_lock:
        if identity is not None and identity in _known_files:
            return True, _known_files[identity]
    return False, None


def is_encrypted_file(path: Path) -> bool:
    """Whether ``path`` exists and looks like a SQLCipher database."""
    known, key = _known(path)
    if known:
        return key is not None
    try:
        if not path.is_file():
            return False
        return looks_encrypted(read_start(path), path.stat().st_size)
    except OSError:
        return False


def key_for_file(path: Path) -> DatabaseKey | None:
    """The key ``path`` needs: None for a plain (or missing, or empty) file.

    Raises:
        DatabaseConfigError: the file is encrypted and this workstation has no
            key for it, or its key does not open it (one line each).
    """
    known, key = _known(path)
    if known:
        return key
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        header = read_start(path)
        size = path.stat().st_size
    except OSError:
        return None  # the caller's own checks say why it cannot be read
    if header.startswith(SQLITE_MAGIC) or not looks_encrypted(header, size):
        remember_file(path, None)
        return None
    key = stored_key(clinic_id_of(header))
    if key is None:
        raise DatabaseConfigError(no_key_message(path))
    if not key_opens(path, key):
        raise DatabaseConfigError(wrong_key_message(path))
    remember_file(path, key)
    return key


def _driver() -> Any:
    import sqlcipher3  # start-up: SQLCipher (OpenSSL inside) loads only for encrypted files

    if not getattr(_driver, "quiet", False):
        # SQLCipher logs every failed page decryption to stderr; ketalog says it in one line
        probe = sqlcipher3.connect(":memory:")
        try:
            probe.execute("PRAGMA cipher_log_level = NONE")
        finally:
            probe.close()
        _driver.quiet = True  # type: ignore[attr-defined]
    return sqlcipher3


def driver_module() -> Any:
    """The DB-API module for encrypted files (``sqlcipher3``), for ``create_engine(module=)``."""
    return _driver()


def driver_errors() -> tuple[type[Exception], ...]:
    """The error classes a connection to a plain or an encrypted file may raise.

    Evaluated when an error is being matched, so a process that opened no
    encrypted file never imports sqlcipher3 for it.
    """
    loaded = sys.modules.get("sqlcipher3.dbapi2")
    return (sqlite3.Error,) if loaded is None else (sqlite3.Error, loaded.Error)


def codec_errors() -> tuple[type[Exception], ...]:
    """:func:`driver_errors` and MemoryError: SQLCipher's codec error state says "out of memory"."""
    return (*driver_errors(), MemoryError)


def database_errors() -> tuple[type[Exception], ...]:
    """The DatabaseError classes of both drivers (see :func:`driver_errors`)."""
    loaded = sys.modules.get("sqlcipher3.dbapi2")
    return ((sqlite3.DatabaseError,) if loaded is None
            else (sqlite3.DatabaseError, loaded.DatabaseError))


def damage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a DatabaseError that is not an OperationalError (damage, not a lock)."""
    loaded = sys.modules.get("sqlcipher3.dbapi2")
    classes: list[tuple[type[Exception], type[Exception]]] = [
        (sqlite3.DatabaseError, sqlite3.OperationalError)]
    if loaded is not None:
        classes.append((loaded.DatabaseError, loaded.OperationalError))
    return any(isinstance(exc, db) and not isinstance(exc, op) for db, op in classes)


def apply_key(dbapi_connection: Any, key: DatabaseKey) -> None:
    """Give SQLCipher the key: the first statement on a new connection to an encrypted file."""
    dbapi_connection.execute(f'PRAGMA key = "{key.raw}"')


_factory: list[Any] = []


def _keyed_connection_class() -> Any:
    """SQLCipher's connection class with the key it was opened with (see :func:`key_of`)."""
    if not _factory:
        driver = _driver()

        class KeyedConnection(driver.Connection):  # type: ignore[misc, name-defined]
            database_key: DatabaseKey | None = None

        _factory.append(KeyedConnection)
    return _factory[0]


def connect(target: str | Path, key: DatabaseKey | None, **kwargs: Any) -> Any:
    """A DB-API connection to ``target``: ``sqlite3`` when ``key`` is None, else keyed SQLCipher.

    ``kwargs`` go to ``connect`` (``uri=True``, ``isolation_level``, ``timeout``...).
    """
    if key is None:
        return sqlite3.connect(target, **kwargs)
    conn = _driver().connect(str(target), factory=_keyed_connection_class(), **kwargs)
    conn.database_key = key
    try:
        apply_key(conn, key)
    except Exception:
        conn.close()
        raise
    return conn


def key_of(conn: Any) -> DatabaseKey | None:
    """The key a connection from :func:`connect` was opened with (None: a plain file)."""
    key = getattr(conn, "database_key", None)
    return key if isinstance(key, DatabaseKey) else None


def key_opens(path: Path, key: DatabaseKey) -> bool:
    """Whether ``key`` decrypts ``path`` (reads the first page, read-only, creates nothing).

    ``immutable``: with ``mode=ro`` alone SQLite still creates the -wal and
    -shm of a WAL file in a writable folder, which would change an evidence
    copy's folder; page 1 is all this reads, so no locks are needed.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        conn = connect(uri, key, uri=True, isolation_level=None)
    except driver_errors():
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except driver_errors():
        return False
    finally:
        conn.close()


def cipher_problems(conn: Any) -> str | None:
    """The first page that fails its authentication code on a keyed connection (and how many)."""
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
    except codec_errors() as exc:
        return str(exc) or type(exc).__name__
    if not rows:
        return None
    more = f" and {len(rows) - 1} more" if len(rows) > 1 else ""
    return rows[0] + more


def cipher_damage(path: Path, key: DatabaseKey) -> str | None:
    """Whether an encrypted file has pages that fail to authenticate: the first, or None.

    Opened afresh: a connection that met such a page stays in SQLCipher's error
    state (its next statements fail with "out of memory").
    """
    try:
        conn = connect(f"{path.resolve().as_uri()}?mode=ro", key, uri=True,
                       isolation_level=None)
    except driver_errors():
        return None
    try:
        return cipher_problems(conn)
    finally:
        conn.close()


def open_plain_with_cipher_driver(path: Path) -> Any:
    """A SQLCipher connection to a plain file (no key): ``sqlcipher_export`` encrypts from it."""
    return _driver().connect(str(path), isolation_level=None)


# --------------------------------------------------------------------------- engines


def keyed_engine(url: URL, key: DatabaseKey, path: Path | None, *,
                 echo: bool = False) -> Engine:
    """SQLite's dialect over SQLCipher's driver, the key given first on every connection.

    The key stays out of the URL (SQLAlchemy's ``sqlite+pysqlcipher`` dialect
    takes it as the URL's password): ``engine.url`` is shown in the settings
    dialog, saved as the workstation's database and handed to Alembic.
    """
    from sqlalchemy import create_engine, event

    engine = create_engine(url, echo=echo, module=driver_module())

    @event.listens_for(engine, "connect", insert=True)
    def _key(dbapi_connection: Any, _record: Any) -> None:
        apply_key(dbapi_connection, key)

    @event.listens_for(engine, "handle_error")
    def _damaged_page(context: Any) -> None:
        # A page failing its authentication code reaches SQLite as "SQL logic error", and the
        # connection then answers "out of memory" to everything: said as the damage it is,
        # in the words a damaged plain file gets, and that connection is dropped.
        original = context.original_exception
        if not isinstance(original, MemoryError) and "logic error" not in str(original).lower():
            return
        damage = cipher_damage(path, key) if path and path.is_file() else None
        if damage is None:
            return
        from sqlalchemy.exc import DatabaseError as DBAPIDatabaseError

        context.is_disconnect = True
        orig = driver_module().DatabaseError(
            f"database disk image is malformed ({damage})")
        raise DBAPIDatabaseError(context.statement, context.parameters, orig) from original

    return engine


def remember_when_written(engine: Engine, path: Path, key: DatabaseKey | None) -> None:
    """Note what a new file is once a commit wrote it (see :func:`remember_file`).

    A ``stat`` per commit until the file has a size (WAL pages reach it at the first
    checkpoint), then nothing.
    """
    from sqlalchemy import event

    done: list[bool] = []

    @event.listens_for(engine, "commit")
    def _written(_connection: Any) -> None:
        if not done and path.is_file() and path.stat().st_size:
            remember_file(path, key)
            done.append(True)
