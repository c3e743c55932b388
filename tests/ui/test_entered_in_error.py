"""Marking a reading entered in error at the chair: selected, reasoned, struck, uncounted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.session.entries import record_vitals
from ketalog.store.models import VitalSign
from ketalog.ui.session.panels.trend_chart import TrendChart
from ketalog.ui.session.panels.vitals_model import VitalsTableModel
from ketalog.ui.session.panels.vitals_panel import VitalsPanel
from tests.ui.conftest import NURSE, Chair

WRONG = {"systolic_mmhg": 196, "diastolic_mmhg": 104, "heart_rate_bpm": 88,
         "spo2_percent": 97, "resp_rate_per_min": 14}
RIGHT = {"systolic_mmhg": 126, "diastolic_mmhg": 80, "heart_rate_bpm": 74,
         "spo2_percent": 98, "resp_rate_per_min": 14}


@pytest.fixture
def shown(qtbot: QtBot, chair: Chair) -> tuple[VitalsPanel, TrendChart]:
    """The vitals panel and the trend of an infusion with a wrong reading between two right."""
    chair.to("infusing")
    with chair.db() as db:
        for values in (WRONG, RIGHT):
            chair.clock.advance(5)
            record_vitals(db, NURSE, chair.session_id, values, clock=chair.clock)
    controller = chair.controller()
    panel = VitalsPanel(controller, chair.drafts)
    chart = TrendChart(tz=chair.ctx.tz)
    controller.view_changed.connect(chart.set_view)
    panel.layout().addWidget(chart)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    controller.reload()
    return panel, chart


def _wrong_row(panel: VitalsPanel) -> int:
    rows = panel.model.rows()
    return next(n for n, r in enumerate(rows) if r.systolic_mmhg == 196)


def test_a_selected_reading_is_marked_entered_in_error_and_struck_through(
        qtbot: QtBot, chair: Chair, shown: tuple[VitalsPanel, TrendChart]) -> None:
    panel, chart = shown
    assert 196.0 in [v for _t, v in chart.points("systolic_mmhg")]
    row = _wrong_row(panel)
    rect = panel.table.visualRect(panel.model.index(row, VitalsTableModel.BP))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.correction.button.focusPolicy() == Qt.FocusPolicy.NoFocus
    qtbot.mouseClick(panel.correction.button, Qt.MouseButton.LeftButton)
    assert panel.correction.is_open()
    assert "the reading at" in panel.correction.prompt.text()
    assert "196/104" in panel.correction.prompt.text()
    qtbot.waitUntil(lambda: panel.correction.reason_edit.hasFocus())
    qtbot.keyClick(panel.correction.reason_edit, Qt.Key.Key_Return)  # no reason yet
    assert "Say why this reading was entered in error" in panel.correction.message.text()
    qtbot.keyClicks(panel.correction.reason_edit, "typed into the wrong session")
    qtbot.keyClick(panel.correction.reason_edit, Qt.Key.Key_Return)
    assert not panel.correction.is_open()
    # the database: marked, by the nurse, with the reason
    with chair.db() as db:
        wrong = db.scalars(select(VitalSign).where(VitalSign.systolic_mmhg == 196)).one()
    assert wrong.voided_at_utc is not None and wrong.voided_by_id == NURSE.user_id
    assert wrong.void_reason == "typed into the wrong session"
    # the screen: still listed, struck through, saying who, when and why
    row = _wrong_row(panel)
    index = panel.model.index(row, VitalsTableModel.BP)
    assert index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert panel.model.index(row, 0).data(VitalsTableModel.VoidedRole)
    alerts = panel.model.index(row, VitalsTableModel.ALERTS).data()
    assert alerts.startswith("Entered in error by Nora Reyes, RN at ")
    assert alerts.endswith(": typed into the wrong session")
    # the trend leaves it out
    assert 196.0 not in [v for _t, v in chart.points("systolic_mmhg")]
    assert 126.0 in [v for _t, v in chart.points("systolic_mmhg")]
    panel.grab().save("/tmp/void16-vitals.png")


def test_from_the_keyboard_the_typed_values_keep_their_place(
        qtbot: QtBot, chair: Chair, shown: tuple[VitalsPanel, TrendChart]) -> None:
    panel, _chart = shown
    # the wrong reading's alert asks for an action; marking it in error settles that too
    assert panel.alert_box.isVisible()
    panel.sbp.setFocus()
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    qtbot.keyClicks(panel.sbp, "13")  # a reading being typed
    qtbot.keyClick(panel.sbp, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.correction.reason_edit.hasFocus())
    assert "126/80" in panel.correction.prompt.text()  # the newest reading first
    qtbot.keyClick(panel.correction.reason_edit, Qt.Key.Key_Up)  # the one before
    assert "196/104" in panel.correction.prompt.text()
    qtbot.keyClicks(panel.correction.reason_edit, "wrong patient")
    qtbot.keyClick(panel.correction.reason_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.sbp.hasFocus())
    assert panel.sbp.text() == "13"
    assert QApplication.focusWidget() is panel.sbp
    assert not panel.alert_box.isVisible()
    with chair.db() as db:
        voided = db.scalars(select(VitalSign.systolic_mmhg)
                            .where(VitalSign.voided_at_utc.is_not(None))).all()
    assert voided == [196]


def test_another_nurse_is_told_who_may(qtbot: QtBot, chair: Chair,
                                       shown: tuple[VitalsPanel, TrendChart]) -> None:
    from tests.staff import NURSE2

    panel, _chart = shown
    chair.actor[0] = NURSE2
    panel.correction.open()
    qtbot.keyClicks(panel.correction.reason_edit, "wrong")
    qtbot.keyClick(panel.correction.reason_edit, Qt.Key.Key_Return)
    assert ("Only the person who entered this reading (Nora Reyes, RN) or a physician"
            in panel.correction.message.text())
    assert panel.correction.is_open()
