"""Patient data on disk is readable only by the clinic's own account.

Issue 14: the SQLite file, its -wal/-shm files and the pre-upgrade copy were
0644 in 0755 folders, and another local account read every name, MRN and
password hash. The folders here are world-traversable on purpose (0755 under
/tmp), so only the files' and the data folder's own modes protect them. CI
runs as root, so another account (``nobody``) really tries to read them.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ketalog.services.database import open_database
from ketalog.store.backup import automatic_backup_path, backup_folder, daily_backup
from ketalog.store.engine import default_database_path

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every local account may enter (0755), as a home folder often is."""
    folder = Path(tempfile.mkdtemp(prefix="ketalog-private-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _someone_else_reads(path: Path) -> bool:
    """Whether another local account can read ``path`` (root only: runuser as nobody)."""
    result = subprocess.run(["runuser", "-u", "nobody", "--", "cat", str(path)],
                            capture_output=True, check=False)
    return result.returncode == 0


def _write_something(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO client_writes (request_id, written_at_utc) "
                          "VALUES ('probe', '2026-12-03 06:00:00')"))


def _assert_private(files: list[Path]) -> None:
    for path in files:
        assert path.exists(), path
        assert _mode(path) == 0o600, f"{path} is {oct(_mode(path))}"
    if os.geteuid() == 0 and shutil.which("runuser"):
        for path in files:
            assert not _someone_else_reads(path), f"nobody could read {path}"


def test_the_default_data_folder_and_every_database_file_are_private(
        open_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(open_folder))
    path = default_database_path()
    engine = open_database(f"sqlite:///{path}")
    try:
        _write_something(engine)
        with engine.connect() as conn:  # keep -wal and -shm in place while checking
            conn.execute(text("SELECT count(*) FROM settings")).scalar()
            assert _mode(path.parent) == 0o700
            _assert_private([path, Path(f"{path}-wal"), Path(f"{path}-shm")])
        result = daily_backup(path, today=date(2026, 12, 3))
        assert result.error is None and result.taken is not None
        assert _mode(backup_folder(path)) == 0o700
        _assert_private([automatic_backup_path(path, date(2026, 12, 3))])
    finally:
        engine.dispose()


def test_a_database_in_an_open_folder_is_private_from_its_creation(open_folder: Path) -> None:
    path = open_folder / "clinic" / "ketalog.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    try:
        _write_something(engine)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()
            _assert_private([path, Path(f"{path}-wal"), Path(f"{path}-shm")])
    finally:
        engine.dispose()


def test_the_copy_kept_before_an_upgrade_is_private(open_folder: Path) -> None:
    path = open_folder / "ketalog.sqlite3"
    shutil.copy(FIXTURES / "schema_0005.sqlite3", path)
    path.chmod(0o644)  # as an older ketalog left it
    engine = open_database(f"sqlite:///{path}")
    engine.dispose()
    copies = list(open_folder.glob("ketalog.before-upgrade-from-0005-*"))
    assert copies
    _assert_private([path, *copies])
