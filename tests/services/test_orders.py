"""The physician's order through the services, on SQLite and PostgreSQL.

A physician signs the course's standing order; the dose at the chair follows
it or is refused with the physician's own words; a verbal order for exactly
one dose is read back, recorded, and co-signed later by that physician only.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.orders import NO_ORDER, OrderNeeded
from ketalog.domain.session_state import SessionAction
from ketalog.services.accounts import LoginRefused
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.errors import PermissionDenied
from ketalog.services.orders import (
    cosign_verbal_order,
    enter_standing_order,
    order_followed_by_session,
    order_problems,
    record_verbal_order,
    standing_order_in_force,
    verbal_orders_awaiting,
)
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose
from ketalog.services.session.state import change_state
from ketalog.services.users import create_user
from ketalog.store.models import AuditEntry, Course, DoseOrder, PhysicianOrderRecord
from tests.conftest import FakeClock
from tests.play import book, discharge, sign, standing_order, verbal_order
from tests.staff import ADMIN, NURSE, PHYSICIAN, password_of, prove

IV = {"concentration_mg_per_ml": "10", "bag_volume_ml": "100", "duration_min": 40}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _checked_in(db: Session, clock: FakeClock) -> int:
    sid = book(db, clock)  # its course carries Ada's standing order: 0.5 mg/kg over 40 min
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return sid


def _course(db: Session, sid: int) -> int:
    return load_session(db, sid).course_id


def test_the_physician_signs_the_standing_order_with_their_password(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    course = _course(db, sid)
    order = standing_order_in_force(db, course)
    assert order is not None and order.keyed
    assert order.order.describe() == "0.5 mg/kg over 40 min"
    assert order.physician_name == "Ada Lindqvist, MD"
    assert order_problems(db, order.id) == []
    audit = db.scalars(select(AuditEntry).where(AuditEntry.table_name == "physician_orders")
                       ).all()
    assert [(a.action, a.username, a.row_id) for a in audit] == [("order", "ada", order.id)]


def test_only_a_physician_with_their_own_password_orders(db: Session, clock: FakeClock) -> None:
    course = _course(db, _checked_in(db, clock))
    before = _count(db, PhysicianOrderRecord)
    with pytest.raises(PermissionDenied, match="Only a physician"):
        enter_standing_order(db, NURSE, course, dose="0.6", duration_min=40,
                             password=password_of("nora"), clock=clock)
    with pytest.raises(LoginRefused):
        enter_standing_order(db, PHYSICIAN, course, dose="0.6", duration_min=40,
                             password="guess", clock=clock)
    db.rollback()
    with pytest.raises(ValidationError, match="above the protocol maximum"):
        enter_standing_order(db, PHYSICIAN, course, dose="2", duration_min=40,
                             password=password_of("ada"), clock=clock)
    assert _count(db, PhysicianOrderRecord) == before


def test_a_new_standing_order_supersedes_the_old_one_which_stays(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    course = _course(db, sid)
    first = standing_order_in_force(db, course)
    assert first is not None
    clock.advance(5)
    second = standing_order(db, course, clock, dose="0.5", titration_ceiling="0.75")
    now = standing_order_in_force(db, course)
    assert now is not None and now.id == second and now.supersedes_id == first.id
    assert now.order.describe() == "0.5 mg/kg over 40 min, titration up to 0.75 mg/kg"
    kept = db.get(PhysicianOrderRecord, first.id, populate_existing=True)
    assert kept is not None and kept.dose_mg_per_kg == Decimal("0.5")
    # titration within the ceiling follows the order, and the dose names it
    result = order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.7"), clock=clock)
    stored = db.get(DoseOrder, result.dose_order_id)
    assert stored is not None and stored.physician_order_id == second


def test_a_dose_departing_from_the_order_is_refused_in_the_physicians_words(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    audit_before = _count(db, AuditEntry)
    with pytest.raises(OrderNeeded) as refused:
        order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.6"), clock=clock)
    assert refused.value.reasons == (
        "Ada Lindqvist, MD ordered 0.5 mg/kg over 40 min; this dose is 0.6 mg/kg: a new "
        "physician order or a verbal order is needed.",)
    with pytest.raises(OrderNeeded, match="this dose runs over 60 min"):
        order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.5", duration_min=60),
                   clock=clock)
    db.rollback()
    assert _count(db, DoseOrder) == 0 and _count(db, AuditEntry) == audit_before


def test_a_course_requiring_an_order_without_one_is_refused(
        db: Session, clock: FakeClock) -> None:
    from datetime import date

    from ketalog.services.patients import record_weight, register_patient
    from ketalog.services.protocols import protocol_id_by_code
    from tests.play import screen_course

    patient = register_patient(db, NURSE, family_name="Okoro", given_name="Ada",
                               birth_date=date(1970, 1, 2), clock=clock)
    record_weight(db, NURSE, patient.id, "70", clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication="PTSD", clock=clock)
    screen_course(db, course, clock, order=False)
    sid = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                           scheduled_at=clock.now, clock=clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    with pytest.raises(OrderNeeded) as refused:
        order_dose(db, NURSE, sid, inputs={}, clock=clock)
    assert refused.value.reasons == (NO_ORDER,)


def test_a_verbal_order_read_back_then_the_dose_then_the_cosignature(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    assert PHYSICIAN.user_id is not None
    with pytest.raises(ValidationError, match="read back"):
        record_verbal_order(db, NURSE, sid, physician_id=PHYSICIAN.user_id, dose="0.6",
                            duration_min=40, read_back=False, clock=clock)
    assert _count(db, PhysicianOrderRecord) == 1  # the standing order alone
    verbal = verbal_order(db, sid, clock, "0.6")
    result = order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.6"), clock=clock)
    dose = db.get(DoseOrder, result.dose_order_id)
    assert dose is not None and dose.physician_order_id == verbal
    # only exactly that dose: another one still departs
    with pytest.raises(OrderNeeded, match=r"this dose is 0.65 mg/kg"):
        order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.65"), clock=clock)
    db.rollback()

    [waiting] = verbal_orders_awaiting(db, PHYSICIAN.user_id)
    assert (waiting.order_id, waiting.order_text, waiting.received_by_name) == (
        verbal, "0.6 mg/kg over 40 min", "Nora Reyes, RN")
    followed = order_followed_by_session(db, sid)
    assert followed is not None and followed.view is not None
    assert followed.view.awaiting_cosignature and not followed.problems

    clock.advance(90)
    cosign_verbal_order(db, PHYSICIAN, verbal, password=password_of("ada"), clock=clock)
    assert verbal_orders_awaiting(db) == []
    assert order_problems(db, verbal) == []
    row = db.get(PhysicianOrderRecord, verbal, populate_existing=True)
    assert row is not None and row.cosigned_at_utc == clock.now
    with pytest.raises(ValidationError, match="already co-signed"):
        cosign_verbal_order(db, PHYSICIAN, verbal, password=password_of("ada"), clock=clock)


def test_only_the_physician_named_co_signs(db: Session, clock: FakeClock) -> None:
    other = create_user(db, ADMIN, username="ben", full_name="Ben Osei", role="physician",
                        password="ben-test-pass-1", credentials="MD", clock=clock)
    sid = _checked_in(db, clock)
    verbal = verbal_order(db, sid, clock, "0.6")
    with pytest.raises(PermissionDenied,
                       match="Only Ada Lindqvist, MD, who gave this verbal order, can co-sign"):
        cosign_verbal_order(db, other.as_actor("t"), verbal, password="ben-test-pass-1",
                            clock=clock)
    with pytest.raises(PermissionDenied, match="Only a physician"):
        cosign_verbal_order(db, NURSE, verbal, password=password_of("nora"), clock=clock)
    assert [w.order_id for w in verbal_orders_awaiting(db, PHYSICIAN.user_id)] == [verbal]
    assert verbal_orders_awaiting(db, other.id) == []


def test_a_keyless_order_inserted_by_sql_does_not_hold(db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    course = _course(db, sid)
    db.execute(text(
        "INSERT INTO physician_orders (course_id, patient_id, kind, protocol_id, protocol_code, "
        "dosing_mode, dose_mg_per_kg, duration_min, weight_basis, physician_id, physician_name, "
        "ordered_at_utc, created_at_utc) SELECT id, patient_id, 'standing', protocol_id, "
        "'iv-depression-0.5', 'weight', '1.4', 40, 'actual', 3, 'Ada Lindqvist, MD', "
        "'2026-11-21 09:30:00.000000', '2026-11-21 09:30:00.000000' FROM courses "
        f"WHERE id = {course}"))
    db.commit()
    forged = standing_order_in_force(db, course)
    assert forged is not None and not forged.keyed
    assert order_problems(db, forged.id) == [
        "the standing order by Ada Lindqvist, MD at 2026-11-21 09:30 UTC was not made with "
        "Ada Lindqvist, MD's key (it was written without their password)"]


def test_above_the_maximum_the_physicians_override_is_the_order(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    result = order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="1.6"),
                        override_reason="refractory, discussed with patient",
                        override_by=prove(db, "ada", "override_dose", clock), clock=clock)
    dose = db.get(DoseOrder, result.dose_order_id)
    assert dose is not None and dose.physician_order_id is None
    followed = order_followed_by_session(db, sid)
    assert followed is not None and followed.override_by_name == "Ada Lindqvist, MD"


def test_a_signed_session_names_its_order_and_still_verifies(
        db: Session, clock: FakeClock) -> None:
    from ketalog.services.signing import session_record, verify_session
    from tests.play import start_infusion

    sid = _checked_in(db, clock)
    start_infusion(db, sid, clock)
    discharge(db, sid, clock)
    sign(db, sid, clock)
    record = session_record(db, sid)
    assert [d["physician_order_id"] for d in record["dose_orders"]] == [1]  # type: ignore[index]
    check = verify_session(db, sid)
    assert check.intact and not check.invalid_reasons


def test_a_course_from_before_orders_doses_without_one_until_one_is_entered(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock, screened=False)
    course = db.get(Course, _course(db, sid))
    assert course is not None
    course.screening_required = course.order_required = False  # as 0004 and 0016 mark them
    db.commit()
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    first = order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.6"), clock=clock)
    dose = db.get(DoseOrder, first.dose_order_id)
    assert dose is not None and dose.physician_order_id is None
    standing_order(db, course.id, clock)
    with pytest.raises(OrderNeeded, match=r"this dose is 0.6 mg/kg"):
        order_dose(db, NURSE, sid, inputs=dict(IV, dose_mg_per_kg="0.6"), clock=clock)
