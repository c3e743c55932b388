"""The session summary read back from the PDF: complete, exact, on every page where it belongs."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from ketalog.domain.infusion import RUNNING_AFTER
from ketalog.domain.session_state import SessionAction
from ketalog.domain.values import format_decimal
from ketalog.reports.base import DRAFT_TEXT
from ketalog.reports.charts import infusion_intervals, vitals_trend_chart
from ketalog.reports.session_summary import build_session_summary, identity_line
from ketalog.services import interventions
from ketalog.services.documents import AddendumBlock, SessionSummaryData
from ketalog.services.session.entries import add_note, flag_event, record_scale, resolve_event
from ketalog.services.session.state import change_rate
from ketalog.services.session_detail import EventRow, VitalRow
from ketalog.store.models import VitalSign
from tests.reports.conftest import NURSE, ClinicDb, body_text, pdf_pages, reading


def _flat(text: str) -> str:
    """Whitespace (including the line breaks of wrapped paragraphs) as single spaces."""
    return re.sub(r"\s+", " ", text)


def _row_tokens(v: VitalRow, data: SessionSummaryData) -> list[str]:
    tz = data.tz
    tokens = [v.taken_at_utc.astimezone(tz).strftime("%H:%M")]
    if v.systolic_mmhg is not None:
        tokens.append(f"{v.systolic_mmhg}/{v.diastolic_mmhg}")
    tokens += [str(x) for x in (v.heart_rate_bpm, v.spo2_percent, v.resp_rate_per_min)
               if x is not None]
    if v.temperature_c is not None:
        tokens.append(format_decimal(v.temperature_c, 1))
    tokens += [str(x) for x in (v.etco2_mmhg, v.pain_score) if x is not None]
    return tokens


def _has_row(lines: list[str], tokens: list[str]) -> bool:
    """The reading's time, then (after its phase) each value in its own cell, in order."""
    first, rest = tokens[0], tokens[1:]
    return any(line == first and lines[i + 2:i + 2 + len(rest)] == rest
               for i, line in enumerate(lines))


@pytest.fixture
def long_session(clinic: ClinicDb) -> int:
    """101 readings a minute apart: 40 during the infusion, the rest in recovery."""
    sid = clinic.book()
    clinic.start(sid)
    for i in range(40):
        clinic.vitals(sid, reading(i))
    clinic.action(sid, SessionAction.STOP_INFUSION, minutes=0.5)
    for i in range(40, 99):
        clinic.vitals(sid, reading(i))
    clinic.discharge(sid)
    return sid


def test_every_vital_of_a_100_reading_session_is_printed(clinic: ClinicDb,
                                                         long_session: int) -> None:
    data = clinic.summary(long_session)
    assert len(data.detail.vitals) == 101
    pages = pdf_pages(build_session_summary(data))
    lines = [line.strip() for page in pages for line in page.splitlines()]
    missing = [v.taken_at_utc for v in data.detail.vitals
               if not _has_row(lines, _row_tokens(v, data))]
    assert missing == []
    assert len(pages) >= 3
    identity = identity_line(data.detail, data.tz)
    for number, text in enumerate(pages, start=1):
        assert identity in text
        assert f"Page {number} of {len(pages)}" in text
        assert DRAFT_TEXT in text
    # the vitals table runs over pages; its header repeats on each of them
    with_rows = [text for text in pages if "recovery" in text.split("Rating scales")[0]]
    assert len(with_rows) >= 2
    assert all("Alerts and action taken" in text for text in with_rows)


def test_dose_working_and_who_prepared_and_verified(clinic: ClinicDb, played: int) -> None:
    data = clinic.summary(played)
    dose = data.detail.dose
    assert dose is not None and len(dose.working) == 3
    text = "\n".join(pdf_pages(build_session_summary(data)))
    for line in dose.working:
        assert line in text
    flat = _flat(text)
    assert "80 kg (actual body weight, measured 2026-11-21)" in flat
    assert "0.5 mg/kg" in flat
    assert "Total dose 40.0 mg" in flat  # as the working rounds it
    assert "Concentration 10 mg/mL" in flat
    assert "Pump rate 150 mL/h" in flat
    assert "Duration 40 min" in flat
    assert "Lot number KT1" in flat
    assert "Prepared by Nora Reyes, RN" in flat
    assert ("Verified by Sam Okafor, RN at 04:02; independent double check: own figures "
            "(40 mg, 150 mL/h) matched") in flat  # 09:02 UTC in New York
    assert "Indication treatment-resistant depression" in flat
    assert "Course infusion 1 of 6" in flat
    assert "IV ketamine for depression" in flat
    assert "Delivered by the pump log: 40.0 mg" in flat


