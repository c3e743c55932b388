"""Disk full and a read-only database: a clear message, no partial row, earlier data intact.

A real tiny file system (tmpfs, mounted for the test) holds the database:
filling it, or remounting it read-only, is what a clinic's disk does. Root is
needed to mount; without it the tests skip, except where
KETALOG_REQUIRE_POSTGRES=1 (CI), where they must run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.store.engine import DatabaseConfigError
from ketalog.store.faults import CANNOT_OPEN, DISK_FULL, READ_ONLY, describe_database_error
from ketalog.store.models import AuditEntry, VitalSign
from tests.conftest import REQUIRE_POSTGRES, FakeClock
from tests.play import book
from tests.staff import NURSE, seed_staff

REPO = Path(__file__).resolve().parents[2]
#: Big enough for a fresh database with its WAL and the test's first writes (the stock
#: tables of schema 0019 outgrew 2 MB), small enough to fill at once.
DISK_KIB = 3072
EARLIER = ({"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72},
           {"systolic_mmhg": 126, "diastolic_mmhg": 79, "heart_rate_bpm": 70},
           {"systolic_mmhg": 122, "diastolic_mmhg": 77, "heart_rate_bpm": 74})
NEXT = {"systolic_mmhg": 131, "diastolic_mmhg": 83, "heart_rate_bpm": 69}
_mount_state: dict[str, str | None] = {}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def mount_problem(tmp_path: Path) -> str | None:
    """None when this process may mount a tmpfs, else why not (checked once per run)."""
    if "problem" not in _mount_state:
        problem: str | None = None
        if os.geteuid() != 0:
            problem = "mounting a tiny file system needs root"
        else:
            probe = tmp_path / "mount-probe"
            probe.mkdir()
            done = _run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
            if done.returncode != 0:
                problem = f"mount refused: {done.stderr.strip()}"
            else:
                _run("umount", str(probe))
        _mount_state["problem"] = problem
    return _mount_state["problem"]


def unmount(path: Path) -> None:
    """Unmount, lazily if something still holds a file there (never left mounted)."""
    if _run("umount", str(path)).returncode != 0:
        _run("umount", "-l", str(path))


@contextlib.contextmanager
def tiny_disk(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted at ``path``; unmounted afterwards whatever happens."""
    problem = mount_problem(path.parent)
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{problem}; CI (KETALOG_REQUIRE_POSTGRES=1) must run the disk tests")
        pytest.skip(problem)
    path.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(path))
    assert done.returncode == 0, done.stderr
    try:
        yield path
    finally:
        unmount(path)


def remount(path: Path, mode: str) -> None:
    done = _run("mount", "-o", f"remount,{mode}", str(path))
    assert done.returncode == 0, done.stderr


def fill(disk: Path) -> Path:
    """Write a filler file until the disk refuses (ENOSPC); the filler."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28, exc  # ENOSPC
    finally:
        os.close(fd)
    return filler


def digest(path: Path) -> dict[str, str]:
    """sha256 of the database and of any -wal/-shm beside it."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + "*"))}


