"""The lock page on the demo clinic: each chair's needs, kept current, flashed, and no names."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from ketalog.domain.clinic_time import clock_text
from ketalog.services.board import day_board
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.demo import build_demo_clinic
from ketalog.services.session.entries import record_vitals
from ketalog.services.settings import clinic_timezone
from ketalog.services.users import summary_of
from ketalog.store.models import Patient, User
from ketalog.store.workstation import (
    AlertSound,
    LockAttention,
    WorkstationConfig,
    save_workstation_config,
)
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.play import BASELINE
from tests.ui.conftest import activate
from tests.ui.test_login import visible_text

#: The demo clinic is built as if it were 15:00 UTC; the tests look at it two minutes later.
DEMO_NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@dataclass
class Demo:
    engine: Engine
    clock: FakeClock

    def db(self):  # type: ignore[no-untyped-def]
        return make_sessionmaker(self.engine)()

    def identities(self) -> list[str]:
        """Every patient's family and given name, MRN and birth date as a screen might show it."""
        with self.db() as db:
            found: list[str] = []
            for family, given, mrn, born in db.execute(
                    select(Patient.family_name, Patient.given_name, Patient.mrn,
                           Patient.birth_date)):
                assert isinstance(born, date)
                found += [family, given, mrn, born.isoformat(), born.strftime("%d %b %Y"),
                          born.strftime("%m/%d/%Y")]
            return found

    def overdue_chairs(self) -> dict[str, str]:
        """The board's own answer: chair -> "vitals overdue since HH:MM" of its oldest reading."""
        with self.db() as db:
            tz = clinic_timezone(db)
            now = self.clock()
            rows = day_board(db, now.astimezone(tz).date(), tz, now=now)
        overdue: dict[str, datetime] = {}
        for row in rows:
            due = row.next_vitals_due_at_utc
            if due is not None and row.vitals_overdue(now):
                overdue[row.chair] = min(due, overdue.get(row.chair, due))
        return {chair: f"vitals overdue since {clock_text(due, tz)}"
                for chair, due in overdue.items()}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("lock") / "demo.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as db:
        build_demo_clinic(db, now=DEMO_NOW)
    engine.dispose()
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Iterator[Demo]:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_file}{suffix}")
        if source.exists():
            shutil.copy(source, tmp_path / f"demo.sqlite3{suffix}")
    engine = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    yield Demo(engine, FakeClock(DEMO_NOW + timedelta(minutes=2)))
    engine.dispose()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count QApplication.beep() and QApplication.alert() instead of making them."""
    counted = {"beep": 0, "alert": 0}

    def beep() -> None:
        counted["beep"] += 1

    def alert(_widget: QWidget, _ms: int = 0) -> None:
        counted["alert"] += 1

    monkeypatch.setattr(QApplication, "beep", staticmethod(beep))
    monkeypatch.setattr(QApplication, "alert", staticmethod(alert))
    return counted


def signed_in_window(qtbot: QtBot, demo: Demo) -> MainWindow:
    window = MainWindow(demo.engine, "sqlite:///demo", clock=demo.clock)
    qtbot.addWidget(window)
    activate(qtbot, window)
    page = window.login_page
    qtbot.keyClicks(page.username, "nurse")
    qtbot.keyClicks(page.password, "nurse-demo-pass")
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert window.board.isVisible()
    return window


def lock_over_an_open_session(qtbot: QtBot, window: MainWindow) -> None:
    """Open Chair 2's infusing session (a patient on screen), then Ctrl+Shift+L."""
    model = window.board_model
    row = next(r for r in range(model.rowCount())
               if model.row_at(r).chair == "Chair 2" and model.row_at(r).state == "infusing")
    window.open_session(model.row_at(row).session_id)
    assert window.session_page is not None and window.session_page.isVisible()
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_L,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.locked and window.lock_page.isVisible()


def all_text(widget: QWidget) -> str:
    """Every text the page holds, shown or not: labels, fields, buttons, tool tips."""
    parts = [widget.windowTitle(), widget.toolTip()]
    for child in widget.findChildren(QWidget):
        parts.append(child.toolTip())
        if isinstance(child, QLabel | QLineEdit | QAbstractButton):
            parts.append(child.text())
    return "\n".join(parts)


def chair_lines(window: MainWindow) -> list[str]:
    """The lines as shown, without the alert mark urgent ones carry."""
    return [t.removeprefix("⚠ ") for t in window.lock_page.chair_lines()]


def chair_line(window: MainWindow, chair: str) -> str:
    found = [t for t in chair_lines(window) if t.startswith(f"{chair}: ")]
    assert len(found) == 1, window.lock_page.chair_lines()
    return found[0]


def test_the_lock_page_says_what_each_chair_needs_and_names_no_patient(
        qtbot: QtBot, demo: Demo, calls: dict[str, int]) -> None:
    window = signed_in_window(qtbot, demo)
    lock_over_an_open_session(qtbot, window)
    page = window.lock_page
    overdue = demo.overdue_chairs()
    assert set(overdue) == {"Chair 1", "Chair 2", "Chair 3"}  # the demo at 15:02
    for chair, need in overdue.items():
        assert need in chair_line(window, chair)
    assert all(t.startswith("⚠ ") for t in page.chair_lines())  # urgent: not colour alone
    lines = chair_lines(window)
    assert lines[0].startswith("Chair 3: vitals overdue since")  # the oldest first
    assert "infusion paused since" in chair_line(window, "Chair 3")
    assert page.status_frame.isVisible()
    assert [label.text() for label in page.status_labels if label.isVisible()] == (
        page.chair_lines())

    text = all_text(page) + "\n" + visible_text(window)
    for identity in demo.identities():
        assert identity not in text, identity
    assert "Locked" in window.windowTitle() or "locked" in window.windowTitle()
    # the default attention is a flash: the frame alternates and the window asks for attention
    assert page.flashing and calls["alert"] == 1 and calls["beep"] == 0
    before = page.status_frame.styleSheet()
    page.flash_timer.timeout.emit()
    assert page.status_frame.styleSheet() != before


