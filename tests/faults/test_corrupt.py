"""A corrupt or foreign file given as the database: refused with a message, never overwritten.

Each file is offered to ``open_database`` (what every start and command does)
and must be refused with a message naming what is wrong, its bytes unchanged
(sha256) and nothing left beside it (no -wal, -shm or -journal). Merely opening
a SQLite file in WAL mode rewrites its header, so the refusal has to come from
reading alone (ketalog.store.faults.sqlite_file_problem).

Decided here: a zero-length file is taken as a new, empty database, as SQLite
itself does: it holds nothing that could be overwritten, and it is what a first
start killed before its first write leaves behind.

Damage in pages that start-up does not read cannot be seen without reading
every page (``PRAGMA quick_check``: far too slow for each start on a clinic's
ten-year file). The app starts; the first action reaching a damaged page is
refused with the "damaged, restore the backup" message, writes nothing, and
the file stays as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.store.engine import DatabaseConfigError
from ketalog.store.faults import DAMAGED
from ketalog.store.migrate import HEAD_REVISION
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, seed_staff

#: The first bytes of a real PNG (signature and IHDR chunk) and some of its data.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00"
       b"\x00\x1f\xf3\xffa" + bytes(range(256)) * 8)


@pytest.fixture(scope="module")
def ketalog_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A closed ketalog database (no WAL) with a session holding 400 readings."""
    path = tmp_path_factory.mktemp("corrupt") / "real.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    seed_staff(engine)
    clock = FakeClock(datetime.now(UTC))
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        for number in range(400):
            record_vitals(db, NURSE, sid, {"systolic_mmhg": 100 + number % 40,
                                           "diastolic_mmhg": 70}, clock=clock)
    engine.dispose()
    assert sorted(p.name for p in path.parent.iterdir()) == ["real.sqlite3"]
    return path, sid


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in the folder with its sha256: nothing may change, nothing may appear."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def refused(path: Path) -> str:
    """Offer ``path`` to open_database; the refusal, after checking nothing changed."""
    before = fingerprint(path.parent)
    with pytest.raises(DatabaseConfigError) as caught:
        open_database(f"sqlite:///{path}")
    assert fingerprint(path.parent) == before
    message = str(caught.value)
    assert "Traceback" not in message
    assert "untouched" in message or "nothing was changed" in message
    return message


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "db"
    target.mkdir()
    return target


def copy_of(source: Path, folder: Path) -> Path:
    target = folder / "ketalog.sqlite3"
    shutil.copyfile(source, target)
    return target


def test_a_text_file_is_refused(folder: Path) -> None:
    path = folder / "notes.txt"
    path.write_text("Chair 3: call Maria after 4 pm\n" * 50, encoding="utf-8")
    assert "is not a SQLite database" in refused(path)


def test_a_png_is_refused(folder: Path) -> None:
    path = folder / "scan.png"
    path.write_bytes(PNG)
    assert "is not a SQLite database" in refused(path)


def test_a_zero_length_file_becomes_a_new_empty_database(folder: Path) -> None:
    path = folder / "ketalog.sqlite3"
    path.touch()
    engine = open_database(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == HEAD_REVISION
    finally:
        engine.dispose()


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_programs_sqlite_database_is_refused(folder: Path, journal: str) -> None:
    path = folder / "places.sqlite"
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org/')")
        conn.commit()
    finally:
        conn.close()
    message = refused(path)
    assert "another program" in message and "moz_bookmarks, moz_places" in message


def test_another_programs_alembic_database_is_refused(folder: Path) -> None:
    path = folder / "other.sqlite3"
    conn = sqlite3.connect(path)  # rollback journal: opening it in WAL mode would write
    try:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        conn.commit()
    finally:
        conn.close()
    assert "belongs to another program" in refused(path)


def test_a_truncated_ketalog_file_is_refused(ketalog_file: tuple[Path, int],
                                             folder: Path) -> None:
    path = copy_of(ketalog_file[0], folder)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    message = refused(path)
    assert "cut short" in message and "restore a backup" in message


def test_a_file_cut_inside_its_header_is_refused(ketalog_file: tuple[Path, int],
                                                 folder: Path) -> None:
    path = copy_of(ketalog_file[0], folder)
    with path.open("r+b") as handle:
        handle.truncate(40)
    assert "cut short" in refused(path)


def test_a_ketalog_file_with_a_damaged_schema_page_is_refused(
        ketalog_file: tuple[Path, int], folder: Path) -> None:
    path = copy_of(ketalog_file[0], folder)
    with path.open("r+b") as handle:  # the header stays; the table list after it is garbage
        handle.seek(100)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(3000)))
    message = refused(path)
    assert "is damaged" in message and "restore the latest backup" in message


