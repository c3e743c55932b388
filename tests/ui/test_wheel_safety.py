"""A wheel turn over a control the nurse is not typing in scrolls the page, never a value.

Found by hand: scrolling the Events panel over the unfocused severity box
changed an adverse event's severity from mild to severe. The session
screen's panels are covered in every state by test_kit_rules.py; every
other dialog and page is covered here.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from pytestqt.qtbot import QtBot

from ketalog.ui.session.panels.events_panel import EventsPanel
from tests.ui.conftest import Chair, open_panel
from tests.ui.every_window import WINDOWS, no_workstation_file, open_window
from tests.ui.kit_rules import value_widgets

__all__ = ["no_workstation_file"]  # the autouse fixture, for this module's tests


def turn_wheel(widget: QWidget, notches: int = -3) -> None:
    """Send ``notches`` wheel notches (negative: towards the user) over ``widget``'s centre."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_the_unfocused_severity_box_leaves_it_alone(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = open_panel(chair, qtbot, EventsPanel, drafts=True)
    panel.ae_description.setFocus()
    assert panel.ae_severity.currentData() == "mild"
    turn_wheel(panel.ae_severity)
    assert panel.ae_severity.currentData() == "mild"


def _value(widget: QWidget) -> object:
    """A combo's chosen row; a spin box's or date field's text."""
    return widget.currentIndex() if isinstance(widget, QComboBox) else widget.text()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_the_wheel_changes_no_unfocused_value_in_any_dialog_or_page(
        chair: Chair, qtbot: QtBot, name: str) -> None:
    """Each value widget, hidden or shown, enabled or not, with the focus elsewhere."""
    widget = open_window(chair, qtbot, name)
    for field in value_widgets(widget):
        field.setEnabled(True)  # a greyed field would ignore the wheel for another reason
        if isinstance(field, QComboBox) and field.count() < 3:
            field.addItems(["one more", "and another", "and a third"])
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.clearFocus()
        assert not field.hasFocus()
        before = _value(field)
        for notches in (-1, 1, 3):
            turn_wheel(field, notches)
            assert _value(field) == before, (name, type(field).__name__, field.objectName())
