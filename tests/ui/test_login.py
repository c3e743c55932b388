"""Signing in, the first administrator, and switching user at a shared workstation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from ketalog.domain.session_state import SessionAction
from ketalog.services.context import SYSTEM
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_timezone, get_setting
from ketalog.services.users import create_user
from ketalog.store.models import AuditEntry, User
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, password_of, seed_staff
from tests.ui.conftest import activate

PATIENT_NAMES = ("Ñúñez", "José")


@dataclass
class Clinic:
    """A database with the test staff and one checked-in session for José Ñúñez."""

    engine: Engine
    clock: FakeClock
    session_id: int

    def audit(self, *actions: str) -> list[tuple[str, str, str | None]]:
        """(action, username, field) of the audit rows with these actions, oldest first."""
        with make_sessionmaker(self.engine)() as db:
            rows = db.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions))
                              .order_by(AuditEntry.id)).all()
            return [(r.action, r.username, r.field) for r in rows]


def make_clinic(tmp_path: Path) -> Clinic:
    """The staff of tests.staff and one checked-in session (the chair fixture's patient)."""
    engine = open_database(f"sqlite:///{tmp_path / 'login.sqlite3'}")
    seed_staff(engine)
    clock = FakeClock()
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return Clinic(engine, clock, sid)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    made = make_clinic(tmp_path)
    yield made
    made.engine.dispose()


def visible_text(window: QWidget) -> str:
    """Everything a person could read on the window now: labels, fields, buttons, tables."""
    parts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            parts.append(widget.text())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            parts += [str(model.index(r, c).data()) for r in range(model.rowCount())
                      for c in range(model.columnCount())]
    for top in QApplication.topLevelWidgets():
        if top is not window and top.isVisible():
            parts.append(top.windowTitle())
            parts += [w.text() for w in top.findChildren(QLabel | QLineEdit) if w.isVisible()]
    return "\n".join(parts)


def shows_patient(window: QWidget) -> bool:
    text = visible_text(window)
    return any(name in text for name in PATIENT_NAMES)


def click_action(qtbot: QtBot, window: MainWindow, action: QAction) -> None:
    """Click a toolbar action's button as a user would."""
    button = window.user_toolbar.widgetForAction(action)
    assert button is not None and button.isVisible(), action.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def sign_in(qtbot: QtBot, window: MainWindow, username: str, password: str) -> None:
    """Type the user name and password into the log-in page and press Enter."""
    page = window.login_page
    assert window.pages.currentWidget() is page
    page.username.clear()
    qtbot.keyClicks(page.username, username)
    qtbot.keyClick(page.username, Qt.Key.Key_Return)  # Enter moves on to the password
    assert page.password.hasFocus()
    qtbot.keyClicks(page.password, password)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)


