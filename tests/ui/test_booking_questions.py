"""The booking screen asks which 01:30 on the night the clocks go back, and before it puts
two visits on one chair (issue 16, item 1); a cancelled question books nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.context import SYSTEM
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import TreatmentSession
from ketalog.ui.board.schedule_dialog import ScheduleDialog
from ketalog.ui.widgets import questions
from tests.ui.conftest import Chair

NEW_YORK = ZoneInfo("America/New_York")


def _answer(button: str, seen: list[str]) -> Callable[[], None]:
    """Once the question is up, note its text and press the button named ``button``."""
    def press() -> None:
        box = questions.open_question
        if box is None:
            QTimer.singleShot(10, press)
            return
        seen.append(box.text())
        [chosen] = [b for b in box.buttons() if b.text() == button]
        chosen.click()
    return press


def _dialog(qtbot: QtBot, chair: Chair, when: QDateTime) -> ScheduleDialog:
    with chair.db() as db:
        set_clinic_timezone(db, SYSTEM, "America/New_York")
    chair.ctx.tz = NEW_YORK
    dialog = ScheduleDialog(chair.ctx, chair.clock.now.date())
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.search, "nunez")
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    dialog.chair.setCurrentText("Chair 2")
    dialog.when.setDateTime(when)
    return dialog


def _sessions(chair: Chair) -> int:
    with chair.db() as db:
        return db.scalar(select(func.count()).select_from(TreatmentSession)) or 0


def test_a_repeated_time_is_asked_about_and_the_answer_booked(qtbot: QtBot,
                                                             chair: Chair) -> None:
    night = QDateTime(QDate(2027, 11, 7), QTime(1, 30))  # New York's clocks go back
    dialog = _dialog(qtbot, chair, night)
    seen: list[str] = []
    QTimer.singleShot(0, _answer("01:30 EST", seen))
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    assert "happens twice in America/New_York" in seen[0]
    with chair.db() as db:
        booked = db.get(TreatmentSession, dialog.session_id)
        assert booked is not None
        assert booked.scheduled_at_utc == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)


def test_a_skipped_time_is_refused_on_screen(qtbot: QtBot, chair: Chair) -> None:
    before = _sessions(chair)
    dialog = _dialog(qtbot, chair, QDateTime(QDate(2027, 3, 14), QTime(2, 30)))
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    assert "02:30 on 2027-03-14 does not exist in America/New_York" in dialog.message.text()
    assert _sessions(chair) == before


def test_a_taken_chair_asks_and_cancel_books_nothing(qtbot: QtBot, chair: Chair) -> None:
    at = QDateTime(QDate(2027, 1, 12), QTime(9, 0))
    first = _dialog(qtbot, chair, at)
    qtbot.mouseClick(first.schedule_button, Qt.MouseButton.LeftButton)
    before = _sessions(chair)
    again = _dialog(qtbot, chair, at.addSecs(30 * 60))
    seen: list[str] = []
    QTimer.singleShot(0, _answer("Cancel", seen))
    qtbot.mouseClick(again.schedule_button, Qt.MouseButton.LeftButton)
    assert "Chair 2 is already booked then (Ñúñez, José 09:00-10:30)" in seen[0]
    assert _sessions(chair) == before
    QTimer.singleShot(0, _answer("Book anyway", seen))
    qtbot.mouseClick(again.schedule_button, Qt.MouseButton.LeftButton)
    assert _sessions(chair) == before + 1
