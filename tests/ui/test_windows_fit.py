"""Every window fits the clinic laptop's 1366x768 screen and comes back as it was left.

The test session's screen is 1366x768 (tests/conftest.py). Each top-level
window and dialog opens at the size it asks for, as the app opens it (no
resize by the test): it must lie within the screen, and every label and
button in it must have at least the room its text needs (a clipped label is
what a nurse would see as cut-off words).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import Chair
from tests.ui.every_window import WINDOWS, open_window
from tests.ui.every_window import no_workstation_file as no_workstation_file  # noqa: F401

#: Pages shown inside the main window, not windows of their own.
PAGES = {"log-in", "first administrator", "lock", "board", "waiting for signature"}


def clipped(window: QWidget) -> list[str]:
    """Each visible label or button with less room than its text needs."""
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window) or not isinstance(widget, QLabel | QAbstractButton):
            continue
        text = widget.text().replace("\n", " ")
        if not text.strip():
            continue
        hint = widget.minimumSizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            needed_h = widget.heightForWidth(widget.width())
            if needed_h > widget.height() + 1:
                found.append(f"{text[:50]!r}: {widget.height()} px high, needs {needed_h}")
        elif widget.width() + 1 < hint.width():
            found.append(f"{text[:50]!r}: {widget.width()} px wide, needs {hint.width()}")
    return found


@pytest.mark.parametrize("name", sorted(set(WINDOWS) - PAGES))
def test_each_window_opens_within_the_screen_with_no_clipped_text(
        chair: Chair, qtbot: QtBot, name: str) -> None:
    window = open_window(chair, qtbot, name, resize=False)
    area = QApplication.primaryScreen().availableGeometry()
    assert (area.width(), area.height()) == (1366, 768)
    frame = window.frameGeometry()
    assert frame.width() <= area.width() and frame.height() <= area.height(), (
        f"{name} opens at {frame.width()}x{frame.height()}")
    assert area.contains(frame.topLeft()) and area.contains(
        frame.bottomRight() - QPoint(1, 1)), f"{name} opens at {frame}"
    assert clipped(window) == [], name
