"""Event flags, interventions and adverse events at the chair.

Flags (sedation, dissociation, respiratory depression) open with one click
at the current time and close with "Resolved"; every open flag or adverse
event stays on screen with its own Resolved button until it is closed,
because discharge waits for them. Interventions come from the formulary
(usual dose, unit and route filled in) or as free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
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

from ketalog.domain.clinic_time import AmbiguousLocalTime, NonexistentLocalTime, typed_clock_time
from ketalog.services.interventions import (
    ADVERSE_EVENT_KINDS,
    FORMULARY,
    ROUTES,
    SEVERITIES,
    record_adverse_event,
    record_intervention,
    resolve_adverse_event,
)
from ketalog.services.session.entries import EVENT_FLAG_KINDS, flag_event, resolve_event
from ketalog.services.session_detail import AdverseEventRow, EventRow, InterventionRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, Outcome, SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.session.panels.scales_panel import local_hhmm
from ketalog.ui.widgets import (
    ActionButton,
    Column,
    ComboBox,
    CorrectionSource,
    RowsModel,
    SessionPanel,
    make_table,
    with_void,
)
from ketalog.ui.widgets.buttons import ENTER_KEYS, plain_key

UNITS = ("mg", "mcg", "mL", "g", "units", "L/min")


def flag_name(kind: str) -> str:
    """A flag kind as words ("respiratory_depression" -> "Respiratory depression")."""
    return kind.replace("_", " ").capitalize()


def parse_clock_time(text: str, now_utc: datetime, tz: ZoneInfo) -> datetime | None:
    """A typed wall-clock time ("14:05", "1405", "01:30 EST") on the clinic's day, in UTC.

    Empty text means "now" (None: the service takes its own clock). A time
    later than now is passed on as typed, so the service refuses it with its
    message rather than the screen guessing. The domain resolves the night the
    clocks change (:func:`~ketalog.domain.clinic_time.typed_clock_time`).

    Raises:
        ValidationError: the text is not a 24-hour time, or not one that day.
    """
    if not text.strip():
        return None
    return typed_clock_time(text, now_utc, tz)


class OpenItemsList(QWidget):
    """What is still open (flags, adverse events), each with its own Resolved button.

    One stop in the Tab order: Up and Down put a cursor on an item (none is
    chosen on arrival, so a stray Enter resolves nothing) and Enter records
    that the item under the cursor resolved now. The Resolved buttons are for
    the mouse and never take the focus.
    """

    #: The id of the item to close now.
    resolve = Signal(int)

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("OpenItemsList:focus { border: 2px solid #2f6f8f; }"
                           "QLabel[cursor=\"true\"] { border: 3px solid #2f6f8f; }")
        self._shown: tuple[tuple[int, str], ...] | None = None
        self._empty_text = empty_text
        self._cursor: int | None = None
        self.buttons: dict[int, ActionButton] = {}
        self.labels: dict[int, QLabel] = {}
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
        self.labels = {}
        if self._cursor not in {item_id for item_id, _ in wanted}:
            self._cursor = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if wanted else Qt.FocusPolicy.NoFocus)
        if not wanted:
            self._layout.addWidget(QLabel(f"{OK_MARK} {self._empty_text}"))
            return
        for item_id, text in wanted:
            line = QWidget()
            row = QHBoxLayout(line)
            row.setContentsMargins(0, 0, 0, 0)
            label = QLabel(f"{ALERT_MARK} {text}")
            label.setWordWrap(True)
            label.setProperty("cursor", item_id == self._cursor)
            big_font(label, 12)
            button = ActionButton(self.tr("Resolved"))
            button.setToolTip(self.tr("Record that this resolved now (keyboard: Up/Down "
                                      "to choose, Enter)"))
            button.clicked.connect(lambda _c=False, i=item_id: self.resolve.emit(i))
            row.addWidget(label, 1)
            row.addWidget(button)
            self.buttons[item_id] = button
            self.labels[item_id] = label
            self._layout.addWidget(line)

    def cursor_item(self) -> int | None:
        """The item under the keyboard's cursor, or None."""
        return self._cursor

    def _set_cursor(self, item_id: int | None) -> None:
        self._cursor = item_id
        for key, label in self.labels.items():
            label.setProperty("cursor", key == item_id)
            label.style().unpolish(label)
            label.style().polish(label)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Leaving the list forgets the cursor: a later Enter cannot resolve anything."""
        super().focusOutEvent(event)
        self._set_cursor(None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Up/Down choose an item, Enter resolves it."""
        ids = list(self.buttons)
        key = event.key()
        if not ids or not plain_key(event):
            super().keyPressEvent(event)
            return
        position = ids.index(self._cursor) if self._cursor in ids else None
        if key == Qt.Key.Key_Down:
            self._set_cursor(ids[0 if position is None else min(position + 1, len(ids) - 1)])
        elif key == Qt.Key.Key_Up:
            self._set_cursor(ids[0 if position is None else max(position - 1, 0)])
        elif key in ENTER_KEYS:
            if self._cursor is not None and not event.isAutoRepeat():
                self.resolve.emit(self._cursor)
        else:
            super().keyPressEvent(event)


