"""A wheel turn over a control the nurse is not typing in scrolls the page, never a value.

Found by hand: scrolling the Events panel over the unfocused severity box
changed an adverse event's severity from mild to severe.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ketalog.ui.panels.events_panel import EventsPanel
from tests.ui.conftest import Chair, open_panel


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