def new_window(qtbot: QtBot, clinic: Clinic, **kwargs: object) -> MainWindow:
    window = MainWindow(clinic.engine, "sqlite:///login", clock=clinic.clock,
                        **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    activate(qtbot, window)
    return window


def test_start_shows_only_the_log_in_page(qtbot: QtBot, clinic: Clinic) -> None:
    window = new_window(qtbot, clinic)
    page = window.login_page
    assert page.isVisible() and page.username.hasFocus()
    assert page.password.echoMode() == QLineEdit.EchoMode.Password
    assert not window.user_toolbar.isVisible() and not window.board.isVisible()
    assert not shows_patient(window)
    # shortcuts do nothing for nobody: no scheduling dialog, no session opened
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    window.open_session(clinic.session_id)
    assert window.session_page is None and not shows_patient(window)
    assert window.ctx.actor().user_id is None


def test_sign_in_shows_the_board_under_the_users_name(qtbot: QtBot, clinic: Clinic) -> None:
    window = new_window(qtbot, clinic)
    sign_in(qtbot, window, "nora", password_of("nora"))
    assert window.pages.currentWidget() is window.workspace
    assert window.signed_in_label.text() == "Signed in: Nora Reyes, RN (nurse)"
    assert window.board.isVisible() and window.board_model.rowCount() == 1
    assert shows_patient(window)
    actor = window.ctx.actor()
    assert (actor.user_id, actor.display_name, actor.role) == (1, "Nora Reyes, RN", "nurse")
    assert not window.audit_action.isVisible()  # administrators only
    assert clinic.audit("login", "login_failed") == [("login", "nora", None)]


def test_wrong_password_is_a_message_then_throttled(qtbot: QtBot, clinic: Clinic) -> None:
    window = new_window(qtbot, clinic)
    page = window.login_page
    for attempt in range(3):
        sign_in(qtbot, window, "nora", f"wrong-{attempt}")
        assert page.message.isVisible()
        assert "The user name or password is wrong." in page.message.text()
        assert page.password.text() == "" and page.password.hasFocus()
        assert window.pages.currentWidget() is page
    sign_in(qtbot, window, "nora", password_of("nora"))  # right, but too soon
    assert "Too many failed attempts; wait 1 seconds" in page.message.text()
    assert window.pages.currentWidget() is page and not shows_patient(window)
    clinic.clock.advance(0.05)
    sign_in(qtbot, window, "nora", password_of("nora"))
    assert window.pages.currentWidget() is window.workspace
    assert [a for a, _u, _f in clinic.audit("login", "login_failed")] == [
        "login_failed"] * 3 + ["login"]


def test_unknown_user_and_empty_fields_get_a_message(qtbot: QtBot, clinic: Clinic) -> None:
    window = new_window(qtbot, clinic)
    page = window.login_page
    qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    assert "Enter your user name." in page.message.text()
    sign_in(qtbot, window, "nobody-here", "whatever-password")
    assert "The user name or password is wrong." in page.message.text()


def test_a_password_typed_as_the_user_name_is_not_stored(qtbot: QtBot, clinic: Clinic) -> None:
    """Typed into the wrong box, the password must not land in the audit trail."""
    window = new_window(qtbot, clinic)
    page = window.login_page
    qtbot.keyClicks(QApplication.focusWidget(), password_of("nora"))  # into User name
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert page.password.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), password_of("nora"))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert "The user name or password is wrong." in page.message.text()
    assert clinic.audit("login_failed") == [("login_failed", "unknown user", "login")]
    with make_sessionmaker(clinic.engine)() as db:
        stored = " ".join(f"{r.username} {r.old_value} {r.new_value}"
                          for r in db.scalars(select(AuditEntry)))
    assert password_of("nora") not in stored


def test_first_run_creates_the_administrator_and_signs_in(qtbot: QtBot,
                                                          tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    clock = FakeClock()
    window = MainWindow(engine, "sqlite:///empty", clock=clock)
    qtbot.addWidget(window)
    activate(qtbot, window)
    page = window.first_run_page
    assert page is not None and page.isVisible() and not window.login_page.isVisible()
    assert page.clinic_name.hasFocus()
    qtbot.keyClicks(page.clinic_name, "Riverside Ketamine Clinic")
    page.timezone.clear()
    qtbot.keyClicks(page.timezone, "Mars/Olympus")
    qtbot.keyClicks(page.username, "pmorgan")
    qtbot.keyClicks(page.full_name, "Pat Morgan")
    qtbot.keyClicks(page.password, "river-clinic-42")
    qtbot.keyClicks(page.password_again, "river-clinic-24")
    qtbot.keyClick(page.password_again, Qt.Key.Key_Return)
    assert "The two passwords differ" in page.message.text()
    page.password_again.clear()
    qtbot.keyClicks(page.password_again, "river-clinic-42")
    qtbot.keyClick(page.password_again, Qt.Key.Key_Return)
    assert "'Mars/Olympus' is not a time zone name" in page.message.text()
    with make_sessionmaker(engine)() as db:
        assert db.scalars(select(User)).all() == []  # nothing written on the refusal
    page.timezone.clear()
    qtbot.keyClicks(page.timezone, "America/Chicago")
    for edit in (page.password, page.password_again):
        edit.clear()
        qtbot.keyClicks(edit, "short")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert "at least 8 characters" in page.message.text()
    for edit in (page.password, page.password_again):
        edit.clear()
        qtbot.keyClicks(edit, "password")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert "too common" in page.message.text()
    with make_sessionmaker(engine)() as db:
        assert db.scalars(select(User)).all() == []
    for edit in (page.password, page.password_again):
        edit.clear()
        qtbot.keyClicks(edit, "river-clinic-42")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.workspace
    assert window.signed_in_label.text() == "Signed in: Pat Morgan (administrator)"
    assert window.audit_action.isVisible()
    with make_sessionmaker(engine)() as db:
        [user] = db.scalars(select(User)).all()
        assert (user.username, user.role) == ("pmorgan", "administrator")
        assert clinic_timezone(db).key == "America/Chicago"
        assert get_setting(db, "clinic_name") == "Riverside Ketamine Clinic"
        actions = [(a.action, a.username) for a in db.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "users")
            .order_by(AuditEntry.id))]
        assert actions == [("create", "first-run"), ("login", "pmorgan")]
    # the next start asks for a log-in, not for another administrator
    again = MainWindow(engine, "sqlite:///empty", clock=clock)
    qtbot.addWidget(again)
    assert again.first_run_page is None and again.pages.currentWidget() is again.login_page
    engine.dispose()