def test_draft_until_signed_then_signature_block(clinic: ClinicDb, long_session: int) -> None:
    unsigned = pdf_pages(build_session_summary(clinic.summary(long_session)))
    assert all(DRAFT_TEXT in text for text in unsigned)
    assert "Not signed." in unsigned[-1]

    clinic.sign(long_session)
    data = clinic.summary(long_session)
    assert data.signed
    signed = pdf_pages(build_session_summary(data))
    assert len(signed) >= 3
    assert not any(DRAFT_TEXT in text for text in signed)
    flat = _flat("\n".join(signed))
    signature = data.signatures[0]
    local = signature.signed_at_utc.astimezone(data.tz)
    assert "Signed by Ada Lindqvist, MD" in flat
    assert "Meaning Reviewed and approved" in flat
    assert f"Date and time {local:%Y-%m-%d %H:%M} EST" in flat
    assert f"Content SHA-256 {signature.content_sha256}" in flat
    assert "Status signed" in flat


def test_addenda_follow_the_signatures(clinic: ClinicDb, played: int) -> None:
    clinic.sign(played)
    data = clinic.summary(played)
    written = data.signatures[0].signed_at_utc + timedelta(days=1)
    data = dataclasses.replace(data, addenda=(
        AddendumBlock(1, "Ada Lindqvist", written, "Late entry",
                      "Patient phoned next morning: feeling well."),
        AddendumBlock(2, "Ada Lindqvist", written + timedelta(hours=1), "Correction",
                      "Escort was her sister."),
    ))
    flat = _flat("\n".join(pdf_pages(build_session_summary(data))))
    signatures = flat.index("Signatures")
    first, second = flat.index("Addendum 1"), flat.index("Addendum 2")
    assert signatures < first < second
    assert "Written 2026-11-22" in flat and "by Ada Lindqvist" in flat
    assert "Reason: Late entry" in flat
    assert "Patient phoned next morning: feeling well." in flat


@pytest.mark.parametrize(("family", "given"), [("Ñúñez", "José"), ("Ångström", "Zoë"),
                                               ("Иванов", "Дмитрий")])
def test_unicode_names_on_every_page(clinic: ClinicDb, family: str, given: str) -> None:
    sid = clinic.book(family, given)
    clinic.start(sid)
    for i in range(80):
        clinic.vitals(sid, reading(i), minutes=0.5)
    data = clinic.summary(sid)
    pages = pdf_pages(build_session_summary(data))
    assert len(pages) >= 2
    expected = f"{family}, {given} · MRN {data.detail.mrn} · born 1980-03-14 · session 2026-11-21"
    assert all(expected in text for text in pages)
    assert f"Session summary: {family}, {given}" in pages[0]


def test_identical_data_gives_identical_bytes(clinic: ClinicDb, played: int) -> None:
    first = build_session_summary(clinic.summary(played))
    again = build_session_summary(clinic.summary(played))
    assert first == again
    assert first.startswith(b"%PDF")


