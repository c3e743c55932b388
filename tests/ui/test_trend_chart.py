"""The trend chart paints readings, the infusion band and score marks on one time axis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from ketalog.services.session.entries import record_scale, record_vitals
from ketalog.services.session_detail import ScoreRow, VitalRow
from ketalog.ui.session.panels.trend_chart import INFUSION_FILL, TrendChart
from tests.ui.conftest import NURSE, Chair

START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _vital(minute: float, sbp: int | None = 120, dbp: int | None = 80, hr: int | None = 70,
           spo2: int | None = 98, *, voided: bool = False,
           alerts: tuple[str, ...] = ()) -> VitalRow:
    return VitalRow(int(minute * 10) + 1, 1, START + timedelta(minutes=minute), sbp, dbp, hr,
                    spo2, 14, None, None, None, alerts, None, voided)


def _score(scale: str, minute: float, total: int) -> ScoreRow:
    return ScoreRow(int(minute) + 1000, scale, START + timedelta(minutes=minute), total, (), None)


def _chart(qtbot: QtBot, tz: ZoneInfo | None = None) -> TrendChart:
    chart = TrendChart(tz=tz)
    qtbot.addWidget(chart)
    chart.resize(800, 360)
    return chart


def _image(chart: TrendChart) -> QImage:
    return chart.grab().toImage()


def _colours(image: QImage, step: int = 3) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)}


def _is(image: QImage, x: float, y: float, colour: QColor, tolerance: int = 12) -> bool:
    pixel = QColor(image.pixel(round(x), round(y)))
    return all(abs(a - b) <= tolerance for a, b in zip(pixel.getRgb()[:3], colour.getRgb()[:3],
                                                         strict=True))


def _blended(over: QColor) -> QColor:
    """The infusion fill composed over white, as it appears on screen."""
    alpha = over.alphaF()
    return QColor(*(round(c * alpha + 255 * (1 - alpha)) for c in over.getRgb()[:3]))


def test_empty_chart_draws_axes_and_says_there_is_nothing_yet(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([], now=START)
    image = _image(chart)
    assert not image.isNull() and image.width() >= 800
    assert len(_colours(image)) > 2  # not blank: axes, grid, legend, text
    assert chart.infusion_rect() is None
    assert chart.time_ticks()
    assert chart.toolTip() == "No readings yet"
    start, end = chart.time_range()
    assert start < START < end


def test_one_reading_gets_a_sensible_window(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([_vital(5)], now=START + timedelta(minutes=5))
    start, end = chart.time_range()
    assert end - start >= timedelta(minutes=20)
    plot = chart.plot_rect()
    x = chart.time_to_x(START + timedelta(minutes=5))
    assert plot.left() < x < plot.right()
    assert plot.top() < chart.value_to_y(120) < chart.value_to_y(80) < plot.bottom()
    # the SBP marker is painted where the geometry says
    image = _image(chart)
    assert not _is(image, x, chart.value_to_y(120), QColor("white"))
    assert "BP 120/80" in chart.toolTip()


def test_time_maps_monotonically_and_the_infusion_band_spans_the_dose(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    readings = [_vital(m, 120 + m, 80, 70 + m // 2, 98) for m in range(0, 70, 10)]
    dose_start, dose_end = START + timedelta(minutes=3), START + timedelta(minutes=43)
    chart.set_data(readings, [_score("moaas", 20, 4), _score("cadss6", 43, 7),
                              _score("aldrete", 60, 10)],
                   dose_started_at=dose_start, dose_ended_at=dose_end,
                   now=START + timedelta(minutes=65))

    xs = [chart.time_to_x(START + timedelta(minutes=m)) for m in range(-5, 75, 1)]
    assert all(a < b for a, b in pairwise(xs))
    plot = chart.plot_rect()
    assert plot.left() <= chart.time_to_x(readings[0].taken_at_utc)
    assert chart.time_to_x(readings[-1].taken_at_utc) <= plot.right()

    band = chart.infusion_rect()
    assert band is not None
    assert band.left() == pytest.approx(chart.time_to_x(dose_start))
    assert band.right() == pytest.approx(chart.time_to_x(dose_end))
    assert band.top() == plot.top() and band.bottom() == plot.bottom()
    # only the two in-session scales are marked, at their times
    assert chart.score_marks() == [("moaas", START + timedelta(minutes=20), 4),
                                   ("cadss6", START + timedelta(minutes=43), 7)]

    image = _image(chart)
    shade = _blended(INFUSION_FILL)
    # inside the band (clear of lines and grid): shaded; before the dose: white
    y = chart.value_to_y(50)  # between grid lines, below every line
    inside = chart.time_to_x(START + timedelta(minutes=25)) + 7
    assert _is(image, inside, y, shade)
    assert _is(image, chart.time_to_x(START + timedelta(minutes=55)) + 7, y, QColor("white"))
    # a MOAA/S mark is drawn in its lane at its time
    lane = chart.lane_rect(0)
    assert not _is(image, chart.time_to_x(START + timedelta(minutes=20)), lane.center().y(),
                   shade)


def test_a_running_infusion_is_shaded_up_to_now(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    now = START + timedelta(minutes=25)
    chart.set_data([_vital(0), _vital(13)], dose_started_at=START + timedelta(minutes=3),
                   now=now)
    band = chart.infusion_rect()
    assert band is not None
    assert band.right() == pytest.approx(chart.time_to_x(now))


def test_axes_fit_out_of_range_values_and_voided_readings_are_left_out(qtbot: QtBot) -> None:
    chart = _chart(qtbot)
    chart.set_data([_vital(0, 250, 150, 40, 62), _vital(10, 120, 80, 70, 98),
                    _vital(20, 290, 190, 30, 50, voided=True)], now=START)
    low, high = chart.value_range()
    assert low <= 30 and high >= 260
    assert chart.spo2_range()[0] <= 57
    assert [v for _, v in chart.points("systolic_mmhg")] == [250, 120]
    plot = chart.plot_rect()
    assert plot.top() <= chart.value_to_y(250) and chart.spo2_to_y(62) <= plot.bottom()


def test_a_hundred_readings_render_with_readable_ticks(qtbot: QtBot) -> None:
    chart = _chart(qtbot, ZoneInfo("Europe/Madrid"))
    chart.set_data([_vital(m * 3, 110 + m % 40, 70 + m % 20, 60 + m % 50, 90 + m % 10,
                           alerts=("hr_high",) if m % 17 == 0 else ())
                    for m in range(100)], now=START + timedelta(minutes=300))
    ticks = chart.time_ticks()
    xs = [chart.time_to_x(t) for t in ticks]
    assert len(ticks) >= 3
    assert all(b - a >= 60 for a, b in pairwise(xs))
    # ticks fall on round clinic-time minutes
    assert all(t.astimezone(ZoneInfo("Europe/Madrid")).minute % 5 == 0 for t in ticks)
    image = _image(chart)
    assert len(_colours(image, 2)) > 10


def test_chart_follows_a_real_session(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")
    with chair.db() as db:
        chair.clock.advance(10)
        record_vitals(db, NURSE, chair.session_id,
                      {"systolic_mmhg": 150, "diastolic_mmhg": 95, "heart_rate_bpm": 88,
                       "spo2_percent": 96}, clock=chair.clock)
        record_scale(db, NURSE, chair.session_id, "moaas", [4], clock=chair.clock)
    view = chair.controller().reload()
    assert view is not None
    chart = _chart(qtbot)
    chart.set_view(view)
    assert [v for _, v in chart.points("systolic_mmhg")] == [124, 150]
    assert [(s, total) for s, _, total in chart.score_marks()] == [("moaas", 4)]
    band = chart.infusion_rect()
    assert band is not None and band.width() > 0
    assert band.left() == pytest.approx(chart.time_to_x(view.detail.dose_started_at_utc))
    assert len(_colours(_image(chart))) > 5
