"""A nurse plans a series, moves one session, and a physician stops a course: clicks and keys.

The chair fixture's clock starts on Saturday 21 November 2026, 09:00 UTC, with
José Ñúñez's first infusion (of 6 planned) booked at that time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateTimeEdit, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.booking import (
    plan_induction_series,
    schedule_session,
    set_closed_days,
    stop_course,
)
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import Course, TreatmentSession
from ketalog.ui.course.series_dialog import PlanSeriesDialog, RescheduleDialog, StopCourseDialog
from tests.staff import ADMIN, NURSE, PHYSICIAN
from tests.ui.conftest import Chair, activate

MON, TUE, WED, THU, FRI = range(5)


@pytest.fixture
def course_id(chair: Chair) -> int:
    """José's course; the clinic's zone is UTC like the screens' in the chair fixture."""
    with chair.db() as db:
        set_clinic_timezone(db, ADMIN, "UTC")
        found = db.get(TreatmentSession, chair.session_id)
        assert found is not None
        return found.course_id


def _sessions(chair: Chair, course_id: int) -> list[tuple[int, datetime, str, int | None, str]]:
    with chair.db() as db:
        rows = db.execute(
            select(TreatmentSession.id, TreatmentSession.scheduled_at_utc,
                   TreatmentSession.chair, TreatmentSession.sequence_number,
                   TreatmentSession.state)
            .where(TreatmentSession.course_id == course_id)
            .order_by(TreatmentSession.scheduled_at_utc)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _retype(qtbot: QtBot, field: object, text: str) -> None:
    """Tab into the field and type over what it holds, as a nurse does.

    Tabbing into a date or time field selects its first section (year, hour),
    and digits fill the sections in turn, moving on when one is full (so the
    text is typed as digits only: a separator typed after that would skip a
    section); a spin box is selected whole.
    """
    field.clearFocus()  # type: ignore[attr-defined]
    field.setFocus(Qt.FocusReason.TabFocusReason)  # type: ignore[attr-defined]
    if not isinstance(field, QDateTimeEdit):
        qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def _plan_dialog(qtbot: QtBot, chair: Chair, course_id: int) -> PlanSeriesDialog:
    dialog = PlanSeriesDialog(chair.ctx, course_id)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def _preview(dialog: PlanSeriesDialog) -> list[str]:
    return [dialog.preview_list.item(i).text() for i in range(dialog.preview_list.count())]


def test_a_nurse_plans_mon_wed_fri_with_clicks_and_keys(
    qtbot: QtBot, chair: Chair, course_id: int
) -> None:
    dialog = _plan_dialog(qtbot, chair, course_id)
    assert "1 of 6 planned infusions booked" in dialog.course_label.text()
    assert dialog.count.value() == 5  # the induction infusions not booked yet
    qtbot.mouseClick(dialog.preset_buttons["Tue/Thu"], Qt.MouseButton.LeftButton)
    assert dialog.weekdays() == {TUE, THU}
    qtbot.mouseClick(dialog.preset_buttons["Mon/Wed/Fri"], Qt.MouseButton.LeftButton)
    assert dialog.weekdays() == {MON, WED, FRI}
    _retype(qtbot, dialog.first_day, "20261123")
    assert dialog.first_day.date().toString("yyyy-MM-dd") == "2026-11-23"
    _retype(qtbot, dialog.time_of_day, "1030")
    dialog.chair.setFocus()
    qtbot.keyClick(dialog.chair, Qt.Key.Key_Down)
    assert dialog.chair.currentText() == "Chair 2"
    _retype(qtbot, dialog.count, "4")
    assert _preview(dialog) == ["Mon 23 Nov 2026", "Wed 25 Nov 2026", "Fri 27 Nov 2026",
                                "Mon 30 Nov 2026"]
    # untick Monday by click: the series runs on Wednesdays and Fridays
    qtbot.mouseClick(dialog.weekday_boxes[MON], Qt.MouseButton.LeftButton)
    assert _preview(dialog)[0] == "Wed 25 Nov 2026"
    qtbot.mouseClick(dialog.weekday_boxes[MON], Qt.MouseButton.LeftButton)
    assert dialog.book_button.label() == "Book 4 sessions"
    assert dialog.book_button.isEnabled()
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    rows = _sessions(chair, course_id)
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        (datetime(2026, 11, 23, 10, 30, tzinfo=UTC), "Chair 2", 2),
        (datetime(2026, 11, 25, 10, 30, tzinfo=UTC), "Chair 2", 3),
        (datetime(2026, 11, 27, 10, 30, tzinfo=UTC), "Chair 2", 4),
        (datetime(2026, 11, 30, 10, 30, tzinfo=UTC), "Chair 2", 5)]
    assert dialog.session_ids == [r[0] for r in rows[1:]]


