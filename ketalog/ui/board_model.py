"""The day board as a Qt table model over plain BoardRow objects (no queries in data())."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont

from ketalog.domain.alerts import RaisedAlert
from ketalog.domain.infusion import duration_text, running_minutes
from ketalog.domain.session_state import STATE_LABELS
from ketalog.services.board import BoardRow
from ketalog.ui.style import ALERT_MARK, OK_MARK, OVERDUE_TEXT
from ketalog.ui.tables import SESSION_ID_ROLE, Index, RowsTableModel

_ROLES_USED = frozenset({
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.ToolTipRole, SESSION_ID_ROLE,
})


class BoardTableModel(RowsTableModel):
    """Sessions of one day: chair, time, patient, course, protocol, state, timer, next vitals."""

    (CHAIR, TIME, PATIENT, MRN, COURSE, PROTOCOL, STATE, ELAPSED, NEXT_VITALS, SIGNED,
     ALERTS) = range(11)
    HEADERS = ("Chair", "Time", "Patient", "MRN", "Infusion", "Protocol", "State", "Dose time",
               "Next vitals", "Signature", "Safety and cautions")
    SessionIdRole = SESSION_ID_ROLE

    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self._now: datetime | None = None

    def set_rows(self, rows: Sequence[BoardRow], now: datetime | None = None) -> None:
        """Replace the rows as of ``now`` (None keeps the time the board already has)."""
        if now is not None:
            self._now = now
        super().set_rows(rows)

    def set_now(self, now: datetime) -> None:
        """Advance the clock for timers and overdue marks without reloading."""
        self._now = now
        if self._rows:
            self.dataChanged.emit(self.index(0, self.ELAPSED),
                                  self.index(len(self._rows) - 1, self.NEXT_VITALS))

    def row_at(self, row: int) -> BoardRow:
        """The session shown in ``row``."""
        return self._rows[row]  # type: ignore[no-any-return]

    def _overdue(self, row: BoardRow) -> bool:
        return self._now is not None and row.vitals_overdue(self._now)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text per column; overdue vitals red, bold and marked; id under SessionIdRole."""
        if role not in _ROLES_USED or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None  # the header asks every cell for every role when sizing columns
        row = self._rows[index.row()]
        column = index.column()
        if role == self.SessionIdRole:
            return row.session_id
        if column == self.ALERTS and (row.safety_alert or row.open_alerts) and role in (
                Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            return self._alarm(role)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.PROTOCOL:
            return row.protocol_name
        if role == Qt.ItemDataRole.ToolTipRole and column == self.ALERTS:
            return self._alerts(row) or None
        if column == self.NEXT_VITALS and self._overdue(row):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(OVERDUE_TEXT)
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NEXT_VITALS:
            return "Vitals overdue" if self._overdue(row) else None
        if role == Qt.ItemDataRole.ToolTipRole and column == self.SIGNED:
            return self._signature_hint(row)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self._text(row, column)

    def _text(self, row: BoardRow, column: int) -> str:
        if column == self.CHAIR:
            return row.chair
        if column == self.TIME:
            return row.scheduled_at_utc.astimezone(self._tz).strftime("%H:%M")
        if column == self.PATIENT:
            return row.patient_name
        if column == self.MRN:
            return row.mrn
        if column == self.COURSE:
            return row.infusion_label
        if column == self.ALERTS:
            return self._alerts(row)
        if column == self.PROTOCOL:
            return row.protocol_name
        if column == self.STATE:
            return STATE_LABELS.get(row.state, row.state)
        if column == self.ELAPSED:
            if row.dose_started_at_utc is None or self._now is None:
                return ""
            if row.pump_events:  # running time from the pump log: a pause stops the clock
                return duration_text(running_minutes(row.pump_events, self._now))
            end = row.dose_ended_at_utc or self._now
            seconds = (end - row.dose_started_at_utc).total_seconds()
            return duration_text(Decimal(seconds) / 60)
        if column == self.NEXT_VITALS:
            due = row.next_vitals_due_at_utc
            if due is None:
                return ""
            text = due.astimezone(self._tz).strftime("%H:%M")
            return f"{ALERT_MARK} {text} OVERDUE" if self._overdue(row) else text
        if column == self.SIGNED:
            if row.signed:
                return f"{OK_MARK} signed"
            if row.state != "discharged":
                return ""
            if row.nursing_completed:
                return f"{ALERT_MARK} unsigned: ready to sign"
            return f"{ALERT_MARK} unsigned: nursing open"
        return ""

    @staticmethod
    def _alarm(role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(OVERDUE_TEXT)
        font = QFont()
        font.setBold(True)
        return font

    def _alerts(self, row: BoardRow) -> str:
        """Open alerts (what, when, the action), PHQ-9 item 9 / C-SSRS, then the cautions."""
        parts = [self._open_alert(alert) for alert in row.open_alerts]
        if row.safety_alert:
            parts.append(f"{ALERT_MARK} {row.safety_alert}")
        if row.cautions:
            parts.append("Caution: " + ", ".join(row.cautions))
        return "; ".join(parts)

    def _open_alert(self, alert: RaisedAlert) -> str:
        """"⚠ 10:42 Systolic high: BP 185/100, labetalol 10 mg IV; not acknowledged"."""
        when = alert.raised_at_utc.astimezone(self._tz).strftime("%H:%M")
        action = (alert.action_note or "").strip() or "no action note"
        return f"{ALERT_MARK} {when} {alert.message}, {action}; not acknowledged"

    @staticmethod
    def _signature_hint(row: BoardRow) -> str | None:
        if row.signed:
            return "Signed by the physician; changes only by addendum"
        if row.state != "discharged":
            return None
        if row.nursing_completed:
            return "Nursing record complete, awaiting the physician's signature"
        return ("Unsigned: the nursing record is still open; a nurse completes it, "
                "then a physician signs")
