"""Recording, overriding and approving a screening, and what it lets a course do.

Runs on SQLite and on PostgreSQL (the ``db`` fixture is parametrised).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.screening import YES_NO_QUESTIONS
from ketalog.services.booking import open_course
from ketalog.services.errors import NotFound, PermissionDenied, StaleEdit
from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.screening import (
    OVERRIDDEN_LABEL,
    ScreeningView,
    add_lab,
    approve_screening,
    course_cautions,
    course_gate,
    override_contraindications,
    remove_lab,
    screening_view,
    start_screening,
    update_screening,
)
from ketalog.store.models import AuditEntry, Course, Screening
from tests.conftest import FakeClock
from tests.staff import ADMIN, NURSE, NURSE2, PHYSICIAN

CLEAN_ANSWERS: dict[str, object] = {
    "medications": "Sertraline 100 mg daily",
    "allergies": "none known",
    "baseline_systolic_mmhg": "124",
    "baseline_diastolic_mmhg": "78",
    "consent_signed_on": "2026-11-20",
    **dict.fromkeys((q for q in YES_NO_QUESTIONS if q != "on_mood_stabiliser"), False),
}


def new_course(db: Session, clock: FakeClock) -> int:
    """José Ñúñez's IV depression course, not screened yet (no session booked)."""
    patient = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                               birth_date=date(1980, 3, 14), clock=clock)
    return open_course(db, NURSE, patient_id=patient.id,
                       protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                       indication="treatment-resistant depression", clock=clock)


@pytest.fixture
def course_id(db: Session, clock: FakeClock) -> int:
    """A course without a screening."""
    return new_course(db, clock)


def fill(db: Session, screening_id: int, clock: FakeClock,
         answers: dict[str, object] = CLEAN_ANSWERS) -> ScreeningView:
    view = None
    for field, value in answers.items():
        clock.advance(0.5)
        current = db.get(Screening, screening_id, populate_existing=True)
        assert current is not None
        view = update_screening(db, NURSE, screening_id, field, value,
                                expected_version=current.version, clock=clock)
    assert view is not None
    return view


def audit_rows(db: Session, screening_id: int) -> list[tuple[str, str | None, str | None,
                                                              str | None, str]]:
    return [(a.action, a.field, a.old_value, a.new_value, a.username) for a in db.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "screenings",
                                 AuditEntry.row_id == screening_id).order_by(AuditEntry.id))]


def test_start_creates_one_screening_per_course(db: Session, clock: FakeClock,
                                                course_id: int) -> None:
    first = start_screening(db, NURSE, course_id, clock)
    assert start_screening(db, PHYSICIAN, course_id, clock) == first
    assert db.scalars(select(Screening.id)).all() == [first]
    assert audit_rows(db, first) == [("create", None, None, json.dumps({"course_id": course_id}),
                                      "nora")]
    view = screening_view(db, course_id)
    assert view is not None and view.screening_id == first
    assert view.patient_name == "ÑÚÑEZ, José"
    assert not view.approved
    assert "Not answered yet: History of psychosis." in view.approval_problems


def test_no_screening_view_before_one_is_started(db: Session, course_id: int) -> None:
    assert screening_view(db, course_id) is None


def test_only_clinicians_record_a_screening(db: Session, clock: FakeClock,
                                            course_id: int) -> None:
    with pytest.raises(PermissionDenied, match="record an eligibility screening"):
        start_screening(db, ADMIN, course_id, clock)
    sid = start_screening(db, NURSE, course_id, clock)
    with pytest.raises(PermissionDenied):
        update_screening(db, ADMIN, sid, "psychosis_history", False, expected_version=1,
                         clock=clock)
    with pytest.raises(NotFound):
        start_screening(db, NURSE, 9999, clock)


