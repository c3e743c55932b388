"""Safety and identity on every chart summary page: allergies, age, sex, cautions, risk.

The facts come from the same sources as the day board, so the board and the chart
can never disagree about a patient's cautions or suicide-risk state.
"""

from __future__ import annotations

from datetime import date

from ketalog.domain.safety import safety_alert
from ketalog.domain.session_state import SessionAction
from ketalog.reports.session_summary import build_session_summary
from ketalog.services.board import day_board
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.patient_safety import SafetyFacts, age_on, safety_facts
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.screening import approve_screening, override_contraindications
from ketalog.services.session.entries import record_scale
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_timezone
from tests.play import screen_course, standing_order
from tests.reports.conftest import NURSE, ClinicDb, pdf_pages, reading
from tests.staff import PHYSICIAN

ALLERGY = "penicillin (rash), latex"
REASON = "single episode 2009, stable since; psychiatrist agrees"


def _book_cautious(clinic: ClinicDb) -> int:
    """Ann Ito, 45 tomorrow, on a benzodiazepine, psychosis history overridden by a physician."""
    c = clinic.clock
    with clinic.db() as db:
        patient = register_patient(db, NURSE, family_name="Ito", given_name="Ann",
                                   birth_date=date(1981, 11, 22), sex="female", clock=c)
        record_weight(db, NURSE, patient.id, "60", clock=c)
        course = open_course(db, NURSE, patient_id=patient.id,
                             protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                             indication="treatment-resistant depression", clock=c)
        screening = screen_course(db, course, c, approve=False, allergies=ALLERGY,
                                  takes_benzodiazepine=True, medications="lorazepam 1 mg",
                                  psychosis_history=True)
        override_contraindications(db, PHYSICIAN, screening, reason=REASON, clock=c)
        approve_screening(db, PHYSICIAN, screening, clock=c)
        standing_order(db, course, c)
        return schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                                scheduled_at=c.now, clock=c)


def test_age_counts_whole_years_to_the_birthday() -> None:
    assert age_on(date(1981, 11, 22), date(2026, 11, 21)) == 44
    assert age_on(date(1981, 11, 22), date(2026, 11, 22)) == 45


def test_the_facts_agree_with_the_board(clinic: ClinicDb) -> None:
    sid = _book_cautious(clinic)
    with clinic.db() as db:
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clinic.clock)
        record_scale(db, NURSE, sid, "phq9", [2, 2, 1, 1, 1, 1, 1, 0, 2],
                     clock=clinic.clock)
        facts = safety_facts(db, sid)
        board = day_board(db, date(2026, 11, 21), clinic_timezone(db), now=clinic.clock.now)
    row = next(r for r in board if r.session_id == sid)
    assert facts.cautions == row.cautions and facts.cautions  # one source, never disagreeing
    assert facts.suicide_risk == row.safety_alert
    assert facts.suicide_risk == safety_alert(facts.screen)
    assert "C-SSRS screen needed" in (facts.suicide_risk or "")
    assert (facts.allergies, facts.age_years, facts.sex) == (ALLERGY, 44, "female")
    assert facts.overrides and facts.override_reason == REASON


def test_every_page_of_the_chart_summary_starts_with_the_safety_facts(clinic: ClinicDb) -> None:
    sid = _book_cautious(clinic)
    clinic.start(sid)
    for i in range(70):  # many readings: a summary of several pages
        clinic.vitals(sid, reading(i), minutes=0.5)
    with clinic.db() as db:
        record_scale(db, NURSE, sid, "phq9", [2, 2, 1, 1, 1, 1, 1, 0, 1],
                     clock=clinic.clock)
    pages = pdf_pages(build_session_summary(clinic.summary(sid)))
    assert len(pages) >= 3
    for page in pages:
        head = " ".join(page.split("Session summary: ")[0].split()) if "Session summary: " \
            in page else " ".join(page.split())[:900]
        assert "Age 44 · Sex female · Allergies: penicillin (rash), latex" in head
        assert "⚠ Caution: benzodiazepine" in head
        assert "Contraindication overridden by a physician" in head
        assert REASON in head  # wrapped onto a second line, not cut
        assert "⚠ C-SSRS screen needed: PHQ-9 item 9 = 1" in head


def test_facts_read_plainly_when_nothing_is_recorded() -> None:
    facts = SafetyFacts(age_years=46)
    assert facts.text == ("Age 46 · Sex not recorded · Allergies: not recorded · "
                          "Suicide-risk screen: no PHQ-9 at this visit yet")
    assert facts.warnings == ()
