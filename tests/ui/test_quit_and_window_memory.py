"""Ctrl+Q quits, asking first while an infusion runs or entries wait; windows are remembered.

Closing the app with two infusions running used to say nothing, and Ctrl+Q
did nothing. Every window opened at a fixed size and forgot the size the
nurse gave it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ketalog.services.users import UserSummary
from ketalog.store.workstation import ENV_CONFIG_DIR
from ketalog.ui.main_window import MainWindow
from ketalog.ui.widgets.windows import place_window
from tests.ui.conftest import Chair, activate


@pytest.fixture(autouse=True)
def own_workstation_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "config"))


def _window(chair: Chair, qtbot: QtBot) -> MainWindow:
    window = MainWindow(chair.engine, "sqlite:///chair", clock=chair.clock,
                        user=UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"))
    qtbot.addWidget(window)
    activate(qtbot, window)
    return window


def _answer(window: MainWindow, button: str, seen: list[str]) -> Callable[[], None]:
    """Once the question is up, note its text and press ``button`` ("Quit" or "Stay")."""
    def press() -> None:
        box = window.quit_box
        if box is None:
            QTimer.singleShot(10, press)
            return
        seen.append(box.text())
        [chosen] = [b for b in box.buttons() if button in b.text().replace("&", "")]
        chosen.click()
    return press


def test_ctrl_q_with_an_infusion_running_asks_and_stay_keeps_the_app(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    window = _window(chair, qtbot)
    seen: list[str] = []
    QTimer.singleShot(0, _answer(window, "Stay", seen))
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert seen and "An infusion is running (Chair 1)" in seen[0]
    assert window.isVisible()

    activate(qtbot, window)
    QTimer.singleShot(0, _answer(window, "Quit", seen))
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert len(seen) == 2 and not window.isVisible()


def test_ctrl_q_with_nothing_running_or_typed_quits_at_once(
        chair: Chair, qtbot: QtBot) -> None:
    window = _window(chair, qtbot)
    assert window.quit_reasons() == []
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_unsaved_entries_are_named_before_quitting(chair: Chair, qtbot: QtBot) -> None:
    window = _window(chair, qtbot)
    window.drafts.put(chair.session_id, "vitals", {"systolic": "124"})
    assert window.quit_reasons() == ["Entries typed in 1 form(s) are not saved yet."]


def test_a_window_opens_within_the_screen_and_as_it_was_left(qtbot: QtBot) -> None:
    area = QApplication.primaryScreen().availableGeometry()
    first = QWidget()
    qtbot.addWidget(first)
    place_window(first, "test window", 2500, 1500)  # asks for more than the laptop has
    first.show()
    qtbot.waitExposed(first)
    assert first.frameGeometry().width() <= area.width()
    assert first.frameGeometry().height() <= area.height()
    first.resize(900, 500)
    first.close()

    again = QWidget()
    qtbot.addWidget(again)
    place_window(again, "test window", 2500, 1500)
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == QSize(900, 500)


def test_a_save_dialog_starts_in_the_folder_last_saved_to(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from ketalog.ui.core.documents import PdfPreview
    from tests.ui.every_window import sample_pdf

    asked: list[str] = []
    folder = tmp_path / "exports"
    folder.mkdir()

    def choose(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        asked.append(start)
        return str(folder / "chosen.pdf"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    preview = PdfPreview(sample_pdf(), "Session summary", "summary-1.pdf")
    qtbot.addWidget(preview)
    preview.save_dialog()
    preview.save_dialog()
    assert asked == ["summary-1.pdf", str(folder / "summary-1.pdf")]
    assert (folder / "chosen.pdf").exists()


def test_the_session_screens_splitters_come_back_as_left(chair: Chair, qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QSplitter

    from ketalog.ui.session.session_page import SessionPage

    first = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(first)
    first.resize(1366, 700)
    activate(qtbot, first)
    [middle] = [s for s in first.findChildren(QSplitter)
                if s.orientation() == Qt.Orientation.Vertical]
    total = sum(middle.sizes())
    default = middle.sizes()
    middle.setSizes([total - 250, 250])
    middle.splitterMoved.emit(total - 250, 1)  # the drag ends where the nurse left it
    kept = middle.sizes()
    assert kept != default

    again = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(again)
    again.resize(1366, 700)
    activate(qtbot, again)
    [restored] = [s for s in again.findChildren(QSplitter)
                  if s.orientation() == Qt.Orientation.Vertical]
    assert restored.sizes() == kept
