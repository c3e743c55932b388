"""The session's trend: BP, HR and SpO2 over time, the infusion shaded, scale scores marked.

Painted by hand (QPainter) so it needs no chart module and looks the same on
every platform. Each line differs by dash pattern and marker as well as by
colour, so it reads in black and white and for colour-blind readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import PumpEvent, infusion_intervals
from ketalog.services.session_detail import EventRow, ScoreRow, VitalRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.style import ALERT_MARK

#: Scales marked on the chart's time axis: code -> lane label.
SCORE_LANES: tuple[tuple[str, str], ...] = (("moaas", "MOAA/S"), ("cadss6", "CADSS-6"))
INFUSION_FILL = QColor(120, 160, 220, 60)
#: A pause inside the infusion: hatched, so it never reads as infusing.
PAUSE_HATCH = QColor(150, 110, 20, 150)
_TICK_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720)
_MIN_TICK_PX = 64.0
_MIN_SPAN = timedelta(minutes=20)


@dataclass(frozen=True)
class Series:
    """One plotted line: what it is, how it is drawn, and on which axis."""

    key: str  #: VitalRow attribute
    label: str
    colour: QColor
    dash: Qt.PenStyle
    marker: str  #: "down", "up", "circle", "square"
    right_axis: bool = False


class TrendChart(QWidget):
    """SBP/DBP, HR and SpO2 against clinic time, with the infusion and scores.

    Call :meth:`set_view` with each new :class:`SessionView` (or
    :meth:`set_data` with plain rows). The geometry methods
    (:meth:`plot_rect`, :meth:`time_to_x`, :meth:`value_to_y`,
    :meth:`infusion_rect`) are what the painter uses, so tests can check them.
    """

    def __init__(self, parent: QWidget | None = None, tz: ZoneInfo | None = None) -> None:
        super().__init__(parent)
        self.tz = tz or ZoneInfo("UTC")
        self._vitals: list[VitalRow] = []
        self._scores: list[ScoreRow] = []
        self._dose_started: datetime | None = None
        self._dose_ended: datetime | None = None
        self._pump: list[PumpEvent] = []
        self._now = datetime.now(UTC)
        self.series = (
            Series("systolic_mmhg", self.tr("SBP"), QColor("#b03a2e"), Qt.PenStyle.SolidLine,
                   "down"),
            Series("diastolic_mmhg", self.tr("DBP"), QColor("#b03a2e"), Qt.PenStyle.DashLine,
                   "up"),
            Series("heart_rate_bpm", self.tr("HR"), QColor("#1f4e99"),
                   Qt.PenStyle.DashDotLine, "circle"),
            Series("spo2_percent", self.tr("SpO2 %"), QColor("#1e7a3c"), Qt.PenStyle.DotLine,
                   "square", right_axis=True),
        )
        # 160 px still reads (legend, both axes, the scale rows); the session screen on a
        # 1366x768 laptop at 125 % (614 px high) has no more below the vitals entry
        self.setMinimumSize(320, 160)
        self.setAccessibleName(self.tr("Vital signs trend"))

    # --- data ---------------------------------------------------------------------------

    def set_view(self, view: SessionView) -> None:
        """Show the session as loaded."""
        d = view.detail
        self.set_data(d.vitals, d.live_scores, dose_started_at=d.dose_started_at_utc,
                      dose_ended_at=d.dose_ended_at_utc, now=view.now,
                      pump_events=d.infusion_events)

    def set_data(self, vitals: Sequence[VitalRow], scores: Sequence[ScoreRow] = (), *,
                 dose_started_at: datetime | None = None,
                 dose_ended_at: datetime | None = None,
                 now: datetime | None = None,
                 pump_events: Sequence[EventRow] = ()) -> None:
        """Show these readings and scores (voided readings are left out).

        With ``pump_events`` the band follows the pump: shaded while it ran,
        hatched while paused, ending at the real stop (or now while it runs).
        """
        self._pump = [PumpEvent(e.kind, e.at_utc, e.rate_ml_per_h) for e in pump_events]
        self._vitals = sorted((v for v in vitals if not v.voided), key=lambda v: v.taken_at_utc)
        codes = {code for code, _ in SCORE_LANES}
        self._scores = sorted((s for s in scores if s.scale in codes
                               and getattr(s, "void", None) is None),
                              key=lambda s: s.taken_at_utc)
        self._dose_started = dose_started_at
        self._dose_ended = dose_ended_at
        self._now = now or datetime.now(UTC)
        self.setToolTip(self._summary())
        self.update()

    def set_timezone(self, tz: ZoneInfo) -> None:
        """Label times in this (clinic) time zone."""
        self.tz = tz
        self.update()

    def points(self, key: str) -> list[tuple[datetime, float]]:
        """The plotted (time, value) pairs of one series."""
        out: list[tuple[datetime, float]] = []
        for v in self._vitals:
            value = getattr(v, key)
            if value is not None:
                out.append((v.taken_at_utc, float(value)))
        return out

    def score_marks(self) -> list[tuple[str, datetime, int]]:
        """The scale marks drawn: (scale code, taken at, total)."""
        return [(s.scale, s.taken_at_utc, s.total) for s in self._scores]

    def infusion_interval(self) -> tuple[datetime, datetime] | None:
        """Dose start to dose end (or now, while it runs); None before the dose."""
        spans = self.running_spans()
        if spans:
            return spans[0][0], max([spans[-1][1], *(end for _, end in self.paused_spans())])
        if self._dose_started is None:
            return None
        end = self._dose_ended or max(self._now, self._dose_started)
        return self._dose_started, end

    def running_spans(self) -> list[tuple[datetime, datetime]]:
        """When the pump ran, from its events up to now (a running one ends at now)."""
        now = max([self._now, *(e.at for e in self._pump)])
        spans = infusion_intervals(self._pump).until(now)
        return [(span.start, span.end or now) for span in spans.running]

    def paused_spans(self) -> list[tuple[datetime, datetime]]:
        """When the infusion was paused (an open pause ends at now)."""
        now = max([self._now, *(e.at for e in self._pump)])
        spans = infusion_intervals(self._pump).until(now)
        return [(span.start, span.end or now) for span in spans.paused]

    # --- geometry -----------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        """A useful default: wide enough for an hour at 10-minute ticks."""
        return QSize(640, 320)

    def _metrics(self) -> tuple[float, float, float, float, float]:
        """Left, top, right, bottom margins and one lane's height (pixels)."""
        lane = 18.0
        return 64.0, 30.0, 48.0, 2 * lane + 38.0, lane

    def plot_rect(self) -> QRectF:
        """Where the lines are drawn (without the score lanes and axis labels)."""
        left, top, right, bottom, _ = self._metrics()
        width = max(10.0, self.width() - left - right)
        height = max(10.0, self.height() - top - bottom)
        return QRectF(left, top, width, height)

    def lane_rect(self, index: int) -> QRectF:
        """The strip under the plot where one scale's marks go."""
        plot = self.plot_rect()
        lane = self._metrics()[4]
        return QRectF(plot.left(), plot.bottom() + index * lane, plot.width(), lane)

    def time_range(self) -> tuple[datetime, datetime]:
        """The first and last instant on the time axis (UTC)."""
        times = [v.taken_at_utc for v in self._vitals]
        times += [s.taken_at_utc for s in self._scores]
        interval = self.infusion_interval()
        if interval is not None:
            times += list(interval)
        if not times:
            return self._now - _MIN_SPAN, self._now + timedelta(minutes=5)
        start, end = min(times), max(times)
        if end - start < _MIN_SPAN:
            middle = start + (end - start) / 2
            start, end = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
        pad = (end - start) * 0.04
        return start - pad, end + pad

    def time_to_x(self, at: datetime) -> float:
        """Horizontal pixel of an instant (monotone in time)."""
        start, end = self.time_range()
        plot = self.plot_rect()
        fraction = (at - start) / (end - start)
        return plot.left() + fraction * plot.width()

    def value_range(self) -> tuple[float, float]:
        """The left axis (mmHg and bpm): 40-200 unless a value falls outside."""
        values = [value for s in self.series if not s.right_axis for _, value in self.points(s.key)]
        low = min([40.0, *(v - 10 for v in values)])
        high = max([200.0, *(v + 10 for v in values)])
        return math.floor(low / 20) * 20, math.ceil(high / 20) * 20

    def spo2_range(self) -> tuple[float, float]:
        """The right axis (SpO2 %): 70-100 unless a value falls lower."""
        values = [value for _, value in self.points("spo2_percent")]
        low = min([70.0, *(v - 5 for v in values)])
        return math.floor(low / 10) * 10, 100.0

    def value_to_y(self, value: float) -> float:
        """Vertical pixel of a value on the left axis (mmHg, bpm)."""
        low, high = self.value_range()
        plot = self.plot_rect()
        return plot.bottom() - (value - low) / (high - low) * plot.height()

    def spo2_to_y(self, value: float) -> float:
        """Vertical pixel of an SpO2 value on the right axis."""
        low, high = self.spo2_range()
        plot = self.plot_rect()
        return plot.bottom() - (value - low) / (high - low) * plot.height()

    def y_of(self, series: Series, value: float) -> float:
        """Vertical pixel of a value on the series' own axis."""
        return self.spo2_to_y(value) if series.right_axis else self.value_to_y(value)

    def infusion_rect(self) -> QRectF | None:
        """The whole infusion (first start to the real stop), or None before the dose."""
        interval = self.infusion_interval()
        if interval is None:
            return None
        return self._band(*interval)

    def _band(self, start: datetime, end: datetime) -> QRectF:
        plot = self.plot_rect()
        x0, x1 = self.time_to_x(start), self.time_to_x(end)
        return QRectF(x0, plot.top(), max(1.0, x1 - x0), plot.height())

    def running_rects(self) -> list[QRectF]:
        """The shaded stretches: when the pump ran (the whole dose without a pump log)."""
        spans = self.running_spans()
        if not spans:
            interval = self.infusion_interval()
            spans = [interval] if interval is not None else []
        return [self._band(start, end) for start, end in spans]

    def paused_rects(self) -> list[QRectF]:
        """The hatched stretches: when the infusion was paused."""
        return [self._band(start, end) for start, end in self.paused_spans()]

    def time_ticks(self) -> list[datetime]:
        """Instants labelled on the time axis, at a round clock step that fits."""
        start, end = self.time_range()
        span_min = (end - start).total_seconds() / 60
        room = max(1.0, self.plot_rect().width() / _MIN_TICK_PX)
        step = next((s for s in _TICK_STEPS_MIN if span_min / s <= room), _TICK_STEPS_MIN[-1])
        local = start.astimezone(self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        since = (local - midnight).total_seconds() / 60
        tick = midnight + timedelta(minutes=math.ceil(since / step) * step)
        ticks: list[datetime] = []
        while tick <= end and len(ticks) < 200:
            ticks.append(tick.astimezone(UTC))
            tick += timedelta(minutes=step)
        return ticks

    # --- painting -----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw background, infusion band, grid, axes, lines, score marks and legend."""
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
        plot = self.plot_rect()
        running = self.running_rects()
        for band in running:
            painter.fillRect(band, INFUSION_FILL)
            for index in range(len(SCORE_LANES)):
                lane = self.lane_rect(index)
                painter.fillRect(QRectF(band.left(), lane.top(), band.width(),
                                        lane.height()), INFUSION_FILL)
        for band in self.paused_rects():
            painter.fillRect(band, QBrush(PAUSE_HATCH, Qt.BrushStyle.BDiagPattern))
            painter.setPen(QColor("#6b4a00"))
            painter.drawText(QRectF(band.left() + 3, plot.top() + 18, 120, 16),
                             Qt.AlignmentFlag.AlignLeft, self.tr("Paused"))
        if running:
            painter.setPen(QColor("#2a4d80"))
            painter.drawText(QRectF(running[0].left() + 3, plot.top() + 2, 120, 16),
                             Qt.AlignmentFlag.AlignLeft, self.tr("Infusion"))
        self._paint_axes(painter, plot)
        for series in self.series:
            self._paint_series(painter, series)
        self._paint_alerts(painter, plot)
        self._paint_scores(painter)
        self._paint_legend(painter)
        if not self._vitals:
            painter.setPen(QColor("#555555"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No readings yet"))

    def _paint_axes(self, painter: QPainter, plot: QRectF) -> None:
        grid = QPen(QColor("#dddddd"), 1)
        axis = QPen(QColor("#333333"), 1)
        low, high = self.value_range()
        value = low
        step = _label_step(high - low, plot.height(), 20)
        while value <= high:
            y = self.value_to_y(value)
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(axis)
            painter.drawText(QRectF(plot.left() - 40, y - 8, 34, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{value:.0f}")
            value += step
        s_low, s_high = self.spo2_range()
        s_value = s_low
        s_step = _label_step(s_high - s_low, plot.height(), 10)
        while s_value <= s_high:
            y = self.spo2_to_y(s_value)
            painter.setPen(axis)
            painter.drawLine(QPointF(plot.right(), y), QPointF(plot.right() + 4, y))
            painter.drawText(QRectF(plot.right() + 6, y - 8, 40, 16),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{s_value:.0f}")
            s_value += s_step
        lanes_bottom = self.lane_rect(len(SCORE_LANES) - 1).bottom()
        for tick in self.time_ticks():
            x = self.time_to_x(tick)
            painter.setPen(grid)
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, lanes_bottom))
            painter.setPen(axis)
            painter.drawText(QRectF(x - 30, lanes_bottom + 2, 60, 14),
                             Qt.AlignmentFlag.AlignCenter,
                             clock_text(tick, self.tz))
        painter.setPen(axis)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)
        painter.drawLine(QPointF(plot.left(), lanes_bottom), QPointF(plot.right(), lanes_bottom))
        # axis titles
        painter.save()
        painter.translate(12, plot.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-80, -8, 160, 16), Qt.AlignmentFlag.AlignCenter,
                         self.tr("mmHg / bpm"))
        painter.restore()
        painter.save()
        painter.translate(self.width() - 6, plot.center().y())
        painter.rotate(90)
        painter.drawText(QRectF(-80, -8, 160, 16), Qt.AlignmentFlag.AlignCenter,
                         self.tr("SpO2 %"))
        painter.restore()
        painter.drawText(QRectF(plot.left(), lanes_bottom + 18, plot.width(), 16),
                         Qt.AlignmentFlag.AlignCenter, self.tr("Time (clinic)"))

    def _marker_size(self) -> float:
        """Smaller markers when readings crowd together (a long recovery)."""
        count = max(1, len(self._vitals))
        spacing = self.plot_rect().width() / count
        return 7.0 if spacing >= 14 else (5.0 if spacing >= 6 else 3.0)

    def _paint_series(self, painter: QPainter, series: Series) -> None:
        points = [QPointF(self.time_to_x(t), self.y_of(series, v))
                  for t, v in self.points(series.key)]
        if not points:
            return
        pen = QPen(series.colour, 2, series.dash)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if len(points) > 1:
            painter.drawPolyline(QPolygonF(points))
        size = self._marker_size()
        painter.setPen(QPen(series.colour, 1.5))
        for point in points:
            self._marker(painter, series, point, size)

    def _marker(self, painter: QPainter, series: Series, at: QPointF, size: float) -> None:
        half = size / 2
        painter.setBrush(QBrush(series.colour))
        if series.marker == "down":
            painter.drawPolygon(QPolygonF([QPointF(at.x() - half, at.y() - half),
                                           QPointF(at.x() + half, at.y() - half),
                                           QPointF(at.x(), at.y() + half)]))
        elif series.marker == "up":
            painter.setBrush(QBrush(QColor("white")))
            painter.drawPolygon(QPolygonF([QPointF(at.x() - half, at.y() + half),
                                           QPointF(at.x() + half, at.y() + half),
                                           QPointF(at.x(), at.y() - half)]))
        elif series.marker == "circle":
            painter.drawEllipse(at, half, half)
        else:
            painter.setBrush(QBrush(QColor("white")))
            painter.drawRect(QRectF(at.x() - half, at.y() - half, size, size))

    def _paint_alerts(self, painter: QPainter, plot: QRectF) -> None:
        """Mark alert readings above their highest plotted mmHg/bpm point."""
        painter.setPen(QColor("#8b0000"))
        for v in self._vitals:
            if not v.alert_codes:
                continue
            values = [value for value in (v.systolic_mmhg, v.diastolic_mmhg, v.heart_rate_bpm)
                      if value is not None]
            top = self.value_to_y(max(values)) if values else plot.center().y()
            y = min(max(plot.top() + 2, top - 22), plot.bottom() - 16)
            x = self.time_to_x(v.taken_at_utc)
            painter.drawText(QRectF(x - 8, y, 16, 14), Qt.AlignmentFlag.AlignCenter, ALERT_MARK)

    def _paint_scores(self, painter: QPainter) -> None:
        for index, (code, label) in enumerate(SCORE_LANES):
            lane = self.lane_rect(index)
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(0, lane.top(), lane.left() - 4, lane.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             label)
            painter.setPen(QPen(QColor("#5b2c6f"), 1.5))
            for s in self._scores:
                if s.scale != code:
                    continue
                x, y = self.time_to_x(s.taken_at_utc), lane.center().y()
                painter.setBrush(QBrush(QColor("#5b2c6f")))
                if code == "moaas":  # diamond
                    painter.drawPolygon(QPolygonF([QPointF(x, y - 5), QPointF(x + 5, y),
                                                   QPointF(x, y + 5), QPointF(x - 5, y)]))
                else:  # triangle
                    painter.drawPolygon(QPolygonF([QPointF(x - 5, y + 5), QPointF(x + 5, y + 5),
                                                   QPointF(x, y - 5)]))
                painter.drawText(QRectF(x + 6, lane.top(), 40, lane.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 str(s.total))

    def _paint_legend(self, painter: QPainter) -> None:
        x = self.plot_rect().left()
        y = 14.0
        for series in self.series:
            painter.setPen(QPen(series.colour, 2, series.dash))
            painter.drawLine(QPointF(x, y), QPointF(x + 26, y))
            painter.setPen(QPen(series.colour, 1.5))
            self._marker(painter, series, QPointF(x + 13, y), 7)
            painter.setPen(QColor("#222222"))
            width = painter.fontMetrics().horizontalAdvance(series.label) + 6
            painter.drawText(QRectF(x + 30, y - 8, width, 16),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             series.label)
            x += 30 + width + 12
        painter.fillRect(QRectF(x, y - 6, 18, 12), INFUSION_FILL)
        painter.setPen(QColor("#222222"))
        label = self.tr("Infusion")
        painter.drawText(QRectF(x + 22, y - 8, 80, 16),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        x += 22 + painter.fontMetrics().horizontalAdvance(label) + 12
        if not self.paused_rects():  # a key for something not drawn only puzzles the reader
            return
        painter.fillRect(QRectF(x, y - 6, 18, 12), QBrush(PAUSE_HATCH, Qt.BrushStyle.BDiagPattern))
        painter.drawText(QRectF(x + 22, y - 8, 80, 16),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.tr("Paused"))

    def _summary(self) -> str:
        """Tooltip text: the latest reading in words (the chart for screen readers)."""
        if not self._vitals:
            return self.tr("No readings yet")
        last = self._vitals[-1]
        parts = [clock_text(last.taken_at_utc, self.tz)]
        if last.systolic_mmhg is not None:
            parts.append(f"BP {last.systolic_mmhg}/{last.diastolic_mmhg}")
        if last.heart_rate_bpm is not None:
            parts.append(f"HR {last.heart_rate_bpm}")
        if last.spo2_percent is not None:
            parts.append(f"SpO2 {last.spo2_percent} %")
        return self.tr("Latest: %1").replace("%1", ", ".join(parts))


#: Axis labels are 16 px high: closer than this, they would write over each other.
_LABEL_SPACING_PX = 17


def _label_step(span: float, height_px: float, step: float) -> float:
    """``step``, doubled until labels that far apart do not overlap on ``height_px``."""
    while span > 0 and height_px * step / span < _LABEL_SPACING_PX and step < span:
        step *= 2
    return step
