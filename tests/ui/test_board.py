"""The day board as a nurse uses it: days, opening sessions, scheduling with the dialog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.store.models import Patient, TreatmentSession
from ketalog.ui.board.board_page import BoardPage
from ketalog.ui.board.schedule_dialog import ScheduleDialog
from tests.ui.conftest import Chair


def _page(qtbot: QtBot, chair: Chair) -> BoardPage:
    page = BoardPage(chair.ctx)
    qtbot.addWidget(page)
    page.refresh()
    return page


def test_board_shows_the_day_and_moves_between_days(qtbot: QtBot, chair: Chair) -> None:
    page = _page(qtbot, chair)
    assert page.model.rowCount() == 1
    assert page.model.index(0, page.model.PATIENT).data() == "Ñúñez, José"
    assert page.heading.text() == "Today: 1 sessions"
    page.shift_day(1)
    assert page.model.rowCount() == 0 and page.empty.isVisibleTo(page)
    page.go_today()
    assert page.model.rowCount() == 1


def test_enter_opens_the_selected_session(qtbot: QtBot, chair: Chair) -> None:
    page = _page(qtbot, chair)
    page.show()
    page.focus_table()
    with qtbot.waitSignal(page.open_session) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [chair.session_id]


def test_overdue_vitals_turn_red_with_text(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")
    page = _page(qtbot, chair)
    cell = page.model.index(0, page.model.NEXT_VITALS)
    assert "OVERDUE" not in cell.data()
    chair.clock.advance(12)
    page.tick()
    assert cell.data().startswith("⚠") and cell.data().endswith("OVERDUE")
    assert cell.data(Qt.ItemDataRole.ForegroundRole) is not None


def _type(qtbot: QtBot, field, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type like a nurse; QTest can only synthesise ASCII keys, so other text is inserted."""
    if text.isascii():
        qtbot.keyClicks(field, text)
    else:
        field.insert(text)


def _dialog(qtbot: QtBot, chair: Chair) -> ScheduleDialog:
    dialog = ScheduleDialog(chair.ctx, chair.clock.now.date())
    qtbot.addWidget(dialog)
    return dialog


def test_schedule_an_existing_patient_in_their_course(qtbot: QtBot, chair: Chair) -> None:
    dialog = _dialog(qtbot, chair)
    qtbot.keyClicks(dialog.search, "nunez")
    assert dialog.results.count() == 1
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.patient is not None and dialog.patient.given_name == "José"
    assert "1 of 6 booked" in dialog.course.currentText()
    dialog.chair.setCurrentText("Chair 2")
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    with chair.db() as db:
        booked = db.get(TreatmentSession, dialog.session_id)
        assert booked is not None
        assert (booked.chair, booked.sequence_number, booked.state) == ("Chair 2", 2, "scheduled")


def test_register_refuses_a_duplicate_until_confirmed(qtbot: QtBot, chair: Chair) -> None:
    dialog = _dialog(qtbot, chair)
    _type(qtbot, dialog.family, "Ñúñez")
    _type(qtbot, dialog.given, "José")
    qtbot.keyClicks(dialog.birth, "1980-03-14")
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    assert "already registered" in dialog.message.text()
    assert dialog.different_person.isVisibleTo(dialog)
    with chair.db() as db:
        assert db.scalar(select(func.count()).select_from(Patient)) == 1
    dialog.different_person.setChecked(True)
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    with chair.db() as db:
        assert db.scalar(select(func.count()).select_from(Patient)) == 2
    assert dialog.course.currentText() == "New course..."


def test_new_patient_new_course_booked_in_one_step(qtbot: QtBot, chair: Chair) -> None:
    dialog = _dialog(qtbot, chair)
    _type(qtbot, dialog.family, "Ångström")
    _type(qtbot, dialog.given, "Zoë")
    qtbot.keyClicks(dialog.birth, "1991-07-02")
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    dialog.indication.setCurrentText("PTSD")
    tomorrow = chair.clock.now + timedelta(days=1)
    dialog.when.setDate(dialog.when.date().addDays(1))
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    with chair.db() as db:
        booked = db.get(TreatmentSession, dialog.session_id)
        assert booked is not None and booked.sequence_number == 1
        assert booked.scheduled_at_utc.date() == tomorrow.date()
        assert booked.course.indication == "PTSD"