def test_switch_user_records_both_and_changes_the_toolbar(qtbot: QtBot,
                                                          clinic: Clinic) -> None:
    window = new_window(qtbot, clinic)
    sign_in(qtbot, window, "nora", password_of("nora"))
    click_action(qtbot, window, window.switch_action)
    assert window.pages.currentWidget() is window.login_page
    assert "Nora Reyes, RN signed out" in window.login_page.message.text()
    assert not shows_patient(window) and window.ctx.actor().user_id is None
    sign_in(qtbot, window, "sam", password_of("sam"))
    assert window.signed_in_label.text() == "Signed in: Sam Okafor, RN (nurse)"
    assert window.ctx.actor().username == "sam"
    # Ctrl+L is the same switch
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.login_page
    sign_in(qtbot, window, "admin", password_of("admin"))
    assert window.signed_in_label.text() == "Signed in: Alex Admin (administrator)"
    assert window.audit_action.isVisible()
    assert clinic.audit("login", "logout") == [
        ("login", "nora", None), ("logout", "nora", None), ("login", "sam", None),
        ("logout", "sam", None), ("login", "admin", None)]


def test_a_64_character_unicode_passphrase_signs_in(qtbot: QtBot, clinic: Clinic) -> None:
    passphrase = "Ñúñez-Ångström-Иванов-渡辺-ケタミン-🙂-zoë-ß-नमस्ते-ok"
    passphrase = (passphrase * 2)[:64]
    assert len(passphrase) == 64
    with make_sessionmaker(clinic.engine)() as db:
        create_user(db, SYSTEM, username="zoe", full_name="Zoë Ångström",
                    credentials="RN", role="nurse", password=passphrase)
    window = new_window(qtbot, clinic)
    page = window.login_page
    qtbot.keyClicks(page.username, "zoe")
    page.password.insert(passphrase[:-1])  # one character short first
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert "The user name or password is wrong." in page.message.text()
    page.password.insert(passphrase)
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    assert window.signed_in_label.text() == "Signed in: Zoë Ångström, RN (nurse)"


def test_after_an_administrators_reset_the_log_in_asks_for_a_new_password_first(
    qtbot: QtBot, clinic: Clinic
) -> None:
    from ketalog.services.accounts import authenticate, reset_password
    from tests.staff import ADMIN

    with make_sessionmaker(clinic.engine)() as db:
        reset_password(db, ADMIN, "ada", "temporary-pass-2026", clock=clinic.clock)
    window = new_window(qtbot, clinic)
    page = window.login_page
    sign_in(qtbot, window, "ada", "temporary-pass-2026")
    assert window.pages.currentWidget() is page and not shows_patient(window)
    assert page.changing_password and page.new_password.hasFocus()
    assert not page.username.isVisible() and not page.sign_in_button.isVisible()
    assert "An administrator reset your password" in page.message.text()
    qtbot.keyClicks(page.new_password, "ada-own-passphrase")
    qtbot.keyClick(page.new_password, Qt.Key.Key_Return)
    assert page.repeat_password.hasFocus()
    qtbot.keyClicks(page.repeat_password, "ada-own-passphrasf")
    qtbot.keyClick(page.repeat_password, Qt.Key.Key_Return)
    assert "differ" in page.message.text() and window.pages.currentWidget() is page
    qtbot.keyClicks(page.new_password, "ada-own-passphrase")
    qtbot.keyClick(page.new_password, Qt.Key.Key_Return)
    qtbot.keyClicks(page.repeat_password, "ada-own-passphrase")
    qtbot.keyClick(page.repeat_password, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.workspace
    assert window.signed_in_label.text() == "Signed in: Ada Lindqvist, MD (physician)"
    with make_sessionmaker(clinic.engine)() as db:
        assert not authenticate(db, "ada", "ada-own-passphrase").must_change_password
        user = db.scalar(select(User).where(User.username == "ada"))
        assert user is not None and not user.must_change_password
    window.login_page.reset()
    assert not page.username.isHidden() and page.new_password.isHidden()
    assert not page.changing_password
