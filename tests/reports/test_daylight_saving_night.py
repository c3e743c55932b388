"""The night the clocks go back, printed: every time once, each with its zone (issue 16, 1).

Before: a session from 01:40 EDT to 01:20 EST printed its readings 01:00...01:50
and again 01:00...01:50, the infusion as "01:40 started / 01:20 stopped", the
day log as "01:40-01:20", and the heading said EDT for every time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ketalog.reports.day_log import build_day_log
from ketalog.reports.session_summary import build_session_summary
from ketalog.reports.visit_report import build_visit_report
from ketalog.services.documents import day_log_data
from tests.reports.conftest import ClinicDb, body_text, pdf_pages

NIGHT = date(2026, 11, 1)


def _played_across_the_change(clinic: ClinicDb) -> int:
    clinic.clock.now = datetime(2026, 11, 1, 5, 37, tzinfo=UTC)  # 01:37 EDT
    sid = clinic.book()
    clinic.start(sid)  # started 01:40 EDT
    clinic.run_rest(sid, readings=4)  # readings 01:50 EDT, 01:00, 01:10, 01:20 EST; stop
    return sid


def test_the_summary_prints_each_time_once_with_its_zone(clinic: ClinicDb) -> None:
    sid = _played_across_the_change(clinic)
    text = body_text(pdf_pages(build_session_summary(clinic.summary(sid))))
    assert ("All times are clinic time (America/New_York; the clocks change on 2026-11-01 "
            "from EDT (UTC-04:00) to EST (UTC-05:00), so every time that day is marked with "
            "its zone).") in text
    for printed in ("01:40 EDT", "01:50 EDT", "01:00 EST", "01:10 EST", "01:20 EST"):
        assert printed in text, printed
    # no time of that day is printed without its zone (durations and UTC offsets aside)
    bare = re.findall(r"(?<!paused )(?<![-+:\d])0[0-9]:[0-5][0-9]\b(?! E[DS]T)", text)
    assert bare == [], [text[max(0, text.find(b) - 80):text.find(b) + 20] for b in bare]


def test_the_day_log_and_visit_report_read_start_before_stop(clinic: ClinicDb) -> None:
    sid = _played_across_the_change(clinic)
    with clinic.db() as db:
        log = body_text(pdf_pages(build_day_log(day_log_data(db, NIGHT, clinic.clock.now))))
    assert "01:40 EDT" in log and "01:20 EST" in log
    assert "the clocks change on 2026-11-01" in log
    visit = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "01:40 EDT" in visit or "01:37 EDT" in visit
