"""The physician's standing order for a course, entered and signed from the course window.

The physician types the dose in the protocol's unit, the duration, the weight
basis and (if any) how far the nurse may titrate, then their own password
last: Enter in the password signs. The order in force is shown first; a new
one supersedes it and both stay on record.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ketalog.domain.protocols import DosingMode
from ketalog.services.orders import OrderForm, enter_standing_order, order_form
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel, big_font
from ketalog.ui.session.panels.order_box import order_line
from ketalog.ui.widgets import ActionButton, Button, ComboBox, PasswordField, button_row


def _plain(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


class StandingOrderDialog(QDialog):
    """Enter and sign a course's standing order (physicians); ``order_id`` once signed."""

    def __init__(self, ctx: UiContext, course_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.course_id = course_id
        self.order_id: int | None = None
        self.setWindowTitle(self.tr("Physician's standing order"))
        self.heading = QLabel()
        big_font(self.heading, 13)
        self.heading.setWordWrap(True)
        self.in_force = QLabel()
        self.in_force.setWordWrap(True)
        self.dose_edit = QLineEdit()
        self.dose_edit.setObjectName("order_dose")
        self.device_combo = ComboBox()
        self.device_combo.setObjectName("order_devices")
        self.duration_edit = QLineEdit()
        self.duration_edit.setObjectName("order_duration_min")
        self.basis_combo = ComboBox()
        self.basis_combo.setObjectName("order_weight_basis")
        self.basis_combo.addItem(self.tr("actual body weight"), "actual")
        self.basis_combo.addItem(self.tr("ideal body weight"), "ideal")
        self.ceiling_edit = QLineEdit()
        self.ceiling_edit.setObjectName("order_titration_ceiling")
        self.ceiling_edit.setPlaceholderText(self.tr("empty: no titration without a new order"))
        self.ceiling_combo = ComboBox()
        self.ceiling_combo.setObjectName("order_titration_devices")
        self.password = PasswordField(self.tr("your password; Enter signs the order"))
        self.password.setObjectName("order_password")
        self.message = MessageLabel()
        self.sign_button = ActionButton(self.tr("Sign order"))
        self.sign_button.setObjectName("sign_order")
        self.sign_button.clicked.connect(self.sign)
        self.sign_button.bind_enter(self.password)
        for edit in (self.dose_edit, self.duration_edit, self.ceiling_edit):
            edit.returnPressed.connect(self.focusNextChild)
        self.form = QFormLayout()
        self.form.addRow(self.tr("Dose"), self.dose_edit)
        self.form.addRow(self.tr("Devices"), self.device_combo)
        self.form.addRow(self.tr("Duration (min)"), self.duration_edit)
        self.form.addRow(self.tr("Weight basis"), self.basis_combo)
        self.form.addRow(self.tr("Titrate up to"), self.ceiling_edit)
        self.form.addRow(self.tr("Titrate up to"), self.ceiling_combo)
        self.form.addRow(self.tr("Password"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.in_force)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addLayout(button_row(self.sign_button, Button(self.tr("Close"),
                                                             on_click=self.reject)))
        self.form_facts: OrderForm | None = None
        self._load()

    def _load(self) -> None:
        outcome = self.ctx.run(lambda db: order_form(db, self.course_id))
        facts = outcome.value
        if facts is None:
            self.message.show_error(outcome.error or "")
            self.sign_button.setEnabled(False)
            return
        self.form_facts = facts
        self.heading.setText(f"{facts.patient_name} · {facts.protocol_name}")
        self.in_force.setText(order_line(facts.in_force, self.ctx.tz) if facts.in_force
                              else self.tr("No standing order yet."))
        device = facts.dosing_mode is DosingMode.DEVICE
        timed = facts.dosing_mode in (DosingMode.WEIGHT, DosingMode.RATE)
        unit = f" ({facts.unit})"
        for field, text in ((self.dose_edit, self.tr("Dose")),
                            (self.ceiling_edit, self.tr("Titrate up to"))):
            label = self.form.labelForField(field)
            if isinstance(label, QLabel):
                label.setText(text + unit)
        self.form.setRowVisible(self.dose_edit, not device)
        self.form.setRowVisible(self.device_combo, device)
        self.form.setRowVisible(self.duration_edit, timed)
        self.form.setRowVisible(self.basis_combo, not device)
        self.form.setRowVisible(self.ceiling_edit, not device)
        self.form.setRowVisible(self.ceiling_combo, device)
        current = facts.in_force.order if facts.in_force else None
        self.ceiling_combo.addItem(self.tr("no titration"), None)
        for count in facts.allowed_device_counts:
            self.device_combo.addItem(self.tr("%1 devices").replace("%1", str(count)), count)
            self.ceiling_combo.addItem(self.tr("%1 devices").replace("%1", str(count)), count)
        self.dose_edit.setText(_plain(current.dose if current else facts.default_dose))
        self.duration_edit.setText(_plain(current.duration_min if current
                                          else facts.default_duration_min))
        if current is not None:
            self.ceiling_edit.setText(_plain(current.titration_ceiling))
            if current.weight_basis is not None:
                self.basis_combo.setCurrentIndex(
                    max(0, self.basis_combo.findData(current.weight_basis.value)))
        if device:
            dose = int(current.dose) if current else facts.allowed_device_counts[0]
            self.device_combo.setCurrentIndex(self.device_combo.findData(dose))
            if current is not None and current.titration_ceiling is not None:
                self.ceiling_combo.setCurrentIndex(
                    self.ceiling_combo.findData(int(current.titration_ceiling)))
        (self.device_combo if device else self.dose_edit).setFocus()

    def sign(self) -> bool:
        """Check the order and the password, and sign it (one user action)."""
        facts = self.form_facts
        if facts is None:
            return False
        if not self.password.text():
            self.message.show_error(self.tr("Enter your password to sign the order."))
            self.password.setFocus()
            return False
        password = self.password.take()
        device = facts.dosing_mode is DosingMode.DEVICE
        dose: object = self.device_combo.currentData() if device else self.dose_edit.text()
        ceiling: object = (self.ceiling_combo.currentData() if device
                           else self.ceiling_edit.text())
        timed = facts.dosing_mode in (DosingMode.WEIGHT, DosingMode.RATE)
        duration = self.duration_edit.text() if timed else None
        basis = None if device else self.basis_combo.currentData()
        actor, clock = self.ctx.actor(), self.ctx.clock
        outcome = self.ctx.run(lambda db: enter_standing_order(
            db, actor, self.course_id, dose=dose, duration_min=duration, weight_basis=basis,
            titration_ceiling=ceiling, password=password, clock=clock))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.password.setFocus()
            return False
        self.order_id = outcome.value
        self.accept()
        return True
