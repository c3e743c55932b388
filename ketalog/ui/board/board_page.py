"""The day board: every session of a day by chair, opened with Enter or a double click."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.board import BoardRow, day_board
from ketalog.ui.board.board_model import BoardTableModel
from ketalog.ui.core.alert_sound import ALERT_SOUND
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import ALERT_MARK, MessageLabel, big_font
from ketalog.ui.widgets import Button, DateField, SessionTable

#: Pixels for the protocol column ("IV ketamine, 0.5 mg/kg ..." elided; tooltip in full).
PROTOCOL_WIDTH = 240
#: The protocol column gives way down to this before anything else does.
PROTOCOL_MIN_WIDTH = 100
#: Then the patient's name (elided, in full in its tooltip) down to this.
PATIENT_MIN_WIDTH = 150
#: The safety and cautions column never gets less (it wraps onto more lines instead).
SAFETY_MIN_WIDTH = 260


class _OneLine(QStyledItemDelegate):
    """Cells that stay on one line (elided, full text in the tooltip): all but safety."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        """No wrapping in this column."""
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText


class BoardPage(QWidget):
    """Date picker, the board table and the button to schedule a session."""

    open_session = Signal(int)
    day_log_requested = Signal(object)  # date

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = BoardTableModel(ctx.tz, self)
        self.heading = QLabel()
        big_font(self.heading, 16)
        self.day = DateField()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        today = ctx.clock().astimezone(ctx.tz).date()
        self.day.setDate(QDate(today.year, today.month, today.day))
        self.day.dateChanged.connect(lambda _d: self.refresh())
        previous_day = Button(self.tr("< Previous day"))
        previous_day.clicked.connect(lambda: self.shift_day(-1))
        next_day = Button(self.tr("Next day >"))
        next_day.clicked.connect(lambda: self.shift_day(1))
        today_button = Button(self.tr("Today"))
        today_button.clicked.connect(self.go_today)
        self.schedule_button = Button(self.tr("New session... (Ctrl+N)"))
        self.schedule_button.clicked.connect(self.schedule)
        self.day_log_button = Button(self.tr("Day log... (Ctrl+P)"))
        self.day_log_button.clicked.connect(
            lambda: self.day_log_requested.emit(self.selected_day()))
        bar = QHBoxLayout()
        bar.addWidget(self.heading, 1)
        for widget in (previous_day, self.day, next_day, today_button, self.schedule_button,
                       self.day_log_button):
            bar.addWidget(widget)

        self.table = SessionTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the protocol name and the safety column are the long ones: the protocol gets
        # what is left after the safety column's minimum (elided, full name in its
        # tooltip); safety and cautions wrap onto more lines, never cut: a caution must
        # be read, not hovered
        for column in (BoardTableModel.PROTOCOL, BoardTableModel.PATIENT,
                       BoardTableModel.ALERTS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self._one_line = _OneLine(self.table)
        for column in range(self.model.columnCount()):
            if column != BoardTableModel.ALERTS:
                self.table.setItemDelegateForColumn(column, self._one_line)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        big_font(self.table, 13, bold=False)
        self.table.open_requested.connect(self.open_session)
        self.message = MessageLabel()
        self.empty = QLabel(self.tr("No sessions on this day. Press Ctrl+N to schedule one."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new width: share it out again."""
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the width so the safety column is always on screen, in full.

        Every column but three takes its contents' width. Of what is left the
        safety column gets at least its minimum (and wraps onto more lines);
        the protocol gives way first, then the patient's name (both elided,
        full text in their tooltips); the safety column takes whatever remains.
        """
        header = self.table.horizontalHeader()
        flexible = (BoardTableModel.PROTOCOL, BoardTableModel.PATIENT, BoardTableModel.ALERTS)
        others = sum(header.sectionSize(c) for c in range(self.model.columnCount())
                     if c not in flexible)
        free = max(self.table.viewport().width() - others, 0)
        patient_wanted = max(self.table.sizeHintForColumn(BoardTableModel.PATIENT),
                             header.sectionSizeHint(BoardTableModel.PATIENT))
        protocol = max(PROTOCOL_MIN_WIDTH,
                       min(PROTOCOL_WIDTH, free - SAFETY_MIN_WIDTH - patient_wanted))
        patient = max(min(PATIENT_MIN_WIDTH, patient_wanted),
                      min(patient_wanted, free - SAFETY_MIN_WIDTH - protocol))
        header.resizeSection(BoardTableModel.PROTOCOL, protocol)
        header.resizeSection(BoardTableModel.PATIENT, patient)
        header.resizeSection(BoardTableModel.ALERTS,
                             max(SAFETY_MIN_WIDTH, free - protocol - patient))
        self.table.resizeRowsToContents()

    def selected_row(self) -> BoardRow | None:
        """The session selected (the current row) on the board, or None."""
        current = self.table.currentIndex()
        if not current.isValid() or current.row() >= self.model.rowCount():
            return None
        return self.model.row_at(current.row())

    def selected_day(self) -> date:
        """The day the board shows."""
        value = self.day.date()
        return date(value.year(), value.month(), value.day())

    def shift_day(self, days: int) -> None:
        """Show the previous or next day."""
        self.day.setDate(self.day.date().addDays(days))

    def go_today(self) -> None:
        """Show today's board."""
        today = self.ctx.clock().astimezone(self.ctx.tz).date()
        self.day.setDate(QDate(today.year, today.month, today.day))

    def refresh(self) -> None:
        """Reload the board from the database (one query set, a few ms)."""
        day = self.selected_day()
        now = self.ctx.clock()
        outcome = self.ctx.read(lambda db: day_board(db, day, self.ctx.tz, now=now))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        self.message.clear_message()
        keep = self.table.currentIndex().row()
        self.model.set_rows(outcome.value, now)
        if 0 <= keep < self.model.rowCount():
            self.table.selectRow(keep)
        self.fit_columns()
        is_today = day == now.astimezone(self.ctx.tz).date()
        label = self.tr("Today") if is_today else day.strftime("%A")
        heading = self.tr("%1: %n sessions", "", len(outcome.value)).replace("%1", label)
        alerts = sum(len(r.open_alerts) for r in outcome.value)
        if alerts:  # said in the heading too, so it is seen without reading every row
            heading += f"   {ALERT_MARK} " + self.tr("open alerts: %1").replace("%1", str(alerts))
        self.heading.setText(heading)
        self.empty.setVisible(not outcome.value)
        self._sound_overdue()

    def tick(self) -> None:
        """Move timers and overdue marks on without a database read."""
        self.model.set_now(self.ctx.clock())
        self._sound_overdue()

    def _sound_overdue(self) -> None:
        """Today's vitals falling overdue play the workstation's alert sound, once each."""
        now = self.ctx.clock()
        if self.selected_day() != now.astimezone(self.ctx.tz).date():
            return  # another day's board is being read, not watched
        ALERT_SOUND.play_for(("vitals", row.session_id, row.next_vitals_due_at_utc)
                             for row in self.model.rows() if row.vitals_overdue(now))

    def schedule(self) -> int | None:
        """Open the scheduling dialog; show the new session's day."""
        # start-up: the scheduling dialog (about 10 ms) is not needed to paint the board
        from ketalog.ui.board.schedule_dialog import ScheduleDialog

        dialog = ScheduleDialog(self.ctx, self.selected_day(), self)
        if dialog.exec() and dialog.session_id is not None and dialog.booked_at is not None:
            day = dialog.booked_at.astimezone(self.ctx.tz).date()
            if day != self.selected_day():
                self.day.setDate(QDate(day.year, day.month, day.day))
            self.refresh()
            return dialog.session_id
        return None

    def focus_table(self) -> None:
        """Put the keyboard on the table, first row selected."""
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