def test_the_lock_page_keeps_itself_current_and_nothing_else(
        qtbot: QtBot, demo: Demo, calls: dict[str, int]) -> None:
    window = signed_in_window(qtbot, demo)
    lock_over_an_open_session(qtbot, window)
    page = window.lock_page
    reloads: list[int] = []
    session_page = window.session_page
    session_page.reload = lambda: reloads.append(1)  # type: ignore[union-attr,method-assign]
    board_reads: list[int] = []
    window.board.refresh = lambda *a: board_reads.append(1)  # type: ignore[method-assign]
    assert page.status_timer.isActive() and page.status_timer.interval() == 5000

    # another workstation (Sam, the demo's second nurse) records Chair 2's reading; the
    # change feed tells this window
    with demo.db() as db:
        tz = clinic_timezone(db)
        row = next(r for r in day_board(db, demo.clock().astimezone(tz).date(), tz,
                                        now=demo.clock())
                   if r.chair == "Chair 2" and r.state == "infusing")
        sam = db.scalar(select(User).where(User.username == "nurse2"))
        assert sam is not None
        record_vitals(db, summary_of(sam).as_actor("chair-2"), row.session_id, BASELINE,
                      clock=demo.clock)
    window.watcher.data_changed.emit()
    assert "overdue" not in chair_line(window, "Chair 2")
    assert "overdue" in chair_line(window, "Chair 3")

    # time passes on the lock page's own timer: Chair 2's next reading comes due again
    demo.clock.advance(11)
    page.status_timer.timeout.emit()
    assert "vitals overdue since" in chair_line(window, "Chair 2")
    window.refresh_timer.timeout.emit()  # the window's own refresh does nothing while locked
    assert reloads == [] and board_reads == []
    assert window.locked and not window.workspace.isVisible()


@pytest.mark.parametrize(("attention", "sound", "beeps", "alerts", "flashes"), [
    ("flash", "off", 0, 1, True), ("none", "beep", 1, 0, False),
    ("flash", "beep", 1, 1, True), ("none", "off", 0, 0, False),
])
def test_the_workstation_setting_decides_flash_or_sound(
        qtbot: QtBot, demo: Demo, calls: dict[str, int], attention: str, sound: str,
        beeps: int, alerts: int, flashes: bool) -> None:
    save_workstation_config(WorkstationConfig(lock_attention=LockAttention(attention),
                                              alert_sound=AlertSound(sound)))
    window = signed_in_window(qtbot, demo)
    before = calls["beep"]  # (the board sounds for the demo's overdue vitals, if on)
    lock_over_an_open_session(qtbot, window)
    page = window.lock_page
    assert (calls["beep"] - before, calls["alert"], page.flashing) == (beeps, alerts, flashes)
    page.refresh_status()  # nothing new: no second beep or alert
    assert (calls["beep"] - before, calls["alert"]) == (beeps, alerts)
    assert page.chair_lines()  # whatever the setting, the lines are there
    # unlocking stops it all
    qtbot.keyClicks(page.password, "nurse-demo-pass")
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert not window.locked
    assert not page.flashing and not page.status_timer.isActive()
    save_workstation_config(WorkstationConfig())


def test_an_unreachable_database_is_said_not_hidden(
        qtbot: QtBot, demo: Demo, calls: dict[str, int]) -> None:
    window = signed_in_window(qtbot, demo)
    lock_over_an_open_session(qtbot, window)
    page = window.lock_page
    shown = page.chair_lines()
    read_at = page.status_heading.text()
    window.link.report_lost("server closed the connection unexpectedly")
    demo.clock.advance(1)
    page.status_timer.timeout.emit()
    heading = page.status_heading.text()
    assert "cannot be read now" in heading and "check the chairs yourself" in heading
    with demo.db() as db:
        stamp = clock_text(DEMO_NOW + timedelta(minutes=2), clinic_timezone(db))
    assert f"(as of {stamp})" in read_at
    assert f"(the database cannot be reached): the lines below are as of {stamp};" in heading
    assert page.chair_lines() == shown and page.flashing  # the last known needs stay up
    window.link.stop()


def test_an_alert_nobody_acknowledged_is_on_the_lock_page_by_chair_only(
        qtbot: QtBot, demo: Demo, calls: dict[str, int]) -> None:
    with demo.db() as db:
        tz = clinic_timezone(db)
        row = next(r for r in day_board(db, demo.clock().astimezone(tz).date(), tz,
                                        now=demo.clock())
                   if r.chair == "Chair 2" and r.state == "infusing")
        nurse = db.scalar(select(User).where(User.username == "nurse"))
        assert nurse is not None
        saved = record_vitals(db, summary_of(nurse).as_actor("t"), row.session_id,
                              {**BASELINE, "systolic_mmhg": 185, "diastolic_mmhg": 100},
                              clock=demo.clock)
        assert saved.alerts == ("sbp_high",)
    window = signed_in_window(qtbot, demo)
    lock_over_an_open_session(qtbot, window)
    line = chair_line(window, "Chair 2")
    assert "alert not acknowledged" in line
    assert "185" not in line  # the lock page says that a chair needs someone, not the values
    text = all_text(window.lock_page)
    for identity in demo.identities():
        assert identity not in text, identity
