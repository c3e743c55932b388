"""The window opens on the database and shows today's board."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine

from ketalog.services.board import BoardRow
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.users import UserSummary
from ketalog.ui.board.board_model import BoardTableModel
from ketalog.ui.main_window import MainWindow
from tests.helpers.databases import copy_demo_clinic
from tests.staff import seed_staff
from tests.ui.conftest import activate


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    # a copy of the run's demo clinic, as `ketalog demo` builds it (~20 s, once per run)
    engine = open_database(copy_demo_clinic(tmp_path_factory.mktemp("ui") / "demo.sqlite3"))
    yield engine
    engine.dispose()


def test_empty_board_for_a_signed_in_user(qtbot: QtBot, sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    seed_staff(engine)
    window = MainWindow(engine, sqlite_url, user=UserSummary(1, "nora", "Nora Reyes", "RN",
                                                             "nurse"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "ketalog"
    assert window.signed_in_label.text() == "Signed in: Nora Reyes, RN (nurse)"
    assert window.board_model.rowCount() == 0
    assert window.heading.text() == "Today: 0 sessions"
    assert window.board.empty.isVisible()
    engine.dispose()



def test_a_window_closed_twice_touches_the_database_once(qtbot: QtBot, sqlite_url: str) -> None:
    """A window closed twice (a test's close, then qtbot's; a quit after a failed start)
    leaves its session once: the second close writes nothing, even after the engine closed."""
    from sqlalchemy import event

    engine = open_database(sqlite_url)
    seed_staff(engine)
    window = MainWindow(engine, sqlite_url, user=UserSummary(1, "nora", "Nora Reyes", "RN",
                                                             "nurse"))
    qtbot.addWidget(window)  # never shown, as in tests/ui/test_clock_banner.py
    window.close()
    checkouts: list[object] = []
    event.listen(engine, "checkout", lambda *_args: checkouts.append(_args))
    window.close()
    assert checkouts == []
    engine.dispose()

def test_demo_board_is_shown_after_signing_in(qtbot: QtBot, demo_engine: Engine) -> None:
    window = MainWindow(demo_engine, "sqlite:///demo")
    qtbot.addWidget(window)
    activate(qtbot, window)
    assert window.login_page.isVisible() and not window.board.isVisible()
    assert window.board_model.rowCount() == 0  # nothing read before anyone signed in
    qtbot.keyClicks(window.login_page.username, "nurse")
    qtbot.keyClicks(window.login_page.password, "nurse-demo-pass")
    qtbot.mouseClick(window.login_page.sign_in_button, Qt.MouseButton.LeftButton)
    assert window.board.isVisible()
    assert window.signed_in_label.text() == "Signed in: Nora Reyes, RN (nurse)"
    model = window.board_model
    assert model.rowCount() == 10
    cells = {model.index(r, c).data() for r in range(model.rowCount())
             for c in range(model.columnCount())}
    assert {"Chair 1", "Ñúñez, José", "Infusing", "Signed", "Cancelled"} <= cells


def _row(session_id: int, state: str, due: datetime | None) -> BoardRow:
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    return BoardRow(session_id, "Chair 1", start, state, 1, "Ñúñez, José", "K0000001",
                    date(1980, 3, 14), 1, 2, 6, "IV ketamine 0.5 mg/kg", start, None, start, due)


def test_board_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    model = BoardTableModel(ZoneInfo("Europe/Berlin"))
    model.set_rows([_row(1, "infusing", now - timedelta(minutes=2)),
                    _row(2, "scheduled", None)], now)
    qtmodeltester.check(model)
    assert model.index(0, BoardTableModel.NEXT_VITALS).data() == "⚠ 10:28 OVERDUE"
    assert model.index(0, BoardTableModel.ELAPSED).data() == "30:00"
    assert model.index(0, BoardTableModel.TIME).data() == "10:00"
    assert model.index(0, BoardTableModel.COURSE).data() == "2 of 6"
    assert model.index(1, BoardTableModel.NEXT_VITALS).data() == ""
    assert model.index(1, 0).data(BoardTableModel.SessionIdRole) == 2


def test_help_lists_every_shortcut(qtbot: QtBot) -> None:
    from ketalog.ui.main_window import SHORTCUTS, ShortcutHelp

    dialog = ShortcutHelp()
    qtbot.addWidget(dialog)
    keys = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert keys == [k for k, _ in SHORTCUTS]
    assert {"F1", "F2", "Ctrl+N", "Esc", "Ctrl+D"} <= set(keys)


def _signed_in(qtbot: QtBot, engine: Engine, username: str, password: str) -> MainWindow:
    window = MainWindow(engine, "sqlite:///demo")
    qtbot.addWidget(window)
    activate(qtbot, window)
    qtbot.keyClicks(window.login_page.username, username)
    qtbot.keyClicks(window.login_page.password, password)
    qtbot.mouseClick(window.login_page.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.board.isVisible())
    return window


def test_course_window_from_the_board_shows_the_safety_prompt_and_actions(
        qtbot: QtBot, demo_engine: Engine) -> None:
    window = _signed_in(qtbot, demo_engine, "physician", "physician-demo-pass")
    model = window.board_model
    [row] = [r for r in range(model.rowCount())
             if model.row_at(r).state == "checked_in"]
    alert = model.index(row, BoardTableModel.ALERTS).data()
    assert "C-SSRS screen needed: PHQ-9 item 9 = 1" in alert  # the physician is told
    assert window.outcomes_action.isVisible()
    window.board.table.setCurrentIndex(model.index(row, 0))
    qtbot.keyClick(window, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.course_dialog.isVisible())
    dialog = window.course_dialog
    assert dialog.view is not None and dialog.view.course_id == model.row_at(row).course_id
    assert all(b.isEnabled() for b in window.course_buttons.values())  # a physician
    dialog.reject()


def test_nurse_sees_course_actions_for_physicians_disabled(
        qtbot: QtBot, demo_engine: Engine) -> None:
    window = _signed_in(qtbot, demo_engine, "nurse", "nurse-demo-pass")
    assert not window.outcomes_action.isVisible()
    window.board.table.setCurrentIndex(window.board_model.index(0, 0))
    window.show_course()
    buttons = window.course_buttons
    assert buttons["screening"].isEnabled() and buttons["plan_series"].isEnabled()
    assert not buttons["stop_course"].isEnabled()
    assert "Only a physician" in buttons["complete_course"].toolTip()
    window.course_dialog.reject()
    window.show_rems()
    qtbot.waitUntil(lambda: window.rems_dialog.isVisible())
    assert window.rems_dialog.model.rowCount() > 0  # the demo's esketamine patients
    window.rems_dialog.reject()


@pytest.mark.parametrize(("user", "may_save"), [
    (UserSummary(4, "admin", "Alex Admin", "", "administrator"), True),
    (UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"), False),
])
def test_settings_open_from_the_toolbar_and_only_an_administrator_may_save(
        qtbot: QtBot, sqlite_url: str, user: UserSummary, may_save: bool,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ketalog.store.backup import daily_backup
    from ketalog.ui.admin.settings_dialog import SettingsDialog

    monkeypatch.setenv("KETALOG_CONFIG_DIR", str(tmp_path / "config"))
    engine = open_database(sqlite_url)
    seed_staff(engine)
    daily_backup(engine, today=date(2026, 11, 21))  # what start-up does, remembered
    window = MainWindow(engine, sqlite_url, user=user)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "automatic backup" in window.statusBar().currentMessage().lower())
    window.settings_action.trigger()
    dialogs = window.findChildren(SettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    assert dialogs[0].save_button.isEnabled() is may_save
    dialogs[0].close()
    window.close()
    engine.dispose()


def test_the_first_run_opens_the_demo_clinic_marked_demo(
        qtbot: QtBot, sqlite_url: str, demo_engine: Engine) -> None:
    """An empty database offers the demo; it opens in its own window, DEMO in the title."""
    engine = open_database(sqlite_url)
    window = MainWindow(engine, "sqlite:///empty")
    qtbot.addWidget(window)
    activate(qtbot, window)
    assert window.first_run_page is not None and window.first_run_page.isVisible()
    window.demo_url = demo_engine.url.render_as_string(hide_password=False)
    demo = window.open_demo_clinic()
    assert demo is not None
    qtbot.addWidget(demo)
    assert not window.isVisible() and demo.isVisible()
    assert "DEMO" in demo.windowTitle()
    assert demo.login_page.isVisible()
    with make_sessionmaker(engine)() as db:  # the empty database stays empty
        from ketalog.services.accounts import needs_first_administrator

        assert needs_first_administrator(db)
    engine.dispose()


def test_the_demo_refuses_a_database_of_real_accounts(qtbot: QtBot, sqlite_url: str,
                                                      tmp_path: Path) -> None:
    engine = open_database(sqlite_url)
    window = MainWindow(engine, "sqlite:///empty")
    qtbot.addWidget(window)
    activate(qtbot, window)
    clinic = open_database(f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    seed_staff(clinic)
    window.demo_url = clinic.url.render_as_string(hide_password=False)
    assert window.open_demo_clinic() is None
    assert window.isVisible()
    assert window.first_run_page is not None
    assert "already has user accounts" in window.first_run_page.message.text()
    clinic.dispose()
    engine.dispose()


@pytest.mark.parametrize(("open_it", "dialog", "admin_only"), [
    ("show_clinic_settings", "ClinicSettingsDialog", True),
    ("show_accounts", "AccountsDialog", True),
    ("show_audit_trail", "AuditDialog", True),
    ("change_my_password", "ChangePasswordDialog", False),
])
def test_the_toolbar_dialogs_open_for_whom_they_are_for(
        qtbot: QtBot, sqlite_url: str, open_it: str, dialog: str, admin_only: bool) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    engine = open_database(sqlite_url)
    seed_staff(engine)
    for user, expected in ((UserSummary(4, "admin", "Alex Admin", "", "administrator"), True),
                           (UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"),
                            not admin_only)):
        window = MainWindow(engine, sqlite_url, user=user)
        qtbot.addWidget(window)
        activate(qtbot, window)
        opened: list[str] = []

        def close_it(opened: list[str] = opened) -> None:
            modal = QApplication.activeModalWidget()
            if modal is not None:
                opened.append(type(modal).__name__)
                modal.close()

        QTimer.singleShot(200, close_it)
        getattr(window, open_it)()
        qtbot.wait(250)
        assert opened == ([dialog] if expected else []), user.role
    engine.dispose()


def test_the_backup_line_shows_under_the_board_and_never_squeezes_a_session(
        qtbot: QtBot, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found at 125 % scaling: the status bar's height squeezed the vitals entry fields."""
    from ketalog.store.backup import daily_backup
    from tests.conftest import FakeClock
    from tests.play import book

    monkeypatch.setenv("KETALOG_CONFIG_DIR", str(tmp_path / "config"))
    engine = open_database(sqlite_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        session_id = book(db, FakeClock())
    daily_backup(engine, today=date(2026, 11, 21))
    window = MainWindow(engine, sqlite_url,
                        user=UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "automatic backup" in window.statusBar().currentMessage().lower())
    assert window.statusBar().isVisible()
    window.open_session(session_id)
    assert not window.statusBar().isVisible()
    window.show_board()
    assert window.statusBar().isVisible()
    assert "automatic backup" in window.statusBar().currentMessage().lower()
    window.close()
    engine.dispose()