def test_notes_with_author_and_time_and_a_long_note_breaks_across_pages(
        clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.run(sid)
    words = [f"w{i:04d}" for i in range(2600)]  # about two and a half pages of text
    with clinic.db() as db:
        add_note(db, NURSE, sid, "nursing", "Called the escort; she is on her way.",
                 clock=clinic.clock)
        add_note(db, NURSE, sid, "observation", " ".join(words), clock=clinic.clock)
    data = clinic.summary(sid)
    pages = pdf_pages(build_session_summary(data))
    flat = body_text(pages)
    assert "Recovery note, 05:03 - Nora Reyes, RN" in flat
    assert "Tolerated infusion well; steady gait." in flat
    assert "Nursing note, 05:13 - Nora Reyes, RN Called the escort; she is on her way." in flat
    assert "Observation note, 05:13 - Nora Reyes, RN" in flat
    positions = [flat.index(word) for word in words]
    assert positions == sorted(positions)
    first_page = next(n for n, text in enumerate(pages) if words[0] in text)
    last_page = next(n for n, text in enumerate(pages) if words[-1] in text)
    assert last_page >= first_page + 2


def test_tabs_runs_of_spaces_and_line_breaks_in_notes_are_printed_as_written(
        clinic: ClinicDb) -> None:
    """A note laid out with tabs and spaces keeps its layout on paper: a tab is a gap to the
    next tab stop (every 4 characters), never a single space; line breaks stay breaks."""
    sid = clinic.book()
    clinic.start(sid)
    clinic.vitals(sid, reading(1), minutes=10, action_note="Pupils\tequal")
    clinic.run_rest(sid)
    with clinic.db() as db:
        add_note(db, NURSE, sid, "nursing",
                 "BP\t150/90\nGait\t\tsteady\nEscort:    Maria (wife)\n    - drives home",
                 clock=clinic.clock)
    text = "\n".join(pdf_pages(build_session_summary(clinic.summary(sid))))
    lines = [line.rstrip() for line in text.splitlines()]
    # "BP" then a tab to column 4; "Gait" then two tabs to column 12
    assert "BP  150/90" in lines
    assert "Gait        steady" in lines
    assert "Escort:    Maria (wife)" in lines
    assert "    - drives home" in lines
    assert any(line.endswith("Pupils  equal") for line in lines)
    assert "\t" not in text


def test_alerts_are_marked_in_words_and_actions_printed(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    clinic.vitals(sid, {**reading(1), "systolic_mmhg": 192, "diastolic_mmhg": 101},
                  minutes=10, action_note="Rate unchanged; physician informed.")
    clinic.vitals(sid, {**reading(2), "spo2_percent": 89}, minutes=10)
    long_action = "Oxygen 2 L/min by nasal cannula, chin lift. " * 30
    clinic.vitals(sid, {**reading(3), "heart_rate_bpm": 140}, minutes=10,
                  action_note=long_action.strip())
    pages = pdf_pages(build_session_summary(clinic.summary(sid)))
    flat = _flat("\n".join(pages))
    assert "3 with an alert" in flat
    assert "⚠ ALERT: SBP high. Action: Rate unchanged; physician informed." in flat
    assert "⚠ ALERT: SpO2 low. Action: NOT RECORDED" in flat
    assert "⚠ ALERT: HR high. Action: Oxygen 2 L/min" in flat
    # too long for a table row: printed in full under the table
    assert "[1] reading 04:33" in flat
    assert long_action.strip() in body_text(pages)


def test_reading_entered_in_error_stays_visible_and_marked(clinic: ClinicDb,
                                                          played: int) -> None:
    data = clinic.summary(played)
    wrong = data.detail.vitals[2]
    with clinic.db() as db:
        db.execute(update(VitalSign).where(VitalSign.id == wrong.id)
                   .values(voided_at_utc=datetime(2026, 11, 21, 9, 30, tzinfo=UTC)))
        db.commit()
    data = clinic.summary(played)
    pages = pdf_pages(build_session_summary(data))
    lines = [line.strip() for page in pages for line in page.splitlines()]
    assert _has_row(lines, _row_tokens(data.detail.vitals[2], data))
    flat = _flat("\n".join(pages))
    # voided by SQL before 0017: no one named, the time it was marked (clinic time)
    assert "ENTERED IN ERROR at 04:30 - not used" in flat
    assert "5 readings (1 more entered in error, struck through" in flat


def test_infusion_timeline_pauses_rate_changes_and_delivered_dose(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)  # 150 mL/h of a 100 mL bag holding 40 mg
    clinic.action(sid, SessionAction.PAUSE, minutes=10, reason="Patient asked for a break.")
    clinic.action(sid, SessionAction.RESUME, minutes=5)
    clinic.clock.advance(10)
    with clinic.db() as db:
        change_rate(db, NURSE, sid, "100", reason="Nausea; rate reduced.",
                    clock=clinic.clock)
    clinic.action(sid, SessionAction.STOP_EARLY, minutes=6, reason="Marked dissociation.")
    flat = _flat("\n".join(pdf_pages(build_session_summary(clinic.summary(sid)))))
    assert "04:03 Infusion started 150" in flat
    assert "04:13 Paused Patient asked for a break." in flat
    assert "04:18 Resumed" in flat
    assert "04:28 Rate changed 100 Nausea; rate reduced." in flat
    assert "04:34 STOPPED EARLY Marked dissociation." in flat
    # 25 mL + 25 mL at 150 mL/h, 10 mL at 100 mL/h: 60 mL of 0.4 mg/mL
    assert "Running time 26:00" in flat
    assert "paused 05:00 in total" in flat
    assert "Delivered by the pump log: 24.0 mg (60 mL) of 40 mg ordered (60 %)" in flat
    assert "infusion stopped early - reason: Marked dissociation." in flat


def test_scales_events_interventions_and_adverse_events(clinic: ClinicDb) -> None:
    sid = clinic.book()
    c = clinic.clock
    clinic.start(sid)
    with clinic.db() as db:
        record_scale(db, NURSE, sid, "phq9", [2, 2, 1, 1, 1, 1, 0, 0, 1], clock=c)
        c.advance(20)
        record_scale(db, NURSE, sid, "moaas", [4], clock=c)
        record_scale(db, NURSE, sid, "cadss6", [1, 2, 0, 3, 1, 0], clock=c)
        flag = flag_event(db, NURSE, sid, "dissociation", note="Says the room is tilting.",
                          clock=c)
        interventions.record_intervention(db, NURSE, sid, drug="ondansetron", dose="4",
                                          dose_unit="mg", route="IV", indication="nausea",
                                          outcome="settled in 10 min", clock=c)
        event = interventions.record_adverse_event(db, NURSE, sid, kind="nausea/vomiting",
                                                   severity="mild",
                                                   action_taken="ondansetron given", clock=c)
        c.advance(12)
        resolve_event(db, NURSE, flag, clock=c)
        interventions.resolve_adverse_event(db, NURSE, event, clock=c)
    flat = _flat("\n".join(pdf_pages(build_session_summary(clinic.summary(sid)))))
    assert "04:23 MOAA/S 4 / 5 Lethargic response to name spoken in normal tone" in flat
    assert "1. Things seem to move in slow motion 1" in flat
    assert "22. Observer item 22 (wording on the licensed CADSS form) 0" in flat
    assert "Total 7 / 24" in flat
    assert "Total 9 / 27" in flat
    assert "⚠ PHQ-9 item 9 (thoughts of death or self-harm) scored 1 at 04:03." in flat
    assert "Dissociation 04:23 04:35 12:00 Says the room is tilting." in flat
    assert "04:23 ondansetron 4 mg IV Nora Reyes, RN nausea settled in 10 min" in flat
    assert "nausea/vomiting mild 04:23 04:35" in flat
    assert "ondansetron given" in flat


def test_cancelled_session_still_summarises(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.action(sid, SessionAction.CANCEL, reason="Fever; rebooked.")
    flat = _flat("\n".join(pdf_pages(build_session_summary(clinic.summary(sid)))))
    assert "Status cancelled - reason: Fever; rebooked." in flat
    assert "No dose was ordered." in flat
    assert "No vital signs were recorded." in flat
    # closed without a dose: nothing waits for a physician's signature
    assert DRAFT_TEXT not in flat and "draft until a physician signs" not in flat
    assert ("Cancelled before any dose (Fever; rebooked.): there is nothing for a physician "
            "to sign.") in flat


def test_reports_import_neither_sqlalchemy_nor_qt() -> None:
    code = ("import sys\n"
            "import ketalog.reports.session_summary, ketalog.reports.visit_report\n"
            "import ketalog.reports.charts\n"
            "print(','.join(sorted(m for m in sys.modules\n"
            "    if m.split('.')[0] in ('sqlalchemy', 'PySide6'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# --- the chart's pure parts -----------------------------------------------------------------


def _event(kind: str, minute: int) -> EventRow:
    return EventRow(minute, kind, datetime(2026, 11, 21, 9, minute, tzinfo=UTC), "")


def test_infusion_intervals_and_phases() -> None:
    events = [_event("start", 0), _event("pause", 10), _event("resume", 15),
              _event("rate_change", 20), _event("stop", 40)]
    assert set(RUNNING_AFTER) >= {e.kind for e in events}
    spans = infusion_intervals(events)
    assert [(s.start.minute, s.end.minute if s.end else None) for s in spans.running] == [
        (0, 10), (15, 40)]
    assert [(s.start.minute, s.end.minute if s.end else None) for s in spans.paused] == [
        (10, 15)]
    started = events[0].at_utc
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert spans.phase_at(at - timedelta(minutes=5), started) == "pre-dose"
    assert spans.phase_at(at + timedelta(minutes=5), started) == "infusing"
    assert spans.phase_at(at + timedelta(minutes=12), started) == "paused"
    assert spans.phase_at(at + timedelta(minutes=50), started) == "recovery"
    stopped_while_paused = infusion_intervals([_event("start", 0), _event("pause", 10),
                                               _event("stop_early", 20)])
    assert [(s.start.minute, s.end.minute if s.end else None)
            for s in stopped_while_paused.paused] == [(10, 20)]


def test_trend_chart_needs_a_reading(clinic: ClinicDb, played: int) -> None:
    data = clinic.summary(played)
    d = data.detail
    assert vitals_trend_chart((), d.scores, d.infusion_events, data.tz, width=400) is None
    chart = vitals_trend_chart(d.vitals, d.scores, d.infusion_events, data.tz, width=400)
    assert chart is not None and chart.width == 400


def test_a_reading_after_midnight_carries_its_date(clinic: ClinicDb, played: int) -> None:
    data = clinic.summary(played)
    vitals = list(data.detail.vitals)
    vitals[-1] = dataclasses.replace(vitals[-1],
                                     taken_at_utc=vitals[-1].taken_at_utc + timedelta(days=1))
    data = dataclasses.replace(data, detail=dataclasses.replace(data.detail,
                                                                vitals=tuple(vitals)))
    text = "\n".join(pdf_pages(build_session_summary(data)))
    assert "22 Nov\n05:03" in text


def test_an_im_dose_is_a_single_dose(clinic: ClinicDb) -> None:
    sid = clinic.book(protocol="im-ketamine-0.5")
    clinic.start(sid)
    text = body_text(pdf_pages(build_session_summary(clinic.summary(sid))))
    assert "IM (weight-based IM injection)" in text
    assert "Single dose given at 04:03: 40 mg of 40 mg ordered." in text


def test_a_summary_printed_mid_infusion_never_counts_to_the_booked_time(
        clinic: ClinicDb) -> None:
    """Found on the demo clinic: the session booked for later than it started printed
    the full dose (100 %) mid-infusion, because the booked time counted as "the last
    record". The printing moment is the caller's, and the dose runs to it only."""
    sid = clinic.book(in_minutes=90)  # booked for 05:30, the patient was taken early
    clinic.start(sid)  # started 04:03
    clinic.vitals(sid, reading(1), minutes=10)  # 04:13
    text = _flat("\n".join(pdf_pages(build_session_summary(clinic.summary(sid)))))
    assert "Infusion in progress at 04:13: 10 mg of 40 mg delivered so far" in text
    assert "(25 %) so far" in text
    assert "100 %" not in text


def test_every_dose_figure_is_printed_as_its_working_rounds_it(clinic: ClinicDb) -> None:
    """0.35 mg/kg/h x 74.4 kg over 4 h: 104.16 mg, 10.416 mL, 62.5 mL/h (issue 16, item 3).

    The working reads "= 104.2 mg", "= 10.4 mL" and "= 63 mL/h"; the table
    beside it said 104.16 mg, 10.416 mL and 62.5 mL/h.
    """
    sid = clinic.book(protocol="iv-pain-0.35", weight="74.4")
    clinic.start(sid)
    data = clinic.summary(sid)
    assert data.detail.dose is not None and data.detail.dose.rate_ml_per_h == Decimal("62.5")
    flat = _flat("\n".join(pdf_pages(build_session_summary(data))))
    assert "250 mL / (240 min / 60) = 63 mL/h" in flat
    assert "Total dose 104.2 mg [1]" in flat
    assert "Drug volume 10.4 mL [2]" in flat
    assert "Pump rate 63 mL/h [3]" in flat
    assert "Pump rate 62.5" not in flat and "Drug volume 10.416" not in flat
    assert ("[1] Total dose exactly 104.16 mg; printed rounded to 0.1 mg, as in the working. "
            "[2] Drug volume exactly 10.416 mL; printed rounded to 0.1 mL, as in the working. "
            "[3] Pump rate exactly 62.5 mL/h; printed rounded to 1 mL/h, as in the working."
            ) in flat


def test_figures_equal_to_their_rounding_have_no_footnote(clinic: ClinicDb, played: int) -> None:
    flat = _flat("\n".join(pdf_pages(build_session_summary(clinic.summary(played)))))
    assert "Drug volume 4.0 mL" in flat and "Pump rate 150 mL/h" in flat
    assert "exactly" not in flat
