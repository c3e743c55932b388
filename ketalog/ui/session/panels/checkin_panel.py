"""Arrival: check-in, the pre-infusion checklist, escort, weight and the pre-dose BP gate.

Each tick, name or weight is committed the moment it is accepted (a tick, or
Enter / leaving the field): there is no Save button to forget. A high pre-dose
blood pressure needs a physician: one click when a physician is signed in,
otherwise the physician's own user name and password at the chair.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionState
from ketalog.services.access import Permission, may
from ketalog.services.identity import ProofPurpose
from ketalog.services.patients import record_weight
from ketalog.services.session.entries import update_discharge_details
from ketalog.services.session.state import acknowledge_predose_bp, change_state, update_checklist
from ketalog.services.session_detail import VitalRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.conflict import EditStart, settle_conflict
from ketalog.ui.core.context import DraftStore, Outcome, SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, alert_banner, big_font
from ketalog.ui.session.panels.measures_box import MeasuresBox
from ketalog.ui.start.credentials import CredentialsRow
from ketalog.ui.widgets import ActionButton, ComboBox, SessionPanel

CHECKLIST = ("identity_confirmed", "consent_on_file", "npo_confirmed")
PREDOSE_ALERT = "predose_bp_high"
#: States before any drug is given: the checklist and the BP gate still matter.
BEFORE_DOSE = (SessionState.SCHEDULED, SessionState.CHECKED_IN)


def baseline_reading(view: SessionView) -> VitalRow | None:
    """The latest live reading taken before the dose (the one the start rule judges)."""
    start = view.detail.dose_started_at_utc
    before = [v for v in view.detail.vitals
              if not v.voided and (start is None or v.taken_at_utc <= start)]
    return before[-1] if before else None


class CheckInPanel(SessionPanel):
    """Check-in, checklist, escort, today's weight, pre-dose BP acknowledgment, cancel.

    A checklist tick never moves the focus on its own: the keys typed after a
    tick go where the nurse expects them.
    """

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        self.measures = MeasuresBox(controller, self.drafts)
        self._escort_shown = ""

        self.status_label = QLabel()
        big_font(self.status_label, 14)
        self.check_in_button = ActionButton(self.tr("Check in"), shortcut="Alt+I")
        self.check_in_button.clicked.connect(self.check_in)
        self.check_in_hint = QLabel()
        self.check_in_hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.check_in_button)
        top.addWidget(self.status_label, 1)

        # checklist
        texts = {
            "identity_confirmed": self.tr("Identity confirmed (name and birth date)"),
            "consent_on_file": self.tr("Consent on file"),
            "npo_confirmed": self.tr("NPO confirmed (nothing by mouth)"),
        }
        self.checks: dict[str, QCheckBox] = {}
        self.checklist_box = QGroupBox(self.tr("Pre-infusion checklist"))
        checklist_layout = QFormLayout(self.checklist_box)
        for item in CHECKLIST:
            box = QCheckBox(texts[item])
            box.setObjectName(item)
            box.clicked.connect(lambda done, item=item: self.tick(item, done))
            self.checks[item] = box
            checklist_layout.addRow(box)
        self.escort_edit = QLineEdit()
        self.escort_edit.setObjectName("escort_name")
        self.escort_edit.setPlaceholderText(self.tr("responsible adult taking the patient home"))
        self.escort_edit.editingFinished.connect(self.save_escort)
        self._escort_start = EditStart()
        self.escort_edit.textEdited.connect(self._escort_edited)
        checklist_layout.addRow(self.tr("Escort"), self.escort_edit)
        self.checklist_hint = QLabel()
        self.checklist_hint.setWordWrap(True)
        checklist_layout.addRow(self.checklist_hint)

        # weight
        self.weight_box = QGroupBox(self.tr("Weight"))
        self.weight_label = QLabel()
        self.weight_label.setWordWrap(True)
        self.weight_warning = QLabel()
        self.weight_warning.setWordWrap(True)
        self.weight_warning.setStyleSheet("color: #8b0000; font-weight: bold;")
        self.weight_edit = QLineEdit()
        self.weight_edit.setObjectName("todays_weight")
        self.weight_edit.setPlaceholderText(self.tr("kg, then Enter"))
        self.weight_edit.returnPressed.connect(self.save_weight)
        self.basis_combo = ComboBox()
        self.basis_combo.addItem(self.tr("actual body weight"), "actual")
        self.basis_combo.addItem(self.tr("ideal body weight"), "ideal")
        weight_row = QHBoxLayout()
        weight_row.addWidget(QLabel(self.tr("Today's weight (kg)")))
        weight_row.addWidget(self.weight_edit)
        weight_row.addWidget(self.basis_combo)
        # an unusual weight (far from the last, outside the usual range, a second weighing
        # minutes after another) is refused with the reason; this records it anyway
        self.weight_confirm_button = ActionButton(self.tr("Confirm this weight"),
                                                  shortcut="Alt+W")
        self.weight_confirm_button.setToolTip(self.tr(
            "Record the weight typed although it is unusual, as the message says"))
        self.weight_confirm_button.clicked.connect(lambda: self.save_weight(confirm=True))
        self.weight_confirm_button.hide()
        self.weight_edit.textEdited.connect(lambda _text: self.weight_confirm_button.hide())
        self.basis_combo.activated.connect(lambda _index: self.weight_confirm_button.hide())
        weight_row.addWidget(self.weight_confirm_button)
        weight_layout = QVBoxLayout(self.weight_box)
        weight_layout.addWidget(self.weight_label)
        weight_layout.addWidget(self.weight_warning)
        weight_layout.addLayout(weight_row)

        # pre-dose blood pressure
        self.bp_banner, self.bp_text = alert_banner("predose_bp_banner")
        self.ack_prompt = QLabel()
        self.ack_prompt.setWordWrap(True)
        self.physician = CredentialsRow(self.tr("physician"), "acknowledging_physician")
        self._own_acknowledgment = False  # the signed-in physician's name is filled in
        self.physician.submitted.connect(self.acknowledge_bp)
        self.acknowledge_button = ActionButton(self.tr("Acknowledge"), shortcut="Alt+K")
        self.acknowledge_button.clicked.connect(self.acknowledge_bp)
        self.acknowledge_button.owner_fields.append(self.physician.password_edit)
        self._ack_row = ack_row = QHBoxLayout()
        ack_row.addWidget(self.ack_prompt)
        ack_row.addWidget(self.physician, 1)
        ack_row.addWidget(self.acknowledge_button)
        banner_layout = QVBoxLayout(self.bp_banner)
        banner_layout.addWidget(self.bp_text)
        banner_layout.addLayout(ack_row)
        self.bp_banner.hide()
        self.bp_ok_label = QLabel()
        self.bp_ok_label.hide()

        # cancel
        self.cancel_box = QGroupBox(self.tr("Cancel the session"))
        self.cancel_reason = QLineEdit()
        self.cancel_reason.setObjectName("cancel_reason")
        self.cancel_reason.setPlaceholderText(self.tr("reason (required)"))
        self.cancel_button = ActionButton(self.tr("Cancel session"))
        self.cancel_button.setToolTip(self.tr("Cancel with the reason typed (Enter in the "
                                              "reason does the same)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.bind_enter(self.cancel_reason)
        cancel_row = QHBoxLayout(self.cancel_box)
        cancel_row.addWidget(self.cancel_reason, 1)
        cancel_row.addWidget(self.cancel_button)

        layout = QVBoxLayout()
        layout.addLayout(top)
        layout.addWidget(self.check_in_hint)
        layout.addWidget(self.bp_banner)
        layout.addWidget(self.bp_ok_label)
        layout.addWidget(self.checklist_box)
        layout.addWidget(self.weight_box)
        layout.addWidget(self.message)
        layout.addWidget(self.measures)
        layout.addWidget(self.cancel_box)
        layout.addStretch(1)
        self.set_content(layout)
        self.follow_session()

    # --- showing --------------------------------------------------------------------

    def _time(self, at: datetime) -> str:
        return clock_text(at, self.controller.ctx.tz)

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored; a half-typed escort name is kept."""
        detail = view.detail
        self.measures.show_view(view)
        can_check_in = view.can("check_in")
        self.check_in_button.setEnabled(can_check_in)
        self.check_in_button.setToolTip(view.why_not("check_in"))
        self.check_in_button.setVisible(detail.state == SessionState.SCHEDULED)
        if detail.checked_in_at_utc is not None:
            self.status_label.setText(f"{OK_MARK} " + self.tr("Checked in at %1").replace(
                "%1", self._time(detail.checked_in_at_utc)))
        else:
            self.status_label.setText(self.tr("Not checked in"))
        waiting = detail.state == SessionState.SCHEDULED
        hint = view.why_not("check_in") if waiting and not can_check_in else ""
        self.check_in_hint.setText(hint)
        self.check_in_hint.setVisible(bool(hint))

        # checklist: open from check-in until the dose starts
        closed = view.entry_refusal
        if closed is None and detail.dose_started_at_utc is not None:
            closed = self.tr("The dose has started; the pre-infusion checklist is closed.")
        for item, box in self.checks.items():
            box.setChecked(bool(getattr(detail, item)))
            box.setEnabled(closed is None)
        missing = [self.checks[i].text() for i in CHECKLIST if not getattr(detail, i)]
        if not (detail.escort_name or "").strip():
            missing.append(self.tr("Escort named"))
        if closed and detail.state in BEFORE_DOSE:
            self.checklist_hint.setText(closed)
        elif missing and detail.state in BEFORE_DOSE:
            self.checklist_hint.setText(f"{ALERT_MARK} " + self.tr("Still to do: %1").replace(
                "%1", "; ".join(missing)))
        elif detail.state in BEFORE_DOSE:
            self.checklist_hint.setText(f"{OK_MARK} " + self.tr("Checklist complete"))
        else:
            self.checklist_hint.setText("")
        stored = detail.escort_name or ""
        if self.escort_edit.text() == self._escort_shown or not self.escort_edit.hasFocus():
            self.escort_edit.setText(stored)
        self._escort_shown = stored
        self.escort_edit.setEnabled(view.entry_refusal is None)

        self._show_weight(view)
        self._show_bp(view)

        cancellable = "cancel" in view.blocked
        self.cancel_box.setVisible(cancellable)

    def next_field(self, view: SessionView) -> QWidget | None:
        """Where the keyboard goes when the panel is brought forward (Alt+1): a field."""
        if view.entry_refusal is not None or view.detail.state not in BEFORE_DOSE:
            return None
        for item in CHECKLIST:
            if not getattr(view.detail, item):
                return self.checks[item]
        if not (view.detail.escort_name or "").strip():
            return self.escort_edit
        if not self.bp_banner.isHidden() and not self.physician.isHidden():
            return self.physician.password_edit if self._own_acknowledgment else self.physician
        return self.weight_edit

    def _show_weight(self, view: SessionView) -> None:
        weight = view.weight
        if weight is None:
            self.weight_label.setText(self.tr("No weight recorded."))
            self.weight_warning.setText(
                f"{ALERT_MARK} " + self.tr("Weigh the patient before the dose is calculated."))
        else:
            self.weight_label.setText(
                self.tr("Last weight: %1 kg (%2 body weight), weighed on %3")
                .replace("%1", f"{weight.weight_kg.normalize():f}")
                .replace("%2", weight.basis).replace("%3", weight.measured_on.isoformat()))
            self.weight_warning.setText(f"{ALERT_MARK} {weight.age_warning}"
                                        if weight.age_warning else "")
        self.weight_warning.setVisible(bool(self.weight_warning.text()))
        open_for_dose = view.detail.dose_started_at_utc is None and view.detail.state in BEFORE_DOSE
        self.weight_edit.setEnabled(open_for_dose)
        self.basis_combo.setEnabled(open_for_dose)

    def _show_bp(self, view: SessionView) -> None:
        detail = view.detail
        reading = baseline_reading(view)
        high = (reading is not None and PREDOSE_ALERT in reading.alert_codes
                and detail.state in BEFORE_DOSE)
        acknowledged = detail.predose_bp_ack_at_utc is not None
        waiting = high and not acknowledged
        self.bp_banner.setVisible(waiting)
        if not waiting:
            self.physician.clear()
        self._show_acknowledger()
        if waiting and reading is not None:
            self.bp_text.setText(
                f"{ALERT_MARK} "
                + self.tr("Pre-dose BP above threshold: physician acknowledgment needed "
                          "before starting")
                + f" ({reading.systolic_mmhg}/{reading.diastolic_mmhg} mmHg, "
                + self._time(reading.taken_at_utc) + ")")
        self.bp_ok_label.setVisible(high and acknowledged)
        if high and detail.predose_bp_ack_at_utc is not None:
            self.bp_ok_label.setText(f"{OK_MARK} " + self.tr(
                "Pre-dose BP acknowledged by a physician at %1").replace(
                "%1", self._time(detail.predose_bp_ack_at_utc)))

    def _physician_signed_in(self) -> bool:
        return may(self.controller.ctx.actor().role, Permission.ACKNOWLEDGE_BP)

    def _show_acknowledger(self) -> None:
        """A signed-in physician types only their password; anyone else calls one over.

        Either way the physician's password is checked for this acknowledgment:
        the service takes nothing less than a proof (see services.identity).
        """
        own = self._physician_signed_in()
        if own != self._own_acknowledgment:
            self.physician.clear()  # another user signed in: never act under the last name
            self._own_acknowledgment = own
        self.physician.username_edit.setHidden(own)
        if own:
            actor = self.controller.ctx.actor()
            self.ack_prompt.setText(self.tr("Acknowledging as %1; your password:").replace(
                "%1", actor.display_name))
            self.physician.username_edit.setText(actor.username)
        else:
            self.ack_prompt.setText(self.tr("Physician"))
        self.physician.show()

    # --- acting ---------------------------------------------------------------------

    def _report(self, error: str | None) -> bool:
        if error:
            self.message.show_error(error)
            return False
        self.message.clear_message()
        return True

    def check_in(self) -> bool:
        """Check the patient in; the first checklist item takes the focus."""
        sid, clock = self.controller.session_id, self.controller.ctx.clock
        outcome = self.controller.act(
            lambda db, actor: change_state(db, actor, sid, "check_in", clock=clock))
        if self._report(outcome.error):
            self.checks["identity_confirmed"].setFocus()
            return True
        return False

    def tick(self, item: str, done: bool) -> bool:
        """Commit one checklist tick at once; the focus stays on the tick."""
        sid, clock = self.controller.session_id, self.controller.ctx.clock
        outcome = self.controller.act(
            lambda db, actor: update_checklist(db, actor, sid, item, done, clock=clock))
        return self._report(outcome.error)

    def _escort_edited(self) -> None:
        if self.view is not None:
            self._escort_start.begin(self._escort_shown, self.view.detail.version)

    def save_escort(self) -> bool:
        """Commit the escort's name (on Enter or leaving the field) if it changed.

        Judged against the name shown when typing began: if another workstation
        stored a different name meanwhile, the nurse sees both and chooses.
        """
        view = self.view
        name = self.escort_edit.text().strip()
        if view is None or self._escort_start.busy:  # the choice dialog took the focus
            return False
        base, version = self._escort_start.take(self._escort_shown, view.detail.version)
        if name == str(base or "").strip() and version == view.detail.version:
            return False
        sid, clock = self.controller.session_id, self.controller.ctx.clock

        def save_on(version: int) -> Outcome[Any]:
            return self.controller.act(lambda db, actor: update_discharge_details(
                db, actor, sid, expected_version=version, escort_name=name, clock=clock),
                retry=self.save_escort)

        outcome = save_on(version)
        with self._escort_start.settling():
            settled = settle_conflict(self, outcome, base, save_on)
        if settled is not None:
            if settled is outcome:  # kept the stored name
                self.escort_edit.setText(self._escort_shown)
                self.message.show_info(self.tr("Kept the stored escort: %1").replace(
                    "%1", self._escort_shown or self.tr("(empty)")))
                return False
            outcome = settled
        if outcome.offline:
            self._escort_start.begin(base, version)  # still unsaved: judge the retry the same
        return self._report(outcome.error)

    def save_weight(self, confirm: bool = False) -> bool:
        """Record today's weight (Enter); the dose panel then offers it.

        An unusual weight is refused with the reason and both weights; then
        "Confirm this weight" records it as typed (``confirm``).
        """
        view = self.view
        if view is None:
            return False
        patient, clock = view.detail.patient_id, self.controller.ctx.clock
        value, basis = self.weight_edit.text().strip(), self.basis_combo.currentData()
        confirmable: list[bool] = []

        def act(db: Any, actor: Any) -> object:
            try:
                return record_weight(db, actor, patient, value, basis=basis,
                                     confirm_unusual=confirm, clock=clock)
            except ValidationError as refused:
                confirmable.append(any(p.field == "confirm_unusual" for p in refused.problems))
                raise

        outcome = self.controller.act(act)
        self.weight_confirm_button.setVisible(not outcome.ok and any(confirmable))
        if self._report(outcome.error):
            self.weight_edit.clear()
            return True
        self.weight_edit.selectAll()
        return False

    def acknowledge_bp(self) -> bool:
        """A physician accepts the high pre-dose BP with their password: signed in, or here."""
        sid, clock = self.controller.session_id, self.controller.ctx.clock
        missing = self.physician.missing()
        if missing:
            self.message.show_error(missing)
            return False
        credentials = self.physician.take()
        outcome = self.controller.act(lambda db, actor: acknowledge_predose_bp(
            db, actor, sid, clock=clock,
            physician=credentials.proof(db, workstation=actor.workstation,
                                        purpose=ProofPurpose.ACKNOWLEDGE_BP, clock=clock)))
        self.physician.settle(credentials, outcome.ok)
        return self._report(outcome.error)

    def cancel(self) -> bool:
        """Cancel the session with the reason typed (the rules require one)."""
        reason = self.cancel_reason.text().strip() or None
        sid, clock = self.controller.session_id, self.controller.ctx.clock
        outcome = self.controller.act(lambda db, actor: change_state(
            db, actor, sid, "cancel", reason=reason, clock=clock))
        if self._report(outcome.error):
            self.cancel_reason.clear()
            return True
        self.cancel_reason.setFocus()
        return False
