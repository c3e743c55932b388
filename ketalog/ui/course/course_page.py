"""The course window: where a course stands, its scores across sessions and the doses given.

For the physician following a course (and the nurse planning the next visit):
the header says who, what and how far ("infusion 3 of 6"); the chart shows each
outcome scale on its own range across the sessions with its baseline, 50 %
response and remission lines, and the dose given at each session underneath;
the outcome lines say baseline, latest, change, response and remission in
words, with the "no response after 3 infusions" flag in red. Double click or
Enter on a session opens it. ``actions`` is where course actions go (plan the
series, screening, complete, stop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.errors import ValidationError
from ketalog.domain.outcomes import NO_RESPONSE_AFTER, REMISSION_BELOW, CourseOutcome
from ketalog.domain.scales import ScaleDefinition, get_scale
from ketalog.domain.session_state import STATE_LABELS, SessionState
from ketalog.services.outcomes import CourseSessionRow, CourseView, course_view
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import ALERT_MARK, MessageLabel, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import Button, Column, RowsModel, SessionTable
from ketalog.ui.widgets.windows import place_window

NONE_TEXT = "\u2014"
FLAG_COLOUR = "#b00000"
#: How each scale's line is drawn: colour, dash and marker, so lines differ in black and white.
SCALE_STYLES: dict[str, tuple[QColor, Qt.PenStyle, str]] = {
    "phq9": (QColor("#1f4e99"), Qt.PenStyle.SolidLine, "circle"),
    "gad7": (QColor("#1e7a3c"), Qt.PenStyle.DashLine, "square"),
    "pcl5": (QColor("#7a3c1e"), Qt.PenStyle.SolidLine, "triangle"),
    "madrs": (QColor("#5b2c6f"), Qt.PenStyle.DashDotLine, "diamond"),
    "pain": (QColor("#b03a2e"), Qt.PenStyle.SolidLine, "circle"),
}
DOSE_FILL = QColor(120, 160, 220, 160)
STATUS_LABELS = {"active": "Active", "completed": "Completed", "stopped": "Stopped"}


def scale_definition(code: str) -> ScaleDefinition | None:
    """The scale's definition; None for a code the domain does not know."""
    try:
        return get_scale(code)
    except ValidationError:
        return None


def scale_name(code: str) -> str:
    """"phq9" -> "PHQ-9"."""
    definition = scale_definition(code)
    return code if definition is None else definition.name