@pytest.mark.parametrize("text", ["", "12/31/1980", "1980-02-30"])
def test_bad_birth_date_is_refused(qtbot: QtBot, chair: Chair, text: str) -> None:
    dialog = _dialog(qtbot, chair)
    qtbot.keyClicks(dialog.family, "Test")
    qtbot.keyClicks(dialog.given, "Person")
    qtbot.keyClicks(dialog.birth, text)
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    assert "YYYY-MM-DD" in dialog.message.text()


def test_schedule_needs_a_patient(qtbot: QtBot, chair: Chair) -> None:
    dialog = _dialog(qtbot, chair)
    assert not dialog.schedule_button.isEnabled()
    assert "Find or register" in dialog.schedule_button.toolTip()
    QApplication.processEvents()


def test_signature_column_marks_unsigned_sessions(qtbot: QtBot, chair: Chair) -> None:
    from ketalog.services.signing import complete_nursing_record, sign_session
    from tests.staff import NURSE, PHYSICIAN, password_of

    chair.to("discharged")
    page = _page(qtbot, chair)
    cell = page.model.index(0, page.model.SIGNED)
    assert cell.data() == "⚠ nursing open"
    with chair.db() as db:
        complete_nursing_record(db, NURSE, chair.session_id,
                                password=password_of(NURSE.username), clock=chair.clock)
    page.refresh()
    cell = page.model.index(0, page.model.SIGNED)
    assert cell.data() == "⚠ to sign"
    assert "awaiting the physician's signature" in cell.data(Qt.ItemDataRole.ToolTipRole)
    with chair.db() as db:
        sign_session(db, PHYSICIAN, chair.session_id, password=password_of("ada"),
                     clock=chair.clock)
    page.refresh()
    assert page.model.index(0, page.model.SIGNED).data() == "✓ signed"


def test_board_shows_the_safety_prompt_and_maintenance_numbering(
        chair: Chair, qtbot: QtBot) -> None:
    from ketalog.domain.session_state import SessionAction
    from ketalog.services.session.entries import record_scale
    from ketalog.services.session.state import change_state
    from ketalog.store.models import Course
    from ketalog.ui.board.board_model import BoardTableModel
    from tests.staff import NURSE

    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, SessionAction.CHECK_IN, clock=chair.clock)
        record_scale(db, NURSE, chair.session_id, "phq9", [2, 2, 2, 1, 1, 1, 1, 0, 1],
                     clock=chair.clock)
    page = _page(qtbot, chair)
    model = page.model
    cell = model.index(0, BoardTableModel.ALERTS)
    assert model.data(cell) == "⚠ C-SSRS screen needed: PHQ-9 item 9 = 1"
    assert model.data(cell, Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(0, BoardTableModel.COURSE)) == "1 of 6"
    with chair.db() as db:
        course = db.scalars(select(Course)).one()
        course.phase = "maintenance"
        db.commit()
    page.refresh()  # an induction infusion keeps its "n of N" once the course is in maintenance
    assert model.data(model.index(0, BoardTableModel.COURSE)) == "1 of 6"


