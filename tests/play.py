"""Moving a test session along through the real services, as the nurses' actions do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import CHECKLIST_ITEMS, change_state, update_checklist
from tests.dose_check import right_figures
from tests.staff import NURSE, prove

BASELINE = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72,
            "spo2_percent": 98, "resp_rate_per_min": 14}


class Advancing(Protocol):
    """What the helpers need of a test clock: callable for now, and advance(minutes)."""

    def __call__(self) -> datetime: ...

    def advance(self, minutes: float) -> datetime: ...


def start_infusion(db: Session, sid: int, clock: Advancing, *,
                   baseline: Mapping[str, object] = BASELINE,
                   escort: str = "Maria (wife)", start: bool = True) -> None:
    """From checked in: checklist and escort, baseline reading, dose ordered and verified, start.

    With ``start=False`` everything is ready but the pump is never started.
    """
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             escort_name=escort, clock=clock)
    clock.advance(2)
    record_vitals(db, NURSE, sid, baseline, clock=clock)
    order = order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=clock)
    verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    if start:
        clock.advance(1)
        change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)


def discharge(db: Session, sid: int, clock: Advancing) -> None:
    """From infusing: stop at the planned end, 30 minutes' recovery with a fresh reading,
    Aldrete 10 and instructions given, then discharge (every discharge minimum met)."""
    clock.advance(40)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)


def discharged_session(db: Session, clock: Advancing, *, ordered: bool = True) -> int:
    """A first IV infusion booked and played through the services up to discharge; its id.

    ``ordered=False``: a course from before physicians' orders (schema 0016), dosed
    without one.
    """
    sid = book(db, clock, ordered=ordered)
    if not ordered:
        from ketalog.store.models import Course

        course = db.get(Course, load_session(db, sid).course_id)
        assert course is not None
        course.order_required = False
        db.commit()
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    discharge(db, sid, clock)
    return sid


def sign(db: Session, sid: int, clock: Advancing) -> None:
    """From discharged: the nurse completes the record, the physician signs with a password."""
    from ketalog.services.signing import complete_nursing_record, sign_session
    from tests.staff import PHYSICIAN, password_of

    complete_nursing_record(db, NURSE, sid, password=password_of(NURSE.username), clock=clock)
    clock.advance(30)
    sign_session(db, PHYSICIAN, sid, password=password_of(PHYSICIAN.username), clock=clock)


def standing_order(db: Session, course_id: int, clock: Advancing, **order: object) -> int:
    """The physician (Ada) enters and signs the course's standing order; its id.

    By default the protocol's own dose and duration on actual body weight, no
    titration (2 devices for a device protocol); ``order`` overrides any of
    dose, duration_min, weight_basis, titration_ceiling.
    """
    from ketalog.services.orders import enter_standing_order
    from ketalog.services.protocols import protocol_by_id
    from ketalog.store.models import Course
    from tests.staff import PHYSICIAN, password_of

    course = db.get(Course, course_id)
    assert course is not None
    protocol = protocol_by_id(db, course.protocol_id)
    values: dict[str, object] = {
        "dose": protocol.default_dose if protocol.default_dose is not None
        else protocol.allowed_device_counts[0],
        "duration_min": protocol.default_duration_min,
        "weight_basis": None if protocol.dosing_mode == "device" else "actual",
    }
    values.update(order)
    return enter_standing_order(db, PHYSICIAN, course_id, password=password_of("ada"),
                                clock=clock, **values)


def verbal_order(db: Session, sid: int, clock: Advancing, dose: object,
                 **order: object) -> int:
    """Nora records Ada's verbal order, read back, for exactly ``dose`` at this session; its id.

    Duration and weight basis default to the protocol's own (actual body weight).
    """
    from ketalog.services.orders import record_verbal_order
    from ketalog.services.protocols import protocol_by_id
    from tests.staff import PHYSICIAN

    protocol = protocol_by_id(db, load_session(db, sid).protocol_id)
    values: dict[str, object] = {
        "duration_min": protocol.default_duration_min,
        "weight_basis": None if protocol.dosing_mode == "device" else "actual",
    }
    values.update(order)
    assert PHYSICIAN.user_id is not None
    return record_verbal_order(db, NURSE, sid, physician_id=PHYSICIAN.user_id, dose=dose,
                               read_back=True, clock=clock, **values)


def screen_course(db: Session, course_id: int, clock: Advancing, *, approve: bool = True,
                  order: bool = True, **answers: object) -> int:
    """Record the course's eligibility screening: every question No unless given, BP 124/78,
    consent today; then the physician approves it (unless ``approve=False``) and enters the
    protocol's standing order (:func:`standing_order`; unless ``order=False``). Its id."""
    from ketalog.domain.screening import YES_NO_QUESTIONS
    from ketalog.services.screening import (
        approve_screening,
        screening_view_by_id,
        start_screening,
        update_screening,
    )
    from ketalog.services.settings import clinic_today
    from tests.staff import PHYSICIAN

    screening_id = start_screening(db, NURSE, course_id, clock=clock)
    values: dict[str, object] = dict.fromkeys(YES_NO_QUESTIONS, False)
    values.update(medications="none", allergies="none known", baseline_systolic_mmhg=124,
                  baseline_diastolic_mmhg=78,
                  consent_signed_on=clinic_today(db, clock()))
    values.update(answers)
    for field, value in values.items():
        version = screening_view_by_id(db, screening_id).version
        update_screening(db, NURSE, screening_id, field, value, expected_version=version,
                         clock=clock)
    if approve:
        approve_screening(db, PHYSICIAN, screening_id, clock=clock)
        if order:
            standing_order(db, course_id, clock)
    return screening_id


def book(db: Session, clock: Advancing, *, indication: str = "treatment-resistant depression",
         chair: str = "Chair 1", screened: bool = True, ordered: bool = True) -> int:
    """José Ñúñez, 80 kg, an IV depression course and one session booked now; its id."""
    from datetime import date

    from ketalog.services.patients import record_weight, register_patient
    from ketalog.services.protocols import protocol_id_by_code

    now = clock()
    patient = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                               birth_date=date(1980, 3, 14), clock=clock)
    record_weight(db, NURSE, patient.id, "80", clock=clock)
    course = open_course(db, NURSE, patient_id=patient.id,
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                         indication=indication, clock=clock)
    if screened:
        screen_course(db, course, clock, order=ordered)
    return schedule_session(db, NURSE, course_id=course, chair=chair, scheduled_at=now,
                            clock=clock)
