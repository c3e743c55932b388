"""The dose panel: live working while typing, ordering with limits, the second nurse's check.

The second nurse and a physician overriding a maximum type their own user name
and password at the chair; the service judges the stored account behind them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.state import change_state
from ketalog.services.session_detail import DoseOrderView, open_session
from ketalog.store.models import AuditEntry, DoseOrder, DoseVerification, TreatmentSession
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.dose_panel import DosePanel
from ketalog.ui.start.credentials import CredentialsRow
from tests.play import verbal_order
from tests.staff import PHYSICIAN, password_of
from tests.ui.conftest import NURSE, Chair, open_panel

WRONG = "The user name or password is wrong."


def _panel(chair: Chair, qtbot: QtBot) -> tuple[DosePanel, SessionController]:
    return open_panel(chair, qtbot, DosePanel)


def _retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _dose(chair: Chair) -> DoseOrderView | None:
    with chair.db() as db:
        return open_session(db, chair.session_id).dose


def _order_count(chair: Chair) -> int:
    with chair.db() as db:
        return db.scalar(select(func.count()).select_from(DoseOrder)) or 0


def _focused(widget: QWidget) -> bool:
    """Whether the keyboard is in ``widget`` (its window need not be the active one)."""
    return widget.window().focusWidget() is widget


def _sign(qtbot: QtBot, row: CredentialsRow, username: str, password: str | None = None) -> None:
    """Type a user name and password into ``row`` and press Enter in the password field."""
    _retype(qtbot, row.username_edit, username)
    qtbot.keyClick(row.username_edit, Qt.Key.Key_Return)  # on to the password
    assert _focused(row.password_edit)
    qtbot.keyClicks(row.password_edit, password_of(username) if password is None else password)
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)


def _figures(qtbot: QtBot, panel: DosePanel, total: str = "40", rate: str = "150") -> None:
    """The second nurse types the total and pump rate they worked out themselves."""
    _retype(qtbot, panel.check_total_edit, total)
    _retype(qtbot, panel.check_rate_edit, rate)


def _audit(chair: Chair, action: str) -> list[tuple[int | None, str | None, str | None]]:
    """(user id, field, new value) of each audit row with this action, oldest first."""
    with chair.db() as db:
        rows = db.execute(select(AuditEntry.user_id, AuditEntry.field, AuditEntry.new_value)
                          .where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
    return [tuple(r) for r in rows]


def test_preview_shows_the_dose_and_follows_typing(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    assert "IV ketamine" in panel.protocol_label.text()
    assert panel.fields["dose_mg_per_kg"].text() == "0.5"
    assert panel.weight_edit.text() == "80"
    assert panel.fields["concentration_mg_per_ml"].text() == "10"
    assert panel.fields["bag_volume_ml"].text() == "100"
    assert panel.fields["duration_min"].text() == "40"
    assert panel.total_label.text() == "40.0 mg"
    assert panel.volume_label.text() == "4.0 mL"
    assert panel.rate_label.text() == "150 mL/h"
    assert panel.working_label.text().splitlines() == [
        "0.5 mg/kg x 80 kg = 40.0 mg",
        "40.0 mg / 10 mg/mL = 4.0 mL",
        "100 mL / (40 min / 60) = 150 mL/h",
    ]

    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.75")
    assert panel.total_label.text() == "60.0 mg"
    assert panel.volume_label.text() == "6.0 mL"
    assert panel.working_label.text().splitlines()[0] == "0.75 mg/kg x 80 kg = 60.0 mg"

    _retype(qtbot, panel.weight_edit, "")
    assert panel.total_label.text() == "—"
    assert "Weight is missing" in panel.preview_message.text()
    assert _order_count(chair) == 0  # the preview never writes


def test_preview_warns_live_outside_the_usual_range(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.2")
    assert panel.total_label.text() == "96.0 mg"
    assert "above the usual maximum of 1.0 mg/kg" in panel.preview_message.text()


def test_order_is_stored_with_lot_number_and_working(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    assert not panel.order_box.isVisible()
    qtbot.keyClicks(panel.lot_edit, "KT-2291")
    qtbot.keyClicks(panel.diluent_edit, "0.9% NaCl")
    qtbot.keyClick(panel.diluent_edit, Qt.Key.Key_Return)  # Enter in the last field orders

    dose = _dose(chair)
    assert dose is not None
    assert dose.total_mg == 40 and dose.lot_number == "KT-2291"
    assert dose.weight_kg == 80 and dose.weight_basis == "actual"
    assert dose.working[0] == "0.5 mg/kg x 80 kg = 40.0 mg"
    assert dose.prepared_by_name == "Nora Reyes, RN" and dose.verified_by_name is None
    assert panel.order_box.isVisible()
    # what the second nurse works from, and none of the prepared results
    assert panel.order_summary.text() == (
        "To check: 0.5 mg/kg ketamine (racemic), weight 80 kg (actual), 10 mg/mL, "
        "100 mL bag over 40 min\nlot KT-2291; prepared by Nora Reyes, RN")
    assert not panel.order_working.isVisible()
    assert "Not verified" in panel.verified_label.text()


def test_the_second_nurse_is_not_shown_the_prepared_figures(chair: Chair, qtbot: QtBot) -> None:
    """ISMP's independent double check: the checker works the dose out blind (issue 15, 4)."""
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    shown = [label.text() for label in (panel.total_label, panel.volume_label, panel.rate_label,
                                        panel.order_summary, panel.verify_prompt)]
    assert shown[:3] == ["hidden until checked"] * 3
    assert not any(figure in text for text in shown for figure in ("40.0", "4.0 mL", "150 mL/h"))
    assert not panel.working_label.isVisible() and not panel.order_working.isVisible()
    assert panel.check_total_edit.isVisible() and panel.check_rate_edit.isVisible()
    # the first nurse changing an input is preparing a new dose: its figures show again
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.6")
    assert panel.total_label.text() == "48.0 mg" and panel.working_label.isVisible()
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.50")  # back to the order: hidden again
    assert panel.total_label.text() == "hidden until checked"


