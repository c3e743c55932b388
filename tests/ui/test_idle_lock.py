"""The idle lock hides patient data, keeps what was half typed, and needs the password back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.context import SYSTEM
from ketalog.services.database import make_sessionmaker
from ketalog.services.settings import IDLE_LOCK_MINUTES, idle_lock_minutes, set_setting
from ketalog.services.users import UserSummary
from ketalog.store.models import VitalSign
from ketalog.ui.main_window import MainWindow
from tests.staff import password_of
from tests.ui.conftest import activate
from tests.ui.test_login import Clinic, make_clinic, shows_patient, sign_in, visible_text

NORA = UserSummary(1, "nora", "Nora Reyes", "RN", "nurse")


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = make_clinic(tmp_path)
    yield made
    made.engine.dispose()


def open_window(qtbot: QtBot, clinic: Clinic, user: UserSummary | None = NORA) -> MainWindow:
    window = MainWindow(clinic.engine, "sqlite:///lock", clock=clinic.clock, user=user)
    qtbot.addWidget(window)
    activate(qtbot, window)
    return window


def vitals_count(clinic: Clinic) -> int:
    with make_sessionmaker(clinic.engine)() as db:
        return int(db.scalar(select(func.count()).select_from(VitalSign)) or 0)


def type_half_a_reading(qtbot: QtBot, window: MainWindow) -> object:
    """Open the session, F2, type systolic and diastolic, and walk away (no Enter)."""
    window.open_session(window.board_model.index(0, 0).data(
        window.board_model.SessionIdRole))
    page = window.session_page
    assert page is not None and shows_patient(window)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    panel = page.vitals  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    qtbot.keyClicks(panel.sbp, "131")
    qtbot.keyClick(panel.sbp, Qt.Key.Key_Tab)
    qtbot.keyClicks(panel.dbp, "84")
    return panel


def test_idle_lock_hides_everything_and_unlock_keeps_the_half_typed_row(
        qtbot: QtBot, clinic: Clinic) -> None:
    window = open_window(qtbot, clinic)
    before = vitals_count(clinic)
    panel = type_half_a_reading(qtbot, window)
    page = window.session_page

    clinic.clock.advance(9)
    assert not window.idle.check() and not window.locked  # not yet
    clinic.clock.advance(1.5)
    assert window.idle.check()
    assert window.locked and window.pages.currentWidget() is window.lock_page
    assert not shows_patient(window), visible_text(window)
    assert "Ñúñez" not in window.windowTitle()
    lock = window.lock_page
    assert lock.title.text() == "Locked — Nora Reyes, RN"
    assert "Enter your password to continue" in lock.subtitle.text()
    assert lock.password.hasFocus() and lock.switch_button.isVisible()
    assert not window.user_toolbar.isVisible()
    # shortcuts are dead while locked: F2, Esc, Ctrl+N do nothing
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is lock
    assert window.stack.currentWidget() is page

    qtbot.keyClicks(lock.password, "not-my-password")
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert "That is not Nora Reyes's password." in lock.message.text()
    assert window.locked and not shows_patient(window)

    qtbot.keyClicks(lock.password, password_of("nora"))
    qtbot.mouseClick(lock.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.locked and window.pages.currentWidget() is window.workspace
    assert window.session_page is page  # the same widgets, not rebuilt
    assert (panel.sbp.text(), panel.dbp.text(), panel.hr.text()) == (  # type: ignore[attr-defined]
        "131", "84", "")
    assert vitals_count(clinic) == before  # nothing saved while locked
    assert clinic.audit("lock", "unlock", "login_failed", "view") == [
        ("view", "nora", None), ("lock", "nora", None),
        ("login_failed", "nora", "unlock"), ("unlock", "nora", None)]


def test_input_keeps_the_workstation_unlocked(qtbot: QtBot, clinic: Clinic) -> None:
    window = open_window(qtbot, clinic)
    clinic.clock.advance(9)
    qtbot.mouseMove(window.board.table.viewport(), QPoint(40, 40))
    qtbot.mouseMove(window.board.table.viewport(), QPoint(60, 50))
    clinic.clock.advance(9)
    assert not window.idle.check()
    qtbot.keyClick(window.board.table, Qt.Key.Key_Down)
    clinic.clock.advance(9.9)
    assert not window.idle.check() and not window.locked
    clinic.clock.advance(0.2)
    assert window.idle.check() and window.locked


def test_the_clinic_setting_decides_the_minutes(qtbot: QtBot, clinic: Clinic) -> None:
    with make_sessionmaker(clinic.engine)() as db:
        assert idle_lock_minutes(db) == 10
        set_setting(db, SYSTEM, IDLE_LOCK_MINUTES, 0)  # out of range: the default holds
        assert idle_lock_minutes(db) == 10
        set_setting(db, SYSTEM, IDLE_LOCK_MINUTES, 2)
        assert idle_lock_minutes(db) == 2
    window = open_window(qtbot, clinic)
    clinic.clock.advance(1.9)
    assert not window.idle.check()
    clinic.clock.advance(0.2)
    assert window.idle.check() and window.locked


def test_lock_button_and_sign_in_as_someone_else(qtbot: QtBot, clinic: Clinic) -> None:
    window = open_window(qtbot, clinic, user=None)
    sign_in(qtbot, window, "nora", password_of("nora"))
    button = window.user_toolbar.widgetForAction(window.lock_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.locked and not shows_patient(window)
    qtbot.mouseClick(window.lock_page.switch_button, Qt.MouseButton.LeftButton)
    assert not window.locked and window.pages.currentWidget() is window.login_page
    sign_in(qtbot, window, "sam", password_of("sam"))
    assert window.signed_in_label.text() == "Signed in: Sam Okafor, RN (nurse)"
    assert [a for a, _u, _f in clinic.audit("login", "lock", "logout")] == [
        "login", "lock", "logout", "login"]


def test_a_modal_dialog_is_closed_by_the_lock(qtbot: QtBot, clinic: Clinic) -> None:
    window = open_window(qtbot, clinic)
    seen: list[QDialog] = []

    def lock_while_the_dialog_is_open() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog) and dialog.isVisible()
        seen.append(dialog)
        dialog.family.insert("Ñúñez")  # type: ignore[attr-defined]
        clinic.clock.advance(11)
        window.idle.check()

    QTimer.singleShot(50, lock_while_the_dialog_is_open)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # exec() returns
    assert seen and not seen[0].isVisible()
    assert window.locked and not shows_patient(window)
    assert QApplication.activeModalWidget() is None


def test_drafts_left_by_someone_else_are_pointed_out(qtbot: QtBot, clinic: Clinic) -> None:
    window = open_window(qtbot, clinic)
    panel = type_half_a_reading(qtbot, window)
    assert not window.notice.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.login_page
    sign_in(qtbot, window, "sam", password_of("sam"))
    assert window.session_page is not None and window.session_page.isVisible()
    assert window.notice.isVisible()
    assert ("Unsaved entries typed by Nora Reyes, RN are still in the forms"
            in window.notice.text())
    assert "recorded under your name" in window.notice.text()
    assert (panel.sbp.text(), panel.dbp.text()) == ("131", "84")  # type: ignore[attr-defined]
    # Sam corrects the reading: from now on it is his
    panel.dbp.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(panel.dbp, "82")  # type: ignore[attr-defined]
    window.refresh()
    assert not window.notice.isVisible()
    # both of them opened the patient's session: both views are in the audit trail
    assert [(a, u) for a, u, _f in clinic.audit("view")] == [("view", "nora"), ("view", "sam")]


def test_a_count_half_typed_in_the_books_window_is_there_again_after_the_lock(
        qtbot: QtBot, clinic: Clinic) -> None:
    """Nothing typed is lost to the idle lock: the books' window waits for the same person."""
    window = open_window(qtbot, clinic)
    window.show_stock()
    dialog = window.stock_dialog
    assert dialog is not None and dialog.isVisible()
    count = dialog.count  # type: ignore[attr-defined]
    dialog.show_tab(count)  # type: ignore[attr-defined]
    qtbot.keyClicks(count.note, "vial 3 checked twice")
    clinic.clock.advance(11)
    assert window.idle.check() and window.locked
    assert not dialog.isVisible()  # hidden behind the lock, like everything else
    qtbot.keyClicks(window.lock_page.password, password_of("nora"))
    qtbot.keyClick(window.lock_page.password, Qt.Key.Key_Return)
    assert not window.locked
    assert window.stock_dialog is dialog and dialog.isVisible()
    assert count.note.text() == "vial 3 checked twice"
    # locked again, and someone else signs in: the draft is not theirs to see
    clinic.clock.advance(11)
    assert window.idle.check() and window.locked
    qtbot.mouseClick(window.lock_page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stock_dialog is None)
    activate(qtbot, window)  # the offscreen platform hands activation back to no one
    sign_in(qtbot, window, "sam", password_of("sam"))
    assert not any(isinstance(w, QDialog) and w.isVisible()
                   for w in QApplication.topLevelWidgets())
