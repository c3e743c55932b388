"""The scales panel: a nurse records MOAA/S, CADSS and 0-10 ratings by click and key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services import sessions as svc
from ketalog.store.models import ScaleScore
from ketalog.ui.context import SessionController
from ketalog.ui.panels.scales_panel import ScalesPanel, ScoresTableModel
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
    assert panel.focusWidget() is panel.moaas.buttons[4]
    assert _scores(chair) == []  # a stray digit stores nothing
    _enter(qtbot, panel)
    assert _scores(chair) == [("moaas", 4, [4])]


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
    assert panel.focusWidget() is form.record_button  # the next thing to do
    assert form.total_label.text() == "Total 7 / 24"
    _enter(qtbot, panel)
    assert _scores(chair) == [("cadss6", 7, [1, 2, 0, 1, 3, 0])]
    assert form.values() == [None] * 6  # cleared for the next scoring
    assert panel.focusWidget() is form.rows[1].buttons[0]
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
    assert panel.focusWidget() is form.rows[15].buttons[0]


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
        other = svc.schedule_session(db, NURSE, course_id=panel._view.detail.course_id,
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