@dataclass
class Clinic:
    """A database on the tiny disk: a checked-in session with three earlier readings."""

    path: Path
    engine: Engine
    factory: sessionmaker[Session]
    clock: FakeClock
    session_id: int

    def readings(self) -> list[tuple[int | None, int | None, int | None]]:
        with self.factory() as db:
            return [tuple(r) for r in db.execute(  # type: ignore[misc]
                select(VitalSign.systolic_mmhg, VitalSign.diastolic_mmhg,
                       VitalSign.heart_rate_bpm).order_by(VitalSign.id))]

    def audit_rows(self) -> int:
        with self.factory() as db:
            return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    def record(self, values: dict[str, object]) -> None:
        with self.factory() as db:
            record_vitals(db, NURSE, self.session_id, values, clock=self.clock)

    def integrity(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


EARLIER_ROWS = [(v["systolic_mmhg"], v["diastolic_mmhg"], v["heart_rate_bpm"]) for v in EARLIER]


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    with tiny_disk(tmp_path / "disk", DISK_KIB) as disk:
        path = disk / "ketalog.sqlite3"
        engine = open_database(f"sqlite:///{path}")
        try:
            seed_staff(engine)
            factory = make_sessionmaker(engine)
            clock = FakeClock(datetime.now(UTC))
            with factory() as db:
                sid = book(db, clock)
                change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
            clinic = Clinic(path, engine, factory, clock, sid)
            for values in EARLIER:
                clinic.clock.advance(1)
                clinic.record(values)
            yield clinic
        finally:
            engine.dispose()


# --- disk full -------------------------------------------------------------------------


def record_until_full(clinic: Clinic) -> OperationalError:
    """Readings until the full disk refuses one (the WAL may first reuse its own space)."""
    for attempt in range(200):
        clinic.clock.advance(1)
        try:
            clinic.record({"systolic_mmhg": 110 + attempt % 20, "diastolic_mmhg": 70})
        except OperationalError as exc:
            return exc
    raise AssertionError("200 readings were saved on a full disk")


def test_a_full_disk_refuses_the_reading_clearly_and_keeps_everything_before(
        clinic: Clinic) -> None:
    filler = fill(clinic.path.parent)
    before_audit = clinic.audit_rows()
    before = clinic.readings()

    refused = record_until_full(clinic)

    message = describe_database_error(refused)
    assert message == DISK_FULL
    assert "disk holding the database is full" in message and "nothing was saved" in message
    saved_meanwhile = len(clinic.readings()) - len(before)
    assert clinic.readings()[: len(EARLIER)] == EARLIER_ROWS  # earlier data intact
    assert clinic.audit_rows() == before_audit + saved_meanwhile  # no half-written save

    filler.unlink()  # the administrator frees space
    assert clinic.integrity() == "ok"
    rows = len(clinic.readings())
    clinic.record(NEXT)
    assert clinic.readings()[-1] == (131, 83, 69) and len(clinic.readings()) == rows + 1
    assert clinic.audit_rows() == before_audit + saved_meanwhile + 1


def _panel(qtbot: QtBot, clinic: Clinic):  # type: ignore[no-untyped-def]
    from ketalog.ui.core.context import DraftStore, SessionController, UiContext
    from ketalog.ui.session.panels.vitals_panel import VitalsPanel

    ctx = UiContext(clinic.factory, ZoneInfo("UTC"), lambda: NURSE, clinic.clock)
    controller = SessionController(ctx, clinic.session_id)
    panel = VitalsPanel(controller, DraftStore())
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    return panel


def _type_reading(qtbot: QtBot, panel, values: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    for edit, value in zip((panel.sbp, panel.dbp, panel.hr), values, strict=True):
        edit.clear()
        qtbot.keyClicks(edit, value)
    qtbot.keyClick(panel.hr, Qt.Key.Key_Return)


@pytest.mark.gui
def test_the_vitals_panel_says_the_disk_is_full_and_keeps_the_typed_reading(
        qtbot: QtBot, clinic: Clinic) -> None:
    panel = _panel(qtbot, clinic)
    filler = fill(clinic.path.parent)
    saved_before = len(clinic.readings())
    message = ""
    for attempt in range(200):  # until the WAL's own free space is used up
        clinic.clock.advance(1)
        typed = (str(100 + attempt % 40), str(60 + attempt // 40), "66")  # each unique
        _type_reading(qtbot, panel, typed)
        message = panel.message.text()
        if not message.startswith("Saved"):
            break
    assert DISK_FULL in message, message
    assert "Traceback" not in message
    assert tuple(e.text() for e in (panel.sbp, panel.dbp, panel.hr)) == typed  # not lost
    stored = clinic.readings()
    assert stored[: len(EARLIER)] == EARLIER_ROWS
    refused_row = (int(typed[0]), int(typed[1]), 66)
    assert refused_row not in stored  # no partial row
    assert len(stored) >= saved_before
    rows = len(stored)

    filler.unlink()
    from PySide6.QtCore import Qt

    qtbot.keyClick(panel.hr, Qt.Key.Key_Return)  # Enter again once there is room
    assert panel.message.text().startswith("Saved"), panel.message.text()
    assert len(clinic.readings()) == rows + 1 and clinic.readings()[-1] == refused_row
    assert clinic.integrity() == "ok"


# --- read-only -------------------------------------------------------------------------


def test_a_database_on_a_read_only_disk_is_refused_at_start_and_left_as_it_was(
        clinic: Clinic) -> None:
    clinic.engine.dispose()  # the app closed; the disk comes back read-only
    remount(clinic.path.parent, "ro")
    before = digest(clinic.path)
    try:
        with pytest.raises(DatabaseConfigError) as refused:
            open_database(f"sqlite:///{clinic.path}")
        text = str(refused.value)
        assert "is read-only" in text and "make the disk and the folder" in text
        assert str(clinic.path) in text
        assert digest(clinic.path) == before
    finally:
        remount(clinic.path.parent, "rw")
    assert clinic.readings()[: len(EARLIER)] == EARLIER_ROWS and clinic.integrity() == "ok"


def kill_while_saving(clinic: Clinic, systolic: int) -> None:
    """Another run of the app saves a reading and dies (kill -9): its WAL stays."""
    code = (
        "import os, signal\n"
        "from ketalog.services.database import make_sessionmaker, open_database\n"
        "from ketalog.services.session.entries import record_vitals\n"
        "from tests.staff import NURSE\n"
        f"engine = open_database('sqlite:///{clinic.path}')\n"
        "with make_sessionmaker(engine)() as db:\n"
        f"    record_vitals(db, NURSE, {clinic.session_id}, "
        f"{{'systolic_mmhg': {systolic}, 'diastolic_mmhg': 80}})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == -9, done.stderr
    assert Path(f"{clinic.path}-wal").stat().st_size > 0


def test_a_save_on_a_disk_turned_read_only_says_so_and_changes_nothing(
        clinic: Clinic) -> None:
    # Linux refuses to make a disk read-only while a file on it is open for writing, so the
    # app's connections are closed (as its pool does after an error) and a crash leaves the
    # WAL behind, as a power cut before the disk came back read-only would.
    clinic.engine.dispose()
    kill_while_saving(clinic, 141)
    remount(clinic.path.parent, "ro")
    before = digest(clinic.path)
    try:
        assert clinic.readings()[-1] == (141, 80, None)  # reading still works
        clinic.clock.advance(1)
        with pytest.raises(OperationalError) as refused:
            clinic.record(NEXT)
        assert describe_database_error(refused.value) == READ_ONLY
        assert "read-only" in READ_ONLY and "writable" in READ_ONLY
        assert digest(clinic.path) == before
        assert clinic.readings()[-1] == (141, 80, None)
    finally:
        clinic.engine.dispose()
        remount(clinic.path.parent, "rw")
    assert clinic.integrity() == "ok"
    clinic.record(NEXT)
    assert clinic.readings()[len(EARLIER):] == [(141, 80, None), (131, 83, 69)]


def test_a_reconnect_to_a_read_only_disk_is_refused_clearly(clinic: Clinic) -> None:
    clinic.engine.dispose()  # no WAL left: SQLite cannot even open the file now
    remount(clinic.path.parent, "ro")
    before = digest(clinic.path)
    try:
        with pytest.raises(OperationalError) as refused:
            clinic.record(NEXT)
        assert describe_database_error(refused.value) == CANNOT_OPEN
        assert "read-only" in CANNOT_OPEN
        assert digest(clinic.path) == before
    finally:
        clinic.engine.dispose()
        remount(clinic.path.parent, "rw")
    assert clinic.readings() == EARLIER_ROWS


@pytest.mark.gui
def test_the_vitals_panel_says_the_database_is_read_only(
        qtbot: QtBot, clinic: Clinic) -> None:
    panel = _panel(qtbot, clinic)
    clinic.engine.dispose()
    kill_while_saving(clinic, 142)
    remount(clinic.path.parent, "ro")
    before = digest(clinic.path)
    try:
        panel.controller.reload()  # the other run's reading is shown
        assert panel.model.rowCount() == len(EARLIER) + 1
        clinic.clock.advance(1)
        _type_reading(qtbot, panel, ("131", "83", "69"))
        assert READ_ONLY in panel.message.text()
        assert tuple(e.text() for e in (panel.sbp, panel.dbp, panel.hr)) == ("131", "83", "69")
        assert digest(clinic.path) == before
    finally:
        clinic.engine.dispose()
        remount(clinic.path.parent, "rw")
    assert len(clinic.readings()) == len(EARLIER) + 1


def test_tiny_disk_is_unmounted_after_the_test(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / f"d{uuid.uuid4().hex[:6]}", 64) as disk:
        (disk / "x").write_bytes(b"x")
    assert not any(line.split()[1] == str(disk) for line in
                   Path("/proc/mounts").read_text().splitlines())