def _resolved(at_utc: datetime | None, tz: ZoneInfo) -> str:
    if at_utc is None:
        return f"{ALERT_MARK} open"
    return f"{OK_MARK} {local_hhmm(at_utc, tz)}"


class FlagsTableModel(RowsModel[EventRow]):
    """Every event flag: event, onset, resolution, note."""

    EVENT, ONSET, RESOLVED, NOTE = range(4)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Event"), lambda r: flag_name(r.kind)),
            Column(QT_TRANSLATE_NOOP("Column", "Onset"), lambda r: local_hhmm(r.at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Resolved"), lambda r: _resolved(r.until_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Note"), lambda r: with_void(r.detail, r, tz)),
        ), parent)


def _amount(dose: Decimal | None, unit: str | None) -> str:
    if dose is None:
        return ""
    return f"{dose.normalize():f} {unit or ''}".strip()


class InterventionsTableModel(RowsModel[InterventionRow]):
    """Drugs and actions given: time, drug, dose, route, who, indication, outcome."""

    TIME, DRUG, DOSE, ROUTE, GIVEN_BY, INDICATION, OUTCOME = range(7)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Time"), lambda r: local_hhmm(r.given_at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Drug / action"), lambda r: r.drug),
            Column(QT_TRANSLATE_NOOP("Column", "Dose"), lambda r: _amount(r.dose, r.dose_unit)),
            Column(QT_TRANSLATE_NOOP("Column", "Route"), lambda r: r.route or ""),
            Column(QT_TRANSLATE_NOOP("Column", "Given by"), lambda r: r.given_by_name),
            Column(QT_TRANSLATE_NOOP("Column", "Indication"), lambda r: r.indication or ""),
            Column(QT_TRANSLATE_NOOP("Column", "Outcome"),
                   lambda r: with_void(r.outcome or "", r, tz)),
        ), parent)


