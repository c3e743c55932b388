"""Each unusual figure asks on screen before anything is stored (issue 16, item 3).

The dose panel and the check-in panel show why (both weights, the rate, the
total) and offer the confirmation or the physician's override the rules ask.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.protocols import protocol_by_id, protocol_id_by_code
from ketalog.services.session_detail import DoseOrderView, open_session
from ketalog.services.settings import clinic_today
from ketalog.store.models import DoseOrder, PatientWeight
from ketalog.ui.admin.protocols_page import ProtocolsDialog
from ketalog.ui.session.panels.checkin_panel import CheckInPanel
from ketalog.ui.session.panels.dose_panel import DosePanel
from tests.play import verbal_order
from tests.staff import ADMIN, password_of
from tests.ui.conftest import Chair, activate, open_panel


def _retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def _dose(chair: Chair) -> DoseOrderView | None:
    with chair.db() as db:
        return open_session(db, chair.session_id).dose


def _count(chair: Chair, model: type) -> int:
    with chair.db() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def _last_weighed(chair: Chair, kg: str, days_ago: int) -> None:
    """Make the patient's one weighing ``kg``, ``days_ago`` days before today."""
    with chair.db() as db:
        weight = db.scalars(select(PatientWeight)).one()
        weight.weight_kg = Decimal(kg)
        weight.measured_on = clinic_today(db, chair.clock()) - timedelta(days=days_ago)
        db.commit()


def _click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_200_kg_four_days_after_105_9_kg_is_dosed_only_after_confirming(
        chair: Chair, qtbot: QtBot) -> None:
    _last_weighed(chair, "105.9", 4)
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, DosePanel)
    assert panel.weight_edit.text() == "105.9"
    _retype(qtbot, panel.weight_edit, "200")
    assert panel.total_label.text() == "100.0 mg"
    both = "Weight 200 kg is 89% more than the 105.9 kg recorded on"
    assert both in panel.preview_message.text()  # seen while typing

    _click(qtbot, panel.order_button)
    assert _count(chair, DoseOrder) == 0
    assert both in panel.message.text() and "(4 days earlier)" in panel.message.text()
    assert panel.confirm_button.isVisible()
    assert panel.confirm_button.label() == "Confirm weight and dose as shown"
    assert not panel.override_box.isVisible()

    _click(qtbot, panel.confirm_button)
    dose = _dose(chair)
    assert dose is not None and dose.weight_kg == 200 and dose.total_mg == 100
    assert dose.limit_level == "outside_warning"


def test_an_infusion_over_one_minute_needs_the_physicians_override(chair: Chair,
                                                                   qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, DosePanel)
    _retype(qtbot, panel.fields["duration_min"], "1")
    assert panel.rate_label.text() == "6000 mL/h"
    assert "Infusion over 1 min (6000 mL/h) is faster than the protocol allows" in (
        panel.preview_message.text())

    _click(qtbot, panel.order_button)
    assert _count(chair, DoseOrder) == 0
    assert "(at least 20 min); a physician must override it" in panel.message.text()
    assert panel.override_box.isVisible() and not panel.confirm_button.isVisible()
    assert panel.override_box.title() == "Physician override (beyond a protocol limit)"

    qtbot.keyClicks(panel.override_reason, "Slow push ordered by Dr Lovelace")
    qtbot.keyClick(panel.override_reason, Qt.Key.Key_Return)
    row = panel.override_physician
    qtbot.keyClicks(row.username_edit, "ada")
    qtbot.keyClick(row.username_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(row.password_edit, password_of("ada"))
    qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)
    dose = _dose(chair)
    assert dose is not None and dose.duration_min == 1
    assert dose.limit_level == "beyond_hard_limit"
    assert dose.override_reason == "Slow push ordered by Dr Lovelace"


def test_a_dose_that_rounds_to_nothing_cannot_be_ordered(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, DosePanel)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1e-9")
    assert panel.total_label.text() == "—"
    assert "which rounds to 0.0 mg" in panel.preview_message.text()
    assert "= 0.0 mg" not in panel.working_label.text()
    _click(qtbot, panel.order_button)
    assert _count(chair, DoseOrder) == 0
    assert not panel.confirm_button.isVisible()


