"""The scales panel: a nurse records MOAA/S, CADSS and 0-10 ratings by click and key."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.booking import schedule_session
from ketalog.services.session.entries import record_scale
from ketalog.store.models import ScaleScore
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.scales_panel import ScalesPanel, ScoresTableModel
from tests.ui.conftest import NURSE, Chair


def _scores(chair: Chair) -> list[tuple[str, int, list[int]]]:
    import json

    with chair.db() as db:
        return [(s.scale, s.total, json.loads(s.item_scores_json))
                for s in db.scalars(select(ScaleScore).order_by(ScaleScore.id))]


def _open(chair: Chair, qtbot: QtBot, state: str = "infusing"
          ) -> tuple[ScalesPanel, SessionController]:
    chair.to(state)
    controller = chair.controller()
    panel = ScalesPanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    controller.reload()
    return panel, controller


def _type(qtbot: QtBot, panel: ScalesPanel, keys: str) -> None:
    """Type as a nurse does: each key goes wherever the focus is now."""
    for key in keys:
        target = panel.focusWidget()
        assert target is not None
        qtbot.keyClick(target, key)


def _enter(qtbot: QtBot, panel: ScalesPanel) -> None:
    target = panel.focusWidget()
    assert target is not None
    qtbot.keyClick(target, Qt.Key.Key_Return)


def test_moaas_click_records_at_once(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    qtbot.mouseClick(panel.moaas.buttons[3], Qt.MouseButton.LeftButton)
    assert _scores(chair) == [("moaas", 3, [3])]
    assert "MOAA/S 3 / 5 recorded at" in panel.message.text()
    assert panel.scores_model.index(0, ScoresTableModel.SCALE).data() == "MOAA/S"
    assert "Last: 3" in panel.moaas_last.text()


def test_moaas_digit_only_selects_and_enter_records(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.moaas.focus_choice()
    _type(qtbot, panel, "4")
    assert panel.focusWidget() is panel.moaas and panel.moaas.cursor_value() == 4
    assert _scores(chair) == []  # a stray digit stores nothing
    _enter(qtbot, panel)
    assert _scores(chair) == [("moaas", 4, [4])]


def test_a_superscript_digit_selects_nothing_and_stores_nothing(chair: Chair, qtbot: QtBot) -> None:
    # "²" has its own key on French (AZERTY) keyboards, left of "1"
    panel, _ = _open(chair, qtbot)
    panel.moaas.focus_choice()
    _type(qtbot, panel, "3")
    QApplication.sendEvent(panel.moaas, QKeyEvent(
        QEvent.Type.KeyPress, 0xB2, Qt.KeyboardModifier.NoModifier, "²"))  # Qt's Key_twosuperior
    assert panel.moaas.cursor_value() == 3
    _enter(qtbot, panel)
    assert _scores(chair) == [("moaas", 3, [3])]


def test_cadss6_by_keyboard_records_total_7(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    form = panel.cadss_form
    assert list(form.rows) == [1, 2, 6, 7, 15, 22]
    assert form.rows[1].buttons[0].text().startswith("0\nNot at all")
    form.focus_first()
    _type(qtbot, panel, "12013")
    assert "Total 7 / 24" in form.total_label.text()
    assert "1 of 6 items still to score" in form.total_label.text()
    _type(qtbot, panel, "0")
    assert panel.focusWidget() is form.rows[22]  # the last item keeps the keyboard
    assert form.total_label.text() == "Total 7 / 24  (Enter records)"
    _enter(qtbot, panel)
    assert _scores(chair) == [("cadss6", 7, [1, 2, 0, 1, 3, 0])]
    # the form now shows what was recorded, with time and author, not an empty form
    assert form.showing_recorded and form.recorded_label.isVisible()
    assert "CADSS-6 7 / 24 recorded at 09:" in form.recorded_label.text()
    assert "by Nora Reyes, RN" in form.recorded_label.text()
    assert not form.total_label.isVisible()
    assert panel.scores_model.index(0, ScoresTableModel.TOTAL).data() == "7 / 24"
    assert panel.scores_model.index(0, ScoresTableModel.ITEMS).data() == (
        "1:1  2:2  6:0  7:1  15:3  22:0")


def test_incomplete_cadss6_is_refused_with_the_service_message(
        chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    form = panel.cadss_form
    form.focus_first()
    _type(qtbot, panel, "1201")
    qtbot.mouseClick(form.record_button, Qt.MouseButton.LeftButton)
    assert _scores(chair) == []
    assert form.message.isVisible()
    assert "CADSS-6 item 15 is missing" in form.message.text()
    assert "CADSS-6 item 22 is missing" in form.message.text()
    assert form.values() == [1, 2, 0, 1, None, None]  # nothing typed is lost
    assert panel.focusWidget() is form.rows[15]


def test_full_cadss23_can_be_chosen(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    form = panel.cadss_form
    form.focus_first()
    _type(qtbot, panel, "4")  # item 1 carries over to the full form
    panel.full_cadss.setFocus()
    qtbot.keyClick(panel.full_cadss, Qt.Key.Key_Space)
    assert len(form.rows) == 23 and form.record_button.text() == "Record CADSS-23"
    assert form.values()[0] == 4
    form.focus_first()
    _type(qtbot, panel, "1" * 22)
    _enter(qtbot, panel)
    assert _scores(chair) == [("cadss23", 26, [4] + [1] * 22)]


def test_nausea_3_by_click_and_pain_10_by_keys(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    qtbot.mouseClick(panel.ratings["nausea"].buttons[3], Qt.MouseButton.LeftButton)
    panel.ratings["pain"].focus_choice()
    _type(qtbot, panel, "10")
    _enter(qtbot, panel)
    assert _scores(chair) == [("nausea", 3, [3]), ("pain", 10, [10])]
    assert "Last: 3" in panel.rating_last["nausea"].text()


def test_cadss_draft_survives_a_session_switch(chair: Chair, qtbot: QtBot) -> None:
    panel, controller = _open(chair, qtbot)
    panel.cadss_form.focus_first()
    _type(qtbot, panel, "123")
    with chair.db() as db:
        other = schedule_session(db, NURSE, course_id=panel.view.detail.course_id,
                                 chair="Chair 2", scheduled_at=chair.clock.now,
                                 clock=chair.clock)
    first = controller.session_id
    controller.session_id = other
    controller.reload()
    assert panel.cadss_form.values() == [None] * 6
    assert not panel.entry_area.isEnabled()  # the other session is not checked in
    controller.session_id = first
    controller.reload()
    assert panel.cadss_form.values() == [1, 2, 3, None, None, None]


def test_record_another_cadss_starts_an_empty_form_after_the_recorded_one(
        chair: Chair, qtbot: QtBot) -> None:
    panel, controller = _open(chair, qtbot)
    with chair.db() as db:
        record_scale(db, NURSE, chair.session_id, "cadss6", [1, 1, 1, 1, 1, 1],
                     clock=chair.clock)
    controller.reload()
    form = panel.cadss_form
    assert form.showing_recorded and "CADSS-6 6 / 24" in form.recorded_label.text()
    assert form.another_button.isVisible()
    qtbot.mouseClick(form.another_button, Qt.MouseButton.LeftButton)
    assert not form.showing_recorded and form.values() == [None] * 6
    assert panel.focusWidget() is form.rows[1]
    controller.reload()  # a refresh does not take the new entry away
    assert not form.showing_recorded
    _type(qtbot, panel, "222222")
    _enter(qtbot, panel)
    assert [s[1] for s in _scores(chair)] == [6, 12]
    assert "CADSS-6 12 / 24" in form.recorded_label.text()


def test_scores_are_closed_once_the_patient_is_discharged(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot, "discharged")
    assert not panel.entry_area.isEnabled()
    assert "discharged at" in panel.entry_message.text()
    assert "in-session scores are closed" in panel.entry_message.text()


def test_tab_walks_item_by_item_from_sedation_to_the_last_cadss_item(
        chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.moaas.focus_choice()
    seen = [panel.focusWidget()]
    for _ in range(11):
        qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_Tab)
        seen.append(panel.focusWidget())
    form = panel.cadss_form
    assert seen == [panel.moaas, panel.ratings["nausea"], panel.ratings["anxiety"],
                    panel.ratings["pain"], panel.full_cadss, *form.rows.values(),
                    panel.scores_table]
