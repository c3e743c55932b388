"""The clinic's outcomes: response and remission by indication and by protocol, with counts.

For the physician and administrator checking the clinic's own claims: every
percentage is of the evaluable courses and is shown with its count, and the
courses excluded for missing scores are counted on every row and in a line of
their own, never left out. A nurse sees the refusal in words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QDate, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.outcomes import EVALUABLE_MEANING, ClinicOutcomes, OutcomeRow
from ketalog.services.outcomes import (
    OUTCOME_COLUMNS,
    clinic_outcomes_report,
    excluded_text,
    outcome_cells,
    share_text,
)
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import Button, Column, DateField, RowsModel, make_table
from ketalog.ui.widgets.windows import place_window

#: The services' OUTCOME_COLUMNS marked for translation (the table translates titles
#: under "Column"; a test keeps the two the same).
OUTCOME_TITLES = (QT_TRANSLATE_NOOP("Column", "Primary scale"),
                  QT_TRANSLATE_NOOP("Column", "Courses"),
                  QT_TRANSLATE_NOOP("Column", "Patients"), QT_TRANSLATE_NOOP("Column", "Evaluable"),
                  QT_TRANSLATE_NOOP("Column", "Excluded (missing scores)"),
                  QT_TRANSLATE_NOOP("Column", "Response"), QT_TRANSLATE_NOOP("Column", "Remission"))

#: Wait this long after a date changes before asking again (typing a year is four keys).
REFRESH_DELAY_MS = 300


def last_twelve_months(today: date) -> tuple[date, date]:
    """From the day after the same date a year ago, to today (both included)."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


@dataclass(frozen=True)
class OutcomeLine:
    """One line of an outcomes table: a group's tally, or the total (bold, last)."""

    row: OutcomeRow
    total: bool = False

    @property
    def key(self) -> tuple[bool, str]:
        """Groups are unique by name; the total is apart even if a group shares its name."""
        return self.total, self.row.group


def _cell(column: int) -> Callable[[OutcomeLine], str]:
    def text(line: OutcomeLine) -> str:
        return outcome_cells(line.row)[column]
    return text


class OutcomeRowsModel(RowsModel[OutcomeLine]):
    """Groups of courses (an indication or a protocol) with the total as a bold last row."""

    GROUP = 0

    def __init__(self, group_heading: str, parent: QObject | None = None) -> None:
        right = Qt.AlignmentFlag.AlignRight
        super().__init__((
            Column(group_heading, lambda line: line.row.group, bold=_is_total),
            *(Column(title, _cell(number), bold=_is_total, align=right)
              for number, title in enumerate(OUTCOME_COLUMNS)),
        ), parent, key=lambda line: line.key)

    def set_groups(self, rows: Sequence[OutcomeRow], total: OutcomeRow | None = None) -> None:
        """Show the groups; ``total`` (when given and groups exist) goes last, in bold."""
        lines = [OutcomeLine(row) for row in rows]
        if total is not None and rows:
            lines.append(OutcomeLine(total, total=True))
        self.set_rows(lines)


def _is_total(line: OutcomeLine) -> bool:
    return line.total


class OutcomesDialog(QDialog):
    """Pick a period; see response and remission by indication and by protocol."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.outcomes: ClinicOutcomes | None = None
        self.setWindowTitle(self.tr("Clinic outcomes"))
        self.setModal(False)
        self.setMinimumSize(900, 560)

        start, end = last_twelve_months(ctx.clock().astimezone(ctx.tz).date())
        self.date_from = DateField()
        self.date_from.setDate(_qdate(start))
        self.date_to = DateField()
        self.date_to.setDate(_qdate(end))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(lambda _d: self._timer.start())
        filters = QHBoxLayout()
        for label, widget in ((self.tr("Courses begun from"), self.date_from),
                              (self.tr("to"), self.date_to)):
            form = QFormLayout()
            form.setContentsMargins(0, 0, 0, 0)
            form.addRow(label, widget)
            filters.addLayout(form)
        filters.addStretch(1)

        self.heading = QLabel()
        big_font(self.heading, 14)
        self.heading.setWordWrap(True)
        self.meaning = QLabel(self.tr(EVALUABLE_MEANING) + " " + self.tr(
            "A course begins on the day of its first infusion (or its start date before "
            "one). Percentages are of the evaluable courses; remission counts only courses "
            "whose primary scale has a remission rule (PHQ-9 below 5, GAD-7 below 5)."))
        self.meaning.setWordWrap(True)
        self.excluded_label = QLabel()
        self.excluded_label.setWordWrap(True)
        big_font(self.excluded_label, 11)
        self.message = MessageLabel()

        self.indication_model = OutcomeRowsModel(self.tr("Indication"), self)
        self.protocol_model = OutcomeRowsModel(self.tr("Protocol"), self)
        self.indication_table = self._table(self.indication_model)
        self.protocol_table = self._table(self.protocol_model)

        close = Button(self.tr("Close"), on_click=self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.excluded_label)
        layout.addWidget(QLabel(self.tr("By indication")))
        layout.addWidget(self.indication_table, 1)
        layout.addWidget(QLabel(self.tr("By protocol")))
        layout.addWidget(self.protocol_table, 1)
        layout.addWidget(self.meaning)
        layout.addLayout(bottom)
        self.refresh()
        place_window(self, "outcomes", 1200, 720)
        self.date_from.setFocus()

    @staticmethod
    def _table(model: OutcomeRowsModel) -> QTableView:
        return make_table(model, stretch_column=0)

    def period(self) -> tuple[date, date]:
        """The dates chosen (clinic-local days, both included)."""
        return _pydate(self.date_from.date()), _pydate(self.date_to.date())

    def refresh(self) -> ClinicOutcomes | None:
        """Tally the chosen period as stored now; a refusal shows in the message line."""
        self._timer.stop()
        start, end = self.period()
        actor = self.ctx.actor()
        outcome = self.ctx.run(
            lambda db: clinic_outcomes_report(db, actor, start=start, end=end))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            self.outcomes = None
            self.indication_model.set_groups([])
            self.protocol_model.set_groups([])
            self.heading.setText("")
            self.excluded_label.setText("")
            return None
        self.message.clear_message()
        self._show(outcome.value, start, end)
        return outcome.value

    def _show(self, outcomes: ClinicOutcomes, start: date, end: date) -> None:
        self.outcomes = outcomes
        total = outcomes.total
        period = f"{start.isoformat()} \u2013 {end.isoformat()}"
        if total.courses == 0:
            self.heading.setText(self.tr("No course began from %1.").replace("%1", period))
        else:
            self.heading.setText(
                self.tr("%1: %2 (%3); response %4; remission %5")
                .replace("%1", period).replace("%2", self.tr("%n courses", "", total.courses))
                .replace("%3", self.tr("%n patients", "", total.patients))
                .replace("%4", share_text(total.responders, total.evaluable,
                                          total.response_percent))
                .replace("%5", outcome_cells(total)[-1]))
        self.excluded_label.setText(
            self.tr("Excluded for missing scores: %1 of %2%3.")
            .replace("%1", str(total.excluded))
            .replace("%2", self.tr("%n courses", "", total.courses))
            .replace("%3", "" if total.excluded == 0
                     else " \u2014 " + excluded_text(total).split(" ", 1)[1].strip("()")))
        self.indication_model.set_groups(outcomes.by_indication, outcomes.total)
        self.protocol_model.set_groups(outcomes.by_protocol, outcomes.total)
