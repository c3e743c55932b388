"""The vitals trend chart of the session summary, drawn for paper in black and white.

SBP/DBP and heart rate share the upper panel (mmHg and beats/min sit in the
same numeric range), SpO2 has its own strip below, and the sedation and
dissociation scores are written into lanes on the same time axis. Lines differ
by dash pattern and marker, never by colour alone; the infusion is a light grey
band and a pause inside it is hatched, both of which survive a photocopier.

Everything here is pure: plain rows in, a reportlab ``Drawing`` out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Drawing, Group, Line, Path, PolyLine, Rect, String
from reportlab.lib import colors

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import InfusionIntervals, Interval, PumpEvent
from ketalog.domain.infusion import infusion_intervals as pump_intervals
from ketalog.reports.base import FONT, FONT_BOLD, register_fonts
from ketalog.reports.inputs import EventRow, ScoreRow, VitalRow

#: Scales written into the lanes under the plot: code -> lane label.
LANE_SCALES: tuple[tuple[str, str], ...] = (
    ("moaas", "MOAA/S"), ("cadss6", "CADSS-6"), ("cadss23", "CADSS-23"),
)
ALERT_MARK = "⚠"
INFUSION_GREY = colors.Color(0.86, 0.86, 0.86)
GRID_GREY = colors.Color(0.72, 0.72, 0.72)
_TICK_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720)
_MIN_TICK_PT = 46.0
_MIN_SPAN = timedelta(minutes=20)
#: Which plotted value an alert code is about, and whether it alerts high (mark above).
_ALERT_SERIES: dict[str, tuple[str | None, bool]] = {
    "predose_bp_high": ("systolic_mmhg", True), "sbp_high": ("systolic_mmhg", True),
    "dbp_high": ("diastolic_mmhg", True), "hr_high": ("heart_rate_bpm", True),
    "hr_low": ("heart_rate_bpm", False), "spo2_low": ("spo2_percent", False),
    "rr_low": (None, False),
}
_MAX_MARKERS = 32  # per series: denser runs keep every n-th marker so the line stays readable


def infusion_intervals(events: Sequence[EventRow],
                       as_of_utc: datetime | None = None) -> InfusionIntervals:
    """Running and paused stretches of the session's pump events (see the domain).

    With ``as_of_utc`` the stretches are as they stood then: one still open ends
    at that moment, so nothing is drawn or counted that had not happened yet.
    """
    spans = pump_intervals([PumpEvent(e.kind, e.at_utc, e.rate_ml_per_h) for e in events])
    return spans if as_of_utc is None else spans.until(as_of_utc)


@dataclass(frozen=True)
class _Series:
    attr: str
    label: str
    dash: tuple[float, ...] | None
    marker: str  # "down", "up", "circle", "square"
    spo2: bool = False


SERIES = (
    _Series("systolic_mmhg", "SBP mmHg", None, "down"),
    _Series("diastolic_mmhg", "DBP mmHg", (4, 2), "up"),
    _Series("heart_rate_bpm", "HR /min", (6, 2, 1, 2), "circle"),
    _Series("spo2_percent", "SpO2 %", (1, 1.6), "square", spo2=True),
)


_KAPPA = 0.5523  # Bezier control distance for a quarter circle


def _add_marker(path: Any, kind: str, x: float, y: float, size: float = 2.6) -> None:
    """Append one marker outline to a series' marker path (one node for all markers)."""
    if kind == "down":
        path.moveTo(x - size, y + size)
        path.lineTo(x + size, y + size)
        path.lineTo(x, y - size)
    elif kind == "up":
        path.moveTo(x - size, y - size)
        path.lineTo(x + size, y - size)
        path.lineTo(x, y + size)
    elif kind == "circle":
        r = size * 0.9
        k = r * _KAPPA
        path.moveTo(x + r, y)
        path.curveTo(x + r, y + k, x + k, y + r, x, y + r)
        path.curveTo(x - k, y + r, x - r, y + k, x - r, y)
        path.curveTo(x - r, y - k, x - k, y - r, x, y - r)
        path.curveTo(x + k, y - r, x + r, y - k, x + r, y)
    else:
        s = size * 0.8
        path.moveTo(x - s, y - s)
        path.lineTo(x + s, y - s)
        path.lineTo(x + s, y + s)
        path.lineTo(x - s, y + s)
    path.closePath()


