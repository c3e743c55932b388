"""The check-in panel: every tick, name and weight lands in the database at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.session.entries import record_vitals
from ketalog.store.models import AuditEntry, TreatmentSession
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.checkin_panel import CheckInPanel
from ketalog.ui.session.panels.infusion_panel import InfusionPanel
from ketalog.ui.start.credentials import CredentialsRow
from tests.staff import PHYSICIAN, password_of
from tests.ui.conftest import BASELINE, NURSE, Chair, activate, open_panel


def _panel(chair: Chair, qtbot: QtBot) -> tuple[CheckInPanel, SessionController]:
    return open_panel(chair, qtbot, CheckInPanel)



def test_check_in_then_each_tick_is_stored_at_once(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    assert not panel.checks["identity_confirmed"].isEnabled()
    assert "check the patient in first" in panel.checklist_hint.text()

    qtbot.mouseClick(panel.check_in_button, Qt.MouseButton.LeftButton)

    assert chair.stored().state == "checked_in"
    assert "Checked in at 09:00" in panel.status_label.text()
    assert not panel.check_in_button.isVisible()
    identity = panel.checks["identity_confirmed"]
    assert identity.isEnabled()
    qtbot.mouseClick(identity, Qt.MouseButton.LeftButton)
    assert chair.stored().identity_confirmed
    qtbot.mouseClick(panel.checks["npo_confirmed"], Qt.MouseButton.LeftButton)
    stored = chair.stored()
    assert stored.npo_confirmed and not stored.consent_on_file
    assert "Consent on file" in panel.checklist_hint.text()

    qtbot.mouseClick(identity, Qt.MouseButton.LeftButton)  # untick: also stored at once
    assert not chair.stored().identity_confirmed
    assert not identity.isChecked()


def test_escort_name_is_saved_on_enter(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    qtbot.keyClicks(panel.escort_edit, "Maria Lopez (wife)")
    assert chair.stored().escort_name is None  # not before Enter
    qtbot.keyClick(panel.escort_edit, Qt.Key.Key_Return)
    assert chair.stored().escort_name == "Maria Lopez (wife)"
    assert panel.escort_edit.text() == "Maria Lopez (wife)"
    assert "Escort named" not in panel.checklist_hint.text()


def test_old_weight_is_flagged_and_todays_weight_recorded(chair: Chair, qtbot: QtBot) -> None:
    chair.clock.advance(40 * 24 * 60)  # the only weighing is now 40 days old
    panel, _ = _panel(chair, qtbot)
    assert "80 kg" in panel.weight_label.text()
    assert "2026-11-21" in panel.weight_label.text()
    assert panel.weight_warning.isVisible()
    assert panel.weight_warning.text().startswith("⚠")
    assert "40 days old" in panel.weight_warning.text()

    qtbot.keyClicks(panel.weight_edit, "81.5")
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_Return)

    assert "81.5 kg" in panel.weight_label.text()
    assert "2026-12-31" in panel.weight_label.text()
    assert not panel.weight_warning.isVisible()
    assert panel.weight_edit.text() == ""


def test_impossible_weight_is_refused_with_the_reason(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    qtbot.keyClicks(panel.weight_edit, "800")
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_Return)
    assert "impossible" in panel.message.text()
    assert "80 kg" in panel.weight_label.text()


def _high_bp(chair: Chair, qtbot: QtBot) -> tuple[CheckInPanel, InfusionPanel]:
    """Checked in, dose verified, then a pre-dose reading of 152/78: the banner is up."""
    chair.to("verified")  # checked in, baseline 124/78, dose ordered and verified
    controller = chair.controller()
    panel = CheckInPanel(controller)
    infusion = InfusionPanel(controller)
    for widget in (panel, infusion):
        qtbot.addWidget(widget)
        widget.show()
    chair.clock.advance(1)
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, {**BASELINE, "systolic_mmhg": 152},
                      clock=chair.clock)
    controller.reload()
    assert panel.bp_banner.isVisible()
    return panel, infusion


def _sign(qtbot: QtBot, row: CredentialsRow, username: str, password: str | None = None) -> None:
    qtbot.keyClicks(row.username_edit, username)
    qtbot.keyClick(row.username_edit, Qt.Key.Key_Return)  # on to the password
    qtbot.keyClicks(row.password_edit, password_of(username) if password is None else password)
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)


def _acknowledged_by(chair: Chair) -> int | None:
    with chair.db() as db:
        return db.scalar(select(TreatmentSession.predose_bp_ack_by_id))


def _audit_actions(chair: Chair) -> list[tuple[str, int | None, str | None]]:
    with chair.db() as db:
        rows = db.execute(select(AuditEntry.action, AuditEntry.user_id, AuditEntry.field)
                          .where(AuditEntry.table_name == "users")
                          .order_by(AuditEntry.id)).all()
    return [tuple(r) for r in rows]


def test_high_predose_bp_needs_a_physician_before_start(chair: Chair, qtbot: QtBot) -> None:
    panel, infusion = _high_bp(chair, qtbot)
    assert ("⚠ Pre-dose BP above threshold: physician acknowledgment needed before starting"
            in panel.bp_text.text())
    assert "152/78" in panel.bp_text.text()
    assert not infusion.start_button.isEnabled()
    assert "physician must acknowledge" in infusion.start_reasons.text()
    row = panel.physician
    assert row.isVisible() and panel.ack_prompt.text() == "Physician"
    assert row.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert panel.focusProxy() is row

    qtbot.mouseClick(panel.acknowledge_button, Qt.MouseButton.LeftButton)  # nothing typed
    assert "Enter the physician's user name." in panel.message.text()
    assert chair.stored().predose_bp_ack_at_utc is None

    _sign(qtbot, row, "ada")

    assert chair.stored().predose_bp_ack_at_utc is not None
    assert _acknowledged_by(chair) == 3  # ada's account, not the signed-in nurse's
    assert ("acknowledge_bp", 3, None) in _audit_actions(chair)
    assert row.username_edit.text() == "" and row.password_edit.text() == ""
    assert not panel.bp_banner.isVisible()
    assert panel.bp_ok_label.isVisible() and "✓" in panel.bp_ok_label.text()
    assert infusion.start_button.isEnabled()
    qtbot.mouseClick(infusion.start_button, Qt.MouseButton.LeftButton)
    assert chair.stored().state == "infusing"


def test_wrong_physician_password_acknowledges_nothing(chair: Chair, qtbot: QtBot) -> None:
    panel, infusion = _high_bp(chair, qtbot)
    before = len(_audit_actions(chair))  # the dose check's password already stands there
    _sign(qtbot, panel.physician, "ada", "ada-guess")
    assert "The user name or password is wrong." in panel.message.text()
    assert chair.stored().predose_bp_ack_at_utc is None
    assert panel.physician.password_edit.text() == ""
    assert panel.bp_banner.isVisible() and not infusion.start_button.isEnabled()
    assert _audit_actions(chair)[before:] == [("login_failed", 3, "acknowledge_bp")]


@pytest.mark.parametrize(("username", "role"), [("sam", "a nurse"),
                                                ("admin", "an administrator")])
def test_only_a_physicians_account_acknowledges_bp(chair: Chair, qtbot: QtBot,
                                                  username: str, role: str) -> None:
    panel, infusion = _high_bp(chair, qtbot)
    _sign(qtbot, panel.physician, username)  # right password, wrong kind of account
    message = panel.message.text()
    assert "Only a physician can acknowledge a high pre-dose blood pressure" in message
    assert role in message
    assert chair.stored().predose_bp_ack_at_utc is None
    assert panel.physician.password_edit.text() == ""
    assert not infusion.start_button.isEnabled()


def test_a_signed_in_physician_acknowledges_with_their_password(chair: Chair,
                                                               qtbot: QtBot) -> None:
    chair.actor[0] = PHYSICIAN
    panel, infusion = _high_bp(chair, qtbot)
    row = panel.physician
    # signed in is not enough: the service takes the physician's password for this act
    assert row.isVisible() and row.password_edit.isVisible()
    assert not row.username_edit.isVisible() and row.username_edit.text() == "ada"
    assert panel.ack_prompt.text() == "Acknowledging as Ada Lindqvist, MD; your password:"
    # the button never has the keyboard: a stray Space or Enter cannot acknowledge
    assert panel.acknowledge_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert panel.focusProxy() is not panel.acknowledge_button
    before = len(_audit_actions(chair))

    qtbot.mouseClick(panel.acknowledge_button, Qt.MouseButton.LeftButton)  # nothing typed
    assert "Enter the physician's password." in panel.message.text()
    assert chair.stored().predose_bp_ack_at_utc is None

    qtbot.keyClicks(row.password_edit, password_of("ada"))
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)
    assert chair.stored().predose_bp_ack_at_utc is not None
    assert _acknowledged_by(chair) == 3
    assert _audit_actions(chair)[before:] == [("acknowledge_bp", 3, None)]
    assert row.password_edit.text() == ""
    assert infusion.start_button.isEnabled()


def test_normal_baseline_shows_no_banner(chair: Chair, qtbot: QtBot) -> None:
    chair.to("baseline")
    panel, _ = _panel(chair, qtbot)
    assert not panel.bp_banner.isVisible()


def test_cancel_needs_a_reason(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    assert panel.cancel_box.isVisible()
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert "Give a reason for cancelling" in panel.message.text()
    assert chair.stored().state == "scheduled"

    qtbot.keyClicks(panel.cancel_reason, "Patient unwell, rebooked")
    qtbot.keyClick(panel.cancel_reason, Qt.Key.Key_Return)
    stored = chair.stored()
    assert stored.state == "cancelled" and stored.state_reason == "Patient unwell, rebooked"
    assert not panel.cancel_box.isVisible()
    assert not panel.check_in_button.isVisible()


def test_keyboard_alone_walks_the_checklist(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    activate(qtbot, panel)
    panel.setFocus()  # what Alt+1 on the session page does
    assert not panel.check_in_button.hasFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Space)  # a stray key checks nobody in
    assert chair.stored().state == "scheduled"
    qtbot.keyClick(panel, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    assert chair.stored().state == "checked_in"
    items = ("identity_confirmed", "consent_on_file", "npo_confirmed")
    for number, item in enumerate(items):
        box = panel.checks[item]
        assert box.hasFocus(), item
        qtbot.keyClick(box, Qt.Key.Key_Space)
        assert box.hasFocus(), f"the tick of {item} moved the focus"
        qtbot.keyClick(box, Qt.Key.Key_Tab)
        if number + 1 < len(items):
            assert panel.checks[items[number + 1]].hasFocus()
    assert panel.escort_edit.hasFocus()
    qtbot.keyClicks(panel.escort_edit, "Maria Lopez")
    qtbot.keyClick(panel.escort_edit, Qt.Key.Key_Tab)  # leaving the field saves too
    stored = chair.stored()
    assert (stored.identity_confirmed, stored.consent_on_file, stored.npo_confirmed) == (
        True, True, True)
    assert stored.escort_name == "Maria Lopez"
    assert "Checklist complete" in panel.checklist_hint.text()


def test_keys_typed_right_after_a_tick_go_where_the_nurse_expects(
        chair: Chair, qtbot: QtBot) -> None:
    """Found by hand: the auto-advance after a tick swallowed the next keystrokes."""
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    activate(qtbot, panel)
    panel.checks["identity_confirmed"].setFocus()
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Tab, Qt.Key.Key_Space, Qt.Key.Key_Tab,
                Qt.Key.Key_Space, Qt.Key.Key_Tab):
        target = panel.focusWidget()
        assert target is not None
        qtbot.keyClick(target, key)
    qtbot.keyClicks(panel.focusWidget(), "Maria Lopez")
    qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_Return)
    stored = chair.stored()
    assert (stored.identity_confirmed, stored.consent_on_file, stored.npo_confirmed) == (
        True, True, True)
    assert stored.escort_name == "Maria Lopez"