def test_a_mismatch_is_refused_with_both_figures_and_nothing_verified(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    _figures(qtbot, panel, "400", "150")  # a slipped decimal point
    _sign(qtbot, panel.verifier, "sam")
    message = panel.verify_message.text()
    assert "you worked out 400.0 mg, the prepared dose is 40.0 mg" in message
    assert "pump rate" not in message
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name is None
    assert panel.verifier.password_edit.text() == ""
    assert _focused(panel.check_total_edit) and panel.check_total_edit.selectedText() == "400"
    assert _audit(chair, "dose_check_mismatch")[0][0] == 2  # Sam's near miss, on record
    # worked out again together: Sam's corrected figures match
    _figures(qtbot, panel, "40", "150")
    _sign(qtbot, panel.verifier, "sam")
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name == "Sam Okafor, RN"
    assert "40.0 mg ketamine" in panel.order_summary.text()  # the figures, now checked
    assert panel.order_working.isVisible()


def test_the_figures_are_asked_before_the_password(chair: Chair, qtbot: QtBot) -> None:
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    _sign(qtbot, panel.verifier, "sam")
    assert "Type the total dose you worked out yourself first." in panel.verify_message.text()
    assert _focused(panel.check_total_edit)
    assert _audit(chair, "verify_dose") == []  # no password was checked, none spent


def test_ordering_before_check_in_is_disabled_with_the_reason(chair: Chair,
                                                              qtbot: QtBot) -> None:
    panel, _ = _panel(chair, qtbot)
    assert not panel.order_button.isEnabled()
    assert "check the patient in first" in panel.order_hint.text()


def test_dose_above_usual_range_is_stored_only_after_confirming(chair: Chair,
                                                                qtbot: QtBot) -> None:
    chair.to("checked_in")
    with chair.db() as db:  # the physician ordered 1.2 mg/kg by phone
        verbal_order(db, chair.session_id, chair.clock, "1.2")
    panel, _ = _panel(chair, qtbot)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.2")
    assert not panel.confirm_button.isVisible()
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)

    assert _order_count(chair) == 0
    assert "above the usual maximum" in panel.message.text()
    assert "Confirm the dose to continue" in panel.message.text()
    assert panel.confirm_button.isVisible()
    assert panel.confirm_button.label() == "Confirm dose outside the usual range"

    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)

    dose = _dose(chair)
    assert dose is not None and dose.total_mg == 96 and dose.limit_level == "above_warning"
    assert not panel.confirm_button.isVisible()
    assert not panel.message.isVisible()


