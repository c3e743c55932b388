"""The dose: computed live as the nurse types, ordered, then independently verified.

IV ketamine is a high-alert medication (ISMP): the panel shows the working
the way the domain writes it, so the second nurse can redo the arithmetic by
hand, and the order counts only once a different nurse has verified it. The
second nurse, and a physician overriding a dose maximum, prove who they are
with their own user name and password (:mod:`ketalog.ui.start.credentials`) while
the preparing nurse stays signed in.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.double_check import MISMATCH_OPENING
from ketalog.services.access import Permission, may
from ketalog.services.context import Actor
from ketalog.services.dose_preview import DosePreview, preview_dose
from ketalog.services.identity import ProofPurpose
from ketalog.services.session.dose import DoseOrderResult, order_dose, verify_dose
from ketalog.services.session_detail import DoseOrderView
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, big_font
from ketalog.ui.session.panels.order_box import OrderBox
from ketalog.ui.session.panels.vial_box import VialBox
from ketalog.ui.start.credentials import Credentials, CredentialsRow
from ketalog.ui.widgets import ActionButton, ComboBox, SessionPanel

#: Input fields per dosing mode, in the order the nurse fills them (weight apart).
MODE_FIELDS: dict[str, tuple[str, ...]] = {
    "weight": ("dose_mg_per_kg", "concentration_mg_per_ml", "bag_volume_ml", "duration_min"),
    "rate": ("rate_mg_per_kg_per_h", "duration_min", "concentration_mg_per_ml", "bag_volume_ml"),
    "im_weight": ("dose_mg_per_kg", "concentration_mg_per_ml"),
    "device": ("device_count",),
}
DOSE_STARTED = "The infusion has started; the dose can no longer be changed."


def _fmt(value: Decimal | None, places: int) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def _plain(value: object) -> str:
    """A default value as a nurse would type it ("0.5", "100", "40")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return text
    return str(value)