class AdverseEventsTableModel(RowsModel[AdverseEventRow]):
    """Adverse events: onset, event, severity, resolution, description, action."""

    ONSET, KIND, SEVERITY, RESOLVED, DESCRIPTION, ACTION = range(6)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Onset"), lambda r: local_hhmm(r.onset_at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Event"), lambda r: r.kind),
            Column(QT_TRANSLATE_NOOP("Column", "Severity"), lambda r: r.severity),
            Column(QT_TRANSLATE_NOOP("Column", "Resolved"),
                   lambda r: _resolved(r.resolved_at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Description"),
                   lambda r: with_void(r.description or "", r, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Action taken"), lambda r: r.action_taken or ""),
        ), parent)


class EventsPanel(SessionPanel):
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
    #: The flag buttons' keys (only while this panel is shown).
    FLAG_KEYS: ClassVar[dict[str, str]] = {"sedation": "Alt+S", "dissociation": "Alt+D",
                 "respiratory_depression": "Alt+Y"}

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        self._restoring = False
        tz = controller.ctx.tz
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)

        # -- flags
        flags = QGroupBox(self.tr("Event flags (onset now)"))
        self.flag_buttons: dict[str, ActionButton] = {}
        buttons = QGridLayout()
        for number, kind in enumerate(EVENT_FLAG_KINDS):
            button = ActionButton(self.tr("Flag %1").replace("%1", flag_name(kind).lower()),
                                  shortcut=self.FLAG_KEYS.get(kind))
            big_font(button, 11)
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _c=False, k=kind: self._flag(k))
            self.flag_buttons[kind] = button
            # one under another: side by side they needed 583 px and were cut off at the
            # right of the panels' column (544 px at 1366x768)
            buttons.addWidget(button, number, 0)
        self.flag_note = QLineEdit()
        self.flag_note.setPlaceholderText(self.tr("Note for the flag (optional), then its key"))
        self.flag_note.textChanged.connect(self._keep_drafts)
        self.flag_message = MessageLabel()
        box = QVBoxLayout(flags)
        box.addWidget(self.flag_note)
        box.addLayout(buttons)
        box.addWidget(self.flag_message)
        entry.addWidget(flags)

        # -- interventions
        given = QGroupBox(self.tr("Intervention given"))
        self.drug = ComboBox()
        self.drug.setEditable(True)
        self.drug.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.drug.addItem("")
        for item in FORMULARY:
            name, dose, unit, route = item[:4]
            self.drug.addItem(name, (dose, unit, route))
            self.drug.setItemData(self.drug.count() - 1, f"{name} {dose} {unit} {route}",
                                  Qt.ItemDataRole.ToolTipRole)
        line_edit = self.drug.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText(self.tr("formulary drug or free text"))
        self.drug.currentTextChanged.connect(self._drug_typed)
        self.dose = QLineEdit()
        self.unit = ComboBox()
        self.unit.setEditable(True)
        self.unit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.unit.addItems(["", *UNITS])
        self.route = ComboBox()
        self.route.addItems(["", *ROUTES])
        self.given_at = QLineEdit()
        self.given_at.setPlaceholderText(self.tr("now (or HH:MM)"))
        self.given_by = QLineEdit()
        self.indication = QLineEdit()
        self.outcome = QLineEdit()
        self.record_intervention_button = ActionButton(self.tr("Record intervention (Enter)"))
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
        # Enter in the drug moves on to the dose; in every other field it records
        line_edit.returnPressed.connect(self._drug_entered)
        self.record_intervention_button.bind_enter(
            self.dose, self.unit, self.route, self.given_at, self.given_by, self.indication,
            self.outcome)
        for edit in (line_edit, self.dose, unit_edit, self.given_at, self.given_by,
                     self.indication, self.outcome):
            assert isinstance(edit, QLineEdit)
            edit.textChanged.connect(self._keep_drafts)
        self.route.currentIndexChanged.connect(self._keep_drafts)

        # -- adverse events
        adverse = QGroupBox(self.tr("Adverse event"))
        self.ae_kind = ComboBox()
        self.ae_kind.addItem(self.tr("(choose the event)"), "")
        for kind in ADVERSE_EVENT_KINDS:
            self.ae_kind.addItem(kind, kind)
        self.ae_severity = ComboBox()
        for severity in SEVERITIES:
            self.ae_severity.addItem(severity, severity)
        self.ae_onset = QLineEdit()
        self.ae_onset.setPlaceholderText(self.tr("now (or HH:MM)"))
        self.ae_description = QLineEdit()
        self.ae_action = QLineEdit()
        self.record_adverse_button = ActionButton(self.tr("Record adverse event (Enter)"))
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
        self.record_adverse_button.bind_enter(self.ae_kind, self.ae_severity, self.ae_onset,
                                              self.ae_description, self.ae_action)
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

        open_box = QGroupBox(self.tr("Open now (Up/Down to choose, Enter: resolved now)"))
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
        self.correction = self.correction_action([
            CorrectionSource(self.flags_table, lambda r: self.tr("the %1 flag from %2").replace(
                "%1", flag_name(r.kind).lower()).replace("%2", local_hhmm(r.at_utc, tz)),
                lambda i, reason: self.mark_entry("event_flags", i, reason)),
            CorrectionSource(self.interventions_table, lambda r: self.tr("%1 at %2").replace(
                "%1", r.drug).replace("%2", local_hhmm(r.given_at_utc, tz)),
                lambda i, reason: self.mark_entry("interventions", i, reason)),
            CorrectionSource(self.adverse_table, lambda r: self.tr("the %1 from %2").replace(
                "%1", r.kind).replace("%2", local_hhmm(r.onset_at_utc, tz)),
                lambda i, reason: self.mark_entry("adverse_events", i, reason)),
        ])
        layout.addWidget(self.correction)
        self.set_content(layout)

        self.entry_area.setEnabled(False)
        self.open_flags.setEnabled(False)
        self.open_adverse.setEnabled(False)
        for button in self.flag_buttons.values():
            button.refused.connect(self.flag_message.show_error)
        self.follow_session()

    # -- view -------------------------------------------------------------------------

    def session_changed(self, view: SessionView) -> None:
        """Another session: its drafts, and no message of the last one."""
        for message in (self.flag_message, self.intervention_message,
                        self.adverse_message, self.open_message):
            message.clear_message()
        self._restore_drafts()

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed."""
        allowed = view.entry_refusal is None
        for widget in (self.open_flags, self.open_adverse):
            widget.setEnabled(allowed)
        self.given_by.setPlaceholderText(self.ctx.actor().display_name)
        tz = self.ctx.tz
        detail = view.detail
        open_flags = [f for f in detail.live_event_flags if f.until_utc is None]
        for kind, button in self.flag_buttons.items():
            already = [f for f in open_flags if f.kind == kind]
            button.setEnabled(not already)
            button.setToolTip(self.tr("Open since %1; resolve it under Open now").replace(
                "%1", local_hhmm(already[0].at_utc, tz)) if already else "")
        self.open_flags.set_items([
            (f.id, self.tr("%1 since %2").replace("%1", flag_name(f.kind)).replace(
                "%2", local_hhmm(f.at_utc, tz)) + (f" ({f.detail})" if f.detail else ""))
            for f in open_flags])
        self.open_adverse.set_items([
            (a.id, self.tr("%1 (%2) since %3").replace("%1", a.kind).replace(
                "%2", a.severity).replace("%3", local_hhmm(a.onset_at_utc, tz)))
            for a in detail.live_adverse_events if a.resolved_at_utc is None])
        self.flags_model.set_rows(_newest_first(detail.event_flags, "at_utc"))
        self.interventions_model.set_rows(_newest_first(detail.interventions, "given_at_utc"))
        self.adverse_model.set_rows(_newest_first(detail.adverse_events, "onset_at_utc"))

    def next_field(self, view: SessionView) -> QWidget | None:
        """Alt+5: the flag's note, where an event at the chair is written first."""
        return self.flag_note

    # -- actions ----------------------------------------------------------------------

    def _flag(self, kind: str) -> None:
        note = self.flag_note.text().strip() or None
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: flag_event(
            db, actor, sid, kind, note=note, clock=clock))
        if outcome.error:
            self.flag_message.show_error(outcome.error)
            return
        self.flag_note.clear()
        self.flag_message.show_info(f"{ALERT_MARK} " + self.tr("%1 flagged at %2.").replace(
            "%1", flag_name(kind)).replace("%2", self._now_text()))

    def _resolve_flag(self, flag_id: int) -> None:
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, _sid: resolve_event(db, actor, flag_id,
                                                                 clock=clock))
        self._after_resolve(outcome)

    def _resolve_adverse(self, event_id: int) -> None:
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, _sid: resolve_adverse_event(
            db, actor, event_id, clock=clock))
        self._after_resolve(outcome)

    def _after_resolve(self, outcome: Outcome[Any]) -> None:
        self.report(outcome, f"{OK_MARK} " + self.tr("Resolved at %1.").replace(
            "%1", self._now_text()), self.open_message)

    def _drug_entered(self) -> None:
        """Enter in the drug: on to its dose (a formulary drug has filled it in)."""
        self.dose.setFocus(Qt.FocusReason.TabFocusReason)
        self.dose.selectAll()

    def _time_or_message(self, field: QLineEdit, message: MessageLabel
                         ) -> tuple[bool, datetime | None]:
        try:
            return True, parse_clock_time(field.text(), self.ctx.clock(), self.ctx.tz)
        except (NonexistentLocalTime, AmbiguousLocalTime) as problem:
            message.show_error(str(problem))
            field.setFocus(Qt.FocusReason.OtherFocusReason)
            field.selectAll()
            return False, None
        except ValueError:
            message.show_error(self.tr("Give the time as HH:MM (24-hour), or leave it "
                                       "empty for now."))
            field.setFocus(Qt.FocusReason.OtherFocusReason)
            field.selectAll()
            return False, None

    def _record_intervention(self) -> None:
        if self.drug.view().isVisible():
            return  # Enter chose from the open list
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
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: record_intervention(
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
        if any(combo.view().isVisible() for combo in (self.ae_kind, self.ae_severity)):
            return  # Enter chose from the open list
        ok, onset = self._time_or_message(self.ae_onset, self.adverse_message)
        if not ok:
            return
        kind = str(self.ae_kind.currentData() or "")
        severity = str(self.ae_severity.currentData())
        description = self.ae_description.text()
        action = self.ae_action.text()
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: record_adverse_event(
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
        for item in FORMULARY:
            name, dose, unit, route = item[:4]
            if text.strip().lower() == name:
                self.dose.setText(dose)
                self.unit.setCurrentText(unit)
                self.route.setCurrentIndex(max(self.route.findText(route), 0))
                return

    def _now_text(self) -> str:
        return local_hhmm(self.ctx.clock(), self.ctx.tz)

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
        if self._restoring or self.session_id is None:
            return
        sid = self.session_id
        self.drafts.put(sid, self.DRAFT_FLAG, {"note": self.flag_note.text()})
        self.drafts.put(sid, self.DRAFT_INTERVENTION, self._intervention_draft())
        self.drafts.put(sid, self.DRAFT_ADVERSE, self._adverse_draft())

    def _restore_drafts(self) -> None:
        assert self.session_id is not None
        sid = self.session_id
        self._clear_intervention()
        self._clear_adverse()
        self._restoring = True
        self.flag_note.setText(self.drafts.get(sid, self.DRAFT_FLAG).get("note", ""))
        given = self.drafts.get(sid, self.DRAFT_INTERVENTION)
        self.drug.setEditText(given.get("drug", ""))
        self.dose.setText(given.get("dose", ""))
        self.unit.setEditText(given.get("unit", ""))
        self.route.setCurrentIndex(max(self.route.findText(given.get("route", "")), 0))
        self.given_at.setText(given.get("given_at", ""))
        self.given_by.setText(given.get("given_by", ""))
        self.indication.setText(given.get("indication", ""))
        self.outcome.setText(given.get("outcome", ""))
        adverse = self.drafts.get(sid, self.DRAFT_ADVERSE)
        self.ae_kind.setCurrentIndex(max(self.ae_kind.findData(adverse.get("kind", "")), 0))
        self.ae_severity.setCurrentIndex(
            max(self.ae_severity.findData(adverse.get("severity", "mild")), 0))
        self.ae_onset.setText(adverse.get("onset", ""))
        self.ae_description.setText(adverse.get("description", ""))
        self.ae_action.setText(adverse.get("action", ""))
        self._restoring = False


def _newest_first(rows: Sequence[Any], at: str) -> list[Any]:
    return sorted(rows, key=lambda r: (getattr(r, at), r.id), reverse=True)
