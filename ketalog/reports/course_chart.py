"""One outcome scale across a treatment course, drawn for paper in black and white.

Each scale gets its own panel on its full range (PHQ-9 0-27, PCL-5 0-80):
scales with different ranges on one axis would flatten the smaller ones, and
the baseline and the response line belong to one scale. The score is a solid
line with a filled marker and its value printed above it; the reference lines
differ by dash pattern and are named at their right end, so the chart reads
the same photocopied as on screen:

* baseline (the course's first score): dotted,
* 50 % response (half the baseline; response is a score at or below it): dashed,
* remission threshold, for scales that have one (PHQ-9 < 5): dash-dot.

Pure: plain points in, a reportlab ``Drawing`` (a flowable) out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from ketalog.reports.base import FONT, FONT_BOLD, register_fonts

BASELINE_DASH = (1.0, 2.0)
RESPONSE_DASH = (5.0, 3.0)
REMISSION_DASH = (6.0, 2.0, 1.0, 2.0)
GRID_GREY = colors.Color(0.78, 0.78, 0.78)
LABEL_SIZE = 7.0
_TICK_STEPS = (1, 2, 5, 10, 20, 25, 50)
_VALUE_ROOM = 14.0  # points of x axis a printed value needs
_LABEL_GAP = LABEL_SIZE + 1.5  # least vertical distance between two line labels


@dataclass(frozen=True)
class ChartPoint:
    """One session on the x axis; ``score`` is None where this scale was not recorded."""

    label: str  # infusion number, e.g. "3"
    sublabel: str  # date, e.g. "21 Nov"
    score: int | None


@dataclass(frozen=True)
class ScaleSpec:
    """What the chart needs to know about the scale."""

    name: str  # "PHQ-9"
    min_total: int
    max_total: int
    remission_below: int | None = None


def response_threshold(baseline: int) -> Decimal:
    """Half the baseline: a score at or below it is a response (>= 50 % reduction)."""
    return Decimal(baseline) / 2


def number_text(value: Decimal | int) -> str:
    """11 -> "11", 11.5 -> "11.5" (no trailing zeros)."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _tick_step(span: int, room_pt: float) -> int:
    for step in _TICK_STEPS:
        if span / step <= max(2.0, room_pt / 16):
            return step
    return _TICK_STEPS[-1]


def _marker(x: float, y: float, shape: str, size: float) -> Group:
    half = size / 2
    black = {"fillColor": colors.black, "strokeColor": colors.black, "strokeWidth": 0.5}
    if shape == "square":
        return Group(Rect(x - half * 0.85, y - half * 0.85, size * 0.85, size * 0.85, **black))
    if shape == "triangle":
        return Group(Polygon([x - half, y - half * 0.85, x + half, y - half * 0.85, x,
                              y + half], **black))
    if shape == "diamond":
        return Group(Polygon([x, y - half, x + half, y, x, y + half, x - half, y], **black))
    return Group(Circle(x, y, half * 0.85, **black))