class DosePanel(SessionPanel):
    """Dose inputs with a live result, the order, and the second nurse's verification.

    Enter moves from field to field and, in the last one (diluent), orders;
    Enter in the second nurse's password verifies; Enter in the physician's
    password orders with the override. The buttons never take the focus.
    """

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(controller, None, parent)
        self._protocol_code: str | None = None
        self._weight_prefill = ""
        self._basis_prefill = "actual"
        self._preview: DosePreview | None = None

        self.protocol_label = QLabel()
        self.protocol_label.setWordWrap(True)
        big_font(self.protocol_label, 12)
        #: the physician's order in force; the dose starts from it and is judged against it
        self.physician_order = OrderBox(controller, self.order)

        labels = {
            "dose_mg_per_kg": self.tr("Dose (mg/kg)"),
            "rate_mg_per_kg_per_h": self.tr("Rate (mg/kg/h)"),
            "concentration_mg_per_ml": self.tr("Concentration (mg/mL)"),
            "bag_volume_ml": self.tr("Bag volume (mL)"),
            "duration_min": self.tr("Duration (min)"),
        }
        self.fields: dict[str, QLineEdit] = {}
        for name in labels:
            edit = QLineEdit()
            edit.setObjectName(name)
            edit.textEdited.connect(self._inputs_changed)
            edit.returnPressed.connect(self.focusNextChild)
            self.fields[name] = edit
        self.weight_edit = QLineEdit()
        self.weight_edit.setObjectName("weight_kg")
        self.weight_edit.textEdited.connect(self._inputs_changed)
        self.weight_edit.returnPressed.connect(self.focusNextChild)
        self.basis_combo = ComboBox()
        self.basis_combo.addItem(self.tr("actual body weight"), "actual")
        self.basis_combo.addItem(self.tr("ideal body weight"), "ideal")
        self.basis_combo.activated.connect(self._inputs_changed)
        self.weight_note = QLabel()
        self.weight_note.setWordWrap(True)
        self.device_combo = ComboBox()
        self.device_combo.setPlaceholderText(self.tr("choose the number of devices"))
        self.device_combo.activated.connect(self._inputs_changed)
        self.lot_edit = QLineEdit()
        self.lot_edit.setObjectName("lot_number")
        self.lot_edit.returnPressed.connect(self.focusNextChild)
        self.diluent_edit = QLineEdit()
        self.diluent_edit.setObjectName("diluent")
        self.diluent_edit.setPlaceholderText(self.tr("e.g. 0.9% sodium chloride; Enter orders"))

        self.form = QFormLayout()
        self._rows: dict[str, QWidget] = {}
        self._row_labels = dict(labels)
        weight_row = QWidget()
        weight_box = QHBoxLayout(weight_row)
        weight_box.setContentsMargins(0, 0, 0, 0)
        weight_box.addWidget(self.weight_edit)
        weight_box.addWidget(self.basis_combo)
        for name in ("dose_mg_per_kg", "rate_mg_per_kg_per_h"):
            self.form.addRow(labels[name], self.fields[name])
        self.form.addRow(self.tr("Weight (kg)"), weight_row)
        self.form.addRow("", self.weight_note)
        self.form.addRow(self.tr("Devices"), self.device_combo)
        for name in ("concentration_mg_per_ml", "bag_volume_ml", "duration_min"):
            self.form.addRow(labels[name], self.fields[name])
        self.form.addRow(self.tr("Lot number"), self.lot_edit)
        self.form.addRow(self.tr("Diluent"), self.diluent_edit)
        self._weight_row = weight_row

        # live result
        self.total_label = QLabel()
        self.volume_label = QLabel()
        self.rate_label = QLabel()
        for label in (self.total_label, self.volume_label, self.rate_label):
            big_font(label, 20)
        self.working_label = QLabel()
        self.working_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        big_font(self.working_label, 14, bold=False)
        self.preview_message = MessageLabel()
        self.result_form = QFormLayout()
        self.result_form.addRow(self.tr("Total dose"), self.total_label)
        self.result_form.addRow(self.tr("Draw up"), self.volume_label)
        self.result_form.addRow(self.tr("Pump rate"), self.rate_label)

        # ordering
        self.order_button = ActionButton(self.tr("Order dose"), shortcut="Alt+O")
        self.order_button.clicked.connect(self.order)
        self.order_button.bind_enter(self.diluent_edit)
        self.order_hint = QLabel()
        self.order_hint.setWordWrap(True)
        self.confirm_button = ActionButton(self.tr("Confirm dose outside the usual range"),
                                           shortcut="Alt+F")
        self.confirm_button.setToolTip(self.tr("Order this dose although it is outside the "
                                               "protocol's usual range"))
        self.confirm_button.hide()
        self.confirm_button.clicked.connect(self._confirm_clicked)
        self.override_box = QGroupBox(self.tr("Physician override (beyond a protocol limit)"))
        self.override_physician = CredentialsRow(self.tr("physician"), "override_physician")
        self.override_physician.submitted.connect(self._order_with_override)
        self.override_reason = QLineEdit()
        self.override_reason.setObjectName("override_reason")
        # the reason first, then the physician's password: like a signature, last
        self.override_reason.returnPressed.connect(self.override_physician.focus)
        self.override_button = ActionButton(self.tr("Order with physician override"))
        self.override_button.clicked.connect(self._order_with_override)
        self.override_button.owner_fields.append(self.override_physician.password_edit)
        override_form = QFormLayout(self.override_box)
        override_form.addRow(self.tr("Reason"), self.override_reason)
        override_form.addRow(self.tr("Physician"), self.override_physician)
        override_form.addRow("", self.override_button)
        self.override_box.hide()

        # the stored order and its verification
        self.order_box = QGroupBox(self.tr("Ordered dose"))
        self.order_summary = QLabel()
        self.order_summary.setWordWrap(True)
        big_font(self.order_summary, 13)
        self.order_working = QLabel()
        big_font(self.order_working, 14, bold=False)
        self.verified_label = QLabel()
        self.verified_label.setWordWrap(True)
        big_font(self.verified_label, 14)
        # the second nurse's own figures, typed before their password (a blind check)
        self.check_total_edit = QLineEdit()
        self.check_total_edit.setObjectName("verifier_total_mg")
        self.check_total_edit.returnPressed.connect(self.focusNextChild)
        self.check_rate_edit = QLineEdit()
        self.check_rate_edit.setObjectName("verifier_rate_ml_per_h")
        self.check_rate_edit.returnPressed.connect(self.focusNextChild)
        self.check_form = QFormLayout()
        self.check_form.addRow(self.tr("Your total dose (mg)"), self.check_total_edit)
        self.check_form.addRow(self.tr("Your pump rate (mL/h)"), self.check_rate_edit)
        self.verifier = CredentialsRow(self.tr("second nurse"), "verifier")
        self.verifier.submitted.connect(self.verify)
        self.verify_button = ActionButton(self.tr("Verify"))
        self.verify_button.clicked.connect(self.verify)
        self.verify_button.owner_fields.append(self.verifier.password_edit)
        self.verify_message = MessageLabel()
        verify_row = QHBoxLayout()
        self.verify_prompt = QLabel(self.tr(
            "Independent double check by a second nurse: work the dose out on your own "
            "from the order, the weight and the concentration, and type your figures; the "
            "prepared figures stay hidden until yours match. Then your own user name and "
            "password."))
        self.verify_prompt.setWordWrap(True)
        verify_row.addWidget(self.verifier, 1)
        verify_row.addWidget(self.verify_button)
        order_layout = QVBoxLayout(self.order_box)
        order_layout.addWidget(self.order_summary)
        order_layout.addWidget(self.order_working)
        order_layout.addWidget(self.verify_prompt)
        order_layout.addLayout(self.check_form)
        order_layout.addLayout(verify_row)
        order_layout.addWidget(self.verified_label)
        order_layout.addWidget(self.verify_message)
        self.order_box.hide()

        layout = QVBoxLayout()
        layout.addWidget(self.physician_order)
        layout.addWidget(self.protocol_label)
        layout.addLayout(self.form)
        layout.addLayout(self.result_form)
        layout.addWidget(self.working_label)
        layout.addWidget(self.preview_message)
        order_row = QHBoxLayout()
        order_row.addWidget(self.order_button)
        order_row.addWidget(self.order_hint, 1)
        layout.addLayout(order_row)
        layout.addWidget(self.message)
        layout.addWidget(self.confirm_button)
        layout.addWidget(self.override_box)
        layout.addWidget(self.order_box)
        #: the container drawn from and where every mL went (controlled-substance books)
        self.vial_box = VialBox(controller)
        layout.addWidget(self.vial_box)
        layout.addStretch(1)
        self.set_content(layout)
        chain: list[QWidget] = [
            self.fields["dose_mg_per_kg"], self.fields["rate_mg_per_kg_per_h"], self.weight_edit,
            self.basis_combo, self.device_combo, self.fields["concentration_mg_per_ml"],
            self.fields["bag_volume_ml"], self.fields["duration_min"], self.lot_edit,
            self.diluent_edit, self.override_reason, self.override_physician.username_edit,
            self.override_physician.password_edit, self.check_total_edit, self.check_rate_edit,
            self.verifier.username_edit, self.verifier.password_edit,
            *self.vial_box.focus_chain(),
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.follow_session()

    # --- showing --------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """The protocol's dosing mode ("weight", "rate", "im_weight", "device")."""
        return self.view.protocol.dosing_mode if self.view else "weight"

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored; typed but unordered values are kept."""
        protocol = view.protocol
        self.physician_order.load(protocol.code)
        if protocol.code != self._protocol_code:
            self._protocol_code = protocol.code
            self._fill_defaults(view)
        self._refresh_weight(view)
        self.protocol_label.setText(
            self.tr("Protocol: %1 (%2, %3)").replace("%1", protocol.name)
            .replace("%2", protocol.drug).replace("%3", protocol.route)
        )
        started = view.detail.dose_started_at_utc is not None
        blocked = DOSE_STARTED if started else view.entry_refusal
        self.order_button.setEnabled(blocked is None)
        self.order_button.setToolTip(blocked or "")
        for widget in (*self.fields.values(), self.weight_edit, self.basis_combo,
                       self.device_combo, self.lot_edit, self.diluent_edit):
            widget.setEnabled(not started)
        if blocked:
            self.order_hint.setText(blocked)
        elif view.detail.dose is not None:
            self.order_hint.setText(self.tr(
                "Ordering again replaces the current order; it must then be verified again."))
        else:
            self.order_hint.setText("")
        self._show_order(view)
        self._update_preview()
        self.vial_box.show_view(view)

    def next_field(self, view: SessionView) -> QWidget | None:
        """Where the keyboard goes when the panel is brought forward (Alt+2)."""
        dose = view.detail.dose
        if dose is not None and dose.verified_by_name is None and view.entry_refusal is None:
            return self.check_total_edit
        vial = self.vial_box.next_field()
        if vial is not None and dose is not None:
            return vial
        if not self.order_button.isEnabled():
            return None
        if self.mode == "device":
            return self.device_combo
        return self.fields[MODE_FIELDS[self.mode][0]]

    def _fill_defaults(self, view: SessionView) -> None:
        protocol = view.protocol
        mode = protocol.dosing_mode
        used = MODE_FIELDS.get(mode, ())
        defaults: dict[str, object] = {
            "dose_mg_per_kg": protocol.default_dose,
            "rate_mg_per_kg_per_h": protocol.default_dose,
            "concentration_mg_per_ml": protocol.default_concentration_mg_per_ml,
            "bag_volume_ml": protocol.default_bag_volume_ml,
            "duration_min": protocol.default_duration_min,
        }
        dose = view.detail.dose
        ordered: dict[str, object] = {}
        if dose is not None:  # reopening a session: show what was ordered
            ordered = {
                "dose_mg_per_kg": dose.dose_mg_per_kg,
                "rate_mg_per_kg_per_h": dose.rate_mg_per_kg_per_h,
                "concentration_mg_per_ml": dose.concentration_mg_per_ml,
                "bag_volume_ml": dose.bag_volume_ml, "duration_min": dose.duration_min,
            }
            self.lot_edit.setText(dose.lot_number or "")
        for name, edit in self.fields.items():
            value = ordered.get(name) if ordered.get(name) is not None else defaults[name]
            edit.setText(_plain(value) if name in used else "")
            self.form.setRowVisible(edit, name in used)
        weighted = mode != "device"
        self.form.setRowVisible(self._weight_row, weighted)
        self.form.setRowVisible(self.weight_note, weighted)
        self.form.setRowVisible(self.device_combo, not weighted)
        self.device_combo.clear()
        for count in protocol.allowed_device_counts:
            self.device_combo.addItem(self.tr("%n devices", "", count), count)
        self.device_combo.setCurrentIndex(-1)
        if dose is not None and dose.device_count is not None:
            self.device_combo.setCurrentIndex(self.device_combo.findData(dose.device_count))
        self.result_form.setRowVisible(self.rate_label, mode in ("weight", "rate"))
        self.result_form.setRowVisible(self.volume_label, weighted)
        self._weight_prefill = ""
        if dose is None:
            self._prefill_from_order()

    def _prefill_from_order(self) -> None:
        """Start from the physician's order: its dose, duration and weight basis."""
        order = self.physician_order.prefill()
        if order is None:
            return
        if order.dosing_mode == "device":
            self.device_combo.setCurrentIndex(self.device_combo.findData(int(order.dose)))
            return
        name = "rate_mg_per_kg_per_h" if order.dosing_mode == "rate" else "dose_mg_per_kg"
        self.fields[name].setText(_plain(order.dose))
        if order.duration_min is not None:
            self.fields["duration_min"].setText(str(order.duration_min))
        if order.weight_basis is not None:
            self._basis_prefill = order.weight_basis.value
            self.basis_combo.setCurrentIndex(
                max(0, self.basis_combo.findData(order.weight_basis.value)))

    def _refresh_weight(self, view: SessionView) -> None:
        """Offer the latest weighing unless the nurse typed another weight."""
        weight = view.weight
        prefill = _plain(weight.weight_kg.normalize()) if weight else ""
        basis = weight.basis if weight else "actual"
        untouched = self.weight_edit.text().strip() in ("", self._weight_prefill)
        if untouched:
            self.weight_edit.setText(prefill)
            self.basis_combo.setCurrentIndex(max(0, self.basis_combo.findData(basis)))
        self._weight_prefill, self._basis_prefill = prefill, basis
        self._show_weight_note()

    def _show_weight_note(self) -> None:
        weight = self.view.weight if self.view else None
        if weight is None:
            self.weight_note.setText(self.tr("%1 No weight recorded; weigh the patient.")
                                     .replace("%1", ALERT_MARK))
        elif self._uses_recorded_weight():
            text = self.tr("Weighed on %1 (%2 body weight)").replace(
                "%1", weight.measured_on.isoformat()).replace("%2", weight.basis)
            if weight.age_warning:
                text += f"\n{ALERT_MARK} {weight.age_warning}"
            self.weight_note.setText(text)
        else:
            self.weight_note.setText(self.tr("Weight typed here (not the last weighing); "
                                             "dated today."))

    def _uses_recorded_weight(self) -> bool:
        return (bool(self._weight_prefill)
                and self.weight_edit.text().strip() == self._weight_prefill
                and self.basis_combo.currentData() == self._basis_prefill)

    def _show_order(self, view: SessionView) -> None:
        dose = view.detail.dose
        self.order_box.setVisible(dose is not None)
        if dose is None:
            return
        tz = self.controller.ctx.tz
        verified = dose.verified_by_name is not None
        summary = self._figures_text(dose) if verified else self._order_inputs_text(dose)
        details = [self.tr("lot %1").replace("%1", dose.lot_number) if dose.lot_number
                   else f"{ALERT_MARK} " + self.tr("no lot number")]
        details.append(self.tr("prepared by %1").replace("%1", dose.prepared_by_name))
        if dose.override_reason:
            details.append(self.tr("physician override: %1").replace("%1", dose.override_reason))
        self.order_summary.setText(f"{summary}\n{'; '.join(details)}")
        self.order_working.setText("\n".join(dose.working))
        self.order_working.setVisible(verified)
        for widget in (self.verify_prompt, self.verifier, self.verify_button):
            widget.setVisible(not verified)
        self.check_form.setRowVisible(self.check_total_edit, not verified)
        self.check_form.setRowVisible(self.check_rate_edit,
                                      not verified and dose.rate_ml_per_h is not None)
        if verified:
            self.verifier.clear()
            self.check_total_edit.clear()
            self.check_rate_edit.clear()
        if verified and dose.verified_at_utc is not None:
            at = clock_text(dose.verified_at_utc, tz)
            text = self.tr("Verified by %1 at %2").replace(
                "%1", dose.verified_by_name or "").replace("%2", at)
            if dose.verifier_total_mg is not None:
                figures = f"{_plain(dose.verifier_total_mg)} mg"
                if dose.verifier_rate_ml_per_h is not None:
                    figures += f", {_plain(dose.verifier_rate_ml_per_h)} mL/h"
                text += "\n" + self.tr("Independent double check: their own figures (%1) "
                                       "matched.").replace("%1", figures)
            self.verified_label.setText(f"{OK_MARK} {text}")
            self.verify_message.clear_message()
        else:
            self.verified_label.setText(
                f"{ALERT_MARK} " + self.tr("Not verified yet: the infusion cannot start."))

    def _figures_text(self, dose: DoseOrderView) -> str:
        parts = [f"{_fmt(dose.total_mg, 1)} mg {dose.drug}"]
        if dose.drug_volume_ml is not None and dose.concentration_mg_per_ml is not None:
            parts.append(self.tr("%1 mL of %2 mg/mL").replace("%1", _fmt(dose.drug_volume_ml, 1))
                         .replace("%2", _plain(dose.concentration_mg_per_ml.normalize())))
        if dose.rate_ml_per_h is not None:
            parts.append(f"{_fmt(dose.rate_ml_per_h, 0)} mL/h")
        return ", ".join(parts)

    def _order_inputs_text(self, dose: DoseOrderView) -> str:
        """What the second nurse works from: the order's inputs, none of its results."""
        parts: list[str] = []
        if dose.device_count is not None:
            parts.append(self.tr("%1 device(s) of %2").replace("%1", str(dose.device_count))
                         .replace("%2", dose.drug))
        else:
            dose_text = (f"{_plain(dose.dose_mg_per_kg)} mg/kg" if dose.dose_mg_per_kg is not None
                         else f"{_plain(dose.rate_mg_per_kg_per_h)} mg/kg/h")
            parts.append(f"{dose_text} {dose.drug}")
        if dose.weight_kg is not None:
            parts.append(self.tr("weight %1 kg (%2)").replace("%1", _plain(dose.weight_kg))
                         .replace("%2", dose.weight_basis or "actual"))
        if dose.concentration_mg_per_ml is not None:
            parts.append(f"{_plain(dose.concentration_mg_per_ml)} mg/mL")
        if dose.bag_volume_ml is not None and dose.duration_min is not None:
            parts.append(self.tr("%1 mL bag over %2 min").replace(
                "%1", _plain(dose.bag_volume_ml)).replace("%2", str(dose.duration_min)))
        return self.tr("To check: %1").replace("%1", ", ".join(parts))

    def _awaiting_check(self) -> DoseOrderView | None:
        """The ordered dose while it waits for its double check, else None."""
        dose = self.view.detail.dose if self.view else None
        return dose if dose is not None and dose.verified_by_name is None else None

    def _inputs_are_the_order(self, dose: DoseOrderView) -> bool:
        """Whether the fields still hold the ordered dose (then its results stay hidden)."""
        if self.mode == "device":
            return bool(self.device_combo.currentData() == dose.device_count)
        stored: dict[str, object] = {
            "dose_mg_per_kg": dose.dose_mg_per_kg,
            "rate_mg_per_kg_per_h": dose.rate_mg_per_kg_per_h,
            "concentration_mg_per_ml": dose.concentration_mg_per_ml,
            "bag_volume_ml": dose.bag_volume_ml, "duration_min": dose.duration_min,
            "weight_kg": dose.weight_kg,
        }
        typed = {**self.inputs(), "weight_kg": self.weight_edit.text().strip()}
        for name, text in typed.items():
            value = stored.get(name)
            try:
                if value is None or Decimal(str(text).replace(",", ".")) != Decimal(str(value)):
                    return False
            except ArithmeticError:
                return False
        return True

    # --- live result ----------------------------------------------------------------

    def inputs(self) -> dict[str, object]:
        """The dosing inputs as typed, for the protocol's mode (weight apart)."""
        if self.mode == "device":
            count = self.device_combo.currentData()
            return {"device_count": "" if count is None else count}
        return {name: self.fields[name].text().strip() for name in MODE_FIELDS[self.mode]}

    def _inputs_changed(self, *_args: object) -> None:
        # a confirmation or override applies to the exact dose it was given for
        self.confirm_button.hide()
        self._hide_override()
        self.message.clear_message()
        self._show_weight_note()
        self._update_preview()

    def _update_preview(self) -> None:
        if self.view is None:
            return
        sid, inputs, weight = self.controller.session_id, self.inputs(), self.weight_edit.text()
        clock = self.controller.ctx.clock
        outcome = self.controller.ctx.run(
            lambda db: preview_dose(db, sid, inputs, weight, clock=clock))
        preview = outcome.value
        self._preview = preview
        self.physician_order.judge(preview.calculation if preview else None,
                             self.basis_combo.currentData())
        if preview is None or preview.calculation is None:
            for label in (self.total_label, self.volume_label, self.rate_label):
                label.setText("—")
            self.working_label.setText("")
            problems = preview.problems if preview else (outcome.error or "",)
            self.preview_message.show_error("\n".join(problems))
            return
        calc = preview.calculation
        awaiting = self._awaiting_check()
        blind = awaiting is not None and self._inputs_are_the_order(awaiting)
        self.working_label.setVisible(not blind)
        if blind:  # the second nurse may be reading this screen: no results until they match
            for label in (self.total_label, self.volume_label, self.rate_label):
                label.setText(self.tr("hidden until checked"))
            self.preview_message.clear_message()
            return
        self.total_label.setText(calc.total_mg_display)
        self.volume_label.setText(calc.drug_volume_display or "")
        self.rate_label.setText(calc.rate_ml_per_h_display or "")
        self.working_label.setText("\n".join(calc.working))
        if preview.limit_message:
            self.preview_message.show_error(preview.limit_message)
        else:
            self.preview_message.clear_message()

    # --- acting ---------------------------------------------------------------------

    def order(self) -> bool:
        """Order the dose as typed; on a limit refusal, ask for confirmation or an override."""
        return self._order()

    def _confirm_clicked(self) -> None:
        self._order(confirm=True)

    def _show_override(self) -> None:
        """Ask for the physician's override; a signed-in physician still types the password."""
        first_time = self.override_box.isHidden()
        self.override_box.show()
        actor = self.controller.ctx.actor()
        row = self.override_physician
        if (first_time and not row.username_edit.text()
                and may(actor.role, Permission.OVERRIDE_DOSE)):
            row.username_edit.setText(actor.username)
        if first_time:
            self.override_reason.setFocus()

    def _hide_override(self) -> None:
        # an override applies to the exact dose it was given for; nothing typed survives
        self.override_box.hide()
        self.override_reason.clear()
        self.override_physician.clear()

    def _order_with_override(self) -> None:
        if not self.override_reason.text().strip():
            # checked before the password, so a missing reason costs no failed attempt;
            # a submitted password is not kept either way
            self.override_physician.password_edit.clear()
            self.message.show_error(self.tr("Give the reason for overriding the maximum dose."))
            self.override_reason.setFocus()
            return
        missing = self.override_physician.missing()
        if missing:
            self.message.show_error(missing)
            return
        self._order(override=self.override_physician.take(),
                    override_reason=self.override_reason.text())

    def _order(self, *, confirm: bool = False, override: Credentials | None = None,
               override_reason: str | None = None) -> bool:
        view = self.view
        if view is None or not self.order_button.isEnabled():
            return False
        self._update_preview()
        preview = self._preview
        if preview is None or preview.calculation is None:
            # the service would take the latest weighing for an empty weight field:
            # never order something other than what the screen shows
            self.message.show_error(self.tr("Correct the dose inputs first."))
            return False
        inputs, sid, clock = self.inputs(), self.controller.session_id, self.controller.ctx.clock
        weighted = self.mode != "device"
        weight = self.weight_edit.text().strip() if weighted else None
        measured_on = view.weight.measured_on if (
            weighted and view.weight and self._uses_recorded_weight()) else None
        basis = self.basis_combo.currentData() if weighted else None
        lot, diluent = self.lot_edit.text(), self.diluent_edit.text()

        def act(db: Session, actor: Actor) -> DoseOrderResult:
            # the physician's password and the order are one user action
            override_by = None if override is None else override.proof(
                db, workstation=actor.workstation, purpose=ProofPurpose.OVERRIDE_DOSE,
                clock=clock)
            return order_dose(
                db, actor, sid, inputs=inputs, weight_kg=weight, weight_measured_on=measured_on,
                weight_basis=basis, lot_number=lot, diluent=diluent or None,
                confirm_outside_warning=confirm, override_reason=override_reason,
                override_by=override_by, clock=clock)

        outcome = self.controller.act(act)
        if override is not None:
            self.override_physician.settle(override, outcome.ok)
        if outcome.ok:
            self.message.clear_message()
            self.confirm_button.hide()
            self._hide_override()
            if outcome.value is not None and outcome.value.weight_warning:
                self.message.show_error(outcome.value.weight_warning)
            self.check_total_edit.setFocus()
            return True
        self.message.show_error(outcome.error or "")
        if preview.needs_physician_override:
            self._show_override()
        elif preview.needs_confirmation and not confirm:
            # say what is confirmed: a weight far from the last one is not a dose range
            self.confirm_button.setText(
                self.tr("Confirm weight and dose as shown") if preview.weight_unusual
                else self.tr("Confirm dose outside the usual range"))
            self.confirm_button.show()
        return False

    def verify(self) -> bool:
        """Record the second nurse's independent check, after their own password."""
        view = self.view
        dose = view.detail.dose if view else None
        if dose is None or dose.verified_by_name is not None:
            return False
        if not self.check_total_edit.text().strip():
            # asked before the password, so a missing figure costs no failed attempt
            self.verifier.password_edit.clear()
            self.verify_message.show_error(self.tr(
                "Type the total dose you worked out yourself first."))
            self.check_total_edit.setFocus()
            return False
        missing = self.verifier.missing()
        if missing:
            self.verify_message.show_error(missing)
            return False
        credentials = self.verifier.take()
        sid, order_id, clock = self.controller.session_id, dose.id, self.controller.ctx.clock
        total = self.check_total_edit.text()
        rate = self.check_rate_edit.text() if dose.rate_ml_per_h is not None else None
        outcome = self.controller.act(lambda db, actor: verify_dose(
            db, actor, sid, dose_order_id=order_id, clock=clock,
            verifier_total_mg=total, verifier_rate_ml_per_h=rate,
            verifier=credentials.proof(db, workstation=actor.workstation,
                                       purpose=ProofPurpose.VERIFY_DOSE, clock=clock)))
        self.verifier.settle(credentials, outcome.ok)
        if not outcome.ok:
            self.verify_message.show_error(outcome.error or "")
            if (outcome.error or "").startswith(MISMATCH_OPENING):
                # worked out again together, the figures are what gets typed next
                self.check_total_edit.setFocus()
                self.check_total_edit.selectAll()
            return False
        self.verify_message.clear_message()
        return True
