"""Writing a file completely or not at all: temporary file, fsync, rename.

Documents (PDF) and exports (CSV) go through here, so a full disk, a crash or
a missing folder never leaves a half-written file where the user expects one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, Literal

from ketalog.store.errors import FileNotWritten as FileNotWritten
from ketalog.store.errors import FolderMissing as FolderMissing
from ketalog.store.errors import IsAFolder as IsAFolder
from ketalog.store.errors import NotAPlainFile as NotAPlainFile
from ketalog.store.errors import not_a_plain_file


def user_folder(kind: Literal["config", "data", "log"], override_env: str,
                environ: Mapping[str, str] | None = None) -> Path:
    """``$override_env`` when set (tests, managed installs), else the platform's user folder.

    One rule for the workstation file (config), the default database and anchors (data)
    and the log files (log), so each can be moved the same way.
    """
    env = os.environ if environ is None else environ
    override = env.get(override_env)
    if override:
        return Path(override).expanduser()
    import platformdirs  # start-up: only when no override is set (about 10 ms)

    if kind == "config":
        return Path(platformdirs.user_config_path("ketalog", appauthor=False))
    if kind == "data":
        return Path(platformdirs.user_data_path("ketalog", appauthor=False))
    return Path(platformdirs.user_log_path("ketalog", appauthor=False))


def write_atomically(path: Path | str, write: Callable[[BinaryIO], object], *,
                     temp_suffix: str) -> Path:
    """Call ``write`` on a temporary file beside ``path``, flush it to disk, rename it over.

    Returns the target path. Raises :class:`FolderMissing`, :class:`IsAFolder`,
    :class:`NotAPlainFile` (a device, pipe or link is never replaced) or the
    ``OSError`` of the failed write; any temporary file is removed.
    """
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FolderMissing(f"The folder {folder} does not exist")
    if target.is_dir() and not target.is_symlink():
        raise IsAFolder(f"{target} is a folder")
    problem = not_a_plain_file(target)
    if problem is not None:
        raise NotAPlainFile(problem)
    handle: int | None = None
    temp_name: str | None = None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".ketalog-", suffix=temp_suffix, dir=folder)
        with os.fdopen(handle, "wb") as out:
            handle = None
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, target)
        temp_name = None
    finally:
        if handle is not None:
            os.close(handle)
        if temp_name is not None:
            Path(temp_name).unlink(missing_ok=True)
    return target


def write_csv_atomically(path: Path | str, records: Iterable[Sequence[object]]) -> Path:
    """Write ``records`` as CSV (UTF-8 with BOM, for spreadsheets) completely or not at all.

    Every CSV export goes through here, so each refusal reads the same.

    Raises:
        FileNotWritten: the folder is missing or not writable, the path is a folder or
            not a plain file, or the disk is full; the message says what to do.
    """
    import csv
    import io

    target = Path(path).expanduser()

    def write(out: BinaryIO) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        csv.writer(text).writerows(records)
        text.flush()
        text.detach()

    try:
        return write_atomically(target, write, temp_suffix=".csv.tmp")
    except FolderMissing as exc:
        raise FileNotWritten(f"{exc}; nothing was written. Choose an existing folder.") from exc
    except IsAFolder as exc:
        raise FileNotWritten(f"{exc}; give a file name ending in .csv.") from exc
    except NotAPlainFile as exc:
        raise FileNotWritten(f"{exc}; nothing was written. Give a new file name.") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FileNotWritten(f"Cannot write {target}: {reason}; nothing was written. "
                             "Choose another location.") from exc


#: Files holding patient data: read and written by the clinic's account only.
PRIVATE_FILE_MODE = 0o600
#: Folders holding them.
PRIVATE_FOLDER_MODE = 0o700
_SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_umask() -> None:
    """Make every file this process creates from now on private (0600, folders 0700).

    Set before the first database connection, so no file holding patient data
    (the database, its -wal and -shm, copies, documents) is ever world-readable,
    not even for the moment between its creation and a chmod.
    """
    os.umask(0o077)


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed and make it 0700."""
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if os.name != "nt":
        folder.chmod(PRIVATE_FOLDER_MODE)


def make_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600, or take others' access to an existing one away."""
    if os.name == "nt":  # pragma: no cover - Windows has ACLs, not modes
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        _remove_others_access(path)
    else:
        os.close(fd)


def _remove_others_access(path: Path) -> None:
    """Take group and others' access away; the owner's own bits (say read-only) stay."""
    mode = path.stat().st_mode & 0o7777
    if mode & 0o077:
        path.chmod(mode & ~0o077)


def make_sqlite_files_private(database: Path) -> None:
    """The database file 0600 from its creation, and any -wal, -shm or -journal left 0600.

    SQLite gives the -wal and -shm files it creates the database file's mode,
    so a private database keeps them private; files an older ketalog left
    world-readable are fixed here.
    """
    make_private_file(database)
    for suffix in _SQLITE_SIDECARS:
        side = Path(f"{database}{suffix}")
        if side.exists():
            _remove_others_access(side)