def test_a_changed_dose_needs_a_fresh_confirmation(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.2")
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    assert panel.confirm_button.isVisible()
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.3")
    assert not panel.confirm_button.isVisible()
    assert _order_count(chair) == 0


def _above_maximum(chair: Chair, qtbot: QtBot) -> DosePanel:
    """A checked-in session with 1.6 mg/kg typed and refused: the override box is open."""
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.6")
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    assert _order_count(chair) == 0
    assert "above the protocol maximum of 1.5 mg/kg" in panel.message.text()
    assert panel.override_box.isVisible() and not panel.confirm_button.isVisible()
    return panel


def test_dose_above_maximum_needs_a_physician_override(chair: Chair, qtbot: QtBot) -> None:
    panel = _above_maximum(chair, qtbot)
    row = panel.override_physician
    assert _focused(panel.override_reason)
    assert row.username_edit.text() == ""  # a nurse is signed in: the physician types it
    assert row.password_edit.echoMode() == QLineEdit.EchoMode.Password

    _sign(qtbot, row, "ada")  # no reason yet
    assert _order_count(chair) == 0
    assert "reason for overriding" in panel.message.text()
    assert _focused(panel.override_reason)
    assert _audit(chair, "override_dose") == []  # the password was not even checked
    assert row.password_edit.text() == ""  # ...nor kept

    qtbot.keyClicks(panel.override_reason, "Partial response at 1.0 mg/kg, discussed")
    qtbot.keyClick(panel.override_reason, Qt.Key.Key_Return)  # on to the physician
    assert _focused(row.password_edit)  # the user name is still there
    qtbot.keyClicks(row.password_edit, password_of("ada"))
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)

    dose = _dose(chair)
    assert dose is not None and dose.total_mg == 128
    assert dose.limit_level == "above_maximum"
    assert dose.override_reason == "Partial response at 1.0 mg/kg, discussed"
    assert dose.prepared_by_name == "Nora Reyes, RN"
    with chair.db() as db:
        assert db.scalar(select(DoseOrder.override_by_id)) == 3  # ada's account
    assert _audit(chair, "override_dose") == [(3, None, None)]
    assert not panel.override_box.isVisible()
    assert row.username_edit.text() == "" and row.password_edit.text() == ""
    assert _focused(panel.check_total_edit)


def test_override_with_a_wrong_password_orders_nothing(chair: Chair, qtbot: QtBot) -> None:
    panel = _above_maximum(chair, qtbot)
    row = panel.override_physician
    qtbot.keyClicks(panel.override_reason, "Partial response, discussed")
    _sign(qtbot, row, "ada", "not-her-password")

    assert _order_count(chair) == 0
    assert WRONG in panel.message.text()
    assert row.password_edit.text() == "" and _focused(row.password_edit)
    assert row.username_edit.text() == "ada"
    assert panel.override_reason.text() == "Partial response, discussed"
    assert _audit(chair, "login_failed") == [(3, "override_dose", "wrong password (1 in a row)")]
    assert _audit(chair, "override_dose") == []


@pytest.mark.parametrize(("username", "role"), [("sam", "a nurse"),
                                                ("admin", "an administrator")])
def test_only_a_physicians_account_overrides_a_maximum(chair: Chair, qtbot: QtBot,
                                                      username: str, role: str) -> None:
    panel = _above_maximum(chair, qtbot)
    row = panel.override_physician
    qtbot.keyClicks(panel.override_reason, "Partial response, discussed")
    _sign(qtbot, row, username)  # the right password: the account itself is refused

    assert _order_count(chair) == 0
    assert "Only a physician can override a dose maximum" in panel.message.text()
    assert role in panel.message.text()
    assert row.password_edit.text() == ""
    assert _focused(row.username_edit) and row.username_edit.selectedText() == username


