"""Every dialog and page outside the session screen follows the widget kit.

Opened as the role that uses it, each window must pass
:func:`tests.ui.kit_rules.assert_follows_the_kit`: no focusable
state-changing button, no state-changing default button, no plain Qt value
widget. (The wheel over each window's value widgets: test_wheel_safety.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Chair
from tests.ui.every_window import WINDOWS, no_workstation_file, open_window
from tests.ui.kit_rules import assert_follows_the_kit

__all__ = ["no_workstation_file"]  # the autouse fixture, for this module's tests


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_every_button_and_value_widget_follows_the_kit(
        chair: Chair, qtbot: QtBot, name: str) -> None:
    widget = open_window(chair, qtbot, name)
    assert_follows_the_kit(widget)


def test_the_list_of_windows_covers_every_dialog_module() -> None:
    """A new dialog module shows up here until it is added to every_window.WINDOWS."""
    import ketalog.ui as ui

    # the modules of ui/ and of its screen folders (not the kit, widgets/, nor the session's
    # panels/), named as every_window names them: "launch", "course.course_page"
    root = Path(ui.__file__).parent
    modules = {".".join(p.relative_to(root).with_suffix("").parts) for p in root.rglob("*.py")
               if p.relative_to(root).parts[0] != "widgets" and "panels" not in p.parts}
    modules = {m.removesuffix(".__init__") for m in modules}
    covered = {getattr(opener, "module", "main_window") for _role, opener in WINDOWS.values()}
    without_windows = {"__init__", "board.board_model", "core.context", "course.course_actions",
                       "start.credentials", "core.link", "core.live", "session.session_page",
                       "core.style", "core.alert_sound",
                       "session.safety_strip", "session.alerts_strip",  # parts of the session page
                       "core.translation",  # loads the catalogue, shows nothing
                       "launch",  # starts the app and opens main_window, no window of its own
                       # the Controlled substances window's tabs (stock.stock_window opens them)
                       "stock.tab", "stock.on_hand", "stock.receive", "stock.counts",
                       "stock.movements", "stock.entry_list",
                       "core", "start", "board", "session", "course", "admin",
                       "stock"}  # the folders
    assert modules - without_windows - covered == set()



def test_enter_in_the_password_signs_once_and_space_never_signs(qtbot: QtBot) -> None:
    """Sign is pressed by Enter in its field, once; a space typed anywhere is a character."""
    from PySide6.QtCore import Qt

    from ketalog.ui.core.context import Outcome
    from ketalog.ui.session.signing_panel import SignDialog
    from tests.ui.conftest import activate

    tried: list[str] = []

    def attempt(password: str) -> Outcome[object]:
        tried.append(password)
        return Outcome(error="Wrong password.")

    dialog = SignDialog("Dr Paul Okafor", "Ñúñez, José  K000001", attempt)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.password, "pass word")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Tab)  # to Cancel, the one focusable button
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert dialog.password.hasFocus()  # the Sign button was never a Tab stop
    assert tried == []
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert tried == ["pass word"]
    assert "Wrong password." in dialog.message.text() and dialog.isVisible()