def _marker_path(kind: str) -> Any:
    """An empty path styled like the series' markers: filled black or hollow (white)."""
    filled = kind in ("down", "square")
    return Path(fillColor=colors.black if filled else colors.white, strokeColor=colors.black,
                strokeWidth=0.5 if filled else 0.7)


def _lines_path(width: float, grey: Any = colors.black, dash: list[float] | None = None) -> Any:
    return Path(fillColor=None, strokeColor=grey, strokeWidth=width, strokeDashArray=dash)


def _hatch(path: Any, x0: float, y0: float, x1: float, y1: float, step: float = 4.0) -> None:
    """Add 45-degree hatch lines clipped to a rectangle (no clipping paths needed)."""
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return
    c = x0 - (y1 - y0)
    while c < x1:
        # the line x = c + (y - y0), clipped to the rectangle
        ya = max(y0, y0 + (x0 - c))
        yb = min(y1, y0 + (x1 - c))
        if yb > ya:
            path.moveTo(c + (ya - y0), ya)
            path.lineTo(c + (yb - y0), yb)
        c += step


def _nice_range(values: Sequence[float], low: float, high: float, step: float) -> tuple[float,
                                                                                      float]:
    if values:
        low = min(low, (min(values) - step / 2) // step * step)
        high = max(high, -((-(max(values) + step / 2)) // step) * step)
    return low, high


def vitals_trend_chart(  # noqa: C901 - one drawing, layer by layer, on shared axes
    vitals: Sequence[VitalRow],
    scores: Sequence[ScoreRow],
    infusion_events: Sequence[EventRow],
    tz: ZoneInfo,
    *,
    width: float,
    dose_started_at_utc: datetime | None = None,
    dose_ended_at_utc: datetime | None = None,
    band_label: str = "infusion",
    as_of_utc: datetime | None = None,
) -> Drawing | None:
    """Draw the trend; None when there is no valid reading to plot.

    Readings entered in error are left out (the table still lists them).
    ``band_label`` names the shaded dosing interval ("dosing" for a nasal or
    IM dose, where nothing infuses). ``as_of_utc`` is the printing moment: a
    running infusion's band (or an open pause) ends there, never at a planned end.
    """
    register_fonts()
    live = [v for v in vitals if not v.voided]
    scores = [sc for sc in scores if getattr(sc, "void", None) is None]  # entered in error
    if not any(getattr(v, s.attr) is not None for v in live for s in SERIES):
        return None
    lanes = [(code, label) for code, label in LANE_SCALES
             if any(sc.scale == code for sc in scores)]
    lane_scores = [sc for sc in scores if sc.scale in {code for code, _ in lanes}]
    intervals = infusion_intervals(infusion_events, as_of_utc)
    if not intervals.running and dose_started_at_utc is not None:
        intervals = InfusionIntervals((Interval(dose_started_at_utc, dose_ended_at_utc),), ())
        if as_of_utc is not None:
            intervals = intervals.until(as_of_utc)

    times = [v.taken_at_utc for v in live] + [sc.taken_at_utc for sc in lane_scores]
    times += [e.at_utc for e in infusion_events]
    times += [s.end for s in (*intervals.running, *intervals.paused) if s.end is not None]
    t0, t1 = min(times), max(times)
    if t1 - t0 < _MIN_SPAN:
        t1 = t0 + _MIN_SPAN
    pad = (t1 - t0) * 0.03
    t0, t1 = t0 - pad, t1 + pad
    span_s = (t1 - t0).total_seconds()

    lane_h = 13.0
    legend_h, axis_h = 16.0, 14.0
    main_h, gap, spo2_h = 150.0, 10.0, 48.0
    height = legend_h + main_h + gap + spo2_h + len(lanes) * lane_h + axis_h + 4
    left, right = 40.0, 8.0
    pw = width - left - right
    axis_top = axis_h
    lanes_top = axis_top + len(lanes) * lane_h
    spo2_y0 = lanes_top + 2
    spo2_y1 = spo2_y0 + spo2_h
    main_y0 = spo2_y1 + gap
    main_y1 = main_y0 + main_h

    def x_of(at: datetime) -> float:
        return left + (at - t0).total_seconds() / span_s * pw

    cardio = [float(getattr(v, s.attr)) for v in live for s in SERIES[:3]
              if getattr(v, s.attr) is not None]
    lo, hi = _nice_range(cardio, 40.0, 180.0, 20.0)
    spo2_values = [float(v.spo2_percent) for v in live if v.spo2_percent is not None]
    s_lo, s_hi = _nice_range(spo2_values, 85.0, 100.0, 5.0)
    s_hi = min(s_hi, 100.0)

    def y_main(value: float) -> float:
        return main_y0 + (value - lo) / (hi - lo) * main_h

    def y_spo2(value: float) -> float:
        return spo2_y0 + (value - s_lo) / (s_hi - s_lo) * spo2_h

    d = Drawing(width, height)
    g = Group()
    d.add(g)
    bands = ((main_y0, main_y1), (spo2_y0, spo2_y1), (axis_top, lanes_top))
    grid = _lines_path(0.3, GRID_GREY)
    ink = _lines_path(0.6)
    hatch = _lines_path(0.35)
    labels: list[Any] = []

    def label(x: float, y: float, text: str, anchor: str = "start", size: float = 6.5,
              bold: bool = False) -> None:
        labels.append(String(x, y, text, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                             textAnchor=anchor))

    # infusion band (grey) and pauses (hatched), under everything else
    for index, span in enumerate(intervals.running):
        xa, xb = x_of(span.start), x_of(span.end or t1)
        for y0, y1 in bands:
            if y1 > y0:
                g.add(Rect(xa, y0, xb - xa, y1 - y0, fillColor=INFUSION_GREY, strokeColor=None))
        if index == 0:
            label(xa + 2, main_y1 - 8, band_label)
    for span in intervals.paused:
        xa, xb = x_of(span.start), x_of(span.end or t1)
        for y0, y1 in bands:
            _hatch(hatch, xa, y0, xb, y1)

    # grid and value axes
    for first_value, last_value, step_value, y_of_value in ((lo, hi, 20.0, y_main),
                                                            (s_lo, s_hi, 5.0, y_spo2)):
        value = first_value
        while value <= last_value:
            y = y_of_value(value)
            grid.moveTo(left, y)
            grid.lineTo(left + pw, y)
            label(left - 3, y - 2.5, f"{value:g}", "end")
            value += step_value
    label(2, main_y1 - 8, "mmHg")
    label(2, main_y1 - 16, "/min")
    label(2, spo2_y1 - 8, "SpO2 %")

    # score lanes
    for index, (code, lane_label) in enumerate(lanes):
        top = lanes_top - index * lane_h
        grid.moveTo(left, top - lane_h)
        grid.lineTo(left + pw, top - lane_h)
        label(2, top - lane_h + 3.5, lane_label)
        for sc in lane_scores:
            if sc.scale == code:
                x = x_of(sc.taken_at_utc)
                ink.moveTo(x, top - 3)
                ink.lineTo(x, top)
                label(x, top - lane_h + 3.5, str(sc.total), "middle", 7, bold=True)

    # time axis
    ticks = _lines_path(0.3, GRID_GREY, [1, 2])
    span_min = span_s / 60
    room = max(1.0, pw / _MIN_TICK_PT)
    step = next((s for s in _TICK_STEPS_MIN if span_min / s <= room), _TICK_STEPS_MIN[-1])
    first = t0.astimezone(tz).replace(second=0, microsecond=0)
    first += timedelta(minutes=(-(first.hour * 60 + first.minute)) % step)
    tick = first
    ink.moveTo(left, axis_top)
    ink.lineTo(left + pw, axis_top)
    while tick <= t1:
        x = x_of(tick)
        if x >= left:
            ticks.moveTo(x, axis_top)
            ticks.lineTo(x, main_y1)
            ink.moveTo(x, axis_top - 2)
            ink.lineTo(x, axis_top)
            label(x, axis_top - 9, clock_text(tick, tz), "middle")
        tick += timedelta(minutes=step)
    g.add(grid)
    g.add(ticks)
    g.add(hatch)
    for y0, y1 in ((main_y0, main_y1), (spo2_y0, spo2_y1)):
        g.add(Rect(left, y0, pw, y1 - y0, fillColor=None, strokeColor=colors.black,
                   strokeWidth=0.6))
    g.add(ink)

    # the series
    for series in SERIES:
        points = [(x_of(v.taken_at_utc), float(getattr(v, series.attr)))
                  for v in live if getattr(v, series.attr) is not None]
        if not points:
            continue
        y_of = y_spo2 if series.spo2 else y_main
        coords: list[float] = []
        for x, val in points:
            coords += [x, y_of(val)]
        if len(points) > 1:
            g.add(PolyLine(coords, strokeColor=colors.black, strokeWidth=0.9,
                           strokeDashArray=list(series.dash) if series.dash else None))
        markers = _marker_path(series.marker)
        every = max(1, -(-len(points) // _MAX_MARKERS))
        for index, (x, val) in enumerate(points):
            if index % every == 0 or index == len(points) - 1:
                _add_marker(markers, series.marker, x, y_of(val))
        g.add(markers)

    # alerting readings: the mark sits beside the value that alerted
    for v in live:
        x = x_of(v.taken_at_utc)
        for code in v.alert_codes:
            attr, high = _ALERT_SERIES.get(code, (None, True))
            alerted = getattr(v, attr) if attr else None
            if alerted is None:
                label(x, main_y1 - 16, ALERT_MARK, "middle", 7, bold=True)
                continue
            level = float(alerted)
            y = y_spo2(level) if attr == "spo2_percent" else y_main(level)
            label(x, y + 4 if high else y - 10, ALERT_MARK, "middle", 7, bold=True)

    # legend
    lx, ly = left, height - 9
    for series in SERIES:
        g.add(Line(lx, ly + 2.5, lx + 18, ly + 2.5, strokeColor=colors.black, strokeWidth=0.9,
                   strokeDashArray=list(series.dash) if series.dash else None))
        markers = _marker_path(series.marker)
        _add_marker(markers, series.marker, lx + 9, ly + 2.5)
        g.add(markers)
        label(lx + 21, ly, series.label, size=7)
        lx += 72
    g.add(Rect(lx, ly - 1, 12, 7, fillColor=INFUSION_GREY, strokeColor=colors.black,
               strokeWidth=0.3))
    label(lx + 15, ly, band_label, size=7)
    lx += 50
    g.add(Rect(lx, ly - 1, 12, 7, fillColor=None, strokeColor=colors.black, strokeWidth=0.3))
    legend_hatch = _lines_path(0.35)
    _hatch(legend_hatch, lx, ly - 1, lx + 12, ly + 6, 3.0)
    g.add(legend_hatch)
    label(lx + 15, ly, "paused", size=7)
    lx += 46
    label(lx, ly, f"{ALERT_MARK} alert", size=7)
    for text in labels:
        g.add(text)
    return d