def test_a_signed_in_physician_still_types_their_password(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = PHYSICIAN
    panel = _above_maximum(chair, qtbot)
    row = panel.override_physician
    assert row.username_edit.text() == "ada"  # offered, not assumed
    qtbot.keyClicks(panel.override_reason, "Partial response, discussed")
    qtbot.keyClick(panel.override_reason, Qt.Key.Key_Return)
    assert _focused(row.password_edit)
    qtbot.mouseClick(panel.override_button, Qt.MouseButton.LeftButton)  # no password
    assert _order_count(chair) == 0
    assert "Enter the physician's password." in panel.message.text()

    qtbot.keyClicks(row.password_edit, password_of("ada"))
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)
    dose = _dose(chair)
    assert dose is not None and dose.total_mg == 128
    assert _audit(chair, "override_dose") == [(3, None, None)]


def test_verification_by_the_preparer_is_refused(chair: Chair, qtbot: QtBot) -> None:
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    _figures(qtbot, panel)
    row = panel.verifier
    assert row.password_edit.echoMode() == QLineEdit.EchoMode.Password
    _sign(qtbot, row, "nora")  # her own password is right: her account is still refused
    assert "verified by a second nurse, not the one who prepared it" in \
        panel.verify_message.text()
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name is None
    assert row.password_edit.text() == ""
    assert _focused(row.username_edit) and row.username_edit.selectedText() == "nora"

    chair.clock.advance(2)
    _sign(qtbot, row, "sam")
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name == "Sam Okafor, RN"
    with chair.db() as db:
        verification = db.scalars(select(DoseVerification)).one()
    assert (verification.verifier_id, verification.verifier_name) == (2, "Sam Okafor, RN")
    assert panel.verified_label.text() == (
        "✓ Verified by Sam Okafor, RN at 09:04\n"
        "Independent double check: their own figures (40 mg, 150 mL/h) matched.")
    assert not row.isVisible()
    assert row.username_edit.text() == "" and row.password_edit.text() == ""
    assert not panel.verify_message.isVisible()
    # both passwords were checked (and audited); only sam's check was stored
    assert _audit(chair, "verify_dose") == [(1, None, None), (2, None, None)]


def test_verification_with_a_wrong_password_stores_nothing(chair: Chair, qtbot: QtBot) -> None:
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    _figures(qtbot, panel)
    row = panel.verifier
    _sign(qtbot, row, "sam", "sam-guess")
    assert WRONG in panel.verify_message.text()
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name is None
    assert row.password_edit.text() == "" and _focused(row.password_edit)
    assert row.isVisible() and row.username_edit.text() == "sam"
    assert _audit(chair, "login_failed") == [(2, "verify_dose", "wrong password (1 in a row)")]
    assert _audit(chair, "verify_dose") == []

    qtbot.mouseClick(panel.verify_button, Qt.MouseButton.LeftButton)  # nothing typed again
    assert "Enter the second nurse's password." in panel.verify_message.text()

    _sign(qtbot, row, "nobody")
    assert WRONG in panel.verify_message.text()  # same words: no hint which accounts exist
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name is None


def test_an_administrator_cannot_verify_a_dose(chair: Chair, qtbot: QtBot) -> None:
    chair.to("dosed")
    panel, _ = _panel(chair, qtbot)
    _figures(qtbot, panel)
    _sign(qtbot, panel.verifier, "admin")
    assert "Only a nurse or a physician can verify a dose" in panel.verify_message.text()
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name is None


def test_reordering_replaces_the_order_and_needs_a_new_verification(chair: Chair,
                                                                     qtbot: QtBot) -> None:
    chair.to("verified")
    with chair.db() as db:  # the physician ordered 0.6 mg/kg by phone
        verbal_order(db, chair.session_id, chair.clock, "0.6")
    panel, _ = _panel(chair, qtbot)
    assert "✓ Verified by Sam Okafor, RN" in panel.verified_label.text()
    assert panel.lot_edit.text() == "KT1"
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "0.6")
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    dose = _dose(chair)
    assert dose is not None and dose.total_mg == 48 and dose.verified_by_name is None
    assert panel.verifier.isVisible()


