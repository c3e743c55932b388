"""The physician's list of sessions waiting for a signature."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ketalog.services.signing import WaitingSession, complete_nursing_record
from ketalog.ui.board.waiting_page import WaitingPage, WaitingTableModel
from tests.play import sign
from tests.staff import NURSE, password_of
from tests.ui.conftest import Chair


def _page(qtbot: QtBot, chair: Chair) -> WaitingPage:
    page = WaitingPage(chair.ctx)
    qtbot.addWidget(page)
    return page


def test_lists_discharged_unsigned_sessions_until_signed(
        qtbot: QtBot, chair: Chair, english_plurals: None) -> None:
    page = _page(qtbot, chair)
    assert page.refresh() == 0 and page.count() == 0
    assert page.empty.isVisibleTo(page)
    chair.to("discharged")
    with qtbot.waitSignal(page.count_changed) as counted:
        page.refresh()
    assert counted.args == [1] and page.count() == 1
    model = page.model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells == ["Sat 21 Nov 2026 09:00", "ÑÚÑEZ, José", cells[2], "Chair 1",
                     "⚠ nursing record open"]
    assert cells[2].startswith("K")
    assert page.heading.text() == "Waiting for signature: 1 session, 0 ready to sign"
    with chair.db() as db:
        complete_nursing_record(db, NURSE, chair.session_id,
                                password=password_of(NURSE.username), clock=chair.clock)
    page.refresh()
    assert model.index(0, WaitingTableModel.NURSING).data().startswith(
        "✓ Nora Reyes, RN · 21 Nov 2026 ")
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert page.heading.text().endswith("1 ready to sign")
    with chair.db() as db:
        sign(db, chair.session_id, chair.clock)
    assert page.refresh() == 0 and page.empty.isVisibleTo(page)


def test_enter_and_double_click_open_the_session(qtbot: QtBot, chair: Chair) -> None:
    chair.to("discharged")
    page = _page(qtbot, chair)
    page.show()  # showing reloads
    assert page.count() == 1
    page.table.setFocus()
    with qtbot.waitSignal(page.open_session) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [chair.session_id]
    with qtbot.waitSignal(page.open_session) as opened:
        page.table.doubleClicked.emit(page.model.index(0, WaitingTableModel.PATIENT))
    assert opened.args == [chair.session_id]


def test_waiting_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 11, 21, 19, 5, tzinfo=UTC)
    model = WaitingTableModel(ZoneInfo("America/New_York"))
    model.set_rows([
        WaitingSession(1, "ÑÚÑEZ, José", "K0000001", "Chair 1", at, at, "Nora Reyes, RN", at),
        WaitingSession(2, "DOE, Jane", "K0000002", "Chair 2", at, at, None, None),
    ])
    qtmodeltester.check(model)
    assert model.index(0, WaitingTableModel.NURSING).data() == (
        "✓ Nora Reyes, RN · 21 Nov 2026 14:05 EST")
    assert model.index(1, WaitingTableModel.DATE).data() == "Sat 21 Nov 2026 14:05"


def test_the_main_window_lists_and_opens_waiting_sessions(qtbot: QtBot, chair: Chair) -> None:
    from PySide6.QtCore import Qt

    from ketalog.services.signing import complete_nursing_record
    from ketalog.services.users import UserSummary
    from ketalog.ui.main_window import MainWindow
    from tests.staff import NURSE, password_of
    from tests.ui.conftest import activate

    chair.to("discharged")
    with chair.db() as db:
        complete_nursing_record(db, NURSE, chair.session_id,
                                password=password_of(NURSE.username), clock=chair.clock)
    physician = UserSummary(3, "ada", "Ada Lindqvist", "MD", "physician")
    window = MainWindow(chair.engine, "sqlite:///ui", clock=chair.clock, user=physician)
    qtbot.addWidget(window)
    activate(qtbot, window)
    assert window.waiting_action.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_W,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    page = window.waiting_dialog
    assert page.count() == 1
    page.open_session.emit(chair.session_id)
    assert window.session_page is not None
    assert window.session_page.session_id == chair.session_id  # type: ignore[attr-defined]
