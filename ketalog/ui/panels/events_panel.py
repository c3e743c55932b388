"""Event flags, interventions and adverse events at the chair.

Flags (sedation, dissociation, respiratory depression) open with one click
at the current time and close with "Resolved"; every open flag or adverse
event stays on screen with its own Resolved button until it is closed,
because discharge waits for them. Interventions come from the formulary
(usual dose, unit and route filled in) or as free text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.interventions import (
    ADVERSE_EVENT_KINDS,
    FORMULARY,
    ROUTES,
    SEVERITIES,
    record_adverse_event,
    record_intervention,
    resolve_adverse_event,
)
from ketalog.services.session_detail import AdverseEventRow, EventRow, InterventionRow
from ketalog.services.session_view import SessionView
from ketalog.services.sessions import EVENT_FLAG_KINDS, flag_event, resolve_event
from ketalog.ui.context import DraftStore, Outcome, SessionController
from ketalog.ui.panels.scales_panel import (
    EnterButton,
    RowsTableModel,
    local_hhmm,
    make_table,
    panel_layout,
)
from ketalog.ui.style import ALERT_MARK, OK_MARK, MessageLabel, big_font

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_TIME = re.compile(r"(\d{1,2})[:.h]?(\d{2})")
UNITS = ("mg", "mcg", "mL", "g", "units", "L/min")


def flag_name(kind: str) -> str:
    """A flag kind as words ("respiratory_depression" -> "Respiratory depression")."""
    return kind.replace("_", " ").capitalize()


def parse_clock_time(text: str, now_utc: datetime, tz: ZoneInfo) -> datetime | None:
    """A typed wall-clock time ("14:05", "1405") on today's clinic date, in UTC.

    Empty text means "now" (None: the service takes its own clock). A time
    later than now is passed on as typed, so the service refuses it with its
    message rather than the screen guessing it meant yesterday.

    Raises:
        ValueError: the text is not a 24-hour time.
    """
    text = text.strip()
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(text)
    day = now_utc.astimezone(tz).date()
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


class OpenItemsList(QWidget):
    """What is still open (flags, adverse events), each with its own Resolved button."""

    #: The id of the item to close now.
    resolve = Signal(int)

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._shown: tuple[tuple[int, str], ...] | None = None
        self._empty_text = empty_text
        self.buttons: dict[int, EnterButton] = {}
        self.set_items(())

    def set_items(self, items: Sequence[tuple[int, str]]) -> None:
        """Show ``(id, text)`` pairs; rebuilt only when they changed."""
        wanted = tuple(items)
        if wanted == self._shown:
            return
        self._shown = wanted
        while self._layout.count():
            child = self._layout.takeAt(0)
            widget = child.widget() if child is not None else None
            if widget is not None:
                widget.deleteLater()
        self.buttons = {}
        if not wanted:
            self._layout.addWidget(QLabel(f"{OK_MARK} {self._empty_text}"))
            return
        for item_id, text in wanted:
            line = QWidget()
            row = QHBoxLayout(line)
            row.setContentsMargins(0, 0, 0, 0)
            label = QLabel(f"{ALERT_MARK} {text}")
            label.setWordWrap(True)
            big_font(label, 12)
            button = EnterButton(self.tr("Resolved"))
            button.setToolTip(self.tr("Record that this resolved now"))
            button.clicked.connect(lambda _c=False, i=item_id: self.resolve.emit(i))
            row.addWidget(label, 1)
            row.addWidget(button)
            self.buttons[item_id] = button
            self._layout.addWidget(line)


class FlagsTableModel(RowsTableModel):
    """Every event flag: event, onset, resolution, note."""

    EVENT, ONSET, RESOLVED, NOTE = range(4)

    def headers(self) -> tuple[str, ...]:
        """Column titles."""
        return (self.tr("Event"), self.tr("Onset"), self.tr("Resolved"), self.tr("Note"))

    def cell(self, row: EventRow, column: int) -> str:
        """Display text of one cell."""
        if column == self.EVENT:
            return flag_name(row.kind)
        if column == self.ONSET:
            return local_hhmm(row.at_utc, self._tz)
        if column == self.RESOLVED:
            if row.until_utc is None:
                return f"{ALERT_MARK} " + self.tr("open")
            return f"{OK_MARK} {local_hhmm(row.until_utc, self._tz)}"
        if column == self.NOTE:
            return row.detail
        return ""


def _amount(dose: Decimal | None, unit: str | None) -> str:
    if dose is None:
        return ""
    return f"{dose.normalize():f} {unit or ''}".strip()


class InterventionsTableModel(RowsTableModel):
    """Drugs and actions given: time, drug, dose, route, who, indication, outcome."""

    TIME, DRUG, DOSE, ROUTE, GIVEN_BY, INDICATION, OUTCOME = range(7)

    def headers(self) -> tuple[str, ...]:
        """Column titles."""
        return (self.tr("Time"), self.tr("Drug / action"), self.tr("Dose"), self.tr("Route"),
                self.tr("Given by"), self.tr("Indication"), self.tr("Outcome"))

    def cell(self, row: InterventionRow, column: int) -> str:
        """Display text of one cell."""
        values = {
            self.TIME: local_hhmm(row.given_at_utc, self._tz),
            self.DRUG: row.drug,
            self.DOSE: _amount(row.dose, row.dose_unit),
            self.ROUTE: row.route or "",
            self.GIVEN_BY: row.given_by_name,
            self.INDICATION: row.indication or "",
            self.OUTCOME: row.outcome or "",
        }
        return values.get(column, "")


class AdverseEventsTableModel(RowsTableModel):
    """Adverse events: onset, event, severity, resolution, description, action."""

    ONSET, KIND, SEVERITY, RESOLVED, DESCRIPTION, ACTION = range(6)

    def headers(self) -> tuple[str, ...]:
        """Column titles."""
        return (self.tr("Onset"), self.tr("Event"), self.tr("Severity"), self.tr("Resolved"),
                self.tr("Description"), self.tr("Action taken"))

    def cell(self, row: AdverseEventRow, column: int) -> str:
        """Display text of one cell."""
        if column == self.RESOLVED:
            if row.resolved_at_utc is None:
                return f"{ALERT_MARK} " + self.tr("open")
            return f"{OK_MARK} {local_hhmm(row.resolved_at_utc, self._tz)}"
        values = {
            self.ONSET: local_hhmm(row.onset_at_utc, self._tz),
            self.KIND: row.kind,
            self.SEVERITY: row.severity,
            self.DESCRIPTION: row.description or "",
            self.ACTION: row.action_taken or "",
        }
        return values.get(column, "")


class _EnterRecords(QObject):
    """Enter in a form's field records the form (the drug field moves on instead)."""

    def __init__(self, record: Callable[[], None], exceptions: dict[QObject, QWidget],
                 parent: QObject) -> None:
        super().__init__(parent)
        self._record = record
        self._exceptions = exceptions

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in _ENTER_KEYS):
            popup = obj.parent() if isinstance(obj, QLineEdit) else obj
            if isinstance(popup, QComboBox) and popup.view().isVisible():
                return False
            target = self._exceptions.get(obj)
            if target is not None:
                target.setFocus(Qt.FocusReason.TabFocusReason)
                if isinstance(target, QLineEdit):
                    target.selectAll()
            else:
                self._record()
            return True
        return False