def test_ordering_is_disabled_once_the_dose_started(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    assert not panel.order_button.isEnabled()
    assert "infusion has started" in panel.order_hint.text()
    assert not panel.fields["dose_mg_per_kg"].isEnabled()
    panel.order()
    assert _order_count(chair) == 1


def test_typed_weight_is_used_and_dated_today(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    # within 10 % of the 80 kg weighed today (more is confirmed: issue 16)
    _retype(qtbot, panel.weight_edit, "75")
    assert "typed here" in panel.weight_note.text()
    assert panel.total_label.text() == "37.5 mg"
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    dose = _dose(chair)
    assert dose is not None and dose.weight_kg == 75 and dose.total_mg == Decimal("37.5")


def test_esketamine_is_ordered_by_device_count(chair: Chair, qtbot: QtBot) -> None:
    with chair.db() as db:
        protocol = protocol_id_by_code(db, "esketamine-intranasal")
        session = db.get(TreatmentSession, chair.session_id)
        assert session is not None
        session.protocol_id = protocol
        db.commit()
        change_state(db, NURSE, chair.session_id, "check_in", clock=chair.clock)
    panel, controller = _panel(chair, qtbot)
    assert panel.device_combo.isVisible()
    assert not panel.weight_edit.isVisible()
    assert not panel.fields["dose_mg_per_kg"].isVisible()
    assert [panel.device_combo.itemText(i) for i in range(panel.device_combo.count())] == [
        "2 devices", "3 devices"]
    assert panel.total_label.text() == "—"  # nothing chosen yet

    panel.device_combo.setFocus()
    qtbot.keyClick(panel.device_combo, Qt.Key.Key_Down)
    qtbot.keyClick(panel.device_combo, Qt.Key.Key_Down)
    assert panel.device_combo.currentText() == "3 devices"
    assert panel.total_label.text() == "84.0 mg"
    assert panel.working_label.text() == "3 devices x 28 mg = 84.0 mg"
    # the course's standing order is for IV ketamine: the physician ordered this by phone
    assert "a new physician order or a verbal order is needed" in (
        panel.physician_order.departure.text())
    with chair.db() as db:
        verbal_order(db, chair.session_id, chair.clock, 3)
    controller.reload()
    assert not panel.physician_order.departure.isVisible()
    qtbot.keyClicks(panel.lot_edit, "ESK7")
    qtbot.mouseClick(panel.order_button, Qt.MouseButton.LeftButton)
    dose = _dose(chair)
    assert dose is not None and dose.device_count == 3 and dose.total_mg == 84


def test_after_ordering_the_keyboard_is_in_the_verifier_field(chair: Chair,
                                                              qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = _panel(chair, qtbot)
    panel.setFocus()  # Alt+2 on the session page
    assert panel.focusWidget() is panel.fields["dose_mg_per_kg"]
    for _ in range(10):  # Enter walks dose, weight, basis... to the lot number
        if panel.focusWidget() is panel.lot_edit:
            break
        focused = panel.focusWidget()
        assert isinstance(focused, QLineEdit | QComboBox), focused
        qtbot.keyClick(focused, Qt.Key.Key_Tab if isinstance(focused, QComboBox)
                       else Qt.Key.Key_Return)
    assert panel.focusWidget() is panel.lot_edit
    qtbot.keyClicks(panel.lot_edit, "KT9")
    qtbot.keyClick(panel.lot_edit, Qt.Key.Key_Return)
    assert panel.focusWidget() is panel.diluent_edit
    qtbot.keyClick(panel.diluent_edit, Qt.Key.Key_Return)
    assert _order_count(chair) == 1
    assert panel.focusWidget() is panel.check_total_edit  # the second nurse's own figures
    qtbot.keyClicks(panel.check_total_edit, "40")
    qtbot.keyClick(panel.check_total_edit, Qt.Key.Key_Return)
    assert panel.focusWidget() is panel.check_rate_edit
    qtbot.keyClicks(panel.check_rate_edit, "150")
    qtbot.keyClick(panel.check_rate_edit, Qt.Key.Key_Return)
    row = panel.verifier
    assert panel.focusWidget() is row.username_edit
    qtbot.keyClicks(row.username_edit, "sam")
    qtbot.keyClick(row.username_edit, Qt.Key.Key_Tab)
    assert panel.focusWidget() is row.password_edit
    qtbot.keyClicks(row.password_edit, password_of("sam"))
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)
    dose = _dose(chair)
    assert dose is not None and dose.verified_by_name == "Sam Okafor, RN"