def test_safety_text_is_never_cut_off_at_1366x768(chair: Chair, qtbot: QtBot) -> None:
    """Found by hand: the safety column read "⚠ C-..." at 1366x768; it must be read, not hovered."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    from ketalog.domain.session_state import SessionAction
    from ketalog.services.screening import screening_view_by_id, update_screening
    from ketalog.services.session.entries import record_scale
    from ketalog.services.session.state import change_state
    from ketalog.store.models import Screening
    from ketalog.ui.board.board_model import BoardTableModel
    from tests.staff import NURSE

    with chair.db() as db:
        screening = db.scalars(select(Screening)).one()
        for question in ("takes_benzodiazepine", "takes_opioid", "takes_stimulant",
                         "takes_lamotrigine", "takes_other_sedative"):
            version = screening_view_by_id(db, screening.id).version
            update_screening(db, NURSE, screening.id, question, True, expected_version=version,
                             clock=chair.clock)
        change_state(db, NURSE, chair.session_id, SessionAction.CHECK_IN, clock=chair.clock)
        record_scale(db, NURSE, chair.session_id, "phq9", [2, 2, 2, 1, 1, 1, 1, 0, 1],
                     clock=chair.clock)
    page = BoardPage(chair.ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    table, model = page.table, page.model
    text = model.index(0, BoardTableModel.ALERTS).data()
    assert "C-SSRS screen needed" in text and "benzodiazepine" in text.lower()
    width = table.columnWidth(BoardTableModel.ALERTS)
    metrics = QFontMetrics(table.font())
    needed = metrics.boundingRect(QRect(0, 0, width - 8, 10_000),
                                  int(Qt.TextFlag.TextWordWrap), text)
    assert needed.width() <= width - 4
    assert needed.height() <= table.rowHeight(0), (needed.height(), table.rowHeight(0))


def _busy_rows() -> list[object]:
    """A real clinic afternoon's widest rows: long names, an overdue reading, an unsigned
    record, an open alert with its action note, cautions and a C-SSRS prompt."""
    from datetime import UTC, date, datetime

    from ketalog.domain.alerts import AlertSource, RaisedAlert
    from ketalog.services.board import BoardRow

    at = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    alert = RaisedAlert(AlertSource.VITALS, 7, "sbp_high", at,
                        "Systolic 185 mmHg is above the alert threshold of 180 mmHg",
                        action_note="Labetalol 10 mg IV, physician informed")

    def row(number: int, state: str, **extra: object) -> BoardRow:
        values: dict[str, object] = dict(
            session_id=number, chair=f"Chair {number}", scheduled_at_utc=at, state=state,
            patient_id=number, patient_name="Kowalska-Wiśniewska, Agnieszka", mrn="K0000009",
            birth_date=date(1974, 9, 19), course_id=number, sequence_number=2,
            planned_infusions=6, protocol_name="IV ketamine for depression, 0.5 mg/kg over 40 min",
            dose_started_at_utc=at, dose_ended_at_utc=None, last_vitals_at_utc=at,
            next_vitals_due_at_utc=at + timedelta(minutes=15))
        values.update(extra)
        return BoardRow(**values)  # type: ignore[arg-type]

    return [
        row(1, "infusing", open_alerts=(alert,),
            cautions=("benzodiazepine (lorazepam)", "bipolar, no mood stabiliser")),
        row(2, "discharged", dose_ended_at_utc=at + timedelta(minutes=40),
            next_vitals_due_at_utc=None),
        row(3, "checked_in", dose_started_at_utc=None,
            safety_alert="C-SSRS screen needed: PHQ-9 item 9 = 1"),
    ]


@pytest.mark.parametrize("width", [1366, 1920])
def test_the_whole_board_fits_the_window_with_safety_text_in_full(
        chair: Chair, qtbot: QtBot, width: int) -> None:
    """Found by hand: at 1366x768 the safety column sat off the right edge behind a
    scroll bar; a caution must be read where the eye goes, never scrolled to."""
    from datetime import UTC, datetime

    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics

    from ketalog.ui.board.board_model import BoardTableModel

    page = BoardPage(chair.ctx)
    qtbot.addWidget(page)
    page.resize(width - 20, 700)  # the main window's margins
    page.show()
    qtbot.waitExposed(page)
    page.model.set_rows(_busy_rows(), datetime(2026, 11, 20, 17, 30, tzinfo=UTC))  # type: ignore[arg-type]
    page.fit_columns()
    table = page.table
    last = BoardTableModel.ALERTS
    assert table.columnViewportPosition(last) + table.columnWidth(last) <= (
        table.viewport().width()), "the safety column runs off the board"
    assert table.horizontalScrollBar().maximum() == 0
    metrics = QFontMetrics(table.font())
    for number in range(page.model.rowCount()):
        text = page.model.index(number, last).data()
        needed = metrics.boundingRect(QRect(0, 0, table.columnWidth(last) - 8, 10_000),
                                      int(Qt.TextFlag.TextWordWrap), text)
        assert needed.height() <= table.rowHeight(number), (number, text)
