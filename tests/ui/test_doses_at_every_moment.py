"""Delivered mg, running time and the infusion band follow the pump log at every moment.

One infusion (40 mg in 100 mL at 150 mL/h, so 1 mg a minute) is looked at three
times: running, paused, and after a rate change to 300 mL/h. At each moment the
session header, the day board's "Dose time", the trend chart and the chart
summary PDF (and the visit report) must say the same, true thing.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from ketalog.domain.session_state import SessionAction
from ketalog.services.board import day_board
from ketalog.services.pdf import produce_pdf
from ketalog.services.session.state import change_rate, change_state
from ketalog.ui.board.board_model import BoardTableModel
from ketalog.ui.session.session_page import SessionPage
from tests.reports.conftest import body_text, pdf_pages
from tests.ui.conftest import NURSE, Chair

UTC_TZ = ZoneInfo("UTC")


def _board_dose_time(chair: Chair) -> str:
    with chair.db() as db:
        rows = day_board(db, chair.clock.now.date(), UTC_TZ, now=chair.clock.now)
    model = BoardTableModel(UTC_TZ)
    model.set_rows(rows, chair.clock.now)
    return str(model.data(model.index(0, model.ELAPSED)))


def _pdf_text(chair: Chair, kind: str) -> str:
    with chair.db() as db:
        pdf = produce_pdf(db, kind, chair.session_id, as_of=chair.clock.now)
    return body_text(pdf_pages(pdf))


def _look(chair: Chair, page: SessionPage, *, mg: str, running: str) -> None:
    """Header, board and both documents agree with the pump log now."""
    page.reload()
    assert page.progress.text() == f"{mg} mg of 40.0 mg  {running}"
    assert page.infusion.delivered_label.text() == f"{mg} mg"
    assert page.infusion.elapsed_label.text() == running
    assert _board_dose_time(chair) == running
    summary = _pdf_text(chair, "session")
    now = chair.clock.now.strftime("%H:%M")
    short = mg.removesuffix(".0")
    assert f"Infusion in progress at {now}: {short} mg of 40 mg delivered so far" in summary
    assert "100 %" not in summary
    visit = _pdf_text(chair, "visit")
    assert f"Infusion in progress at {now}: {short} mg of 40 mg delivered so far" in visit


def _band_end(page: SessionPage) -> datetime | None:
    spans = page.chart.running_spans()
    return spans[-1][1] if spans else None


def test_running_paused_and_after_a_rate_change(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")  # started 09:03 UTC
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.show()
    sid, clock = chair.session_id, chair.clock

    clock.advance(10)  # 09:13, running
    _look(chair, page, mg="10.0", running="10:00")
    assert _band_end(page) == clock.now

    with chair.db() as db:
        change_state(db, NURSE, sid, SessionAction.PAUSE, reason="BP 158/92", clock=clock)
    clock.advance(5)  # 09:18, paused five minutes
    _look(chair, page, mg="10.0", running="10:00")
    assert page.chart.paused_spans() == [(clock.now.replace(minute=13), clock.now)]
    assert _band_end(page) == clock.now.replace(minute=13)

    with chair.db() as db:
        change_state(db, NURSE, sid, SessionAction.RESUME, clock=clock)
    clock.advance(5)  # 09:23: 15 mg
    with chair.db() as db:
        change_rate(db, NURSE, sid, "300", reason="catch up after the pause", clock=clock)
    clock.advance(5)  # 09:28: 15 mg + 5 min at 2 mg a minute
    _look(chair, page, mg="25.0", running="20:00")


def test_a_stopped_infusion_prints_what_ran_whenever_it_is_printed(chair: Chair) -> None:
    chair.to("infusing")
    chair.clock.advance(10)
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, SessionAction.STOP_EARLY,
                     reason="patient asked to stop", clock=chair.clock)
    chair.clock.advance(60)
    text = _pdf_text(chair, "session")
    assert "Infusion in progress" not in text
    assert "10 mg" in text and "(25 %)" in text


@pytest.mark.parametrize("kind", ["session", "visit"])
def test_the_same_moment_gives_the_same_bytes(chair: Chair, kind: str) -> None:
    chair.to("infusing")
    chair.clock.advance(7)
    with chair.db() as db:
        first = produce_pdf(db, kind, chair.session_id, as_of=chair.clock.now)
        again = produce_pdf(db, kind, chair.session_id, as_of=chair.clock.now)
    assert first == again


def test_the_day_log_counts_what_ran_of_a_running_infusion(chair: Chair) -> None:
    chair.to("infusing")
    chair.clock.advance(12)
    with chair.db() as db:
        pdf = produce_pdf(db, "day", chair.clock.now.date(), as_of=chair.clock.now)
    text = " ".join(" ".join(pdf_pages(pdf)).split())
    assert "Ketamine given 12.0 mg in 1 session whose dosing started" in text
    assert "1 infusion still in progress at 09:15: counted up to that moment." in text