class EventsPanel(QWidget):
    """Event flags, interventions and adverse events of the open session.

    Attributes used by tests and the main window: ``flag_buttons`` (kind ->
    button), ``flag_note``, ``open_flags`` / ``open_adverse`` (OpenItemsList),
    the intervention fields ``drug``, ``dose``, ``unit``, ``route``,
    ``given_at``, ``given_by``, ``indication``, ``outcome``,
    ``record_intervention_button``; the adverse event fields ``ae_kind``,
    ``ae_severity``, ``ae_onset``, ``ae_description``, ``ae_action``,
    ``record_adverse_button``; models ``flags_model``, ``interventions_model``,
    ``adverse_model``; messages ``flag_message``, ``intervention_message``,
    ``adverse_message``, ``entry_message``; ``entry_area``.
    """

    DRAFT_FLAG = "events.flag"
    DRAFT_INTERVENTION = "events.intervention"
    DRAFT_ADVERSE = "events.adverse"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._drafts = drafts if drafts is not None else DraftStore()
        self._view: SessionView | None = None
        self._session_id: int | None = None
        self._restoring = False
        tz = controller.ctx.tz

        self.entry_message = MessageLabel()
        self.entry_area = QWidget()
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)

        # -- flags
        flags = QGroupBox(self.tr("Event flags (onset now)"))
        self.flag_buttons: dict[str, EnterButton] = {}
        buttons = QGridLayout()
        for number, kind in enumerate(EVENT_FLAG_KINDS):
            button = EnterButton(self.tr("Flag %1").replace("%1", flag_name(kind).lower()))
            big_font(button, 11)
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _c=False, k=kind: self._flag(k))
            self.flag_buttons[kind] = button
            buttons.addWidget(button, number // 2, number % 2)
        self.flag_note = QLineEdit()
        self.flag_note.setPlaceholderText(self.tr("Note for the flag (optional)"))
        self.flag_note.textChanged.connect(self._keep_drafts)
        self.flag_message = MessageLabel()
        box = QVBoxLayout(flags)
        box.addLayout(buttons)
        box.addWidget(self.flag_note)
        box.addWidget(self.flag_message)
        entry.addWidget(flags)

        # -- interventions
        given = QGroupBox(self.tr("Intervention given"))
        self.drug = QComboBox()
        self.drug.setEditable(True)
        self.drug.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.drug.addItem("")
        for name, dose, unit, route in FORMULARY:
            self.drug.addItem(name, (dose, unit, route))
            self.drug.setItemData(self.drug.count() - 1, f"{name} {dose} {unit} {route}",
                                  Qt.ItemDataRole.ToolTipRole)
        line_edit = self.drug.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText(self.tr("formulary drug or free text"))
        self.drug.currentTextChanged.connect(self._drug_typed)
        self.dose = QLineEdit()
        self.unit = QComboBox()
        self.unit.setEditable(True)
        self.unit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.unit.addItems(["", *UNITS])
        self.route = QComboBox()
        self.route.addItems(["", *ROUTES])
        self.given_at = QLineEdit()
        self.given_at.setPlaceholderText(self.tr("now (or HH:MM)"))
        self.given_by = QLineEdit()
        self.indication = QLineEdit()
        self.outcome = QLineEdit()
        self.record_intervention_button = EnterButton(self.tr("Record intervention"))
        self.record_intervention_button.clicked.connect(self._record_intervention)
        self.intervention_message = MessageLabel()
        form = QFormLayout(given)
        form.addRow(self.tr("&Drug / action"), self.drug)
        dose_line = QHBoxLayout()
        dose_line.addWidget(self.dose)
        dose_line.addWidget(self.unit)
        dose_line.addWidget(QLabel(self.tr("Route")))
        dose_line.addWidget(self.route)
        form.addRow(self.tr("Dose"), dose_line)
        form.addRow(self.tr("Time given"), self.given_at)
        form.addRow(self.tr("Given by"), self.given_by)
        form.addRow(self.tr("Indication"), self.indication)
        form.addRow(self.tr("Outcome"), self.outcome)
        form.addRow(self.record_intervention_button)
        form.addRow(self.intervention_message)
        entry.addWidget(given)
        unit_edit = self.unit.lineEdit()
        assert unit_edit is not None
        self._intervention_fields: list[QWidget] = [
            line_edit, self.dose, unit_edit, self.route, self.given_at, self.given_by,
            self.indication, self.outcome]
        enter = _EnterRecords(self._record_intervention, {line_edit: self.dose}, self)
        for widget in self._intervention_fields:
            widget.installEventFilter(enter)
        for edit in (line_edit, self.dose, unit_edit, self.given_at, self.given_by,
                     self.indication, self.outcome):
            assert isinstance(edit, QLineEdit)
            edit.textChanged.connect(self._keep_drafts)
        self.route.currentIndexChanged.connect(self._keep_drafts)

        # -- adverse events
        adverse = QGroupBox(self.tr("Adverse event"))
        self.ae_kind = QComboBox()
        self.ae_kind.addItem(self.tr("(choose the event)"), "")
        for kind in ADVERSE_EVENT_KINDS:
            self.ae_kind.addItem(kind, kind)
        self.ae_severity = QComboBox()
        for severity in SEVERITIES:
            self.ae_severity.addItem(severity, severity)
        self.ae_onset = QLineEdit()
        self.ae_onset.setPlaceholderText(self.tr("now (or HH:MM)"))
        self.ae_description = QLineEdit()
        self.ae_action = QLineEdit()
        self.record_adverse_button = EnterButton(self.tr("Record adverse event"))
        self.record_adverse_button.clicked.connect(self._record_adverse)
        self.adverse_message = MessageLabel()
        form = QFormLayout(adverse)
        form.addRow(self.tr("&Event"), self.ae_kind)
        form.addRow(self.tr("Severity"), self.ae_severity)
        form.addRow(self.tr("Onset"), self.ae_onset)
        form.addRow(self.tr("Description"), self.ae_description)
        form.addRow(self.tr("Action taken"), self.ae_action)
        form.addRow(self.record_adverse_button)
        form.addRow(self.adverse_message)
        entry.addWidget(adverse)
        enter = _EnterRecords(self._record_adverse, {}, self)
        for widget in (self.ae_kind, self.ae_severity, self.ae_onset, self.ae_description,
                       self.ae_action):
            widget.installEventFilter(enter)
        for edit in (self.ae_onset, self.ae_description, self.ae_action):
            edit.textChanged.connect(self._keep_drafts)
        for combo in (self.ae_kind, self.ae_severity):
            combo.currentIndexChanged.connect(self._keep_drafts)

        # -- what is open, and what was recorded
        self.open_flags = OpenItemsList(self.tr("No open event flags."))
        self.open_flags.resolve.connect(self._resolve_flag)
        self.open_adverse = OpenItemsList(self.tr("No open adverse events."))
        self.open_adverse.resolve.connect(self._resolve_adverse)
        self.open_message = MessageLabel()
        self.flags_model = FlagsTableModel(tz, self)
        self.interventions_model = InterventionsTableModel(tz, self)
        self.adverse_model = AdverseEventsTableModel(tz, self)
        self.flags_table: QTableView = make_table(self.flags_model, FlagsTableModel.NOTE)
        self.interventions_table = make_table(self.interventions_model,
                                              InterventionsTableModel.OUTCOME)
        self.adverse_table = make_table(self.adverse_model, AdverseEventsTableModel.DESCRIPTION)

        open_box = QGroupBox(self.tr("Open now"))
        box = QVBoxLayout(open_box)
        box.addWidget(self.open_flags)
        box.addWidget(self.open_adverse)
        box.addWidget(self.open_message)

        for table in (self.flags_table, self.interventions_table, self.adverse_table):
            table.setMinimumHeight(120)
        layout = QVBoxLayout()
        layout.addWidget(open_box)
        layout.addWidget(self.entry_area)
        layout.addWidget(QLabel(self.tr("Event flags")))
        layout.addWidget(self.flags_table)
        layout.addWidget(QLabel(self.tr("Interventions")))
        layout.addWidget(self.interventions_table)
        layout.addWidget(QLabel(self.tr("Adverse events")))
        layout.addWidget(self.adverse_table)
        self.page = panel_layout(self, self.entry_message, layout)

        self.setFocusProxy(self.flag_buttons[EVENT_FLAG_KINDS[0]])
        self.entry_area.setEnabled(False)
        self.open_flags.setEnabled(False)
        self.open_adverse.setEnabled(False)
        controller.view_changed.connect(self.show_view)
        if controller.view is not None:
            self.show_view(controller.view)

    # -- view -------------------------------------------------------------------------

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed."""
        if view.detail.id != self._session_id:
            self._session_id = view.detail.id
            for message in (self.flag_message, self.intervention_message,
                            self.adverse_message, self.open_message):
                message.clear_message()
            self._restore_drafts()
        self._view = view
        allowed = view.entry_refusal is None
        for widget in (self.entry_area, self.open_flags, self.open_adverse):
            widget.setEnabled(allowed)
        if allowed:
            self.entry_message.clear_message()
        else:
            self.entry_message.show_error(view.entry_refusal or "")
        self.given_by.setPlaceholderText(self._controller.ctx.actor().display_name)
        tz = self._controller.ctx.tz
        detail = view.detail
        open_flags = [f for f in detail.event_flags if f.until_utc is None]
        for kind, button in self.flag_buttons.items():
            already = [f for f in open_flags if f.kind == kind]
            button.setEnabled(not already)
            button.setToolTip(self.tr("Open since %1; resolve it below").replace(
                "%1", local_hhmm(already[0].at_utc, tz)) if already else "")
        self.open_flags.set_items([
            (f.id, self.tr("%1 since %2").replace("%1", flag_name(f.kind)).replace(
                "%2", local_hhmm(f.at_utc, tz)) + (f" ({f.detail})" if f.detail else ""))
            for f in open_flags])
        self.open_adverse.set_items([
            (a.id, self.tr("%1 (%2) since %3").replace("%1", a.kind).replace(
                "%2", a.severity).replace("%3", local_hhmm(a.onset_at_utc, tz)))
            for a in detail.adverse_events if a.resolved_at_utc is None])
        self.flags_model.set_rows(_newest_first(detail.event_flags, "at_utc"))
        self.interventions_model.set_rows(_newest_first(detail.interventions, "given_at_utc"))
        self.adverse_model.set_rows(_newest_first(detail.adverse_events, "onset_at_utc"))

    # -- actions ----------------------------------------------------------------------

    def _act(self, call: Callable[[Any, Any, int], object],
             retry: Callable[[], object] | None = None) -> Outcome[Any]:
        if self._view is None:
            return Outcome(error=self.tr("No session is open."))
        session_id = self._view.detail.id
        return self._controller.act(lambda db, actor: call(db, actor, session_id), retry=retry)

    def _flag(self, kind: str) -> None:
        note = self.flag_note.text().strip() or None
        clock = self._controller.ctx.clock
        outcome = self._act(lambda db, actor, sid: flag_event(
            db, actor, sid, kind, note=note, clock=clock))
        if outcome.error:
            self.flag_message.show_error(outcome.error)
            return
        self.flag_note.clear()
        self.flag_message.show_info(f"{ALERT_MARK} " + self.tr("%1 flagged at %2.").replace(
            "%1", flag_name(kind)).replace("%2", self._now_text()))
        button = self.open_flags.buttons.get(outcome.value) if outcome.value else None
        if button is not None:
            button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _resolve_flag(self, flag_id: int) -> None:
        clock = self._controller.ctx.clock
        outcome = self._act(lambda db, actor, _sid: resolve_event(db, actor, flag_id,
                                                                  clock=clock))
        self._after_resolve(outcome)

    def _resolve_adverse(self, event_id: int) -> None:
        clock = self._controller.ctx.clock
        outcome = self._act(lambda db, actor, _sid: resolve_adverse_event(
            db, actor, event_id, clock=clock))
        self._after_resolve(outcome)

    def _after_resolve(self, outcome: Outcome[Any]) -> None:
        if outcome.error:
            self.open_message.show_error(outcome.error)
        else:
            self.open_message.show_info(f"{OK_MARK} " + self.tr("Resolved at %1.").replace(
                "%1", self._now_text()))

    def _time_or_message(self, field: QLineEdit, message: MessageLabel
                         ) -> tuple[bool, datetime | None]:
        try:
            return True, parse_clock_time(field.text(), self._controller.ctx.clock(),
                                          self._controller.ctx.tz)
        except ValueError:
            message.show_error(self.tr("Give the time as HH:MM (24-hour), or leave it "
                                       "empty for now."))
            field.setFocus(Qt.FocusReason.OtherFocusReason)
            field.selectAll()
            return False, None

    def _record_intervention(self) -> None:
        ok, given_at = self._time_or_message(self.given_at, self.intervention_message)
        if not ok:
            return
        drug = self.drug.currentText()
        dose = self.dose.text().strip() or None
        unit = self.unit.currentText().strip() or None
        route = self.route.currentText() or None
        given_by = self.given_by.text().strip() or None
        indication = self.indication.text()
        outcome_text = self.outcome.text()
        clock = self._controller.ctx.clock
        outcome = self._act(lambda db, actor, sid: record_intervention(
            db, actor, sid, drug=drug, dose=dose, dose_unit=unit, route=route,
            given_at=given_at, given_by_name=given_by, indication=indication,
            outcome=outcome_text, clock=clock), retry=self._record_intervention)
        if outcome.error:
            self.intervention_message.show_error(outcome.error)
            return
        self._clear_intervention()
        self._keep_drafts()
        self.intervention_message.show_info(f"{OK_MARK} " + self.tr("%1 recorded.").replace(
            "%1", drug.strip()))
        self.drug.setFocus(Qt.FocusReason.OtherFocusReason)

    def _record_adverse(self) -> None:
        ok, onset = self._time_or_message(self.ae_onset, self.adverse_message)
        if not ok:
            return
        kind = str(self.ae_kind.currentData() or "")
        severity = str(self.ae_severity.currentData())
        description = self.ae_description.text()
        action = self.ae_action.text()
        clock = self._controller.ctx.clock
        outcome = self._act(lambda db, actor, sid: record_adverse_event(
            db, actor, sid, kind=kind, severity=severity, onset_at=onset,
            description=description, action_taken=action, clock=clock),
            retry=self._record_adverse)
        if outcome.error:
            self.adverse_message.show_error(outcome.error)
            self.ae_kind.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._clear_adverse()
        self._keep_drafts()
        self.adverse_message.show_info(f"{OK_MARK} " + self.tr("%1 recorded.").replace(
            "%1", kind))
        self.ae_kind.setFocus(Qt.FocusReason.OtherFocusReason)

    def _drug_typed(self, text: str) -> None:
        """A formulary drug fills in its usual dose, unit and route."""
        if self._restoring:
            return
        for name, dose, unit, route in FORMULARY:
            if text.strip().lower() == name:
                self.dose.setText(dose)
                self.unit.setCurrentText(unit)
                self.route.setCurrentIndex(max(self.route.findText(route), 0))
                return

    def _now_text(self) -> str:
        return local_hhmm(self._controller.ctx.clock(), self._controller.ctx.tz)

    # -- drafts -----------------------------------------------------------------------

    def _clear_intervention(self) -> None:
        self._restoring = True
        self.drug.setCurrentIndex(0)
        self.drug.setEditText("")
        for edit in (self.dose, self.given_at, self.given_by, self.indication, self.outcome):
            edit.clear()
        self.unit.setCurrentIndex(0)
        self.unit.setEditText("")
        self.route.setCurrentIndex(0)
        self._restoring = False

    def _clear_adverse(self) -> None:
        self._restoring = True
        self.ae_kind.setCurrentIndex(0)
        self.ae_severity.setCurrentIndex(0)
        for edit in (self.ae_onset, self.ae_description, self.ae_action):
            edit.clear()
        self._restoring = False

    def _intervention_draft(self) -> dict[str, str]:
        typed = {"drug": self.drug.currentText(), "dose": self.dose.text(),
                 "given_at": self.given_at.text(), "given_by": self.given_by.text(),
                 "indication": self.indication.text(), "outcome": self.outcome.text()}
        if not any(v.strip() for v in typed.values()):
            return {}
        return {**typed, "unit": self.unit.currentText(), "route": self.route.currentText()}

    def _adverse_draft(self) -> dict[str, str]:
        typed = {"kind": str(self.ae_kind.currentData() or ""), "onset": self.ae_onset.text(),
                 "description": self.ae_description.text(), "action": self.ae_action.text()}
        if not any(v.strip() for v in typed.values()):
            return {}
        return {**typed, "severity": str(self.ae_severity.currentData())}

    def _keep_drafts(self) -> None:
        if self._restoring or self._session_id is None:
            return
        sid = self._session_id
        self._drafts.put(sid, self.DRAFT_FLAG, {"note": self.flag_note.text()})
        self._drafts.put(sid, self.DRAFT_INTERVENTION, self._intervention_draft())
        self._drafts.put(sid, self.DRAFT_ADVERSE, self._adverse_draft())

    def _restore_drafts(self) -> None:
        assert self._session_id is not None
        sid = self._session_id
        self._clear_intervention()
        self._clear_adverse()
        self._restoring = True
        self.flag_note.setText(self._drafts.get(sid, self.DRAFT_FLAG).get("note", ""))
        given = self._drafts.get(sid, self.DRAFT_INTERVENTION)
        self.drug.setEditText(given.get("drug", ""))
        self.dose.setText(given.get("dose", ""))
        self.unit.setEditText(given.get("unit", ""))
        self.route.setCurrentIndex(max(self.route.findText(given.get("route", "")), 0))
        self.given_at.setText(given.get("given_at", ""))
        self.given_by.setText(given.get("given_by", ""))
        self.indication.setText(given.get("indication", ""))
        self.outcome.setText(given.get("outcome", ""))
        adverse = self._drafts.get(sid, self.DRAFT_ADVERSE)
        self.ae_kind.setCurrentIndex(max(self.ae_kind.findData(adverse.get("kind", "")), 0))
        self.ae_severity.setCurrentIndex(
            max(self.ae_severity.findData(adverse.get("severity", "mild")), 0))
        self.ae_onset.setText(adverse.get("onset", ""))
        self.ae_description.setText(adverse.get("description", ""))
        self.ae_action.setText(adverse.get("action", ""))
        self._restoring = False


def _newest_first(rows: Sequence[Any], at: str) -> list[Any]:
    return sorted(rows, key=lambda r: (getattr(r, at), r.id), reverse=True)
