"""Recovery and discharge: Aldrete, escort, instructions, ready to leave, discharge.

Every unmet discharge rule is listed in the domain's words beside the
Discharge button, which is enabled only when there are none. Each value is
committed the moment it is accepted (escort on Enter or leaving the field,
the instructions box on ticking); the escort and instructions carry the
session's version, so a change made meanwhile on another workstation is
refused rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.scales import ALDRETE_DISCHARGE_MINIMUM, get_scale
from ketalog.domain.session_state import SessionAction
from ketalog.services.session.entries import record_scale, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.services.session_view import SessionView
from ketalog.ui.core.conflict import EditStart, settle_conflict
from ketalog.ui.core.context import DraftStore, Outcome, SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, big_font
from ketalog.ui.session.panels.scales_panel import local_hhmm, recorded_line
from ketalog.ui.widgets import ActionButton, ItemsForm, SessionPanel, hint

#: Pressing it tries to discharge even while the button is disabled, so the
#: nurse hears every reason why not.
DISCHARGE_SHORTCUT = "Ctrl+D"


class DischargePanel(SessionPanel):
    """Discharge readiness and the discharge itself for the open session.

    Attributes used by tests and the main window: ``aldrete_form``
    (ItemsForm), ``aldrete_last``, ``escort``, ``escort_status``,
    ``instructions``, ``ready_button``, ``ready_label``, ``problems_label``,
    ``discharge_button``, ``discharge_action`` (Ctrl+D),
    ``begin_recovery_button``, ``discharged_label``, ``message``,
    ``entry_message``, ``entry_area``.
    """

    DRAFT_FORM = "discharge"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        #: The escort as stored: the field differs from it while being edited.
        self._escort_stored = ""
        #: "Record another" was asked for the Aldrete of this session
        self._another_aldrete = False
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)

        self.begin_recovery_button = ActionButton(self.tr("Begin recovery"), shortcut="Alt+B")
        self.begin_recovery_button.clicked.connect(self._begin_recovery)
        self.begin_recovery_button.hide()
        entry.addWidget(self.begin_recovery_button)

        aldrete = QGroupBox(self.tr("Modified Aldrete"))
        self.aldrete_form = ItemsForm(get_scale("aldrete"), repeatable=True)
        self.aldrete_form.changed.connect(self._keep_draft)
        self.aldrete_form.submitted.connect(self._record_aldrete)
        self.aldrete_form.another_button.clicked.connect(self._aldrete_again)
        self.aldrete_last = QLabel()
        box = QVBoxLayout(aldrete)
        box.addWidget(hint(self.tr("One digit per item moves to the next; Enter records.")))
        box.addWidget(self.aldrete_form)
        box.addWidget(self.aldrete_last)
        entry.addWidget(aldrete)

        leaving = QGroupBox(self.tr("Going home"))
        self.escort = QLineEdit()
        self.escort.setPlaceholderText(self.tr("Name of the responsible adult (and relation)"))
        self.escort.editingFinished.connect(self._commit_escort)
        self.escort.returnPressed.connect(self._escort_entered)
        self.escort.textEdited.connect(lambda _t: self._keep_draft())
        self._escort_start = EditStart()
        self.escort.textEdited.connect(self._escort_edited)
        self.escort_status = QLabel()
        escort_label = QLabel(self.tr("&Escort"))
        escort_label.setBuddy(self.escort)
        self.instructions = QCheckBox(self.tr(
            "Discharge instructions given\n(no driving until the next day after sleep)"))
        self.instructions.clicked.connect(self._commit_instructions)
        self.ready_button = ActionButton(self.tr("Ready to leave (now)"), shortcut="Alt+L")
        self.ready_button.clicked.connect(self._ready_to_leave)
        self.ready_label = QLabel()
        box = QVBoxLayout(leaving)
        line = QHBoxLayout()
        line.addWidget(escort_label)
        line.addWidget(self.escort, 1)
        box.addLayout(line)
        box.addWidget(self.escort_status)
        box.addWidget(self.instructions)
        line = QHBoxLayout()
        line.addWidget(self.ready_button)
        line.addWidget(self.ready_label, 1)
        box.addLayout(line)
        entry.addWidget(leaving)

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.discharge_button = ActionButton(self.tr("Discharge"), shortcut=DISCHARGE_SHORTCUT)
        big_font(self.discharge_button, 16)
        self.discharge_button.setMinimumHeight(48)
        self.discharge_button.clicked.connect(self.discharge)
        self.discharged_label = QLabel()
        big_font(self.discharged_label, 14)
        entry.addWidget(self.problems_label)
        entry.addWidget(self.discharge_button)

        layout = QVBoxLayout()
        layout.addWidget(self.discharged_label)
        layout.addWidget(self.entry_area)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.set_content(layout)
        self.entry_area.setEnabled(False)
        self.follow_session()
        # the key pressed too early tries anyway: the nurse hears every reason why not
        self.discharge_button.refused.disconnect()
        self.discharge_button.refused.connect(lambda _reason: self.discharge())

    # -- view -------------------------------------------------------------------------

    def session_changed(self, view: SessionView) -> None:
        """Another session: its Aldrete draft and escort draft."""
        self._another_aldrete = False
        self._escort_stored = view.detail.escort_name or ""
        self._restore_draft()

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed."""
        detail = view.detail
        tz = self.ctx.tz
        stored = detail.escort_name or ""
        editing = self.escort.text() != self._escort_stored
        self._escort_stored = stored
        if not editing and self.escort.text() != stored:
            self.escort.setText(stored)
        self.escort_status.setText(
            f"{OK_MARK} " + self.tr("Escort recorded: %1").replace("%1", stored) if stored
            else f"{ALERT_MARK} " + self.tr("No escort named yet."))
        self.instructions.setChecked(detail.instructions_given)

        aldrete = [s for s in detail.live_scores if s.scale == "aldrete"]
        self.aldrete_last.setText("" if not aldrete else self.tr(
            "Last Aldrete: %1 / 10 at %2").replace("%1", str(aldrete[-1].total)).replace(
            "%2", local_hhmm(aldrete[-1].taken_at_utc, tz)))
        self._show_aldrete(view)
        self.ready_label.setText("" if detail.ready_to_leave_at_utc is None else self.tr(
            "Ready to leave at %1").replace("%1", local_hhmm(detail.ready_to_leave_at_utc, tz)))

        begin = SessionAction.BEGIN_RECOVERY.value
        self.begin_recovery_button.setVisible(begin in view.blocked)
        self.begin_recovery_button.setEnabled(view.can(begin))
        self.begin_recovery_button.setToolTip(view.why_not(begin))

        can_discharge = view.can(SessionAction.DISCHARGE)
        self.discharge_button.setEnabled(can_discharge)
        if detail.discharged_at_utc is not None:
            self.discharged_label.setText(f"{OK_MARK} " + self.tr("Discharged at %1").replace(
                "%1", local_hhmm(detail.discharged_at_utc, tz)))
            self.discharged_label.show()
            self.problems_label.hide()
            self.discharge_button.hide()
            self.aldrete_form.setEnabled(False)
            return
        self.aldrete_form.setEnabled(True)
        self.discharged_label.hide()
        self.discharge_button.show()
        self.problems_label.show()
        if can_discharge:
            self.problems_label.setText(f"{OK_MARK} " + self.tr(
                "Every discharge check is met."))
            self.discharge_button.setToolTip(self.tr("Discharge the patient now"))
            return
        lines = []
        if SessionAction.DISCHARGE.value not in view.blocked:
            lines.append(f"{ALERT_MARK} {view.why_not(SessionAction.DISCHARGE)}")
        reasons = list(view.discharge_problems)
        reasons += [r for r in view.blocked.get(SessionAction.DISCHARGE.value, ())
                    if r not in reasons]
        lines.extend(f"{ALERT_MARK} {reason}" for reason in reasons)
        text = self.tr("Not ready for discharge:") + "\n" + "\n".join(lines)
        self.problems_label.setText(text)
        self.discharge_button.setToolTip(text)

    def next_field(self, view: SessionView) -> QWidget | None:
        """Alt+6: the first Aldrete item still to score, else the escort."""
        if self.aldrete_form.showing_recorded or view.detail.discharged_at_utc is not None:
            return self.escort
        return self.aldrete_form.first_row()

    def _show_aldrete(self, view: SessionView) -> None:
        """The last Aldrete of the session as recorded, unless another is being scored."""
        form = self.aldrete_form
        latest = [s for s in view.detail.live_scores if s.scale == "aldrete"]
        typing = any(v is not None for v in form.values()) and not form.showing_recorded
        if latest and not self._another_aldrete and not typing:
            form.show_recorded(recorded_line(latest[-1], self.ctx.tz), latest[-1].item_scores)
            form.another_button.setVisible(view.detail.discharged_at_utc is None)
        elif form.showing_recorded:
            form.new_entry(focus=False)

    # -- actions ----------------------------------------------------------------------

    def discharge(self) -> None:
        """Discharge now; when refused, show the domain's reasons."""
        if self.view is not None and self.view.entry_refusal is not None:
            self.message.show_error(self.view.entry_refusal)
            return
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: change_state(
            db, actor, sid, SessionAction.DISCHARGE, clock=clock))
        if outcome.error:
            self.message.show_error(self.tr("Cannot discharge yet:") + "\n" + outcome.error)
        else:
            self.message.clear_message()

    def _begin_recovery(self) -> None:
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: change_state(
            db, actor, sid, SessionAction.BEGIN_RECOVERY, clock=clock))
        if self.report(outcome, f"{OK_MARK} " + self.tr("Recovery started.")):
            self.aldrete_form.focus_first()

    def _record_aldrete(self) -> None:
        form = self.aldrete_form
        items = form.values()
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: record_scale(
            db, actor, sid, "aldrete", items, clock=clock))
        if outcome.error:
            form.message.show_error(outcome.error)
            form.focus_first()
            return
        total = sum(v for v in items if v is not None)
        self._another_aldrete = False
        form.clear()
        form.message.clear_message()
        self._keep_draft()
        if self.view is not None:
            self._show_aldrete(self.view)
        if total < ALDRETE_DISCHARGE_MINIMUM:
            form.another_button.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._focus_next_step()

    def _aldrete_again(self) -> None:
        self._another_aldrete = True

    def _discharge_details(self, version: int | None = None,
                           retry: Callable[[], object] | None = None,
                           **changes: Any) -> Outcome[Any]:
        assert self.view is not None
        version = self.view.detail.version if version is None else version
        clock = self.ctx.clock
        return self.act(lambda db, actor, sid: update_discharge_details(
            db, actor, sid, expected_version=version, clock=clock, **changes), retry=retry)

    def _escort_edited(self) -> None:
        if self.view is not None:
            self._escort_start.begin(self._escort_stored, self.view.detail.version)

    def _commit_escort(self) -> None:
        """Store the escort's name; a name stored meanwhile elsewhere is shown beside it."""
        view = self.view
        if view is None or view.entry_refusal is not None or self._escort_start.busy:
            return
        typed = self.escort.text().strip()
        base, version = self._escort_start.take(self._escort_stored, view.detail.version)
        if typed == str(base or "").strip() and version == view.detail.version:
            return

        def save_on(version: int) -> Outcome[Any]:
            return self._discharge_details(version, retry=self._commit_escort,
                                           escort_name=typed)

        outcome = save_on(version)
        with self._escort_start.settling():
            settled = settle_conflict(self, outcome, base, save_on)
        if settled is outcome:
            self.escort.setText(self._escort_stored)
            self.message.show_info(self.tr("Kept the stored escort: %1").replace(
                "%1", self._escort_stored or self.tr("(empty)")))
            self._keep_draft()
            return
        outcome = settled or outcome
        if outcome.offline:
            self._escort_start.begin(base, version)
            self.message.show_error(outcome.error or "")
            return
        if outcome.error:
            # The reload showed the stored escort; say what was typed so it is not lost.
            self.escort.setText(self._escort_stored)
            self.message.show_error(outcome.error + "\n" + self.tr(
                "Your entry was: %1").replace("%1", typed or self.tr("(empty)")))
            self._keep_draft()
            return
        self.message.clear_message()
        self._keep_draft()

    def _escort_entered(self) -> None:
        """Enter in the escort: save it, then on to the next thing missing."""
        self._commit_escort()
        if self.view is not None and (self.view.detail.escort_name or "").strip():
            self._focus_next_step()

    def _commit_instructions(self, given: bool) -> None:
        # a tick never moves the focus: the next key goes where the nurse expects
        outcome = self._discharge_details(instructions_given=given)
        self.report(outcome)

    def _ready_to_leave(self) -> None:
        outcome = self._discharge_details(ready_to_leave_at=self.ctx.clock())
        self.report(outcome)

    def _focus_next_step(self) -> None:
        """Put the keyboard where the next discharge value goes (a field, never a button)."""
        view = self.view
        if view is None:
            return
        detail = view.detail
        if not (detail.escort_name or "").strip():
            self.escort.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not detail.instructions_given:
            self.instructions.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- drafts -----------------------------------------------------------------------

    def _keep_draft(self) -> None:
        if self.session_id is None:
            return
        values = {} if self.aldrete_form.showing_recorded else self.aldrete_form.draft()
        if self.escort.text() != self._escort_stored:
            values["escort"] = self.escort.text()
        self.drafts.put(self.session_id, self.DRAFT_FORM, values)

    def _restore_draft(self) -> None:
        assert self.session_id is not None
        draft = self.drafts.get(self.session_id, self.DRAFT_FORM)
        if self.aldrete_form.showing_recorded:
            self.aldrete_form.new_entry(focus=False)
        self.aldrete_form.clear()
        self.aldrete_form.restore(draft)
        self.aldrete_form.message.clear_message()
        self.escort.setText(draft.get("escort", self._escort_stored))
        if any(v is not None for v in self.aldrete_form.values()):
            self._another_aldrete = True  # a draft in progress is "another"
