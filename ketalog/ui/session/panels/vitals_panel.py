"""The vitals panel: the session's readings, one entry line, and what is due next.

Built for a nurse with one hand on the patient: the line is typed left to
right (time, SBP, DBP, HR, SpO2, RR, Temp, EtCO2, Pain), Enter in any field
commits the reading at once, focus goes back to SBP (or to the action note
when the reading raised an alert), and whatever was typed but not accepted
stays in the fields and in the session's draft.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.domain.clinic_time import clock_text, typed_clock_time
from ketalog.domain.errors import Problem, ValidationError
from ketalog.services.context import Actor
from ketalog.services.session.entries import SavedVital, add_vital_action_note, record_vitals
from ketalog.services.session_detail import VitalRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.alert_sound import ALERT_SOUND
from ketalog.ui.core.context import DraftStore, SessionController
from ketalog.ui.core.style import ALERT_MARK, OVERDUE_TEXT, MessageLabel, big_font
from ketalog.ui.session.panels.vitals_model import VitalsTableModel
from ketalog.ui.widgets import CorrectionSource, SessionPanel
from ketalog.ui.widgets.flow import FieldRow

#: Entry fields in tab order: the keys ``record_vitals`` takes.
VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent",
                "resp_rate_per_min", "temperature_c", "etco2_mmhg", "pain_score")
#: Draft key of the time field (beside the vital keys).
TIME_KEY = "time"
#: Draft forms kept in the DraftStore.
DRAFT_FORM = "vitals"
NOTE_FORM = "vitals_note"
#: How long "Saved 09:42" stays on screen.
SAVED_MESSAGE_MS = 6000
#: How often the due/overdue line is re-judged against the clock.
DUE_CHECK_MS = 15000
_FIELD_STYLE_PROBLEM = "QLineEdit { border: 2px solid #b00000; }"


class _TimeProblem(ValueError):
    """The typed time is not a clock time."""


class VitalsPanel(SessionPanel):
    """Grid of readings, the entry line, alert action note and the next-due line.

    Signals:
        vitals_due(int, object): the session id and the UTC time a reading
            became due, emitted once per due time while the panel shows that
            session (a non-modal reminder the window shows; the workstation's
            alert sound plays, if it has one).
    """

    vitals_due = Signal(int, object)

    def __init__(self, controller: SessionController, drafts: DraftStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        self.tz = controller.ctx.tz
        self._note_vital_id: int | None = None
        self._switched = False
        self._had_focus = False
        self._reminded: set[tuple[int, datetime]] = set()

        self.model = VitalsTableModel(self.tz, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        # reachable by mouse; Tab stays on the entry line
        self.table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.due_label = QLabel()
        self.due_label.setObjectName("vitalsDue")
        big_font(self.due_label, 18, bold=False)

        self.time_edit = QLineEdit()
        self.time_edit.setObjectName("vitals_time")
        self.time_edit.setAccessibleName(self.tr("Time taken"))
        self.time_edit.setPlaceholderText(self.tr("now"))
        self.time_edit.setToolTip(self.tr("Leave empty for now, or type the time it was "
                                          "taken, e.g. 09:42"))
        self.fields: dict[str, QLineEdit] = {}
        labels = self._field_labels()
        self._labels: dict[str, QLabel] = {}
        pairs: list[tuple[QLabel, QWidget]] = []
        for key in (TIME_KEY, *VITAL_FIELDS):
            edit = self.time_edit if key == TIME_KEY else QLineEdit()
            if key != TIME_KEY:
                edit.setObjectName(f"vitals_{key}")
                edit.setAccessibleName(labels[key][1])
                edit.setToolTip(labels[key][1])
                self.fields[key] = edit
            big_font(edit, 20)
            edit.setMaximumWidth(120 if key == TIME_KEY else 100)
            edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
            edit.returnPressed.connect(self.commit)
            edit.textEdited.connect(self._store_draft)
            label = QLabel(labels[key][0])
            label.setBuddy(edit)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._labels[key] = label
            pairs.append((label, edit))
        self.sbp = self.fields["systolic_mmhg"]
        self.dbp = self.fields["diastolic_mmhg"]
        self.hr = self.fields["heart_rate_bpm"]
        self.spo2 = self.fields["spo2_percent"]
        self.rr = self.fields["resp_rate_per_min"]
        self.temp = self.fields["temperature_c"]
        self.etco2 = self.fields["etco2_mmhg"]
        self.pain = self.fields["pain_score"]
        self.sbp.installEventFilter(self)  # "/" jumps to DBP, as nurses write 120/80

        # one row, folded in two when the column is narrow (1366x768 at 125 %)
        self.entry_line = FieldRow(pairs)
        self.message = MessageLabel()
        big_font(self.message, 13, bold=False)
        self.refusal_label = MessageLabel()
        self.refusal_label.setObjectName("vitalsEntryRefusal")
        big_font(self.refusal_label, 13, bold=False)

        # The alert box: what the alert was and the action taken (non-modal).
        self.alert_box = QFrame()
        self.alert_box.setObjectName("vitalsAlert")
        self.alert_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.alert_message = MessageLabel()
        big_font(self.alert_message, 13, bold=True)
        self.note_label = QLabel()
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("vitals_action_note")
        self.note_edit.setAccessibleName(self.tr("Action taken for the alert"))
        self.note_edit.setPlaceholderText(
            self.tr("Action taken, e.g. infusion paused, physician notified (Enter saves)"))
        big_font(self.note_edit, 15, bold=False)
        self.note_edit.returnPressed.connect(self.save_action_note)
        self.note_edit.textEdited.connect(self._store_note_draft)
        self.note_label.setBuddy(self.note_edit)
        self.note_edit.installEventFilter(self)  # Esc: leave the note for later, back to SBP
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_label)
        note_row.addWidget(self.note_edit, 1)
        box_layout = QVBoxLayout(self.alert_box)
        box_layout.addWidget(self.alert_message)
        box_layout.addLayout(note_row)
        self.alert_box.hide()

        # a reading entered in error: marked with a reason, struck through, never deleted
        self.correction = self.correction_action(
            [CorrectionSource(self.table, self._describe, self._mark_reading,
                              newest_first=False)], shortcut="Alt+X")

        # the action and its message share the due line: this panel never scrolls, and at
        # 125 % scaling a row of its own would squeeze the entry fields below their text
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.due_label, 1)
        top.addWidget(self.correction.message)
        top.addWidget(self.correction.button)
        layout = QVBoxLayout()
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.correction)  # its reason line, shown while marking
        layout.addWidget(self.entry_line)
        layout.addWidget(self.refusal_label)
        layout.addWidget(self.message)
        layout.addWidget(self.alert_box)
        self.set_content(layout, scrolling=False)
        chain = [self.time_edit, *self.fields.values(), self.note_edit]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

        self._saved_timer = QTimer(self)
        self._saved_timer.setSingleShot(True)
        self._saved_timer.timeout.connect(self._clear_saved_message)
        self._due_timer = QTimer(self)
        self._due_timer.setInterval(DUE_CHECK_MS)
        self._due_timer.timeout.connect(self.refresh_due)
        self._due_timer.start()

        self._set_entry_refusal(self.tr("No session is open."))
        self.follow_session()

    # --- public -------------------------------------------------------------------------

    def session_changed(self, view: SessionView) -> None:
        """Another session: its draft, no marks or messages of the last one."""
        focused = QApplication.focusWidget()
        self._had_focus = focused is not None and self.isAncestorOf(focused)
        self._switched = True
        self._restore_draft()
        self._clear_problem_marks()
        self._saved_timer.stop()

    def show_entry_refusal(self, refusal: str | None) -> None:
        """The entry line closes with the reason in its own words."""
        self._set_entry_refusal(refusal)
        self.show_correction_refusal(refusal)

    def show_view(self, view: SessionView) -> None:
        """Show the session as loaded; the newest reading scrolled into view."""
        switching, self._switched = self._switched, False
        self.model.set_rows(view.detail.vitals)
        # after the alert box has shown or hidden and the table has its new height
        QTimer.singleShot(0, self.table, self.table.scrollToBottom)
        self._update_note_box(restore=switching or self._note_vital_id is None)
        self.refresh_due()
        if switching and self._had_focus:
            self.focus_entry()

    def next_field(self, view: SessionView) -> QWidget | None:
        """The entry line's first field (or the pending action note)."""
        return None

    def focus_entry(self) -> None:
        """Put the cursor where the next value goes: a pending action note, else SBP."""
        if self.alert_box.isVisible() and self.note_edit.isEnabled() and not any(
                f.text().strip() for f in self.fields.values()):
            self.note_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.sbp.setFocus(Qt.FocusReason.OtherFocusReason)

    def entry_values(self) -> dict[str, str]:
        """What is typed in the entry line, by draft key (time and the vital keys)."""
        values = {TIME_KEY: self.time_edit.text()}
        values.update({key: edit.text() for key, edit in self.fields.items()})
        return values

    def commit(self) -> bool:
        """Record the typed reading now; True when it was stored.

        On a refusal nothing is stored, the typed text stays, the domain's
        message is shown and the cursor goes to the field it is about.
        """
        view, sid = self.view, self.session_id
        if view is None or sid is None or view.entry_refusal is not None:
            return False
        self._clear_problem_marks()
        self._saved_timer.stop()
        try:
            taken_at = self._parse_time(self.time_edit.text())
        except _TimeProblem as problem:
            self._show_problems(str(problem), [Problem(TIME_KEY, str(problem))])
            return False
        values = {key: edit.text().strip() for key, edit in self.fields.items()}
        clock = self.controller.ctx.clock
        problems: list[Problem] = []

        def action(db: Session, actor: Actor) -> SavedVital:
            try:
                return record_vitals(db, actor, sid, values, taken_at=taken_at, clock=clock)
            except ValidationError as exc:
                problems.extend(exc.problems)
                raise

        attempted_at = taken_at or clock()
        outcome = self.controller.act(action, retry=self.commit)
        if outcome.offline and not self.time_edit.text().strip():
            # saved later, the reading keeps the time it was taken, not the time it reached us
            self.time_edit.setText(attempted_at.astimezone(self.tz).strftime("%H:%M"))
        if outcome.already_saved:
            self._forget_typed(sid)
            self.message.show_info(self.tr("Saved (it had reached the database before the "
                                           "connection dropped)."))
            return True
        if not outcome.ok or outcome.value is None:
            self._show_problems(outcome.error or "", problems)
            return False
        saved = outcome.value
        self.model.remember_alert_messages(saved.vital_id, saved.alert_messages)
        self._forget_typed(sid)
        shown = self._row(saved.vital_id)
        at = shown.taken_at_utc if shown is not None else (taken_at or clock())
        self.message.show_info(
            self.tr("Saved %1").replace("%1", clock_text(at, self.tz)))
        if saved.alerts:
            self._note_vital_id = None  # show the new reading's alert, not an older one
            self._update_note_box(restore=True)
            self.note_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._saved_timer.start(SAVED_MESSAGE_MS)
            self.sbp.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _forget_typed(self, session_id: int) -> None:
        self.drafts.clear(session_id, DRAFT_FORM)
        self.time_edit.clear()
        for edit in self.fields.values():
            edit.clear()

    def save_action_note(self) -> bool:
        """Store the action note for the alert reading shown; True when stored."""
        sid, vital_id = self.session_id, self._note_vital_id
        if sid is None or vital_id is None or not self.note_edit.isEnabled():
            return False
        row = self._row(vital_id)
        if row is None:
            return False
        note = self.note_edit.text()
        version = row.version
        clock = self.controller.ctx.clock
        outcome = self.controller.act(
            lambda db, actor: add_vital_action_note(db, actor, vital_id, note,
                                                    expected_version=version, clock=clock),
            retry=self.save_action_note)
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            self.note_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        self.drafts.clear(sid, NOTE_FORM)
        self.note_edit.clear()
        self._note_vital_id = None
        self._update_note_box(restore=True)
        self.message.show_info(self.tr("Action noted for the %1 reading")
                               .replace("%1", self.model.local_time(row)))
        self._saved_timer.start(SAVED_MESSAGE_MS)
        self.focus_entry()
        return True

    def refresh_due(self) -> None:
        """Re-judge the next-due line against the clock; remind once when a reading is due."""
        view = self.view
        if view is None:
            self.due_label.setText("")
            return
        due = view.next_vitals_due_at_utc
        now = max(view.now, self.controller.ctx.clock())
        overdue = False
        if due is None:
            text = self.tr("No vitals scheduled now")
        elif view.detail.dose_started_at_utc is None:
            # before the dose only a missing baseline is due, and it is due "now"
            text = self.tr("Baseline vitals due now")
        elif due < now:
            overdue = True
            text = self.tr("%1 Vitals OVERDUE since %2").replace("%1", ALERT_MARK).replace(
                "%2", clock_text(due, self.tz))
        else:
            text = self.tr("Next vitals due %1").replace(
                "%1", clock_text(due, self.tz))
        self.due_label.setText(text)
        font = self.due_label.font()
        font.setBold(overdue)
        self.due_label.setFont(font)
        self.due_label.setStyleSheet(f"color: {OVERDUE_TEXT.name()};" if overdue else "")
        self.due_label.setProperty("overdue", overdue)
        if (due is not None and view.detail.dose_started_at_utc is not None and due <= now
                and (view.detail.id, due) not in self._reminded):
            self._reminded.add((view.detail.id, due))
            ALERT_SOUND.play(("vitals", view.detail.id, due))  # the workstation's sound, if on
            self.vitals_due.emit(view.detail.id, due)

    # --- Qt -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """"/" in SBP moves to DBP ("120/80" typed as written); Esc in the note goes to SBP."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.sbp and event.text() == "/":
                self.dbp.setFocus(Qt.FocusReason.TabFocusReason)
                self.dbp.selectAll()
                return True
            if watched is self.note_edit and event.key() == Qt.Key.Key_Escape:
                self.sbp.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return super().eventFilter(watched, event)

    # --- helpers ------------------------------------------------------------------------

    def _field_labels(self) -> dict[str, tuple[str, str]]:
        """Short label and spelled-out name of each entry field."""
        return {
            TIME_KEY: (self.tr("Time"), self.tr("Time taken")),
            "systolic_mmhg": (self.tr("SBP"), self.tr("Systolic blood pressure (mmHg)")),
            "diastolic_mmhg": (self.tr("DBP"), self.tr("Diastolic blood pressure (mmHg)")),
            "heart_rate_bpm": (self.tr("HR"), self.tr("Heart rate (bpm)")),
            "spo2_percent": (self.tr("SpO2 %"), self.tr("Oxygen saturation (%)")),
            "resp_rate_per_min": (self.tr("RR"), self.tr("Respiratory rate (breaths/min)")),
            "temperature_c": (self.tr("Temp °C"), self.tr("Temperature (°C), optional")),
            "etco2_mmhg": (self.tr("EtCO2"), self.tr("End-tidal CO2 (mmHg), optional")),
            "pain_score": (self.tr("Pain"), self.tr("Pain score 0-10, optional")),
        }

    def _widget_for(self, problem_field: str) -> QLineEdit | None:
        if problem_field in self.fields:
            return self.fields[problem_field]
        if problem_field in (TIME_KEY, "reading time"):
            return self.time_edit
        if problem_field == "reading":
            return self.sbp
        return None

    def _show_problems(self, text: str, problems: list[Problem]) -> None:
        """Show the refusal, mark the fields it is about, focus the first of them."""
        self.message.show_error(text)
        order = [self.time_edit, *self.fields.values()]
        marked: list[QLineEdit] = []
        for problem in problems:
            widget = self._widget_for(problem.field)
            if widget is None:
                continue
            if widget not in marked:
                marked.append(widget)
                widget.setStyleSheet(_FIELD_STYLE_PROBLEM)
                widget.setToolTip(problem.message)
                widget.setProperty("problem", True)
            else:
                widget.setToolTip(widget.toolTip() + "\n" + problem.message)
        for key, label in self._labels.items():
            edit = self.time_edit if key == TIME_KEY else self.fields[key]
            if edit in marked:
                label.setText(f"{ALERT_MARK} {self._field_labels()[key][0]}")
        if marked:
            first = min(marked, key=order.index)
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            first.selectAll()

    def _clear_problem_marks(self) -> None:
        names = self._field_labels()
        for key, label in self._labels.items():
            edit = self.time_edit if key == TIME_KEY else self.fields[key]
            if edit.property("problem"):
                edit.setStyleSheet("")
                edit.setProperty("problem", False)
            label.setText(names[key][0])
        self._apply_tooltips()

    def _apply_tooltips(self) -> None:
        refusal = self.view.entry_refusal if self.view is not None else None
        names = self._field_labels()
        for key, (_, long_name) in names.items():
            edit = self.time_edit if key == TIME_KEY else self.fields[key]
            if refusal:
                edit.setToolTip(refusal)
            elif key == TIME_KEY:
                edit.setToolTip(self.tr("Leave empty for now, or type the time it was "
                                        "taken, e.g. 09:42"))
            elif not edit.property("problem"):
                edit.setToolTip(long_name)
        self.note_edit.setToolTip(refusal or "")

    def _set_entry_refusal(self, refusal: str | None) -> None:
        enabled = refusal is None
        self.entry_line.setEnabled(enabled)
        self.note_edit.setEnabled(enabled)
        self.entry_line.setToolTip(refusal or "")
        if refusal:
            self.refusal_label.show_info(
                self.tr("%1 Vitals cannot be entered: %2").replace("%1", ALERT_MARK)
                .replace("%2", refusal))
        else:
            self.refusal_label.clear_message()
        self._apply_tooltips()

    def _restore_draft(self) -> None:
        sid = self.session_id
        draft = self.drafts.get(sid, DRAFT_FORM) if sid is not None else {}
        self.time_edit.setText(draft.get(TIME_KEY, ""))
        for key, edit in self.fields.items():
            edit.setText(draft.get(key, ""))

    def _store_draft(self, _text: str = "") -> None:
        if self.session_id is not None:
            self.drafts.put(self.session_id, DRAFT_FORM, self.entry_values())

    def _store_note_draft(self, text: str) -> None:
        sid, vital_id = self.session_id, self._note_vital_id
        if sid is None or vital_id is None:
            return
        if text.strip():
            self.drafts.put(sid, NOTE_FORM, {"vital_id": str(vital_id), "note": text})
        else:
            self.drafts.clear(sid, NOTE_FORM)

    def _describe(self, row: VitalRow) -> str:
        """How the reason line names a reading: "the reading at 09:14 (182/95, HR 88)"."""
        parts = []
        if row.systolic_mmhg is not None or row.diastolic_mmhg is not None:
            parts.append(f"{row.systolic_mmhg or '-'}/{row.diastolic_mmhg or '-'}")
        if row.heart_rate_bpm is not None:
            parts.append(self.tr("HR %1").replace("%1", str(row.heart_rate_bpm)))
        shown = ", ".join(parts)
        return (self.tr("the reading at %1").replace("%1", self.model.local_time(row))
                + (f" ({shown})" if shown else ""))

    def _mark_reading(self, vital_id: int, reason: str) -> str | None:
        return self.mark_entry("vital_signs", vital_id, reason)

    def _row(self, vital_id: int) -> VitalRow | None:
        if self.view is None:
            return None
        return next((v for v in self.view.detail.vitals if v.id == vital_id), None)

    def _pending_alert(self) -> VitalRow | None:
        """The latest live reading with an alert and no action note yet."""
        if self.view is None:
            return None
        pending = [v for v in self.view.detail.vitals
                   if v.alert_codes and not v.voided and not (v.action_note or "").strip()]
        return pending[-1] if pending else None

    def _update_note_box(self, *, restore: bool) -> None:
        """Show the action-note line for the latest alert reading that has none."""
        row = self._pending_alert()
        if row is None:
            self._note_vital_id = None
            if self.note_edit.hasFocus():
                self.sbp.setFocus(Qt.FocusReason.OtherFocusReason)
            self.alert_box.hide()
            return
        if row.id != self._note_vital_id:
            restore = True
        self._note_vital_id = row.id
        when = self.model.local_time(row)
        self.alert_message.show_error(
            self.tr("Alert at %1: %2").replace("%1", when)
            .replace("%2", " ".join(self.model.alert_messages(row))))
        self.note_label.setText(self.tr("Action taken (%1):").replace("%1", when))
        if restore and self.session_id is not None:
            draft = self.drafts.get(self.session_id, NOTE_FORM)
            self.note_edit.setText(draft.get("note", "") if draft.get("vital_id") == str(row.id)
                                   else "")
        self.alert_box.show()

    def _clear_saved_message(self) -> None:
        if self.message.text().startswith(ALERT_MARK):
            return  # a refusal replaced the confirmation; it stays until dealt with
        self.message.clear_message()

    def _parse_time(self, text: str) -> datetime | None:
        """The typed clock time (clinic time, today) in UTC; None when left empty (now).

        :func:`~ketalog.domain.clinic_time.typed_clock_time` reads it: a time more
        than 12 hours ahead is yesterday's, and on the night the clocks go back a
        repeated time is the one passed (or "01:30 EST" says which). Anything else
        in the future is left to the service, which refuses it with its own words.
        """
        if not text.strip():
            return None
        try:
            return typed_clock_time(text, self.controller.ctx.clock(), self.tz, field=TIME_KEY)
        except ValidationError as problem:
            raise _TimeProblem(str(problem)) from None
