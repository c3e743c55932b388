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

    modules = {p.stem for p in Path(ui.__file__).parent.glob("*.py")}
    covered = {getattr(opener, "module", "main_window") for _role, opener in WINDOWS.values()}
    without_windows = {"__init__", "board_model", "context", "course_actions", "credentials",
                       "link", "live", "session_page", "style", "alert_sound",
                       "safety_strip", "alerts_strip",  # parts of the session page
                       "translation"}  # loads the catalogue, shows nothing
    assert modules - without_windows - covered == set()



def test_enter_in_the_password_signs_once_and_space_never_signs(qtbot: QtBot) -> None:
    """Sign is pressed by Enter in its field, once; a space typed anywhere is a character."""
    from PySide6.QtCore import Qt

    from ketalog.ui.context import Outcome
    from ketalog.ui.signing_panel import SignDialog
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
