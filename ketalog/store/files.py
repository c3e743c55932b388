"""Writing a file completely or not at all: temporary file, fsync, rename.

Documents (PDF) and exports (CSV) go through here, so a full disk, a crash or
a missing folder never leaves a half-written file where the user expects one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class FolderMissing(OSError):
    """The folder the file should go in does not exist."""


class IsAFolder(OSError):
    """The path names a folder, not a file."""


def write_atomically(path: Path | str, write: Callable[[BinaryIO], object], *,
                     temp_suffix: str) -> Path:
    """Call ``write`` on a temporary file beside ``path``, flush it to disk, rename it over.

    Returns the target path. Raises :class:`FolderMissing`, :class:`IsAFolder`
    or the ``OSError`` of the failed write; any temporary file is removed.
    """
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FolderMissing(f"The folder {folder} does not exist")
    if target.is_dir():
        raise IsAFolder(f"{target} is a folder")
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
