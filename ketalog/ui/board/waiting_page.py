"""Sessions waiting for a physician's signature, oldest first; Enter opens one.

Above them: open alerts, and the physician's verbal orders waiting for co-signature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.services.access import Permission, may
from ketalog.services.alerts import WaitingAlert, alerts_waiting
from ketalog.services.orders import AwaitingOrder, cosign_verbal_order, verbal_orders_awaiting
from ketalog.services.signature_status import signature_statuses
from ketalog.services.signing import WaitingSession, waiting_for_signature
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, OVERDUE_TEXT, MessageLabel, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import ActionButton, Column, PasswordField, RowsModel, SessionTable
from ketalog.ui.widgets.table import SESSION_ID_ROLE


def local_stamp(at_utc: datetime, tz: ZoneInfo) -> str:
    """A stored instant as clinic time with its zone: "21 Nov 2026 14:05 EST"."""
    local = at_utc.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


class WaitingTableModel(RowsModel[WaitingSession]):
    """Discharged, unsigned sessions: date, patient, MRN, chair, nursing record.

    Ready-to-sign rows are bold; rows are matched by session id, so a refresh
    keeps the physician's place in the list.
    """

    DATE, PATIENT, MRN, CHAIR, NURSING = range(5)
    SessionIdRole = SESSION_ID_ROLE

    def __init__(self, tz: ZoneInfo, parent: Any = None) -> None:
        #: session id -> why its nursing attestation does not hold (no audit row ...)
        self.not_valid: dict[int, str] = {}

        def ready(row: WaitingSession) -> bool:
            return row.ready_to_sign and row.session_id not in self.not_valid

        def nursing(row: WaitingSession) -> str:
            if row.session_id in self.not_valid:
                return f"{ALERT_MARK} NOT VALID: {self.not_valid[row.session_id]}"
            if row.nursing_completed_at_utc is None:
                return f"{ALERT_MARK} nursing record open"
            stamp = local_stamp(row.nursing_completed_at_utc, tz)
            return f"{OK_MARK} {row.nursing_completed_by} · {stamp}"

        def nursing_hint(row: WaitingSession) -> str:
            if row.session_id in self.not_valid:
                return (f"SIGNATURE NOT VALID: {self.not_valid[row.session_id]}. A nurse "
                        "completes the nursing record again before the physician signs.")
            return ("Ready to sign: Enter opens the session, then Sign... (Alt+8)"
                    if row.ready_to_sign else
                    "A nurse completes the nursing record before the physician signs")

        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Date"),
                   lambda r: r.scheduled_at_utc.astimezone(tz).strftime("%a %d %b %Y %H:%M"),
                   bold=ready),
            Column(QT_TRANSLATE_NOOP("Column", "Patient"), lambda r: r.patient_name, bold=ready),
            Column(QT_TRANSLATE_NOOP("Column", "MRN"), lambda r: r.mrn, bold=ready),
            Column(QT_TRANSLATE_NOOP("Column", "Chair"), lambda r: r.chair, bold=ready),
            Column(QT_TRANSLATE_NOOP("Column", "Nursing record completed"), nursing,
                   tooltip=nursing_hint, bold=ready),
        ), parent, key=lambda row: row.session_id)


def _waiting_and_checked(db: Session) -> tuple[list[WaitingSession], dict[int, str]]:
    """The waiting sessions, and why any one's nursing attestation must not be trusted."""
    rows = waiting_for_signature(db)
    statuses = signature_statuses(db, [r.session_id for r in rows if r.ready_to_sign])
    return rows, {sid: status.attestation_problems[0] for sid, status in statuses.items()
                  if status.attestation_problems}


def _alert_columns(tz: ZoneInfo) -> tuple[Column[WaitingAlert], ...]:
    """The open-alerts list: when, who, where, what, and the action note."""
    return (
        Column(QT_TRANSLATE_NOOP("Column", "Time"),
               lambda w: w.alert.raised_at_utc.astimezone(tz).strftime("%a %d %b %H:%M")),
        Column(QT_TRANSLATE_NOOP("Column", "Patient"), lambda w: w.patient_name),
        Column(QT_TRANSLATE_NOOP("Column", "MRN"), lambda w: w.mrn),
        Column(QT_TRANSLATE_NOOP("Column", "Chair"), lambda w: w.chair),
        Column(QT_TRANSLATE_NOOP("Column", "Alert"), lambda w: f"{ALERT_MARK} {w.alert.message}",
               colour=lambda _w: OVERDUE_TEXT, bold=lambda _w: True),
        Column(QT_TRANSLATE_NOOP("Column", "Action taken"),
               lambda w: (w.alert.action_note or "").strip() or "no action note yet"),
    )


