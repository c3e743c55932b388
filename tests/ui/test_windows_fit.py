"""Every window fits the clinic laptop's 1366x768 screen and comes back as it was left.

The test session's screen is 1366x768 (tests/conftest.py). Each top-level
window and dialog opens at the size it asks for, as the app opens it (no
resize by the test): it must lie within the screen, and every label and
button in it must have at least the room its text needs (a clipped label is
what a nurse would see as cut-off words).
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.sessions import open_course
from tests.staff import NURSE
from tests.ui.conftest import Chair
from tests.ui.every_window import WINDOWS, _rems_row
from tests.ui.every_window import no_workstation_file as no_workstation_file  # noqa: F401

#: Pages shown inside the main window, not windows of their own.
PAGES = {"log-in", "first administrator", "lock", "board", "waiting for signature"}


def _open_as_the_app_does(chair: Chair, qtbot: QtBot, name: str) -> QWidget:
    role, opener = WINDOWS[name]
    chair.actor[0] = role
    with chair.db() as db:
        patient = register_patient(db, NURSE, family_name="Okonkwo", given_name="Ada",
                                   birth_date=date(1975, 6, 1), clock=chair.clock)
        course_id = open_course(db, NURSE, patient_id=patient.id,
                                protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                                indication="treatment-resistant depression", clock=chair.clock)
    if name == "rems mark filed":
        from ketalog.ui.rems_page import MarkFiledDialog

        widget: QWidget = MarkFiledDialog(chair.ctx, _rems_row(chair))
    else:
        widget = opener(chair, course_id)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


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
    window = _open_as_the_app_does(chair, qtbot, name)
    area = QApplication.primaryScreen().availableGeometry()
    assert (area.width(), area.height()) == (1366, 768)
    frame = window.frameGeometry()
    assert frame.width() <= area.width() and frame.height() <= area.height(), (
        f"{name} opens at {frame.width()}x{frame.height()}")
    assert area.contains(frame.topLeft()) and area.contains(
        frame.bottomRight() - QPoint(1, 1)), f"{name} opens at {frame}"
    assert clipped(window) == [], name
