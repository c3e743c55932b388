"""The lock never takes a clinical keystroke: every key goes only into its password field.

A nurse coming back to a locked screen types what she meant for the chart
(vitals, a reason); these tests type it as she would, to whatever has the
keyboard focus, and check the database and the screen afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.database import make_sessionmaker
from ketalog.store.models import AuditEntry
from ketalog.ui.main_window import MainWindow
from tests.staff import password_of
from tests.ui.test_idle_lock import open_window, type_half_a_reading, vitals_count
from tests.ui.test_login import Clinic, make_clinic, shows_patient, visible_text

_KEYS = {"\t": Qt.Key.Key_Tab, "\n": Qt.Key.Key_Return, " ": Qt.Key.Key_Space}


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = make_clinic(tmp_path)
    yield made
    made.engine.dispose()


def focused(window: MainWindow) -> QWidget:
    return QApplication.focusWidget() or window


def type_keys(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type ``text`` key by key into whatever has the focus at that moment."""
    for char in text:
        if char in _KEYS:
            qtbot.keyClick(focused(window), _KEYS[char])
        else:
            qtbot.keyClicks(focused(window), char)


def audit_count(clinic: Clinic) -> int:
    with make_sessionmaker(clinic.engine)() as db:
        return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def lock_idle(window: MainWindow, clinic: Clinic) -> None:
    clinic.clock.advance(11)
    assert window.idle.check() and window.locked


def assert_still_locked(window: MainWindow) -> None:
    lock = window.lock_page
    assert window.locked and window.user is not None and window.user.username == "nora"
    assert window.pages.currentWidget() is lock, visible_text(window)
    assert lock.password.hasFocus(), QApplication.focusWidget()
    assert not shows_patient(window)


def test_vitals_typed_at_the_lock_page_stay_in_its_password_field(
        qtbot: QtBot, clinic: Clinic) -> None:
    """Tab and Space, as in a vitals entry line, neither leave the field nor press a button."""
    window = open_window(qtbot, clinic)
    panel = type_half_a_reading(qtbot, window)
    before = vitals_count(clinic)
    lock_idle(window, clinic)

    assert not window.lock_page.typing_hint.isVisible()
    type_keys(qtbot, window, "128\t84\t72 98\t16")
    assert_still_locked(window)  # "Sign in as someone else" was not pressed by the space
    hint = window.lock_page.typing_hint
    assert hint.isVisible() and "never recorded in a chart" in hint.text()
    assert window.lock_page.password.text() == "1288472 9816"
    type_keys(qtbot, window, "\n")
    assert_still_locked(window)
    assert "That is not Nora Reyes's password." in window.lock_page.message.text()

    assert vitals_count(clinic) == before
    assert (panel.sbp.text(), panel.dbp.text(), panel.hr.text()) == (  # type: ignore[attr-defined]
        "131", "84", "")
    assert clinic.audit("lock", "login_failed", "logout", "unlock") == [
        ("lock", "nora", None), ("login_failed", "nora", "unlock")]
    type_keys(qtbot, window, password_of("nora") + "\n")
    assert not window.locked and window.session_page is not None


def test_a_hidden_field_that_takes_the_focus_while_locked_gets_no_key(
        qtbot: QtBot, clinic: Clinic) -> None:
    """A form moving the focus behind the lock (its save retried, a deferred focus) is ignored."""
    window = open_window(qtbot, clinic)
    panel = type_half_a_reading(qtbot, window)
    before = vitals_count(clinic)
    lock_idle(window, clinic)

    panel.hr.setFocus()  # type: ignore[attr-defined]
    type_keys(qtbot, window, "72\t98\t16\n")
    assert vitals_count(clinic) == before
    assert (panel.sbp.text(), panel.dbp.text(), panel.hr.text()) == (  # type: ignore[attr-defined]
        "131", "84", "")
    assert_still_locked(window)
    assert clinic.audit("login_failed") == [("login_failed", "nora", "unlock")]


#: Keys a nurse uses in the session whether or not they are shortcuts of this build: a panel
#: (Alt+3 then a reason), a note's Ctrl+Enter.
HABITS = ("Alt+3", "Ctrl+Return", "Ctrl+Enter", "Alt+Return")


def _key_sequences(window: MainWindow) -> list[QKeySequence]:
    sequences = [QKeySequence(keys) for keys in HABITS]
    sequences += [s.key() for s in window.findChildren(QShortcut) if not s.key().isEmpty()]
    for action in window.findChildren(QAction):
        sequences += [k for k in action.shortcuts() if not k.isEmpty()]
    unique = {k.toString(): k for k in sequences}
    return [unique[name] for name in sorted(unique)]


def test_no_shortcut_acts_while_locked(qtbot: QtBot, clinic: Clinic) -> None:
    """Every shortcut of the window and its (hidden) session panels is dead behind the lock."""
    window = open_window(qtbot, clinic)
    type_half_a_reading(qtbot, window)
    page = window.session_page
    lock_idle(window, clinic)
    rows = audit_count(clinic)
    opened: list[str] = []

    def close_any_dialog() -> None:
        for top in QApplication.topLevelWidgets():
            if top is not window and top.isVisible():
                opened.append(top.windowTitle() or type(top).__name__)
                top.close()

    watcher = QTimer()
    watcher.timeout.connect(close_any_dialog)
    watcher.start(20)
    sequences = _key_sequences(window)
    assert {"F1", "F2", "Ctrl+N", "Ctrl+Shift+L", "Alt+1"} <= {k.toString() for k in sequences}
    for sequence in sequences:
        combination = sequence[0]
        qtbot.keyClick(focused(window), combination.key(), combination.keyboardModifiers())
        qtbot.wait(30)
        assert_still_locked(window)
        assert window.stack.currentWidget() is page, sequence.toString()
    watcher.stop()
    close_any_dialog()
    assert opened == []
    assert audit_count(clinic) == rows  # not even a failed unlock: Alt+3 typed no "3"
    assert window.lock_page.password.text() == ""