def test_a_total_above_the_usual_maximum_is_confirmed(chair: Chair, qtbot: QtBot) -> None:
    _last_weighed(chair, "120", 1)
    chair.to("checked_in")
    with chair.db() as db:  # titrated to 1.0 mg/kg on the physician's read-back verbal order
        verbal_order(db, chair.session_id, chair.clock, "1.0")
    panel, _ = open_panel(chair, qtbot, DosePanel)
    _retype(qtbot, panel.fields["dose_mg_per_kg"], "1.0")
    _click(qtbot, panel.order_button)
    assert _count(chair, DoseOrder) == 0
    assert "Total 120.0 mg is above the usual maximum total of 100.0 mg" in panel.message.text()
    assert panel.confirm_button.label() == "Confirm dose outside the usual range"
    _click(qtbot, panel.confirm_button)
    dose = _dose(chair)
    assert dose is not None and dose.total_mg == 120


def test_an_unusual_weight_at_check_in_is_recorded_only_when_confirmed(
        chair: Chair, qtbot: QtBot) -> None:
    _last_weighed(chair, "105.9", 4)
    chair.to("checked_in")
    panel, _ = open_panel(chair, qtbot, CheckInPanel)
    qtbot.keyClicks(panel.weight_edit, "200")
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_Return)
    assert _count(chair, PatientWeight) == 1
    assert "Weight 200 kg is 89% more than the 105.9 kg" in panel.message.text()
    assert panel.weight_confirm_button.isVisible()
    assert panel.weight_edit.text() == "200"  # kept for the confirmation

    _click(qtbot, panel.weight_confirm_button)
    assert _count(chair, PatientWeight) == 2
    assert "200 kg" in panel.weight_label.text()
    assert not panel.weight_confirm_button.isVisible()
    assert not panel.message.isVisible()


def test_a_second_weighing_minutes_later_asks_which_stands(chair: Chair, qtbot: QtBot) -> None:
    chair.to("checked_in")  # José was weighed 80 kg when booked, minutes ago
    panel, _ = open_panel(chair, qtbot, CheckInPanel)
    qtbot.keyClicks(panel.weight_edit, "81")
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_Return)
    assert _count(chair, PatientWeight) == 1
    assert "A weight of 80 kg" in panel.message.text()
    assert "Which one stands?" in panel.message.text()
    assert panel.weight_confirm_button.isVisible()
    _retype(qtbot, panel.weight_edit, "80.5")  # typing again withdraws the confirmation
    assert not panel.weight_confirm_button.isVisible()
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_Return)
    assert panel.weight_confirm_button.isVisible()
    activate(qtbot, panel)  # shortcuts reach the active window
    qtbot.keyClick(panel.weight_edit, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    with chair.db() as db:
        weights = db.scalars(select(PatientWeight.weight_kg).order_by(PatientWeight.id)).all()
    assert weights == [80, Decimal("80.5")]


def test_the_protocol_editor_checks_the_new_limits(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = ADMIN
    dialog = ProtocolsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    for row in range(dialog.model.rowCount()):
        if dialog.model.row_at(row).code == "iv-depression-0.5":
            dialog.table.selectRow(row)
    definition = json.loads(dialog.editor.toPlainText())
    assert definition["duration_limits"] == {"hard_min": 20, "warn_min": 40, "warn_max": 100,
                                             "hard_max": 240}
    assert definition["total_mg_limits"] == {"warn_max": "100", "hard_max": "150"}
    definition["duration_limits"]["hard_min"] = 50
    definition["total_mg_limits"]["warn_max"] = "200"
    definition["usual_weight_max_kg"] = "20"
    dialog.editor.setPlainText(json.dumps(definition, indent=2))
    _click(qtbot, dialog.save_button)
    assert all(line in dialog.message.text() for line in (
        "Usual lowest weight 35 kg must be below the usual highest weight 20 kg.",
        "Usual maximum total 200 mg must not be above the hard maximum total 150 mg.",
        "Shortest duration allowed 50 min must not be above the usual shortest duration 40 min."))
    assert [r.version for r in dialog.model.rows() if r.code == "iv-depression-0.5"] == [1]

    definition["duration_limits"]["hard_min"] = 30
    definition["total_mg_limits"]["warn_max"] = "120"
    definition["usual_weight_max_kg"] = "180"
    dialog.editor.setPlainText(json.dumps(definition, indent=2))
    _click(qtbot, dialog.save_button)
    assert "version 2" in dialog.message.text()
    with chair.db() as db:
        saved = protocol_by_id(db, protocol_id_by_code(db, "iv-depression-0.5"))
    assert saved.duration_limits is not None and saved.duration_limits.hard_min == 30
    assert saved.total_mg_limits is not None and saved.total_mg_limits.warn_max == 120
    assert saved.usual_weight_max_kg == 180