def _order_columns(tz: ZoneInfo) -> tuple[Column[AwaitingOrder], ...]:
    """The verbal orders list: when given, patient, the order, who read it back."""
    return (
        Column(QT_TRANSLATE_NOOP("Column", "Given"),
               lambda o: o.ordered_at_utc.astimezone(tz).strftime("%a %d %b %H:%M")),
        Column(QT_TRANSLATE_NOOP("Column", "Patient"), lambda o: o.patient_name),
        Column(QT_TRANSLATE_NOOP("Column", "MRN"), lambda o: o.mrn),
        Column(QT_TRANSLATE_NOOP("Column", "Verbal order"),
               lambda o: o.order_text, bold=lambda _o: True),
        Column(QT_TRANSLATE_NOOP("Column", "Read back by"), lambda o: o.received_by_name),
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
        self.table.read_only_rows(WaitingTableModel.NURSING)
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
        # verbal orders this physician gave at the chair, waiting for their co-signature
        self.orders_heading = QLabel()
        big_font(self.orders_heading, 16)
        self.orders_model: RowsModel[AwaitingOrder] = RowsModel(
            _order_columns(ctx.tz), self, key=lambda o: o.order_id)
        self.orders_table = SessionTable()
        self.orders_table.setObjectName("verbal_orders")
        self.orders_table.setModel(self.orders_model)
        self.orders_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.orders_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.orders_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.orders_table.verticalHeader().setVisible(False)
        self.orders_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.orders_table.horizontalHeader().setStretchLastSection(True)
        self.orders_table.setMaximumHeight(160)
        self.cosign_password = PasswordField(self.tr("your password; Enter co-signs the "
                                                     "selected order"))
        self.cosign_password.setObjectName("cosign_password")
        self.cosign_button = ActionButton(self.tr("Co-sign verbal order"))
        self.cosign_button.setObjectName("cosign_order")
        self.cosign_button.clicked.connect(self.cosign)
        self.cosign_button.bind_enter(self.cosign_password)
        self.orders_message = MessageLabel()
        self.orders_row = QWidget()
        row = QHBoxLayout(self.orders_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.cosign_password, 1)
        row.addWidget(self.cosign_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.alerts_heading)
        layout.addWidget(self.alerts_table)
        layout.addWidget(self.orders_heading)
        layout.addWidget(self.orders_table)
        layout.addWidget(self.orders_row)
        layout.addWidget(self.orders_message)
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
        outcome = self.ctx.run(_waiting_and_checked)
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return self.count()
        self.message.clear_message()
        self._refresh_alerts()
        self._refresh_orders()
        keep = self.table.currentIndex().row()
        rows, self.model.not_valid = outcome.value
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(min(max(keep, 0), len(rows) - 1))
        ready = sum(1 for r in rows if r.ready_to_sign and r.session_id not in
                    self.model.not_valid)
        sessions = self.tr("%n sessions", "", len(rows))
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

    def _refresh_orders(self) -> None:
        """The signed-in physician's verbal orders not co-signed yet (hidden when none)."""
        actor = self.ctx.actor()
        rows: list[AwaitingOrder] = []
        if may(actor.role, Permission.ORDER_DOSE) and actor.user_id is not None:
            uid = actor.user_id
            outcome = self.ctx.run(lambda db: verbal_orders_awaiting(db, uid))
            rows = outcome.value or []
        keep = self.orders_table.currentIndex().row()
        self.orders_model.set_rows(rows)
        if rows:
            self.orders_table.selectRow(min(max(keep, 0), len(rows) - 1))
        self.orders_heading.setText(
            f"{ALERT_MARK} " + self.tr("Verbal orders waiting for your co-signature: %1 "
                                       "(select one, type your password, Enter co-signs)")
            .replace("%1", str(len(rows))))
        for widget in (self.orders_heading, self.orders_table, self.orders_row):
            widget.setVisible(bool(rows))

    def cosign(self) -> bool:
        """Co-sign the selected verbal order with the physician's own password."""
        index = self.orders_table.currentIndex()
        if not index.isValid():
            self.orders_message.show_error(self.tr("Select the verbal order to co-sign."))
            return False
        order = self.orders_model.row_at(index.row())
        if not self.cosign_password.text():
            self.orders_message.show_error(self.tr("Enter your password to co-sign."))
            self.cosign_password.setFocus()
            return False
        password = self.cosign_password.take()
        actor, clock = self.ctx.actor(), self.ctx.clock
        outcome = self.ctx.run(lambda db: cosign_verbal_order(
            db, actor, order.order_id, password=password, clock=clock))
        if outcome.error:
            self.orders_message.show_error(outcome.error)
            self.cosign_password.setFocus()
            return False
        self.orders_message.show_info(self.tr("Verbal order co-signed: %1, %2.")
                                      .replace("%1", order.patient_name)
                                      .replace("%2", order.order_text))
        self._refresh_orders()
        return True

    def showEvent(self, event: QShowEvent) -> None:
        """Always show the list as stored now."""
        super().showEvent(event)
        self.refresh()