def test_each_field_is_committed_with_its_audit_row(db: Session, clock: FakeClock,
                                                    course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    view = update_screening(db, NURSE, sid, "baseline_systolic_mmhg", "150", expected_version=1,
                            clock=clock)
    assert view.findings.baseline_systolic_mmhg == 150
    assert view.version == 2
    view = update_screening(db, NURSE, sid, "psychosis_history", True,
                            expected_version=view.version, clock=clock)
    view = update_screening(db, NURSE, sid, "psychosis_history", False,
                            expected_version=view.version, clock=clock)
    db.expire_all()
    row = db.get(Screening, sid)
    assert row is not None
    assert (row.baseline_systolic_mmhg, row.psychosis_history) == (150, False)
    assert audit_rows(db, sid)[1:] == [
        ("update", "baseline_systolic_mmhg", None, "150", "nora"),
        ("update", "psychosis_history", None, "True", "nora"),
        ("update", "psychosis_history", "True", "False", "nora"),
    ]


def test_an_unchanged_value_writes_nothing(db: Session, clock: FakeClock,
                                           course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    view = update_screening(db, NURSE, sid, "medications", "  ", expected_version=1, clock=clock)
    assert view.version == 1
    assert len(audit_rows(db, sid)) == 1


def test_a_bad_value_is_refused_and_changes_nothing(db: Session, clock: FakeClock,
                                                    course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    update_screening(db, NURSE, sid, "baseline_systolic_mmhg", 120, expected_version=1,
                     clock=clock)
    with pytest.raises(ValidationError, match="must be below the systolic"):
        update_screening(db, NURSE, sid, "baseline_diastolic_mmhg", "130", expected_version=2,
                         clock=clock)
    with pytest.raises(ValidationError, match="in the future"):
        update_screening(db, NURSE, sid, "consent_signed_on", "2026-11-22", expected_version=2,
                         clock=clock)
    with pytest.raises(ValidationError, match="own actions"):
        update_screening(db, NURSE, sid, "approved_by_id", 3, expected_version=2, clock=clock)
    db.rollback()
    row = db.get(Screening, sid, populate_existing=True)
    assert row is not None
    assert (row.baseline_diastolic_mmhg, row.consent_signed_on, row.version) == (None, None, 2)
    assert len(audit_rows(db, sid)) == 2


def test_a_stale_edit_is_refused_naming_who_changed_it(db: Session, clock: FakeClock,
                                                       course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    clock.advance(7)  # 09:07 UTC; the test clinic's zone is the machine's (UTC here or not)
    update_screening(db, NURSE2, sid, "allergies", "penicillin", expected_version=1,
                     clock=clock)
    with pytest.raises(StaleEdit) as info:
        update_screening(db, NURSE, sid, "allergies", "none known", expected_version=1,
                         clock=clock)
    assert "changed by Sam Okafor, RN at 21 Nov 2026" in str(info.value)
    assert "nothing was saved" in str(info.value)
    db.rollback()
    row = db.get(Screening, sid, populate_existing=True)
    assert row is not None and row.allergies == "penicillin"


def test_labs_are_added_and_removed_with_audit_rows(db: Session, clock: FakeClock,
                                                    course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    view = add_lab(db, NURSE, sid, test="ALT", result="22 U/L", taken_on="2026-11-01",
                   expected_version=1, clock=clock)
    view = add_lab(db, NURSE, sid, test="hCG", result="negative", taken_on=date(2026, 11, 20),
                   expected_version=view.version, clock=clock)
    assert [lab.test for lab in view.findings.labs] == ["ALT", "hCG"]
    with pytest.raises(ValidationError) as info:
        add_lab(db, NURSE, sid, test="", result="5", taken_on="2026-12-01",
                expected_version=view.version, clock=clock)
    assert info.value.messages == [
        'Name the lab test (e.g. "ALT", "hCG").',
        "Lab date 2026-12-01 is in the future; enter the date it happened "
        "(today is 2026-11-21)."]
    db.rollback()
    view = remove_lab(db, NURSE, sid, 0, expected_version=view.version, clock=clock)
    assert [lab.test for lab in view.findings.labs] == ["hCG"]
    with pytest.raises(ValidationError, match="Choose the lab"):
        remove_lab(db, NURSE, sid, 5, expected_version=view.version, clock=clock)
    db.rollback()
    row = db.get(Screening, sid, populate_existing=True)
    assert row is not None
    assert json.loads(row.labs_json) == [
        {"test": "hCG", "result": "negative", "taken_on": "2026-11-20"}]
    alt = {"result": "22 U/L", "taken_on": "2026-11-01", "test": "ALT"}
    assert audit_rows(db, sid)[1] == ("update", "labs", None, json.dumps(alt, sort_keys=True),
                                      "nora")
    assert audit_rows(db, sid)[3] == ("update", "labs", json.dumps(alt, sort_keys=True), None,
                                      "nora")


def test_approval_is_refused_with_every_problem_then_given(db: Session, clock: FakeClock,
                                                           course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    fill(db, sid, clock, {**CLEAN_ANSWERS, "medications": "lorazepam 1 mg", "takes_opioid": None})
    with pytest.raises(PermissionDenied, match="Only a physician"):
        approve_screening(db, NURSE, sid, clock=clock)
    with pytest.raises(TransitionRefused) as info:
        approve_screening(db, PHYSICIAN, sid, clock=clock)
    assert info.value.reasons == (
        "Not answered yet: Opioids.",
        "Medications list lorazepam (a benzodiazepine) but Benzodiazepines is answered No; "
        "correct the answer or the medication list.",
    )
    db.rollback()
    fill(db, sid, clock, {"takes_opioid": False, "takes_benzodiazepine": True})
    clock.advance(10)
    view = approve_screening(db, PHYSICIAN, sid, clock=clock)
    assert view.approved and view.approved_by_name == "Ada Lindqvist, MD"
    assert view.approved_at_utc == clock()
    assert audit_rows(db, sid)[-1][:2] == ("approve", "approved_at_utc")
    assert course_gate(db, course_id).start_problems == ()
    assert course_gate(db, course_id).cautions == ("benzodiazepine",)


def test_editing_an_approved_screening_withdraws_the_approval(db: Session, clock: FakeClock,
                                                              course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    fill(db, sid, clock)
    approved = approve_screening(db, PHYSICIAN, sid, clock=clock)
    clock.advance(60)
    view = update_screening(db, NURSE, sid, "history_summary", "Three failed SSRIs.",
                            expected_version=approved.version, clock=clock)
    assert view.approval_withdrawn
    assert not view.approved
    db.expire_all()
    row = db.get(Screening, sid)
    assert row is not None and row.approved_at_utc is None and row.approved_by_id is None
    rows = audit_rows(db, sid)
    assert rows[-2][:2] == ("withdraw", "approved_at_utc")
    assert rows[-2][3] == "withdrawn: history_summary changed"
    assert rows[-1][:2] == ("update", "history_summary")
    assert course_gate(db, course_id).start_problems == (
        "The eligibility screening is not approved; a physician must approve it before the "
        "infusion starts.",)
    again = approve_screening(db, PHYSICIAN, sid, clock=clock)
    assert again.approved


def test_override_lets_a_contraindicated_course_be_booked_and_approved(
        db: Session, clock: FakeClock, course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    with pytest.raises(TransitionRefused, match="no contraindication"):
        override_contraindications(db, PHYSICIAN, sid, reason="precaution", clock=clock)
    db.rollback()
    fill(db, sid, clock, {**CLEAN_ANSWERS, "psychosis_history": True})
    gate = course_gate(db, course_id)
    blocked = ("Contraindication: psychosis history. A physician must record a justified "
               "override before sessions are booked.")
    assert gate.schedule_problems == (blocked,)
    assert gate.start_problems == (
        "The eligibility screening is not approved; a physician must approve it before the "
        "infusion starts.", blocked)
    with pytest.raises(PermissionDenied, match="override a contraindication"):
        override_contraindications(db, NURSE, sid, reason="fine", clock=clock)
    with pytest.raises(ValidationError, match="clinical justification"):
        override_contraindications(db, PHYSICIAN, sid, reason="  ", clock=clock)
    db.rollback()
    reason = "Single drug-induced episode in 2009, none since; psychiatrist agrees."
    view = override_contraindications(db, PHYSICIAN, sid, reason=reason, clock=clock)
    assert view.overridden and view.override_by_name == "Ada Lindqvist, MD"
    assert audit_rows(db, sid)[-1][:3] == ("override", "override_reason", None)
    assert json.loads(audit_rows(db, sid)[-1][3] or "") == {
        "reason": reason, "contraindications": ["psychosis"]}
    gate = course_gate(db, course_id)
    assert gate.schedule_problems == ()
    assert gate.cautions == (OVERRIDDEN_LABEL,)
    approve_screening(db, PHYSICIAN, sid, clock=clock)
    assert course_gate(db, course_id).start_problems == ()


def test_a_new_contraindication_withdraws_the_override(db: Session, clock: FakeClock,
                                                       course_id: int) -> None:
    sid = start_screening(db, NURSE, course_id, clock)
    fill(db, sid, clock, {**CLEAN_ANSWERS, "psychosis_history": True})
    override_contraindications(db, PHYSICIAN, sid, reason="remote episode", clock=clock)
    approved = approve_screening(db, PHYSICIAN, sid, clock=clock)
    # another BP reading that does not add a contraindication keeps the override
    view = update_screening(db, NURSE, sid, "baseline_systolic_mmhg", 130,
                            expected_version=approved.version, clock=clock)
    assert view.overridden and not view.override_withdrawn and view.approval_withdrawn
    view = update_screening(db, NURSE, sid, "pregnant_or_breastfeeding", True,
                            expected_version=view.version, clock=clock)
    assert view.override_withdrawn and not view.overridden
    assert course_gate(db, course_id).schedule_problems == (
        "Contraindication: pregnancy or breastfeeding. A physician must record a justified "
        "override before sessions are booked.",
        "Contraindication: psychosis history. A physician must record a justified override "
        "before sessions are booked.",
    )
    assert ("withdraw", "override_reason", "remote episode",
            "withdrawn: new contraindication (pregnancy)", "nora") in audit_rows(db, sid)


def test_course_gate_without_a_screening(db: Session, clock: FakeClock, course_id: int) -> None:
    gate = course_gate(db, course_id)
    assert gate.schedule_problems == ()
    assert gate.start_problems == (
        "No eligibility screening recorded for this course; a nurse or physician records it "
        "and a physician approves it before the first infusion.",)
    course = db.get(Course, course_id)
    assert course is not None
    course.screening_required = False  # a course opened before screenings were recorded
    db.commit()
    assert course_gate(db, course_id) == course_gate(db, course_id).__class__((), (), ())
    with pytest.raises(NotFound):
        course_gate(db, 9999)


def test_course_cautions_for_the_board(db: Session, clock: FakeClock, course_id: int) -> None:
    first = db.get(Course, course_id)
    assert first is not None
    other = open_course(db, NURSE, patient_id=first.patient_id,
                        protocol_id=first.protocol_id, indication="PTSD", clock=clock)
    sid = start_screening(db, NURSE, course_id, clock)
    fill(db, sid, clock, {**CLEAN_ANSWERS, "takes_opioid": True, "baseline_systolic_mmhg": 150,
                          "raised_intracranial_or_intraocular_pressure": True})
    override_contraindications(db, PHYSICIAN, sid, reason="ophthalmology cleared", clock=clock)
    assert course_cautions(db, [course_id, other, course_id]) == {
        course_id: ("BP 150/78", "opioid", OVERRIDDEN_LABEL),
        other: (),
    }
    assert course_cautions(db, []) == {}
