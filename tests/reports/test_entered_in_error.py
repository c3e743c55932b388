"""Entries entered in error on paper: struck through, with who marked them, when and why."""

from __future__ import annotations

from pathlib import Path

from ketalog.domain.session_state import SessionAction
from ketalog.reports.course_report import build_course_report
from ketalog.reports.session_summary import build_session_summary
from ketalog.reports.visit_report import build_visit_report
from ketalog.services.corrections import mark_entered_in_error
from ketalog.services.documents import course_report_data
from ketalog.services.interventions import record_intervention
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import add_note, flag_event, record_scale, record_vitals
from ketalog.services.session.state import change_state
from ketalog.store.models import VitalSign
from tests.reports.conftest import ClinicDb, body_text, pdf_pages, reading
from tests.staff import NURSE, PHYSICIAN

OUT = Path("/tmp")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_summary_prints_entries_entered_in_error_struck_with_who_when_why(
        clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    clinic.vitals(sid, reading(0), minutes=10)
    clinic.vitals(sid, {**reading(1), "systolic_mmhg": 196, "diastolic_mmhg": 104}, minutes=5)
    c = clinic.clock
    with clinic.db() as db:
        record_vitals(db, NURSE, sid, reading(2), clock=c)
        score = record_scale(db, NURSE, sid, "moaas", [2], clock=c)
        flag = flag_event(db, NURSE, sid, "sedation", note="deeply sedated", clock=c)
        given = record_intervention(db, NURSE, sid, drug="midazolam", dose="1",
                                    dose_unit="mg", route="IV", clock=c)
        note = add_note(db, NURSE, sid, "nursing", "Patient anxious, asked for husband.",
                        clock=c)
        c.advance(3)
        the_196 = next(v for v in db.query(VitalSign).filter_by(session_id=sid)
                       if v.systolic_mmhg == 196).id
        mark_entered_in_error(db, NURSE, "vital_signs", the_196,
                              "typed into the wrong session", clock=c)
        mark_entered_in_error(db, PHYSICIAN, "score", score, "scored the next chair",
                              clock=c)
        mark_entered_in_error(db, NURSE, "event flag", flag, "wrong patient", clock=c)
        mark_entered_in_error(db, NURSE, "interventions", given, "not given: order cancelled",
                              clock=c)
        mark_entered_in_error(db, NURSE, "notes", note, "other patient's note", clock=c)
    clinic.run_rest(sid, readings=2)
    pdf = build_session_summary(clinic.summary(sid))
    (OUT / "void16-summary.pdf").write_bytes(pdf)
    flat = _flat(body_text(pdf_pages(pdf)))
    # marked at 09:21 UTC, printed in clinic time (New York)
    assert "ENTERED IN ERROR by Nora Reyes, RN at 04:21: typed into the wrong session" in flat
    assert "typed into the wrong session - not used (alert was: SBP high)" in flat
    assert "196/104" in flat  # the wrong values stay legible
    assert "(1 more entered in error, struck through)" in flat
    assert "ENTERED IN ERROR by Ada Lindqvist, MD" in flat and "scored the next chair" in flat
    assert "wrong patient - not used. Was: deeply sedated" in flat
    assert "not given: order cancelled - not used" in flat and "midazolam" in flat
    assert "other patient's note - not used" in flat
    assert "Patient anxious, asked for husband." in flat


def test_the_visit_report_strikes_the_line_without_the_reason(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    c = clinic.clock
    with clinic.db() as db:
        given = record_intervention(db, NURSE, sid, drug="ondansetron", dose="4",
                                    dose_unit="mg", route="IV", clock=c)
        mark_entered_in_error(db, NURSE, "intervention", given, "belongs to J. Smith",
                              clock=c)
    clinic.run_rest(sid, readings=2)
    with clinic.db() as db:
        from ketalog.services.documents import visit_report_data

        data = visit_report_data(db, sid, c.now)
    flat = _flat(body_text(pdf_pages(build_visit_report(data))))
    assert "you were also given a medicine for nausea" in flat
    assert "The line above was recorded in error by Nora Reyes, RN at" in flat
    assert "J. Smith" not in flat


def test_the_course_report_lists_an_outcome_score_entered_in_error(clinic: ClinicDb) -> None:
    sid = clinic.book()
    c = clinic.clock
    with clinic.db() as db:
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=c)
        record_scale(db, NURSE, sid, "phq9", [2] * 9, clock=c)
        wrong = record_scale(db, NURSE, sid, "phq9", [3] * 9, clock=c)
        first = record_scale(db, NURSE, sid, "gad7", [1] * 7, clock=c)
        mark_entered_in_error(db, NURSE, "score", first, "last week's form", clock=c)
        del wrong
        data = course_report_data(db, load_session(db, sid).course_id)
    flat = _flat(body_text(pdf_pages(build_course_report(data))))
    assert "Scores entered in error (not counted)" in flat
    assert "GAD-7 7" in flat and "last week's form - not used" in flat