def _spread(wanted: list[float], low: float, high: float) -> list[float]:
    """Move label positions apart by at least _LABEL_GAP, keeping them inside [low, high]."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [wanted[i] for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + _LABEL_GAP)
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - _LABEL_GAP)
    placed = [max(p, low) for p in placed]
    result = [0.0] * len(wanted)
    for position, index in zip(placed, order, strict=True):
        result[index] = position
    return result


def score_chart(  # noqa: C901 - one drawing, layer by layer, on shared axes
        scale: ScaleSpec, points: Sequence[ChartPoint], *, width: float,
        height: float = 52 * mm, marker: str = "circle") -> Drawing:
    """A panel of one scale's totals across the course with its reference lines.

    Args:
        scale: name, range and remission rule of the scale.
        points: the course's sessions in order (x axis); the first scored one is the
            baseline.
        width: width of the drawing in points (the text column).
        height: height of the drawing in points.
        marker: "circle", "square", "triangle" or "diamond", so each scale's panel
            keeps its own mark.

    Returns:
        The drawing, ready to go into a story.
    """
    register_fonts()
    drawing = Drawing(width, height)
    left, right_gutter, bottom, top = 12.0 * mm, 40.0 * mm, 11.0 * mm, 7.0 * mm
    plot_w: float = width - left - right_gutter
    plot_h: float = height - bottom - top
    x0: float = left
    y0: float = bottom
    span = max(1, scale.max_total - scale.min_total)

    def y_of(value: float) -> float:
        return y0 + (value - scale.min_total) / span * plot_h

    count = max(1, len(points))
    step_x = plot_w / count

    def x_of(index: int) -> float:
        return x0 + (index + 0.5) * step_x

    drawing.add(String(0, height - 9, f"{scale.name} ({scale.min_total}\u2013{scale.max_total})",
                       fontName=FONT_BOLD, fontSize=8.5))
    tick = _tick_step(span, plot_h)
    value = scale.min_total
    ticks = []
    while value <= scale.max_total:
        ticks.append(value)
        value += tick
    if ticks[-1] != scale.max_total:
        if y_of(scale.max_total) - y_of(ticks[-1]) < LABEL_SIZE + 1:
            ticks.pop()
        ticks.append(scale.max_total)
    for value in ticks:
        y = y_of(value)
        if value not in (scale.min_total,):
            drawing.add(Line(x0, y, x0 + plot_w, y, strokeColor=GRID_GREY, strokeWidth=0.35))
        drawing.add(String(x0 - 2, y - 2.5, str(value), fontName=FONT, fontSize=LABEL_SIZE,
                           textAnchor="end"))
    drawing.add(Line(x0, y0, x0, y0 + plot_h, strokeWidth=0.7))
    drawing.add(Line(x0, y0, x0 + plot_w, y0, strokeWidth=0.7))

    label_every = 1 if count <= 25 else (count + 24) // 25
    show_dates = count <= 14
    for index, point in enumerate(points):
        x = x_of(index)
        drawing.add(Line(x, y0, x, y0 - 1.5, strokeWidth=0.5))
        if index % label_every == 0:
            drawing.add(String(x, y0 - 8, point.label, fontName=FONT, fontSize=LABEL_SIZE,
                               textAnchor="middle"))
            if show_dates:
                drawing.add(String(x, y0 - 15, point.sublabel, fontName=FONT, fontSize=6.2,
                                   textAnchor="middle"))
    drawing.add(String(x0 - 2, y0 - 8, "Infusion", fontName=FONT, fontSize=6.2,
                       textAnchor="end"))

    scored = [(i, p.score) for i, p in enumerate(points) if p.score is not None]
    if not scored:
        drawing.add(String(x0 + plot_w / 2, y0 + plot_h / 2, "No scores recorded",
                           fontName=FONT, fontSize=8, textAnchor="middle"))
        return drawing
    baseline = scored[0][1]

    references: list[tuple[float, str, tuple[float, ...]]] = [
        (baseline, f"baseline {baseline}", BASELINE_DASH)]
    if baseline > scale.min_total:
        half = response_threshold(baseline)
        references.append((float(half), f"50 % response (\u2264 {number_text(half)})",
                           RESPONSE_DASH))
    if scale.remission_below is not None:
        references.append((scale.remission_below,
                           f"remission (< {scale.remission_below})", REMISSION_DASH))
    label_y = _spread([y_of(v) - 2.5 for v, _, _ in references], y0 - 2.5,
                      y0 + plot_h + 2)
    for (value_f, text, dash), text_y in zip(references, label_y, strict=True):
        y = y_of(value_f)
        drawing.add(Line(x0, y, x0 + plot_w + 3, y, strokeWidth=0.9, strokeDashArray=list(dash)))
        if abs(text_y - (y - 2.5)) > 0.5:  # label moved off its line: a leader shows which
            drawing.add(Line(x0 + plot_w + 3, y, x0 + plot_w + 6, text_y + 2.5,
                             strokeWidth=0.4))
        drawing.add(String(x0 + plot_w + 7, text_y, text, fontName=FONT, fontSize=LABEL_SIZE))

    coords: list[float] = []
    for index, score in scored:
        coords.extend((x_of(index), y_of(score)))
    if len(scored) > 1:
        drawing.add(PolyLine(coords, strokeWidth=1.4, strokeColor=colors.black))
    # values are printed above every marker while there is room; on a crowded axis
    # every n-th, always the first (baseline) and the last
    every = max(1, math.ceil(_VALUE_ROOM / step_x))
    positions = list(range(0, len(scored), every))
    if positions[-1] != len(scored) - 1:
        gap = scored[-1][0] - scored[positions[-1]][0]
        if len(positions) > 1 and gap * step_x < _VALUE_ROOM:
            positions.pop()  # too close to the last one, which always gets its value
        positions.append(len(scored) - 1)
    labelled = {scored[p][0] for p in positions}
    for index, score in scored:
        x, y = x_of(index), y_of(score)
        drawing.add(_marker(x, y, marker, min(2.4 * mm, step_x * 0.8)))
        if index not in labelled:
            continue
        # a white box behind the value keeps it legible where it crosses a reference line
        text = str(score)
        text_w = len(text) * LABEL_SIZE * 0.62
        above = y + 3.2 * mm <= y0 + plot_h + top - 9
        text_y = y + 2.6 * mm if above else y - 2.6 * mm - LABEL_SIZE + 1.5
        drawing.add(Rect(x - text_w / 2 - 0.8, text_y - 1.5, text_w + 1.6, LABEL_SIZE + 1,
                         fillColor=colors.white, strokeColor=None))
        drawing.add(String(x, text_y, text, fontName=FONT_BOLD, fontSize=LABEL_SIZE,
                           textAnchor="middle"))
    return drawing