def test_a_newer_ketalog_database_is_refused(ketalog_file: tuple[Path, int],
                                            folder: Path) -> None:
    path = copy_of(ketalog_file[0], folder)
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
        conn.commit()
    finally:
        conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["ketalog.sqlite3"]
    message = refused(path)
    assert "newer version of ketalog" in message and "0099" in message


def _root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def damaged_vitals(ketalog_file: tuple[Path, int], folder: Path) -> Path:
    """A ketalog file whose readings table's root page is garbage (header and schema intact)."""
    path = copy_of(ketalog_file[0], folder)
    root = _root_page(path, "vital_signs")
    page_size = int.from_bytes(path.read_bytes()[16:18], "big")
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(bytes((i * 53 + 7) % 256 for i in range(page_size)))
    return path


def test_damage_start_up_does_not_read_is_reported_when_reached_and_nothing_is_written(
        damaged_vitals: Path, ketalog_file: tuple[Path, int]) -> None:
    from ketalog.services.session_view import load_session_view
    from ketalog.ui.core.context import UiContext

    path, sid = damaged_vitals, ketalog_file[1]
    before = fingerprint(path.parent)
    engine = open_database(f"sqlite:///{path}")  # the cheap start-up look passes
    try:
        clock = FakeClock(datetime.now(UTC))
        ctx = UiContext(make_sessionmaker(engine), ZoneInfo("UTC"), lambda: NURSE, clock)
        shown = ctx.run(lambda db: load_session_view(db, sid, clock()))
        assert shown.error == DAMAGED
        saved = ctx.run(lambda db: record_vitals(
            db, NURSE, sid, {"systolic_mmhg": 120, "diastolic_mmhg": 80}, clock=clock))
        assert saved.error == DAMAGED and not saved.ok
    finally:
        engine.dispose()
    assert fingerprint(path.parent) == before


def app_start_message(qtbot: object, path: Path) -> tuple[int, str]:
    """Start the app on ``path``; the text of the message box it shows instead."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ketalog.ui.launch import run_gui

    seen: list[str] = []

    def answer() -> None:  # the user closes the message (Esc: quit, never retry)
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.reject()
            return
        QTimer.singleShot(20, answer)

    QTimer.singleShot(20, answer)
    code = run_gui(f"sqlite:///{path}")
    assert seen, "no message box was shown"
    return code, seen[0]


@pytest.mark.gui
@pytest.mark.parametrize("kind", ["png", "foreign", "truncated"])
def test_the_app_start_shows_the_refusal_in_a_message_box(
        qtbot: object, folder: Path, ketalog_file: tuple[Path, int], kind: str) -> None:
    if kind == "png":
        path = folder / "scan.png"
        path.write_bytes(PNG)
        expected = "is not a SQLite database"
    elif kind == "foreign":
        path = folder / "places.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.close()
        expected = "another program"
    else:
        path = copy_of(ketalog_file[0], folder)
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size - 4096)
        expected = "cut short"
    before = fingerprint(folder)
    code, message = app_start_message(qtbot, path)
    assert code == 1 and expected in message
    assert fingerprint(folder) == before


def test_every_case_leaves_the_real_file_alone(ketalog_file: tuple[Path, int]) -> None:
    # the module's source file was only ever copied: it still opens and checks clean
    path, _ = ketalog_file
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()

