"""Measures at check-in: item by item with the keyboard, stored when recorded; PHQ-9 item 9
above 0 opens the C-SSRS screen and blocks the start until a physician reviews."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.store.models import Note, ScaleScore
from ketalog.ui.session.panels.checkin_panel import CheckInPanel
from tests.staff import PHYSICIAN
from tests.ui.conftest import Chair, activate, open_panel


def _type(qtbot: QtBot, digits: str) -> None:
    for digit in digits:
        focus = QApplication.focusWidget()
        assert focus is not None
        qtbot.keyClick(focus, digit)


def _scores(chair: Chair, scale: str) -> list[ScaleScore]:
    with chair.db() as db:
        return list(db.scalars(select(ScaleScore).where(ScaleScore.scale == scale)))


def test_phq9_typed_item_by_item_is_stored_with_its_total(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    activate(qtbot, panel)
    box = panel.measures
    assert [box.choice.itemData(i) for i in range(box.choice.count())] == [
        "phq9", "gad7", "madrs", "cssrs"]  # a depression course: no PCL-5, no pain NRS
    texts = [label.text() for label in box.form.findChildren(type(box.recorded))]
    assert "1. Little interest or pleasure in doing things" in texts
    assert box.form.rows[9].buttons[3].accessibleName() == "3 Nearly every day"
    box.form.focus_first()
    _type(qtbot, "21210100")
    assert _scores(chair, "phq9") == []  # nothing stored before the form is recorded
    _type(qtbot, "0")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    [phq9] = _scores(chair, "phq9")
    assert (phq9.total, phq9.band, json.loads(phq9.item_scores_json)[8]) == (7, "mild", 0)
    assert "PHQ-9 7 mild" in box.recorded.text()
    assert not box.safety.isVisible()


def test_half_typed_measure_survives_switching(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    box = panel.measures
    box.form.rows[1].set_value(3)
    box.form.changed.emit()
    box.choose("gad7")
    assert box.form.values()[0] is None
    box.choose("phq9")
    assert box.form.values()[0] == 3


def test_item9_opens_cssrs_and_a_physician_reviews(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checklist")
    panel, controller = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    box = panel.measures
    for number, value in enumerate([2, 2, 2, 1, 1, 1, 1, 0, 1], start=1):
        box.form.rows[number].set_value(value)
    qtbot.mouseClick(box.form.record_button, Qt.MouseButton.LeftButton)
    assert box.current_code() == "cssrs"
    assert box.safety.isVisible()
    assert "C-SSRS screen below" in box.safety_text.text()
    assert controller.view is not None
    assert any("C-SSRS" in r for r in controller.view.blocked["start_infusion"])

    for number, value in enumerate([1, 1, 1, 1, 0, 0], start=1):
        box.form.rows[number].set_value(value)
    qtbot.mouseClick(box.form.record_button, Qt.MouseButton.LeftButton)
    [cssrs] = _scores(chair, "cssrs")
    assert cssrs.band == "high risk"
    assert "physician must review" in box.safety_text.text()
    assert not box.review_edit.isEnabled()  # a nurse is signed in

    chair.actor[0] = PHYSICIAN
    controller.reload()
    assert box.review_edit.isEnabled()
    qtbot.keyClicks(box.review_edit, "Passive ideation, no plan; safety plan agreed; proceed")
    qtbot.keyClick(box.review_edit, Qt.Key.Key_Return)
    with chair.db() as db:
        [note] = db.scalars(select(Note).where(Note.kind == "risk_review")).all()
    assert note.author_id == PHYSICIAN.user_id
    assert "reviewed by" in box.safety_text.text()
    assert not any("C-SSRS" in r for r in controller.view.blocked.get("start_infusion", ()))


def test_a_session_waiting_for_the_cssrs_opens_on_it(chair: Chair, qtbot: QtBot) -> None:
    from ketalog.services.session.entries import record_scale
    from tests.staff import NURSE

    chair.to("checked_in")
    with chair.db() as db:
        record_scale(db, NURSE, chair.session_id, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 2],
                     clock=chair.clock)
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    assert panel.measures.current_code() == "cssrs"
    assert panel.measures.form.rows[1].buttons[1].accessibleName() == "1 Yes"


def test_a_recorded_measure_shows_what_was_recorded_and_invites_no_double_entry(
        chair: Chair, qtbot: QtBot) -> None:
    """Found by hand: after "recorded" the PHQ-9 reset to an empty "Total 0/27" form."""
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    activate(qtbot, panel)
    box = panel.measures
    box.form.focus_first()
    _type(qtbot, "111111110")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    form = box.form
    assert form.showing_recorded
    assert "PHQ-9 8 / 27 (mild) recorded at 09:00 by Nora Reyes, RN" in (
        form.recorded_label.text())
    assert not form.another_button.isVisible()  # once per visit
    assert "Total 0" not in form.total_label.text() or not form.total_label.isVisible()
    assert QApplication.focusWidget() is box.choice  # on to the next measure
    qtbot.keyClick(box.choice, Qt.Key.Key_Return)  # nothing recorded twice by a stray Enter
    assert len(_scores(chair, "phq9")) == 1
    box.choose("gad7")
    assert not form.showing_recorded and form.values() == [None] * 7
    box.choose("phq9")
    assert form.showing_recorded


def test_cssrs_by_keyboard_with_its_skip_logic(chair: Chair, qtbot: QtBot) -> None:
    """Items 3-5 are asked only after "yes" to item 2: "no" to 2 goes straight to 6."""
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    activate(qtbot, panel)
    box = panel.measures
    box.choose("cssrs")
    box.choice.setFocus()
    qtbot.keyClick(box.choice, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is box.form.rows[1]  # Measure, then item 1
    _type(qtbot, "10")  # yes to 1, no to 2
    assert QApplication.focusWidget() is box.form.rows[6]
    assert [box.form.rows[n].isEnabled() for n in (3, 4, 5)] == [False] * 3
    _type(qtbot, "0")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    [cssrs] = _scores(chair, "cssrs")
    assert json.loads(cssrs.item_scores_json) == [1, 0, 0, 0, 0, 0]
    assert cssrs.band == "low risk"


def test_measures_close_once_the_patient_is_discharged(chair: Chair, qtbot: QtBot) -> None:
    chair.to("discharged")
    panel, _ = open_panel(chair, qtbot, CheckInPanel, drafts=True)
    assert not panel.measures.isEnabled()
