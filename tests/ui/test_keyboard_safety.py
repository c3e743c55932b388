"""Keystrokes typed at the chair change only what the nurse typed them into.

The defects these guard against were found by hand: with an infusion paused,
Alt+3 put the focus on Resume and typing a reason pressed it with the first
space, then Pause with the next; Tab then Space paused again with half a
sentence as the reason.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ketalog.services.session.state import change_state
from ketalog.ui.session.session_page import SessionPage
from tests.ui.conftest import NURSE, Chair, activate


def _page(chair: Chair, qtbot: QtBot) -> SessionPage:
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    activate(qtbot, page)
    page.reload()
    return page


def type_into_focus(qtbot: QtBot, text: str) -> None:
    """Each character goes to whatever has the keyboard focus at that moment."""
    for char in text:
        target = QApplication.focusWidget()
        assert isinstance(target, QWidget), "nothing has the focus"
        key = {" ": Qt.Key.Key_Space, "\t": Qt.Key.Key_Tab, "\n": Qt.Key.Key_Return}.get(char)
        if key is None:
            qtbot.keyClicks(target, char)
        else:
            qtbot.keyClick(target, key)


def _pause(chair: Chair) -> None:
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, "pause", reason="nausea",
                     clock=chair.clock)


def test_typing_a_reason_after_alt_3_on_a_paused_infusion_changes_nothing(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    chair.clock.advance(5)
    _pause(chair)
    page = _page(chair, qtbot)
    events_before = [e.kind for e in chair.stored().infusion_events]

    page.show_panel(3)
    type_into_focus(qtbot, "BP 158/92 after labetalol\tno change")

    stored = chair.stored()
    assert stored.state == "paused"
    assert [e.kind for e in stored.infusion_events] == events_before


def test_alt_3_on_a_paused_infusion_puts_the_keyboard_in_a_field(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    chair.clock.advance(5)
    _pause(chair)
    page = _page(chair, qtbot)
    page.show_panel(3)
    focus = QApplication.focusWidget()
    assert focus is not None
    assert focus.focusPolicy() != Qt.FocusPolicy.NoFocus
    assert focus.metaObject().className() in ("QLineEdit", "QPlainTextEdit"), focus
