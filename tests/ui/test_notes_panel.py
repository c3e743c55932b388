"""The notes panel: notes with kind, author and time; the note being written is kept."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import schedule_session
from ketalog.services.session.state import change_state
from ketalog.store.models import Note
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.notes_panel import NotesPanel, NotesTableModel
from tests.staff import NURSE2
from tests.ui.conftest import NURSE, Chair


def _open(chair: Chair, qtbot: QtBot, state: str = "infusing"
          ) -> tuple[NotesPanel, SessionController]:
    chair.to(state)
    controller = chair.controller()
    panel = NotesPanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    return panel, controller


def _notes(chair: Chair) -> list[tuple[str, str, str]]:
    with chair.db() as db:
        return [(n.kind, n.author_name, n.text)
                for n in db.scalars(select(Note).order_by(Note.id))]


def test_note_stored_with_kind_and_author_by_ctrl_enter(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    assert panel.kind.currentData() == "nursing"  # during the infusion
    panel.kind.setCurrentIndex(panel.kind.findData("observation"))
    panel.kind.activated.emit(panel.kind.currentIndex())
    qtbot.keyClicks(panel.text, "Non-ordinary state, calm.")
    qtbot.keyClick(panel.text, Qt.Key.Key_Return)  # a new line, not the end of the note
    panel.text.insertPlainText("Says José is fine.")
    assert _notes(chair) == []
    qtbot.keyClick(panel.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert _notes(chair) == [("observation", "Nora Reyes, RN",
                              "Non-ordinary state, calm.\nSays José is fine.")]
    assert panel.text.toPlainText() == ""
    assert chair.drafts.get(chair.session_id, NotesPanel.DRAFT_FORM) == {}
    model = panel.notes_model
    assert model.index(0, NotesTableModel.KIND).data() == "Observation"
    assert model.index(0, NotesTableModel.AUTHOR).data() == "Nora Reyes, RN"
    assert model.index(0, NotesTableModel.TIME).data() == chair.clock.now.strftime("%H:%M")
    assert "Says José is fine." in model.index(0, NotesTableModel.TEXT).data()


def test_recovery_note_by_button_with_another_author(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot, "recovering")
    assert panel.kind.currentData() == "recovery"
    chair.actor[0] = NURSE2
    qtbot.keyClicks(panel.text, "Alert, oriented, tolerating fluids.")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert _notes(chair) == [("recovery", "Sam Okafor, RN", "Alert, oriented, tolerating fluids.")]
    with chair.db() as db:
        note = db.scalars(select(Note)).one()
        assert note.written_at_utc.replace(tzinfo=UTC) == chair.clock.now


def test_empty_note_is_refused_with_the_service_message(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    qtbot.keyClicks(panel.text, "   ")
    qtbot.keyClick(panel.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert _notes(chair) == []
    assert panel.message.isVisible() and "The note is empty." in panel.message.text()


def test_draft_note_survives_another_session_and_coming_back(
        chair: Chair, qtbot: QtBot) -> None:
    panel, controller = _open(chair, qtbot)
    qtbot.keyClicks(panel.text, "Patient asked about the next")
    with chair.db() as db:
        other = schedule_session(db, NURSE, course_id=controller.view.detail.course_id,  # type: ignore[union-attr]
                                 chair="Chair 2", scheduled_at=chair.clock.now,
                                 clock=chair.clock)
        change_state(db, NURSE, other, SessionAction.CHECK_IN, clock=chair.clock)
    first = controller.session_id
    controller.session_id = other
    controller.reload()
    assert panel.text.toPlainText() == ""
    qtbot.keyClicks(panel.text, "Other chair")
    controller.session_id = first
    controller.reload()
    assert panel.text.toPlainText() == "Patient asked about the next"
    # and a new panel (the page rebuilt) finds it too
    again = NotesPanel(controller, chair.drafts)
    qtbot.addWidget(again)
    assert again.text.toPlainText() == "Patient asked about the next"
    qtbot.keyClicks(again.text, " appointment.")
    qtbot.keyClick(again.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert _notes(chair) == [("nursing", "Nora Reyes, RN",
                              "Patient asked about the next appointment.")]
    assert chair.drafts.get(other, NotesPanel.DRAFT_FORM)["text"] == "Other chair"



def test_author_and_text_are_shown_as_stored() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ketalog.services.session_detail import NoteRow

    model = NotesTableModel(ZoneInfo("UTC"))
    at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    model.set_rows([NoteRow(1, "nursing", at, "Reyes: Nora, RN", "BP fine: 120/80")])
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells == ["09:30", "Nursing", "Reyes: Nora, RN", "BP fine: 120/80"]


def test_notes_model_passes_the_model_tester(chair: Chair, qtbot: QtBot,  # type: ignore[no-untyped-def]
                                             qtmodeltester) -> None:
    panel, _ = _open(chair, qtbot)
    for text in ("first", "second"):
        qtbot.keyClicks(panel.text, text)
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        chair.clock.advance(1)
    qtmodeltester.check(panel.notes_model)
    assert panel.notes_model.index(0, NotesTableModel.TEXT).data() == "second"
