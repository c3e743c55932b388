"""The day board as a Qt table model over plain BoardRow objects (no queries in data())."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ketalog.services.board import BoardRow

Index = QModelIndex | QPersistentModelIndex
_STATE_LABELS = {
    "scheduled": "Scheduled", "checked_in": "Checked in", "infusing": "Infusing",
    "paused": "Paused", "recovering": "Recovering", "discharged": "Discharged",
    "signed": "Signed", "cancelled": "Cancelled", "stopped_early": "Stopped early",
}


class BoardTableModel(QAbstractTableModel):
    """Sessions of one day: chair, time, patient, course, protocol, state, next vitals."""

    CHAIR, TIME, PATIENT, MRN, COURSE, PROTOCOL, STATE, NEXT_VITALS = range(8)
    HEADERS = ("Chair", "Time", "Patient", "MRN", "Infusion", "Protocol", "State",
               "Next vitals")
    SessionIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[BoardRow] = []
        self._tz = tz
        self._now: datetime | None = None

    def set_rows(self, rows: Sequence[BoardRow], now: datetime) -> None:
        """Replace the rows (a day's board is small; a reset is cheapest)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._now = now
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """One row per session; a table has no children."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """The fixed board columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text per column; the session id under SessionIdRole."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == self.SessionIdRole:
            return row.session_id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == self.CHAIR:
            return row.chair
        if column == self.TIME:
            return row.scheduled_at_utc.astimezone(self._tz).strftime("%H:%M")
        if column == self.PATIENT:
            return row.patient_name
        if column == self.MRN:
            return row.mrn
        if column == self.COURSE:
            if row.sequence_number is None:
                return ""
            return f"{row.sequence_number} of {row.planned_infusions}"
        if column == self.PROTOCOL:
            return row.protocol_name
        if column == self.STATE:
            return _STATE_LABELS.get(row.state, row.state)
        if column == self.NEXT_VITALS:
            due = row.next_vitals_due_at_utc
            if due is None:
                return ""
            text = due.astimezone(self._tz).strftime("%H:%M")
            return f"{text} OVERDUE" if self._now and due < self._now else text
        return None