def _number(value: Decimal | int) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(value: Decimal | int) -> str:
    text = _number(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _with_band(code: str, total: int) -> str:
    definition = scale_definition(code)
    band = None if definition is None else definition.band_for(total)
    return f"{total} ({band})" if band else str(total)


def outcome_text(outcome: CourseOutcome, *, primary: bool) -> str:
    """One scale's standing in words: baseline, latest, change, response, remission."""
    name = scale_name(outcome.scale) + (" (primary)" if primary else "")
    code = outcome.scale
    if outcome.baseline == 0:
        change = f"{_signed(outcome.change)} (no % from a baseline of 0)"
        response = "response: no (baseline 0)"
    else:
        change = f"{_signed(outcome.change)} ({_signed(outcome.percent_change)} %)"
        response = (f"response: {'yes' if outcome.response else 'no'} "
                    f"(\u2264 {_number(outcome.response_threshold)})")
    threshold = REMISSION_BELOW.get(code)
    if outcome.remission is None or threshold is None:
        remission = "remission: no rule"
    else:
        remission = f"remission: {'yes' if outcome.remission else 'no'} (< {threshold})"
    if not outcome.evaluable:
        return (f"{name}: baseline {_with_band(code, outcome.baseline)}; no score since, "
                "so no change yet")
    return (f"{name}: baseline {_with_band(code, outcome.baseline)}, latest "
            f"{_with_band(code, outcome.latest)}; change {change}; {response}; {remission}")


def flag_text(outcome: CourseOutcome) -> str:
    """The no-response flag in words, for the physician."""
    scores = ("no score recorded since" if outcome.follow_ups == 0 else
              f"no score at or below {_number(outcome.response_threshold)} since; "
              f"latest {outcome.latest}")
    return (f"{ALERT_MARK} {scale_name(outcome.scale)}: no response after "
            f"{NO_RESPONSE_AFTER} infusions ({outcome.infusions_since_baseline} given since "
            f"the baseline of {outcome.baseline}, {scores}). Review the treatment plan.")


def number_text(row: CourseSessionRow, planned: int) -> str:
    """"3 of 6"; maintenance boosters beyond the plan show their number alone."""
    if row.number is None:
        return NONE_TEXT
    return f"{row.number} of {planned}" if row.number <= planned else str(row.number)


def _given_mg(row: CourseSessionRow) -> str:
    return NONE_TEXT if row.given_mg is None else f"{row.given_mg:.1f}"


def _mg_per_kg(row: CourseSessionRow) -> str:
    if row.given_mg is None or row.dose_mg_per_kg is None:
        return NONE_TEXT
    return _number(row.dose_mg_per_kg)


def _score(code: str) -> Callable[[CourseSessionRow], str]:
    def text(row: CourseSessionRow) -> str:
        total = row.scores.get(code)
        return NONE_TEXT if total is None else str(total)
    return text


class CourseSessionsModel(RowsModel[CourseSessionRow]):
    """The course's sessions: number, date, state, dose given, and a column per scale.

    Rows are matched by session id, so reloading the course keeps the selected
    session; the scale columns change only when the scales scored change.
    """

    NUMBER, DATE, STATE, GIVEN_MG, MG_PER_KG = range(5)

    def __init__(self, tz: ZoneInfo, parent: QObject | None = None) -> None:
        super().__init__((), parent, key=lambda r: r.session_id)
        self._tz = tz
        self._planned = 0
        self._scales: tuple[str, ...] = ()
        self.set_columns(self._columns_for(()))

    def _columns_for(self, scales: Sequence[str]) -> list[Column[CourseSessionRow]]:
        right = Qt.AlignmentFlag.AlignRight
        tz = self._tz
        fixed: list[Column[CourseSessionRow]] = [
            Column(QT_TRANSLATE_NOOP("Column", "Infusion"),
                   lambda r: number_text(r, self._planned), align=right),
            Column(QT_TRANSLATE_NOOP("Column", "Date"), lambda r: r.scheduled_at_utc.astimezone(tz)
                   .strftime("%a %d %b %Y %H:%M"), align=right),
            Column(QT_TRANSLATE_NOOP("Column", "State"),
                   lambda r: STATE_LABELS.get(r.state, r.state)),
            Column(QT_TRANSLATE_NOOP("Column", "Given (mg)"), _given_mg, align=right),
            Column(QT_TRANSLATE_NOOP("Column", "mg/kg"), _mg_per_kg, align=right),
        ]
        return fixed + [Column(scale_name(code), _score(code), align=right) for code in scales]

    def set_course(self, view: CourseView) -> None:
        """Show the course's sessions, one column per scale scored."""
        if view.scales != self._scales:
            self._scales = tuple(view.scales)
            self.set_columns(self._columns_for(self._scales))
        if view.planned_infusions != self._planned:
            self._planned = view.planned_infusions
            self.redraw(self.NUMBER, self.NUMBER)
        self.set_rows(view.sessions)


def _spread(wanted: list[float], gap: float) -> list[float]:
    """Label positions at least ``gap`` apart, in the same top-to-bottom order as wanted."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: list[float] = []
    for i in order:
        placed.append(wanted[i] if not placed else max(wanted[i], placed[-1] + gap))
    result = [0.0] * len(wanted)
    for position, i in zip(placed, order, strict=True):
        result[i] = position
    return result


class CourseChart(QWidget):
    """Each outcome scale on its own range across the sessions, and the doses given below.

    One panel per scale (scales with different ranges on one axis would flatten
    the smaller ones), sharing the session axis; reference lines: baseline
    (dotted), 50 % response (dashed), remission threshold (dash-dot, red). The
    bottom row has a bar per infusion given, labelled in mg. The geometry
    methods are what the painter uses, so tests can check them.
    """

    PANEL_H = 120.0
    DOSE_H = 64.0
    LEFT, RIGHT, TOP, AXIS_H = 56.0, 150.0, 8.0, 34.0

    def __init__(self, parent: QWidget | None = None, tz: ZoneInfo | None = None) -> None:
        super().__init__(parent)
        self.tz = tz or ZoneInfo("UTC")
        self._sessions: list[CourseSessionRow] = []
        self._scales: tuple[str, ...] = ()
        self._outcomes: dict[str, CourseOutcome] = {}
        self._planned = 0
        self.setMinimumSize(420, int(self.DOSE_H + self.AXIS_H + self.TOP + 40))
        self.setAccessibleName(self.tr("Scores and doses across the course"))

    def set_course(self, view: CourseView) -> None:
        """Show this course (cancelled sessions without scores are left out)."""
        self._sessions = [s for s in view.sessions
                          if s.state != SessionState.CANCELLED or s.scores]
        self._scales = view.scales
        self._outcomes = dict(view.outcomes)
        self._planned = view.planned_infusions
        self.setMinimumHeight(int(self._height_needed()))
        self.setToolTip(self._summary())
        self.updateGeometry()
        self.update()

    # --- data ----------------------------------------------------------------------

    def scales(self) -> tuple[str, ...]:
        """The scales drawn, one panel each, top to bottom."""
        return self._scales

    def points(self, scale: str) -> list[tuple[int, int]]:
        """(session index on the x axis, total) of one scale."""
        return [(i, s.scores[scale]) for i, s in enumerate(self._sessions) if scale in s.scores]

    def dose_bars(self) -> list[tuple[int, Decimal]]:
        """(session index, mg given) of each infusion given."""
        return [(i, s.given_mg) for i, s in enumerate(self._sessions) if s.given_mg is not None]

    def scale_range(self, scale: str) -> tuple[int, int]:
        """The y axis of a scale: its whole possible range."""
        definition = scale_definition(scale)
        if definition is None:
            return 0, max([t for _, t in self.points(scale)] + [1])
        return definition.min_total, definition.max_total

    def ticks(self, scale: str) -> list[int]:
        """Values labelled on a panel's y axis: round steps, and the scale's maximum."""
        low, high = self.scale_range(scale)
        span = max(1, high - low)
        step = next((s for s in (1, 2, 5, 10, 20, 25, 50) if span / s <= 4), 100)
        ticks = list(range(low, high + 1, step))
        if ticks[-1] != high:
            if (high - ticks[-1]) / span < 0.2 and len(ticks) > 1:
                ticks.pop()
            ticks.append(high)
        return ticks

    def reference_lines(self, scale: str) -> list[tuple[str, float]]:
        """(kind, value) of the lines drawn across a panel: baseline, response, remission."""
        lines: list[tuple[str, float]] = []
        outcome = self._outcomes.get(scale)
        if outcome is not None:
            lines.append(("baseline", float(outcome.baseline)))
            if outcome.baseline > 0:
                lines.append(("response", float(outcome.response_threshold)))
        if scale in REMISSION_BELOW:
            lines.append(("remission", float(REMISSION_BELOW[scale])))
        return lines

    # --- geometry ------------------------------------------------------------------

    def _height_needed(self) -> float:
        return self.TOP + max(1, len(self._scales)) * self.PANEL_H + self.DOSE_H + self.AXIS_H

    def sizeHint(self) -> QSize:
        """Wide enough for a six-infusion series; tall enough for every panel."""
        return QSize(720, int(self._height_needed()))

    def _plot_width(self) -> float:
        return max(40.0, self.width() - self.LEFT - self.RIGHT)

    def panel_rect(self, scale: str) -> QRectF:
        """Where one scale's line is drawn."""
        index = self._scales.index(scale)
        free = self.height() - self.TOP - self.DOSE_H - self.AXIS_H
        panel = max(40.0, free / max(1, len(self._scales)))
        top = self.TOP + index * panel
        return QRectF(self.LEFT, top + 14, self._plot_width(), panel - 24)

    def dose_rect(self) -> QRectF:
        """The row of dose bars under the panels."""
        top = self.height() - self.AXIS_H - self.DOSE_H
        return QRectF(self.LEFT, top + 12, self._plot_width(), self.DOSE_H - 16)

    def x_of(self, index: int) -> float:
        """Horizontal pixel of a session (its column's centre)."""
        step = self._plot_width() / max(1, len(self._sessions))
        return self.LEFT + (index + 0.5) * step

    def y_of(self, scale: str, value: float) -> float:
        """Vertical pixel of a value in the scale's panel."""
        low, high = self.scale_range(scale)
        rect = self.panel_rect(scale)
        return rect.bottom() - (value - low) / max(1, high - low) * rect.height()

    def bar_rect(self, index: int, mg: Decimal) -> QRectF:
        """The bar of one dose; the tallest dose of the course fills the row."""
        rect = self.dose_rect()
        largest = max([float(m) for _, m in self.dose_bars()] + [1.0])
        step = self._plot_width() / max(1, len(self._sessions))
        height = float(mg) / largest * (rect.height() - 12)
        width = min(28.0, step * 0.6)
        return QRectF(self.x_of(index) - width / 2, rect.bottom() - height, width, height)

    # --- painting ------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Panels, reference lines, score lines, dose bars and the session axis."""
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setPointSize(9)
        painter.setFont(font)
        if not self._sessions:
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter,
                             self.tr("No sessions in this course yet"))
            return
        if not self._scales:
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(self.LEFT, self.TOP, self._plot_width(), self.PANEL_H - 20),
                             Qt.AlignmentFlag.AlignCenter,
                             self.tr("No outcome scores recorded yet"))
        for scale in self._scales:
            self._paint_panel(painter, scale)
        self._paint_doses(painter)
        self._paint_axis(painter)

    def _paint_panel(self, painter: QPainter, scale: str) -> None:
        rect = self.panel_rect(scale)
        low, high = self.scale_range(scale)
        colour, dash, marker = SCALE_STYLES.get(
            scale, (QColor("#333333"), Qt.PenStyle.SolidLine, "circle"))
        painter.setPen(QColor("#222222"))
        bold = QFont(painter.font())
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.drawText(QRectF(rect.left(), rect.top() - 15, rect.width(), 14),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"{scale_name(scale)} ({low}\u2013{high})")
        painter.restore()
        grid = QPen(QColor("#dddddd"), 1)
        for tick in self.ticks(scale):
            y = self.y_of(scale, tick)
            painter.setPen(grid)
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(rect.left() - 40, y - 8, 34, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             str(tick))
        painter.setPen(QPen(QColor("#333333"), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        styles = {
            "baseline": (QColor("#444444"), Qt.PenStyle.DotLine, self.tr("baseline %1")),
            "response": (QColor("#444444"), Qt.PenStyle.DashLine,
                         self.tr("50 % response \u2264 %1")),
            "remission": (QColor(FLAG_COLOUR), Qt.PenStyle.DashDotLine,
                          self.tr("remission < %1")),
        }
        lines = self.reference_lines(scale)
        label_ys = _spread([self.y_of(scale, v) for _, v in lines], 13.0)
        for (kind, value), text_y in zip(lines, label_ys, strict=True):
            pen_colour, pen_dash, label = styles[kind]
            y = self.y_of(scale, value)
            painter.setPen(QPen(pen_colour, 1.5, pen_dash))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right() + 4, y))
            painter.setPen(pen_colour)
            painter.drawText(QRectF(rect.right() + 6, text_y - 8, self.RIGHT - 8, 16),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             label.replace("%1", _number(Decimal(str(value)))))
        points = [QPointF(self.x_of(i), self.y_of(scale, total))
                  for i, total in self.points(scale)]
        if len(points) > 1:
            painter.setPen(QPen(colour, 2, dash))
            painter.drawPolyline(QPolygonF(points))
        painter.setPen(QPen(colour, 1.5))
        painter.setBrush(QBrush(colour))
        for point, (_, total) in zip(points, self.points(scale), strict=True):
            self._marker(painter, marker, point)
            painter.save()
            painter.setPen(QColor("#111111"))
            painter.drawText(QRectF(point.x() - 20, point.y() - 22, 40, 14),
                             Qt.AlignmentFlag.AlignCenter, str(total))
            painter.restore()

    @staticmethod
    def _marker(painter: QPainter, shape: str, at: QPointF, size: float = 8.0) -> None:
        half = size / 2
        if shape == "square":
            painter.drawRect(QRectF(at.x() - half, at.y() - half, size, size))
        elif shape == "triangle":
            painter.drawPolygon(QPolygonF([QPointF(at.x() - half, at.y() + half),
                                           QPointF(at.x() + half, at.y() + half),
                                           QPointF(at.x(), at.y() - half)]))
        elif shape == "diamond":
            painter.drawPolygon(QPolygonF([QPointF(at.x(), at.y() - half),
                                           QPointF(at.x() + half, at.y()),
                                           QPointF(at.x(), at.y() + half),
                                           QPointF(at.x() - half, at.y())]))
        else:
            painter.drawEllipse(at, half, half)

    def _paint_doses(self, painter: QPainter) -> None:
        rect = self.dose_rect()
        painter.setPen(QColor("#222222"))
        painter.drawText(QRectF(rect.left(), rect.top() - 13, rect.width(), 13),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.tr("Dose given (mg)"))
        painter.setPen(QPen(QColor("#333333"), 1))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        for index, mg in self.dose_bars():
            bar = self.bar_rect(index, mg)
            painter.fillRect(bar, DOSE_FILL)
            painter.setPen(QPen(QColor("#2a4d80"), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(bar)
            painter.setPen(QColor("#111111"))
            painter.drawText(QRectF(bar.center().x() - 30, bar.top() - 13, 60, 12),
                             Qt.AlignmentFlag.AlignCenter, f"{mg:.1f}")

    def _paint_axis(self, painter: QPainter) -> None:
        y = self.height() - self.AXIS_H + 2
        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(0, y, self.LEFT - 6, 14),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self.tr("Infusion"))
        step = self._plot_width() / max(1, len(self._sessions))
        every = max(1, int(36 // max(1.0, step)) + (1 if step < 36 else 0))
        for index, session in enumerate(self._sessions):
            if index % every:
                continue
            x = self.x_of(index)
            label = NONE_TEXT if session.number is None else str(session.number)
            painter.drawText(QRectF(x - 30, y, 60, 14), Qt.AlignmentFlag.AlignCenter, label)
            day = session.scheduled_at_utc.astimezone(self.tz)
            painter.drawText(QRectF(x - 30, y + 14, 60, 14), Qt.AlignmentFlag.AlignCenter,
                             f"{day.day} {day:%b}")

    def _summary(self) -> str:
        """Tooltip: the latest score on each scale in words (for screen readers too)."""
        parts = [f"{scale_name(code)} {o.baseline} \u2192 {o.latest}"
                 for code, o in self._outcomes.items()]
        return ", ".join(parts) if parts else self.tr("No outcome scores recorded yet")


class CourseDialog(QDialog):
    """One course: header, chart, outcome in words, sessions; ``refresh`` reloads it.

    ``actions`` is an empty row of buttons for course actions the main window
    adds; ``open_session`` asks for a session to be opened (double click, Enter).
    """

    open_session = Signal(int)

    def __init__(self, ctx: UiContext, course_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.course_id = course_id
        self.view: CourseView | None = None
        self.setWindowTitle(self.tr("Course"))
        self.setModal(False)
        self.setMinimumSize(820, 560)

        self.patient_label = QLabel()
        big_font(self.patient_label, 15)
        self.course_label = QLabel()
        self.course_label.setWordWrap(True)
        self.progress_label = QLabel()
        big_font(self.progress_label, 13)
        header = QHBoxLayout()
        facts = QVBoxLayout()
        facts.addWidget(self.patient_label)
        facts.addWidget(self.course_label)
        header.addLayout(facts, 1)
        header.addWidget(self.progress_label, 0, Qt.AlignmentFlag.AlignTop)
        #: Course actions (plan series, screening, complete, stop) go here. The name
        #: shadows QWidget.actions() (the QAction list) on this dialog only; Qt itself
        #: never calls it from Python.
        self.actions: QHBoxLayout = QHBoxLayout()  # type: ignore[assignment]

        self.message = MessageLabel()
        self.chart = CourseChart(tz=ctx.tz)
        self.outcome_labels: list[QLabel] = []
        self.outcome_box = QVBoxLayout()
        self.flag_label = QLabel()
        self.flag_label.setWordWrap(True)
        self.flag_label.setStyleSheet(f"color: {FLAG_COLOUR}; font-weight: bold;")
        self.flag_label.hide()

        self.model = CourseSessionsModel(ctx.tz, self)
        self.table = SessionTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.open_requested.connect(self.open_session)

        close = Button(self.tr("Close"), on_click=self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(self.actions)
        layout.addWidget(self.message)
        layout.addWidget(self.flag_label)
        layout.addLayout(self.outcome_box)
        layout.addWidget(self.chart, 3)
        layout.addWidget(QLabel(self.tr("Sessions (Enter or a double click opens one)")))
        layout.addWidget(self.table, 2)
        layout.addLayout(bottom)
        self.refresh()
        place_window(self, "course", 1200, 720)
        self.table.setFocus()

    def refresh(self) -> CourseView | None:
        """Read the course as stored now and show it; a refusal shows in the message line."""
        outcome = self.ctx.run(lambda db: course_view(db, self.course_id))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return self.view
        self.message.clear_message()
        self.view = outcome.value
        self._show(outcome.value)
        return self.view

    def _show(self, view: CourseView) -> None:
        self.setWindowTitle(self.tr("Course: %1").replace("%1", view.patient_name))
        self.patient_label.setText(
            f"{view.patient_name}   {view.mrn}   born {view.birth_date.isoformat()}")
        status = STATUS_LABELS.get(view.status, view.status.capitalize())
        if view.ended_on is not None:
            status += f" {view.ended_on.isoformat()}"
        if view.status_reason:
            status += f" ({view.status_reason})"
        self.course_label.setText(" \u00b7 ".join([
            f"{view.indication} (judged on {scale_name(view.primary_scale)})",
            view.protocol_name, view.phase.capitalize(), status,
            f"{view.infusions_given} of {view.planned_infusions} infusions given"
            + (f", {view.booked} booked" if view.booked else ""),
        ]))
        self.progress_label.setText(view.progress_text)
        self._show_outcomes(view)
        self.chart.set_course(view)
        current = self.table.currentIndex()
        keep_row = current.row()
        keep_id = self.model.row_at(keep_row).session_id if current.isValid() else None
        self.model.set_course(view)
        if view.sessions:
            # the same session if it is still listed, else the same place in the list
            row = self.model.row_of(keep_id) if keep_id is not None else None
            self.table.selectRow(row if row is not None
                                 else min(max(keep_row, 0), len(view.sessions) - 1))

    def _show_outcomes(self, view: CourseView) -> None:
        for label in self.outcome_labels:
            self.outcome_box.removeWidget(label)
            label.deleteLater()
        self.outcome_labels = []
        texts = [outcome_text(o, primary=code == view.primary_scale)
                 for code, o in view.outcomes.items()]
        if not texts:
            texts = [self.tr("No outcome scores recorded yet; %1 is scored at check-in.")
                     .replace("%1", scale_name(view.primary_scale))]
        for text in texts:
            label = QLabel(text)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.outcome_box.addWidget(label)
            self.outcome_labels.append(label)
        flags = [flag_text(o) for o in view.outcomes.values() if o.no_response_flag]
        self.flag_label.setText("\n".join(flags))
        self.flag_label.setVisible(bool(flags))

