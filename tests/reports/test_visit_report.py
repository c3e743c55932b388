"""The patient's take-home report read back from the PDF: plain, exact, what to do next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketalog.domain.session_state import SessionAction
from ketalog.reports.base import DRAFT_TEXT
from ketalog.reports.visit_report import build_visit_report
from ketalog.services.booking import schedule_session
from ketalog.services.documents import session_summary_data
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import update_discharge_details
from tests.reports.conftest import NURSE, PHONE, ClinicDb, body_text, pdf_pages, reading


def test_what_was_given_in_plain_words_and_clinic_time(clinic: ClinicDb, played: int) -> None:
    pages = pdf_pages(build_visit_report(clinic.visit(played)))
    text = body_text(pages)
    # 0.5 mg/kg x 80 kg, 09:03-09:43 UTC shown in New York time
    assert "You received 40 mg of ketamine by IV infusion from 04:03 to 04:43." in text
    assert "Your dose was worked out from your weight of 80 kg (0.5 mg for each kg)." in text
    assert "Your visit on Saturday 21 November 2026" in text
    assert "stayed in the expected range" in text
    assert "You were ready to go home at 05:13 and left at 05:13 with Maria (wife)." in text


def test_a_patient_document_has_no_draft_mark_but_every_page_frame(clinic: ClinicDb,
                                                                    played: int) -> None:
    data = clinic.visit(played)
    with clinic.db() as db:
        assert not session_summary_data(db, played).signed
    pages = pdf_pages(build_visit_report(data))
    identity = ("Ñúñez, José · MRN K0000001 · born 1980-03-14 · visit 2026-11-21")
    for number, page in enumerate(pages, start=1):
        assert DRAFT_TEXT not in page
        assert identity in page
        assert f"Page {number} of {len(pages)}" in page
        assert "Visit report" in page


def test_aftercare_and_who_to_call(clinic: ClinicDb, played: int) -> None:
    text = body_text(pdf_pages(build_visit_report(clinic.visit(played))))
    assert ("Do not drive, ride a bike or use machinery until the next day, after a night's "
            "sleep.") in text
    assert f"call Riverside Ketamine Clinic on {PHONE}." in text
    assert "call your local emergency number now" in text


def test_next_appointment_and_course_progress(clinic: ClinicDb) -> None:
    first = clinic.book()
    clinic.run(first)
    with clinic.db() as db:
        course = load_session(db, first).course_id
        later = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=later, clock=clinic.clock)
        schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                         scheduled_at=later + timedelta(days=2), clock=clinic.clock)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(first))))
    assert "Your next appointment Monday 23 November 2026 at 09:00." in text
    assert "This was infusion 1 of 6 planned in your course. Treatments given so far: 1." in text
    assert "1 Saturday 21 November 2026, 04:00 this visit 40 mg" in text
    assert "2 Monday 23 November 2026, 09:00 booked" in text
    assert "3 Wednesday 25 November 2026, 09:00 booked" in text


def test_no_next_appointment_is_said_plainly(clinic: ClinicDb, played: int) -> None:
    text = body_text(pdf_pages(build_visit_report(clinic.visit(played))))
    assert "No next appointment is booked yet." in text


def test_how_you_did_names_a_rise_that_settled(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    clinic.vitals(sid, {**reading(1), "systolic_mmhg": 188, "diastolic_mmhg": 112}, minutes=10,
                  action_note="Physician informed.")
    clinic.vitals(sid, {**reading(2), "systolic_mmhg": 192, "diastolic_mmhg": 100}, minutes=10,
                  action_note="Rate unchanged.")
    clinic.vitals(sid, {**reading(3), "spo2_percent": 90}, minutes=10)
    clinic.action(sid, SessionAction.STOP_INFUSION, minutes=10)
    clinic.discharge(sid)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert ("Your blood pressure rose (highest 192/100) and settled before you left "
            "(last check 124/78).") in text
    assert "Your oxygen level dipped (lowest 90 %) and settled before you left" in text


def test_a_rise_still_there_at_the_last_check_is_not_called_settled(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    clinic.vitals(sid, {**reading(1), "heart_rate_bpm": 135}, minutes=10)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "Your heart rate went up (highest 135 beats a minute); at your last check" in text
    assert "Infusion in progress at 04:13: 10 mg of 40 mg delivered so far." in text


def test_stopped_early_says_what_was_actually_received(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)  # 150 mL/h of 100 mL holding 40 mg: 20 min gives 50 mL, 20 mg
    clinic.action(sid, SessionAction.STOP_EARLY, minutes=20, reason="Felt too unwell.")
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "You received 20 mg of ketamine by IV infusion from 04:03 to 04:23." in text
    assert "The infusion was stopped early at 04:23; your nurse will have talked with you " \
           "about why." in text
    assert "Felt too unwell" not in text  # the nurse's reason is for the chart, not the page
    assert "You received 20 mg of the planned 40 mg." in text


def test_cancelled_visit(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.action(sid, SessionAction.CANCEL, reason="Fever; rebooked")
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "You did not receive a treatment at this visit. The visit was cancelled" in text
    assert "Fever" not in text  # the nurse's reason is for the chart, not the page


def test_identical_data_gives_identical_bytes(clinic: ClinicDb, played: int) -> None:
    assert build_visit_report(clinic.visit(played)) == build_visit_report(clinic.visit(played))


def test_an_im_injection_is_described_as_one(clinic: ClinicDb) -> None:
    sid = clinic.book(protocol="im-ketamine-0.5")
    clinic.start(sid)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "You received 40 mg of ketamine by injection into a muscle at 04:03." in text


# --- written for the patient (issue 13, item 8) -----------------------------------------


def test_the_visit_is_dated_by_the_real_check_in_and_discharge(clinic: ClinicDb) -> None:
    sid = clinic.book()  # booked for 04:00 New York time
    clinic.clock.advance(35)  # the patient arrived late
    clinic.run(sid)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "Your visit on Saturday 21 November 2026, 04:35 to 05:48" in text


def test_pauses_are_counted_from_the_pause_events(clinic: ClinicDb) -> None:
    sid = clinic.book()
    clinic.start(sid)
    for minutes in (5, 5):
        clinic.action(sid, SessionAction.PAUSE, minutes=minutes, reason="BP up")
        clinic.action(sid, SessionAction.RESUME, minutes=2)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "The infusion was paused twice (about 4 minutes in total)." in text


def test_no_escort_phone_number_and_no_nursing_note(clinic: ClinicDb) -> None:
    from ketalog.services.interventions import record_intervention

    sid = clinic.book()
    clinic.start(sid)
    with clinic.db() as db:
        update_discharge_details(db, NURSE, sid, expected_version=clinic.version(db, sid),
                                 escort_name="Maria Okafor (wife) tel. +1 555-013-4477",
                                 clock=clinic.clock)
        record_intervention(db, NURSE, sid, drug="Labetalol", dose="10", dose_unit="mg",
                            route="IV", indication="BP 185/100 after 20 min, Dr Lindqvist told",
                            outcome="BP 150/88 at 10 min", clock=clinic.clock)
        record_intervention(db, NURSE, sid, drug="cold flannel on forehead",
                            indication="patient anxious, crying", clock=clinic.clock)
    clinic.run_rest(sid)
    text = body_text(pdf_pages(build_visit_report(clinic.visit(sid))))
    assert "with Maria Okafor (wife)." in text
    assert "013" not in text and "4477" not in text
    assert "you were also given a medicine to lower your blood pressure." in text
    assert "you were also given a medicine given by your care team." in text
    for note in ("185/100", "Lindqvist", "150/88", "crying", "flannel", "Labetalol"):
        assert note not in text


def test_without_phone_numbers_keeps_the_name() -> None:
    from ketalog.reports.visit_report import without_phone_numbers

    assert without_phone_numbers("Maria Okafor (wife) 07700 900123") == "Maria Okafor (wife)"
    assert without_phone_numbers("son, ph: (555) 013-4477") == "son"
    assert without_phone_numbers("Maria (wife)") == "Maria (wife)"
