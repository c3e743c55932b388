"""PDF figures: a 60-reading session summary beside a bare reportlab document, and a day log."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO

from sqlalchemy.orm import Session, sessionmaker


def _times(action: Callable[[], object], n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        action()
    out = []
    for _ in range(n):
        start = time.perf_counter_ns()
        action()
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def bare_reportlab_document() -> bytes:
    """The floor: a platypus document with a 60-row table and a line chart, core fonts."""
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table

    rows = [["Time", "SBP", "DBP", "HR", "SpO2"]] + [
        [f"09:{i:02d}", 120 + i % 20, 80, 70 + i % 10, 97] for i in range(60)]
    drawing = Drawing(480, 200)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 30, 420, 150
    plot.data = [[(i, 120 + i % 20) for i in range(60)], [(i, 70 + i % 10) for i in range(60)]]
    drawing.add(plot)
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build([drawing, Table(rows, repeatRows=1)])
    return buffer.getvalue()


def measure_documents(factory: sessionmaker[Session], session_id: int, day: date,
                      n: int) -> dict[str, list[float]]:
    """Session summary of a 60-reading session, bare reportlab, and a day log."""
    from ketalog.reports.day_log import build_day_log
    from ketalog.reports.session_summary import build_session_summary
    from ketalog.services.documents import day_log_data, session_summary_data

    with factory() as db:
        summary = session_summary_data(db, session_id)
        day_log = day_log_data(db, day)
    readings = list(summary.detail.vitals)[:60]
    while len(readings) < 60:  # top up to exactly 60 readings, ten minutes apart
        last = readings[-1]
        readings.append(dataclasses.replace(last, id=last.id + 100000,
                                            taken_at_utc=last.taken_at_utc
                                            + timedelta(minutes=10)))
    summary = dataclasses.replace(
        summary, detail=dataclasses.replace(summary.detail, vitals=tuple(readings)))
    return {
        "session summary pdf": _times(lambda: build_session_summary(summary), n),
        "bare reportlab": _times(bare_reportlab_document, n),
        "day log pdf": _times(lambda: build_day_log(day_log), n),
        "day log sessions": [float(len(day_log.rows))],
    }
