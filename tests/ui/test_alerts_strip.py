"""Open alerts on screen: the session's strip, the waiting list, the board; discharge re-judged.

A 185/100 treated with labetalol used to go nowhere once its action note was
written; here it stays in front of the nurse and the physician until a
physician acknowledges it (by key, with a comment and their password) or a reading is back in range.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.board import day_board
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import (
    add_vital_action_note,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.users import UserSummary
from ketalog.store.models import AlertAcknowledgment
from ketalog.ui.board.board_model import BoardTableModel
from ketalog.ui.board.waiting_page import WaitingPage
from ketalog.ui.session.alerts_strip import AlertsStrip
from tests.staff import NURSE, PHYSICIAN, STAFF, password_of, prove
from tests.ui.conftest import BASELINE, Chair, activate, open_panel

HIGH_BP = {**BASELINE, "systolic_mmhg": 185, "diastolic_mmhg": 100}


def _alert_with_note(chair: Chair) -> int:
    chair.to("infusing")
    chair.clock.advance(10)
    with chair.db() as db:
        saved = record_vitals(db, NURSE, chair.session_id, HIGH_BP, clock=chair.clock)
        add_vital_action_note(db, NURSE, saved.vital_id, "labetalol 10 mg IV",
                              expected_version=1, clock=chair.clock)
    return saved.vital_id


def _acks(chair: Chair) -> list[AlertAcknowledgment]:
    with chair.db() as db:
        return list(db.scalars(select(AlertAcknowledgment)))


def test_a_nurse_sees_the_open_alert_and_that_a_physician_must_acknowledge_it(
        chair: Chair, qtbot: QtBot) -> None:
    _alert_with_note(chair)
    strip, _ = open_panel(chair, qtbot, AlertsStrip)
    assert strip.isVisible()
    text = strip.lines.text()
    assert "09:13 Systolic high: BP 185/100 (action: labetalol 10 mg IV)" in text
    assert "A physician must acknowledge" in strip.who.text()
    assert strip.acknowledge.isHidden() and strip.comment.isHidden()
    assert strip.acknowledge.focusPolicy() == Qt.FocusPolicy.NoFocus
    activate(qtbot, strip)
    qtbot.keyClick(strip, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert _acks(chair) == []


def test_a_physician_acknowledges_with_comment_and_password_and_the_strip_goes(
        chair: Chair, qtbot: QtBot) -> None:
    vital_id = _alert_with_note(chair)
    chair.actor[0] = PHYSICIAN
    strip, _ = open_panel(chair, qtbot, AlertsStrip)
    activate(qtbot, strip)
    assert strip.acknowledge.isVisible() and strip.acknowledge.isEnabled()
    assert strip.password.isVisible()
    assert strip.password.echoMode() == QLineEdit.EchoMode.Password
    assert "Acknowledge the newest: systolic high" in strip.who.text()
    strip.comment.setFocus()
    qtbot.keyClicks(strip.comment, "Seen, recheck 5 min")
    qtbot.keyClick(strip.comment, Qt.Key.Key_Return)  # on to the password: nothing yet
    assert _acks(chair) == []
    qtbot.keyClicks(strip.password, "ada-guess")
    qtbot.keyClick(strip.password, Qt.Key.Key_Return)
    assert "The user name or password is wrong." in strip.message.text()
    assert _acks(chair) == [] and strip.password.text() == ""
    assert strip.comment.text() == "Seen, recheck 5 min"  # kept for the next try
    qtbot.keyClicks(strip.password, password_of("ada"))
    qtbot.keyClick(strip.password, Qt.Key.Key_Return)
    [ack] = _acks(chair)
    assert (ack.source_table, ack.source_id, ack.code, ack.comment) == (
        "vital_signs", vital_id, "sbp_high", "Seen, recheck 5 min")
    assert ack.acknowledged_by_id == PHYSICIAN.user_id
    assert strip.isHidden()
    qtbot.keyClick(strip, Qt.Key.Key_Return)  # a second Enter acknowledges nothing more
    assert len(_acks(chair)) == 1


def test_alt_a_acknowledges_without_a_comment(chair: Chair, qtbot: QtBot) -> None:
    _alert_with_note(chair)
    chair.actor[0] = PHYSICIAN
    strip, _ = open_panel(chair, qtbot, AlertsStrip)
    activate(qtbot, strip)
    qtbot.keyClick(strip, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # no password yet
    assert "Enter your password to acknowledge the alert." in strip.message.text()
    assert _acks(chair) == []
    qtbot.keyClicks(strip.password, password_of("ada"))
    qtbot.keyClick(strip, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    [ack] = _acks(chair)
    assert ack.comment is None


def test_the_waiting_list_and_the_board_show_the_alert_until_acknowledged(
        chair: Chair, qtbot: QtBot) -> None:
    vital_id = _alert_with_note(chair)
    page = WaitingPage(chair.ctx)
    qtbot.addWidget(page)
    counts: list[int] = []
    page.alerts_changed.connect(counts.append)
    page.refresh()
    assert counts == [1] and page.alerts_model.rowCount() == 1
    assert not page.alerts_table.isHidden()
    cells = [page.alerts_model.index(0, c).data() for c in range(6)]
    assert cells[1:] == ["ÑÚÑEZ, José", cells[2], "Chair 1", "⚠ Systolic high: BP 185/100",
                         "labetalol 10 mg IV"]
    model = BoardTableModel(ZoneInfo("UTC"))
    with chair.db() as db:
        model.set_rows(day_board(db, chair.clock().date(), ZoneInfo("UTC"), now=chair.clock()),
                       chair.clock())
    safety = model.index(0, BoardTableModel.ALERTS).data()
    assert safety.startswith("⚠ 09:13 Systolic high: BP 185/100, labetalol 10 mg IV; "
                             "not acknowledged")

    from ketalog.services.alerts import acknowledge_alert

    with chair.db() as db:
        acknowledge_alert(db, PHYSICIAN, chair.session_id, source="vital_signs",
                          source_id=vital_id, code="sbp_high", clock=chair.clock,
                          physician=prove(db, "ada", "acknowledge_alert", chair.clock))
    page.refresh()
    assert counts[-1] == 0 and page.alerts_table.isHidden()


def test_the_discharge_panel_turns_ready_when_the_recovery_time_is_up(
        chair: Chair, qtbot: QtBot) -> None:
    """No key pressed: the window's refresh re-judges discharge as the clock moves on."""
    from ketalog.ui.main_window import MainWindow

    chair.to("recovering")
    chair.clock.advance(20)
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, BASELINE, clock=chair.clock)
        record_scale(db, NURSE, chair.session_id, "aldrete", [2, 2, 2, 2, 2],
                     clock=chair.clock)
        update_discharge_details(db, NURSE, chair.session_id,
                                 expected_version=load_session(db, chair.session_id).version,
                                 instructions_given=True, clock=chair.clock)
    uid, username, name, credentials, role = STAFF[0]
    window = MainWindow(chair.engine, "sqlite:///ui", clock=chair.clock,
                        user=UserSummary(uid, username, name, credentials, role))
    qtbot.addWidget(window)
    window.show()
    window.open_session(chair.session_id)
    panel = window.session_page.discharge  # type: ignore[union-attr]
    assert not panel.discharge_button.isEnabled()
    assert "Recovery must last at least 30 minutes after the dose ended (now 20, 10 more" \
        in panel.problems_label.text()
    chair.clock.advance(10)
    qtbot.waitUntil(panel.discharge_button.isEnabled, timeout=7000)
    assert panel.problems_label.text() == "✓ Every discharge check is met."
    window.close()


def test_the_waiting_list_button_counts_open_alerts_from_any_screen(
        chair: Chair, qtbot: QtBot, english_plurals: None) -> None:
    from ketalog.ui.main_window import MainWindow

    _alert_with_note(chair)
    uid, username, name, credentials, role = STAFF[2]  # the physician
    window = MainWindow(chair.engine, "sqlite:///ui", clock=chair.clock,
                        user=UserSummary(uid, username, name, credentials, role))
    qtbot.addWidget(window)
    window.show()
    window.open_session(chair.session_id)
    window.refresh()
    assert window.waiting_action.text() == "Waiting for signature… ⚠ 1 alert"
    strip = window.session_page.alerts_strip  # type: ignore[union-attr]
    assert strip.isVisible() and strip.acknowledge.isVisible()
    qtbot.keyClicks(strip.password, password_of("ada"))
    qtbot.mouseClick(strip.acknowledge, Qt.MouseButton.LeftButton)
    window.refresh()
    assert window.waiting_action.text() == "Waiting for signature…"
    assert strip.isHidden()
    window.close()
