"""Plan a course's series in one step, move one session, or stop a course.

The series dialog shows, as the nurse types, exactly what booking would do:
each date, each closed day the series moves past ("Wed 25 Nov 2026: clinic
closed (holiday), moved") and each day that would be refused (in the past,
the patient already booked). Nothing is written until "Book N sessions" is
clicked, and then the whole series is booked or nothing is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.scheduling import MAX_SERIES_SESSIONS, WEEKDAY_SHORT, infusion_label
from ketalog.services.booking import (
    CHAIR_TAKEN_ENDING,
    Booking,
    CourseOverview,
    SeriesPreview,
    booking_of,
    course_overview,
    plan_induction_series,
    reschedule_session,
    series_preview,
    stop_course,
)
from ketalog.services.settings import clinic_chairs
from ketalog.ui.core.context import Outcome, UiContext
from ketalog.ui.core.style import ALERT_MARK, MessageLabel
from ketalog.ui.widgets import (
    ActionButton,
    Button,
    ComboBox,
    DateField,
    DateTimeField,
    SpinBox,
    TimeField,
    button_row,
)
from ketalog.ui.widgets.questions import ask, instant_on_screen

#: Weekday presets offered as one click (Monday = 0).
PRESETS = {"Mon/Wed/Fri": (0, 2, 4), "Tue/Thu": (1, 3)}
DEFAULT_TIME = time(9, 0)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class PlanSeriesDialog(QDialog):
    """Book a course's series (e.g. Mon/Wed/Fri x 6); ``session_ids`` holds the new sessions."""

    def __init__(self, ctx: UiContext, course_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.course_id = course_id
        self.session_ids: list[int] = []
        self.preview: SeriesPreview | None = None
        self.setWindowTitle(self.tr("Plan the series"))
        self.setMinimumWidth(600)

        self.course_label = QLabel()
        self.course_label.setWordWrap(True)
        self.first_day = DateField()
        self.first_day.setDisplayFormat("yyyy-MM-dd")
        self.first_day.setCalendarPopup(True)
        self.weekday_boxes: list[QCheckBox] = []
        days_row = QHBoxLayout()
        for index, name in enumerate(WEEKDAY_SHORT):
            box = QCheckBox(self.tr(name))
            box.setChecked(index in PRESETS["Mon/Wed/Fri"])
            self.weekday_boxes.append(box)
            days_row.addWidget(box)
        days_row.addStretch(1)
        presets_row = QHBoxLayout()
        self.preset_buttons: dict[str, Button] = {}
        for name, days in PRESETS.items():  # they only tick boxes: may have the focus
            button = Button(self.tr(name))
            button.clicked.connect(lambda _checked=False, d=days: self.choose_weekdays(d))
            self.preset_buttons[name] = button
            presets_row.addWidget(button)
        presets_row.addStretch(1)
        self.time_of_day = TimeField()
        self.time_of_day.setTime(QTime(DEFAULT_TIME.hour, DEFAULT_TIME.minute))
        self.time_of_day.setDisplayFormat("HH:mm")
        self.chair = ComboBox()
        self.count = SpinBox()
        self.count.setRange(1, MAX_SERIES_SESSIONS)
        form = QFormLayout()
        form.addRow(self.tr("First day"), self.first_day)
        form.addRow(self.tr("Weekdays"), days_row)
        form.addRow("", presets_row)
        form.addRow(self.tr("Time"), self.time_of_day)
        form.addRow(self.tr("Chair"), self.chair)
        form.addRow(self.tr("Number of infusions"), self.count)

        self.preview_list = QListWidget()
        self.preview_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.message = MessageLabel()
        # booking stores the series: a click, Ctrl+Enter, or Enter in the count
        self.book_button = ActionButton(self.tr("Book sessions"), shortcut="Ctrl+Return")
        self.book_button.clicked.connect(self.book)
        self.book_button.bind_enter(self.count)
        buttons = button_row(Button(self.tr("Close"), on_click=self.reject), self.book_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.course_label)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Sessions to book")))
        layout.addWidget(self.preview_list)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self._load()
        self.first_day.dateChanged.connect(self.refresh_preview)
        self.time_of_day.timeChanged.connect(self.refresh_preview)
        self.count.valueChanged.connect(self.refresh_preview)
        self.chair.currentTextChanged.connect(self.refresh_preview)
        for box in self.weekday_boxes:
            box.toggled.connect(self.refresh_preview)
        self.refresh_preview()
        self.first_day.setFocus()

    # --- set-up -----------------------------------------------------------------------

    def _load(self) -> None:
        outcome = self.ctx.run(lambda db: (course_overview(db, self.course_id),
                                           clinic_chairs(db)))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.book_button.setEnabled(False)
            return
        overview, chairs = outcome.value
        self.chair.addItems(chairs)
        self.course_label.setText(self._course_text(overview))
        remaining = overview.remaining_induction
        self.count.setValue(max(1, remaining))
        tomorrow = self.ctx.clock().astimezone(self.ctx.tz).date() + timedelta(days=1)
        self.first_day.setDate(_qdate(tomorrow))

    def _course_text(self, overview: CourseOverview) -> str:
        text = self.tr("%1: %2, %3 phase. %4 of %5 planned infusions booked.")
        for index, value in enumerate((overview.patient_name, overview.indication,
                                       overview.phase, str(overview.sessions_booked),
                                       str(overview.planned_infusions)), start=1):
            text = text.replace(f"%{index}", value)
        return text

    # --- reading the form -----------------------------------------------------------

    def weekdays(self) -> frozenset[int]:
        """The ticked weekdays (Monday = 0)."""
        return frozenset(i for i, box in enumerate(self.weekday_boxes) if box.isChecked())

    def choose_weekdays(self, days: tuple[int, ...]) -> None:
        """Apply a preset: exactly these weekdays ticked; the preview follows."""
        for index, box in enumerate(self.weekday_boxes):
            box.blockSignals(True)
            box.setChecked(index in days)
            box.blockSignals(False)
        self.refresh_preview()

    def chosen_time(self) -> time:
        """The time of day, clinic time."""
        value = self.time_of_day.time()
        return time(value.hour(), value.minute())

    # --- preview and booking ------------------------------------------------------------

    def refresh_preview(self) -> None:
        """Ask the services what booking would do now, and show it day by day."""
        first, days, at, count = (_pydate(self.first_day.date()), self.weekdays(),
                                  self.chosen_time(), self.count.value())
        chair = self.chair.currentText()
        outcome = self.ctx.run(lambda db: series_preview(
            db, self.course_id, first_day=first, weekdays=days, time_of_day=at, count=count,
            chair=chair, clock=self.ctx.clock))
        self.preview_list.clear()
        self.preview = outcome.value
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self._set_book_button(0, outcome.error or "")
            return
        for line in outcome.value.lines:
            if line.bookable:
                text = line.text
            elif line.moved:
                text = f"   {line.text}"
            else:
                text = f"{ALERT_MARK} {line.text}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, line.on)
            self.preview_list.addItem(item)
        problems = outcome.value.problems
        if problems:
            why = "\n".join(p.text for p in problems) + "\n" + self.tr(
                "Choose another first day, time or other weekdays.")
            self.message.show_error(why)
            self._set_book_button(outcome.value.count, why)
        else:
            self.message.clear_message()
            self._set_book_button(outcome.value.count, "")

    def _set_book_button(self, count: int, why_not: str) -> None:
        self.book_button.setText(self.tr("Book %n sessions", "", count))
        self.book_button.setEnabled(not why_not)
        self.book_button.setToolTip(why_not)

    def book(self) -> None:
        """Book the whole series, or nothing (the refusal says what to change)."""
        first, days, at, count = (_pydate(self.first_day.date()), self.weekdays(),
                                  self.chosen_time(), self.count.value())
        chair = self.chair.currentText()
        outcome = self.ctx.run(lambda db: plan_induction_series(
            db, self.ctx.actor(), self.course_id, first_day=first, weekdays=days,
            time_of_day=at, chair=chair, count=count, clock=self.ctx.clock))
        if outcome.value is None:
            self.refresh_preview()
            self.message.show_error(outcome.error or "")
            return
        self.session_ids = outcome.value
        self.accept()


class RescheduleDialog(QDialog):
    """Move one scheduled session to another date, time or chair; the rest stay as booked."""

    def __init__(self, ctx: UiContext, session_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session_id = session_id
        self.booking: Booking | None = None
        self.setWindowTitle(self.tr("Move a session"))
        self.setMinimumWidth(420)

        self.current = QLabel()
        self.current.setWordWrap(True)
        self.when = DateTimeField()
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.chair = ComboBox()
        form = QFormLayout()
        form.addRow(self.tr("New date and time"), self.when)
        form.addRow(self.tr("Chair"), self.chair)
        self.message = MessageLabel()
        self.move_button = ActionButton(self.tr("Move session"), shortcut="Ctrl+Return")
        self.move_button.clicked.connect(self.move_session)
        self.move_button.bind_enter(self.when)
        buttons = button_row(Button(self.tr("Close"), on_click=self.reject), self.move_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        outcome = self.ctx.run(lambda db: clinic_chairs(db))
        self.chair.addItems(outcome.value or [])
        self.load()
        self.when.setFocus()

    def load(self) -> None:
        """Show the booking as stored now (after a refusal too: it may have moved)."""
        outcome = self.ctx.run(lambda db: booking_of(db, self.session_id))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.move_button.setEnabled(False)
            return
        booking = self.booking = outcome.value
        local = booking.scheduled_at_utc.astimezone(self.ctx.tz)
        number = infusion_label(booking.sequence_number, booking.planned_infusions)
        self.current.setText(f"{booking.patient_name}, {number}: "
                             f"{local:%a %d %b %Y %H:%M}, {booking.chair}")
        zone = QTimeZone(self.ctx.tz.key.encode())
        self.when.setDateTime(QDateTime(_qdate(local.date()), QTime(local.hour, local.minute),
                                        zone))
        if self.chair.findText(booking.chair) < 0:
            self.chair.addItem(booking.chair)
        self.chair.setCurrentText(booking.chair)

    def new_start(self) -> datetime | None:
        """The chosen date and time as an aware UTC instant.

        On the night the clocks go back a repeated time is asked about; a time
        that does not exist gives None, with the reason shown.
        """
        return instant_on_screen(self, self.when.dateTime(), self.ctx.tz,
                                 self.message.show_error)

    def move_session(self) -> None:
        """Move it; a refusal (closed day, stale screen, ...) is shown and nothing changes."""
        if self.booking is None:
            return
        version, start, chair = self.booking.version, self.new_start(), self.chair.currentText()
        if start is None:
            return

        def move(confirm: bool) -> Outcome[int]:
            return self.ctx.run(lambda db: reschedule_session(
                db, self.ctx.actor(), self.session_id, new_start=start, chair=chair,
                expected_version=version, confirm_chair_overlap=confirm, clock=self.ctx.clock))

        outcome = move(False)
        if (outcome.value is None and (outcome.error or "").endswith(CHAIR_TAKEN_ENDING)
                and ask(self, self.tr("Chair already booked"), outcome.error or "",
                        [self.tr("Move anyway")], self.tr("Cancel")) == 0):
            outcome = move(True)
        if outcome.value is None:
            error = outcome.error or ""
            if "changed by" in error:
                self.load()
            self.message.show_error(error)
            return
        self.accept()


class StopCourseDialog(QDialog):
    """Stop a course with a reason (physicians); still-booked sessions are cancelled."""

    def __init__(self, ctx: UiContext, course_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.course_id = course_id
        self.cancelled_ids: list[int] = []
        self.setWindowTitle(self.tr("Stop the course"))
        self.setMinimumWidth(420)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr('e.g. "no response after 4 infusions"'))
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        self.message = MessageLabel()
        # stopping cancels booked sessions: a click or Enter in the reason, once
        self.stop_button = ActionButton(self.tr("Stop course"))
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.bind_enter(self.reason)
        buttons = button_row(Button(self.tr("Close"), on_click=self.reject), self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        outcome = self.ctx.run(lambda db: course_overview(db, self.course_id))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.stop_button.setEnabled(False)
        else:
            overview = outcome.value
            self.summary.setText(
                self.tr("%1: %2. Stopping cancels the %3 session(s) still booked.")
                .replace("%1", overview.patient_name).replace("%2", overview.indication)
                .replace("%3", str(overview.sessions_waiting)))
        self.reason.setFocus()

    def stop(self) -> None:
        """Stop the course; without a reason the refusal says so and nothing changes."""
        reason = self.reason.text()
        outcome = self.ctx.run(lambda db: stop_course(
            db, self.ctx.actor(), self.course_id, reason=reason, clock=self.ctx.clock))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.reason.setFocus()
            return
        self.cancelled_ids = outcome.value
        self.accept()