def test_the_preview_shows_a_holiday_moved_and_refuses_a_double_booking(
    qtbot: QtBot, chair: Chair, course_id: int
) -> None:
    with chair.db() as db:
        set_closed_days(db, ADMIN, weekdays=[5, 6], dates=[date(2026, 11, 25)],
                        clock=chair.clock)
    dialog = _plan_dialog(qtbot, chair, course_id)
    _retype(qtbot, dialog.first_day, "20261123")
    lines = _preview(dialog)
    assert lines[:3] == ["Mon 23 Nov 2026", "   Wed 25 Nov 2026: clinic closed (holiday), moved",
                         "Fri 27 Nov 2026"]
    assert dialog.book_button.label() == "Book 5 sessions"
    assert dialog.book_button.isEnabled()
    # another workstation books José on Monday 30 November: the preview marks that day
    with chair.db() as db:
        schedule_session(db, NURSE, course_id=course_id, chair="Chair 3",
                         scheduled_at=datetime(2026, 11, 30, 13, tzinfo=UTC),
                         clock=chair.clock)
    qtbot.mouseClick(dialog.preset_buttons["Mon/Wed/Fri"], Qt.MouseButton.LeftButton)
    assert "⚠ Mon 30 Nov 2026: the patient already has a session (13:00, Chair 3)" in (
        _preview(dialog))
    assert not dialog.book_button.isEnabled()
    assert "already has a session" in dialog.book_button.toolTip()
    assert "Choose another first day" in dialog.message.text()
    # a first day in the past is marked too
    _retype(qtbot, dialog.first_day, "20261120")
    assert "Fri 20 Nov 2026: 09:00 is in the past" in dialog.message.text()
    assert len(_sessions(chair, course_id)) == 2


def test_a_refused_booking_books_nothing_and_says_what_to_fix(
    qtbot: QtBot, chair: Chair, course_id: int
) -> None:
    dialog = _plan_dialog(qtbot, chair, course_id)
    _retype(qtbot, dialog.first_day, "20261123")
    assert dialog.book_button.isEnabled()
    # another workstation stops the course while the dialog is open
    with chair.db() as db:
        stop_course(db, PHYSICIAN, course_id, reason="patient's wish", clock=chair.clock)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "The course is stopped; nothing can be booked in it" in dialog.message.text()
    assert [r[4] for r in _sessions(chair, course_id)] == ["cancelled"]


def test_a_nurse_moves_one_session_and_the_rest_stay(
    qtbot: QtBot, chair: Chair, course_id: int
) -> None:
    with chair.db() as db:
        ids = plan_induction_series(
            db, NURSE, course_id, first_day=date(2026, 11, 23), weekdays={MON, WED, FRI},
            time_of_day=datetime(2026, 1, 1, 9).time(), chair="Chair 1", clock=chair.clock)
    before = _sessions(chair, course_id)
    dialog = RescheduleDialog(chair.ctx, ids[1])
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    assert "infusion 3 of 6" in dialog.current.text()
    assert dialog.when.dateTime().toString("yyyy-MM-dd HH:mm") == "2026-11-25 09:00"
    _retype(qtbot, dialog.when, "202611280900")  # a Saturday
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert "Sat 28 Nov 2026: the clinic is closed on Saturdays" in dialog.message.text()
    assert _sessions(chair, course_id) == before
    _retype(qtbot, dialog.when, "202611261415")
    dialog.chair.setFocus()
    qtbot.keyClick(dialog.chair, Qt.Key.Key_End)
    assert dialog.chair.currentText() == "Chair 3"
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    after = {r[0]: r for r in _sessions(chair, course_id)}
    assert after[ids[1]][1:4] == (datetime(2026, 11, 26, 14, 15, tzinfo=UTC), "Chair 3", 3)
    for row in before:
        if row[0] != ids[1]:
            assert after[row[0]] == row


def test_a_physician_stops_the_course_with_a_reason(
    qtbot: QtBot, chair: Chair, course_id: int
) -> None:
    chair.actor[0] = PHYSICIAN
    dialog = StopCourseDialog(chair.ctx, course_id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "cancels the 1 session(s) still booked" in dialog.summary.text()
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert "Give the reason for stopping the course" in dialog.message.text()
    with chair.db() as db:
        assert db.get(Course, course_id).status == "active"  # type: ignore[union-attr]
    qtbot.keyClicks(dialog.reason, "no response after 4 infusions")
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.cancelled_ids == [chair.session_id]
    with chair.db() as db:
        course = db.get(Course, course_id)
        assert course is not None and course.status == "stopped"
        assert db.get(TreatmentSession, chair.session_id).state_reason == (  # type: ignore[union-attr]
            "course stopped: no response after 4 infusions")
