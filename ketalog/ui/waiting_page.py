"""Sessions waiting for a physician's signature, oldest first; Enter opens one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.alerts import WaitingAlert, alerts_waiting
from ketalog.services.signing import WaitingSession, waiting_for_signature
from ketalog.ui.context import UiContext
from ketalog.ui.style import ALERT_MARK, OK_MARK, OVERDUE_TEXT, MessageLabel, big_font
from ketalog.ui.tables import SESSION_ID_ROLE, Index, RowsTableModel
from ketalog.ui.widgets import Column, RowsModel, SessionTable


def local_stamp(at_utc: datetime, tz: ZoneInfo) -> str:
    """A stored instant as clinic time with its zone: "21 Nov 2026 14:05 EST"."""
    local = at_utc.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


class WaitingTableModel(RowsTableModel):
    """Discharged, unsigned sessions: date, patient, MRN, chair, nursing record."""

    DATE, PATIENT, MRN, CHAIR, NURSING = range(5)
    HEADERS = ("Date", "Patient", "MRN", "Chair", "Nursing record completed")
    SessionIdRole = SESSION_ID_ROLE

    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        super().__init__(parent)
        self._tz = tz

    def row_at(self, row: int) -> WaitingSession:
        """The session shown in ``row``."""
        return self._rows[row]  # type: ignore[no-any-return]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Text per column; ready-to-sign rows bold; the session id under SessionIdRole."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == self.SessionIdRole:
            return row.session_id
        if role == Qt.ItemDataRole.FontRole and row.ready_to_sign:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == self.NURSING:
            return ("Ready to sign: Enter opens the session, then Sign... (Alt+8)"
                    if row.ready_to_sign else
                    "A nurse completes the nursing record before the physician signs")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == self.DATE:
            return row.scheduled_at_utc.astimezone(self._tz).strftime("%a %d %b %Y %H:%M")
        if column == self.PATIENT:
            return row.patient_name
        if column == self.MRN:
            return row.mrn
        if column == self.CHAIR:
            return row.chair
        if column == self.NURSING:
            if row.nursing_completed_at_utc is None:
                return f"{ALERT_MARK} nursing record open"
            stamp = local_stamp(row.nursing_completed_at_utc, self._tz)
            return f"{OK_MARK} {row.nursing_completed_by} · {stamp}"
        return None


def _alert_columns(tz: ZoneInfo) -> tuple[Column[WaitingAlert], ...]:
    """The open-alerts list: when, who, where, what, and the action note."""
    return (
        Column("Time",
               lambda w: w.alert.raised_at_utc.astimezone(tz).strftime("%a %d %b %H:%M")),
        Column("Patient", lambda w: w.patient_name),
        Column("MRN", lambda w: w.mrn),
        Column("Chair", lambda w: w.chair),
        Column("Alert", lambda w: f"{ALERT_MARK} {w.alert.message}",
               colour=lambda _w: OVERDUE_TEXT, bold=lambda _w: True),
        Column("Action taken",
               lambda w: (w.alert.action_note or "").strip() or "no action note yet"),
    )


class WaitingPage(QWidget):
    """The physician's list of sessions to sign; reloads whenever it is shown.

    ``count_changed`` carries the number after every refresh (for a toolbar
    badge); :meth:`count` is the number as last loaded.
    """

    open_session = Signal(int)
    count_changed = Signal(int)
    #: open alerts waiting for a physician's acknowledgment, after every refresh
    alerts_changed = Signal(int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = WaitingTableModel(ctx.tz, self)
        self.heading = QLabel()
        big_font(self.heading, 16)
        self.message = MessageLabel()
        self.table = SessionTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WaitingTableModel.NURSING, QHeaderView.ResizeMode.Stretch)
        big_font(self.table, 13, bold=False)
        self.table.open_requested.connect(self.open_session)
        self.empty = QLabel(self.tr("Nothing is waiting for a signature."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        hint = QLabel(self.tr("Enter or a double click opens the session; sign it in its "
                              "Sign-off tab (Alt+8). Bold rows are ready to sign."))
        hint.setWordWrap(True)
        # open alerts first: they are about patients still in the chair
        self.alerts_heading = QLabel()
        big_font(self.alerts_heading, 16)
        self.alerts_model: RowsModel[WaitingAlert] = RowsModel(
            _alert_columns(ctx.tz), self, key=lambda w: w.session_id)
        self.alerts_table = SessionTable()
        self.alerts_table.setModel(self.alerts_model)
        self.alerts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alerts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.alerts_table.verticalHeader().setVisible(False)
        self.alerts_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.alerts_table.horizontalHeader().setStretchLastSection(True)
        self.alerts_table.setMaximumHeight(180)
        self.alerts_table.open_requested.connect(self.open_session)
        layout = QVBoxLayout(self)
        layout.addWidget(self.alerts_heading)
        layout.addWidget(self.alerts_table)
        layout.addWidget(self.heading)
        layout.addWidget(hint)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.setFocusProxy(self.table)

    def count(self) -> int:
        """Sessions waiting, as last loaded by :meth:`refresh`."""
        return self.model.rowCount()

    def refresh(self) -> int:
        """Reload the list from the database; returns the number waiting."""
        outcome = self.ctx.run(waiting_for_signature)
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return self.count()
        self.message.clear_message()
        self._refresh_alerts()
        keep = self.table.currentIndex().row()
        rows = outcome.value
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(min(max(keep, 0), len(rows) - 1))
        ready = sum(1 for r in rows if r.ready_to_sign)
        sessions = self.tr("1 session") if len(rows) == 1 else self.tr("%1 sessions").replace(
            "%1", str(len(rows)))
        self.heading.setText(self.tr("Waiting for signature: %1, %2 ready to sign")
                             .replace("%1", sessions).replace("%2", str(ready)))
        self.empty.setVisible(not rows)
        self.count_changed.emit(len(rows))
        return len(rows)

    def _refresh_alerts(self) -> None:
        """The open alerts of unsigned sessions (hidden when there are none)."""
        outcome = self.ctx.run(alerts_waiting)
        alerts = outcome.value or []
        self.alerts_model.set_rows(alerts)
        self.alerts_heading.setText(
            f"{ALERT_MARK} " + self.tr("Alerts waiting for a physician's acknowledgment: %1 "
                                       "(Enter opens the session; Alt+A acknowledges there)")
            .replace("%1", str(len(alerts))))
        self.alerts_heading.setVisible(bool(alerts))
        self.alerts_table.setVisible(bool(alerts))
        self.alerts_changed.emit(len(alerts))

    def showEvent(self, event: QShowEvent) -> None:
        """Always show the list as stored now."""
        super().showEvent(event)
        self.refresh()
