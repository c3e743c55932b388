"""What a nurse does to a session: one function per action, one transaction each.

Every function validates through the domain (so the GUI, the CLI and tests
meet the same rules), writes its rows and their audit rows, and commits before
returning. Nothing is half-written: any refusal happens before the first write,
and any database error rolls the whole action back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.alerts import scale_alerts
from ketalog.domain.clinic_time import clock_text, unambiguous_utc
from ketalog.domain.dosing import calculate_dose
from ketalog.domain.double_check import (
    DoubleCheckFigures,
    double_check_mismatches,
    mismatch_message,
    parse_double_check,
)
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.orders import order_followed, proposed_dose
from ketalog.domain.plausibility import assess_dose
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.domain.scales import SCALES, score_scale
from ketalog.domain.session_state import (
    SessionAction,
    SessionFacts,
    SessionState,
    dose_started,
    ensure_editable,
    ensure_observed_before_discharge,
    next_state,
    parse_action,
)
from ketalog.domain.values import printed_name
from ketalog.domain.vitals import AlertCode, VitalAlert, validate_vitals, vital_alerts
from ketalog.services.access import Permission, authorize
from ketalog.services.alerts import open_session_alerts
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import (
    DOSE_CHECK,
    DOSE_OVERRIDE,
    UnlockedKey,
    dose_order_sha256,
    sign_predose_ack,
)
from ketalog.services.orders import orders_for_dose
from ketalog.services.patients import latest_weight, reference_weight
from ketalog.services.protocols import protocol_by_id, protocol_from_record
from ketalog.services.safety import suicide_risk_screen
from ketalog.services.screening import CourseGate, course_gate
from ketalog.services.settings import clinic_timezone, clinic_today, weight_change_percent
from ketalog.store.models import (
    AdverseEvent,
    Course,
    DoseOrder,
    DoseVerification,
    EventFlag,
    InfusionEvent,
    Note,
    Patient,
    ProtocolRecord,
    ScaleAlert,
    ScaleScore,
    TreatmentSession,
    VitalSign,
)

#: A reading timed further ahead than this is a typing error, not a clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)
#: A baseline may be taken shortly before the check-in is clicked; earlier is a slip.
EARLIEST_BEFORE_CHECK_IN = timedelta(minutes=30)
INDICATIONS = (
    "treatment-resistant depression",
    "major depressive disorder",
    "bipolar depression",
    "PTSD",
    "anxiety",
    "suicidal ideation",
    "chronic pain",
)
EVENT_FLAG_KINDS = ("sedation", "dissociation", "respiratory_depression")
NOTE_KINDS = ("recovery", "nursing", "observation")


# --- helpers ----------------------------------------------------------------


def _session(db: Session, session_id: int, *, lock: bool = False) -> TreatmentSession:
    # populate_existing: judge the move on the row as stored now, not as this
    # ORM session first saw it (another workstation may have changed it).
    # lock (for actions that update the session row): wait here for another
    # workstation's change of the row to commit, then judge the row it left, so
    # the second of two simultaneous moves is refused in words ("already
    # paused", "changed by NAME") instead of failing at the UPDATE with a
    # StaleDataError. FOR NO KEY UPDATE, as the UPDATE itself takes: readings
    # inserted meanwhile (their foreign key takes KEY SHARE) are not held up.
    found = db.get(TreatmentSession, session_id, populate_existing=True,
                   with_for_update={"key_share": True} if lock else None)
    if found is None:
        raise NotFound(f"No session with id {session_id}.")
    return found


def _protocol_of(db: Session, session: TreatmentSession) -> Protocol:
    return protocol_by_id(db, session.protocol_id)


def _when(at: datetime | None, now: datetime, label: str = "time") -> datetime:
    """Default to now; refuse naive or far-future times with a message."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValidationError.single(label, "The time has no time zone; this is a program error.")
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError.single(
            label, f"The {label} is in the future; correct it to the time it happened."
        )
    return at


def _required_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError.single(field, message)
    return text


# --- courses and scheduling ---------------------------------------------------


def open_course(
    db: Session,
    actor: Actor,
    *,
    patient_id: int,
    protocol_id: int,
    indication: str,
    planned_infusions: int | None = None,
    started_on: date | None = None,
    clock: Clock = system_clock,
) -> int:
    """Start a treatment course for a patient; returns its id."""
    authorize(db, actor, Permission.SCHEDULE)
    course_id = _add_course(db, actor, patient_id=patient_id, protocol_id=protocol_id,
                            indication=indication, planned_infusions=planned_infusions,
                            started_on=started_on, now=clock())
    db.commit()
    return course_id


def _add_course(
    db: Session, actor: Actor, *, patient_id: int, protocol_id: int, indication: str,
    planned_infusions: int | None, started_on: date | None, now: datetime,
) -> int:
    if db.get(Patient, patient_id) is None:
        raise NotFound(f"No patient with id {patient_id}.")
    protocol = protocol_by_id(db, protocol_id)
    if indication not in INDICATIONS:
        raise ValidationError.single(
            "indication", f"Unknown indication '{indication}'; choose one of: "
            + ", ".join(INDICATIONS) + "."
        )
    planned = planned_infusions or protocol.planned_induction_infusions
    if not 1 <= planned <= 50:
        raise ValidationError.single("planned_infusions", "Plan between 1 and 50 infusions.")
    course = Course(
        patient_id=patient_id, protocol_id=protocol_id, indication=indication,
        planned_infusions=planned, started_on=started_on, created_at_utc=now,
    )
    db.add(course)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="courses", row_id=course.id,
                 patient_id=patient_id, new={"indication": indication, "protocol": protocol.code,
                                             "planned_infusions": planned})
    return course.id


def schedule_session(
    db: Session,
    actor: Actor,
    *,
    course_id: int,
    chair: str,
    scheduled_at: datetime,
    protocol_id: int | None = None,
    confirm_chair_overlap: bool = False,
    clock: Clock = system_clock,
) -> int:
    """Book a session in a course at a chair; it gets the next number in the course.

    A chair already booked then needs ``confirm_chair_overlap`` (see chair_clashes).
    """
    authorize(db, actor, Permission.SCHEDULE)
    session_id = _add_session(db, actor, course_id=course_id, chair=chair,
                              scheduled_at=scheduled_at, protocol_id=protocol_id, now=clock(),
                              confirm_chair_overlap=confirm_chair_overlap)
    db.commit()
    return session_id


def book_session(
    db: Session,
    actor: Actor,
    *,
    patient_id: int,
    course_id: int | None,
    chair: str,
    scheduled_at: datetime,
    protocol_id: int | None = None,
    indication: str | None = None,
    confirm_chair_overlap: bool = False,
    clock: Clock = system_clock,
) -> int:
    """Book a session, opening a new course first when ``course_id`` is None: one commit."""
    authorize(db, actor, Permission.SCHEDULE)
    now = clock()
    if course_id is None:
        if protocol_id is None or indication is None:
            raise ValidationError.single(
                "course_id", "Choose the patient's course, or a protocol and indication."
            )
        course_id = _add_course(db, actor, patient_id=patient_id, protocol_id=protocol_id,
                                indication=indication, planned_infusions=None,
                                started_on=scheduled_at.astimezone(clinic_timezone(db)).date(),
                                now=now)
    else:
        course = db.get(Course, course_id)
        if course is None or course.patient_id != patient_id:
            raise NotFound(f"No course {course_id} for this patient.")
    session_id = _add_session(db, actor, course_id=course_id, chair=chair,
                              scheduled_at=scheduled_at, protocol_id=None, now=now,
                              confirm_chair_overlap=confirm_chair_overlap)
    db.commit()
    return session_id


#: How a refusal for a chair already booked ends (the booking screens then ask to confirm).
CHAIR_TAKEN_ENDING = "or confirm to book it anyway."


def chair_clashes(db: Session, chair: str, start: datetime, *, protocol_id: int,
                  exclude_session_id: int | None = None) -> list[str]:
    """The visits already booked at ``chair`` that a visit starting at ``start`` would overlap.

    A visit holds its chair for check-in, its protocol's duration and minimum
    recovery (:func:`~ketalog.domain.scheduling.visit_minutes`); cancelled ones
    hold nothing. Each clash reads "Nunez, Jose 09:00-10:30".
    """
    from ketalog.domain.scheduling import visit_minutes

    start = unambiguous_utc(start, field="scheduled_at")
    tz = clinic_timezone(db)

    def length(pid: int) -> timedelta:
        protocol = protocol_by_id(db, pid)
        return timedelta(minutes=visit_minutes(protocol.default_duration_min,
                                               protocol.min_recovery_min))

    mine = length(protocol_id)
    window = timedelta(hours=12)
    rows = db.execute(
        select(TreatmentSession.id, TreatmentSession.scheduled_at_utc,
               TreatmentSession.protocol_id, Patient.family_name, Patient.given_name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.chair == chair.strip(),
               TreatmentSession.state != SessionState.CANCELLED.value,
               TreatmentSession.scheduled_at_utc > start - window,
               TreatmentSession.scheduled_at_utc < start + window)
        .order_by(TreatmentSession.scheduled_at_utc)).all()
    found = []
    for row in rows:
        if row.id == exclude_session_id:
            continue
        other_start = row.scheduled_at_utc
        other_end = other_start + length(row.protocol_id)
        if other_start < start + mine and start < other_end:
            found.append(f"{row.family_name}, {row.given_name} "
                         f"{clock_text(other_start, tz)}-{clock_text(other_end, tz)}")
    return found


def _check_chair_free(db: Session, chair: str, start: datetime, *, protocol_id: int,
                      confirmed: bool, exclude_session_id: int | None = None) -> list[str]:
    """Refuse a booking over another visit at the same chair unless it was confirmed."""
    clashes = chair_clashes(db, chair, start, protocol_id=protocol_id,
                            exclude_session_id=exclude_session_id)
    if clashes and not confirmed:
        raise ValidationError.single(
            "confirm_chair_overlap",
            f"{chair.strip()} is already booked then ({'; '.join(clashes)}). Choose another "
            f"time or chair, {CHAIR_TAKEN_ENDING}")
    return clashes


def _add_session(
    db: Session, actor: Actor, *, course_id: int, chair: str, scheduled_at: datetime,
    protocol_id: int | None, now: datetime, confirm_chair_overlap: bool = False,
) -> int:
    course = db.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}.")
    if course.status != "active":
        raise ValidationError.single("course_id", f"The course is {course.status}; open a new one.")
    chair_name = _required_text(chair, "chair", "Choose the chair for the session.")
    gate = course_gate(db, course_id)
    if gate.schedule_problems:
        raise TransitionRefused(list(gate.schedule_problems))
    # a wall time skipped or repeated by a daylight-saving change is refused with the reason
    scheduled_at = unambiguous_utc(scheduled_at, field="scheduled_at")
    overlap = _check_chair_free(db, chair_name, scheduled_at,
                                protocol_id=protocol_id or course.protocol_id,
                                confirmed=confirm_chair_overlap)
    given = db.scalar(
        select(func.count()).select_from(TreatmentSession).where(
            TreatmentSession.course_id == course_id,
            TreatmentSession.state != SessionState.CANCELLED.value,
        )
    ) or 0
    session = TreatmentSession(
        patient_id=course.patient_id, course_id=course_id,
        protocol_id=protocol_id or course.protocol_id, chair=chair_name,
        scheduled_at_utc=scheduled_at, sequence_number=given + 1,
        state=SessionState.SCHEDULED.value, created_at_utc=now, updated_at_utc=now,
    )
    db.add(session)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="treatment_sessions", row_id=session.id,
                 patient_id=course.patient_id,
                 new={"chair": chair_name, "scheduled_at_utc": scheduled_at,
                      **({"chair_overlap_confirmed": overlap} if overlap else {})})
    # "infusion n of N" follows the scheduled order, whatever order sessions were booked in
    from ketalog.services.courses import renumber_course  # courses imports sessions

    renumber_course(db, course_id, actor=actor, at=now)
    return session.id


# --- state changes -------------------------------------------------------------


def _current_dose_order(db: Session, session_id: int) -> DoseOrder | None:
    return db.scalar(
        select(DoseOrder)
        .where(DoseOrder.session_id == session_id, DoseOrder.superseded_at_utc.is_(None))
        .order_by(DoseOrder.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def _is_verified(db: Session, dose_order_id: int) -> bool:
    # asked of the database: a relationship loaded earlier in this ORM session
    # would still say "not verified" after the verification was added
    return db.scalar(
        select(DoseVerification.id).where(DoseVerification.dose_order_id == dose_order_id)
    ) is not None


def _minutes_between(since: datetime | None, now: datetime) -> int | None:
    """Whole minutes from ``since`` to ``now``, never negative (back-dated); None if unset."""
    if since is None:
        return None
    return max(0, int((now - since).total_seconds() // 60))


def session_facts(
    db: Session, session: TreatmentSession, protocol: Protocol, now: datetime,
    reason: str | None = None, gate: CourseGate | None = None,
    open_alerts: tuple[str, ...] | None = None,
) -> SessionFacts:
    """Gather what the state machine needs to judge a move (``gate``, ``open_alerts``: read)."""
    order = _current_dose_order(db, session.id)
    vitals = db.execute(
        select(VitalSign.taken_at_utc, VitalSign.alert_codes)
        .where(VitalSign.session_id == session.id, VitalSign.voided_at_utc.is_(None))
        .order_by(VitalSign.taken_at_utc)
    ).all()
    before_dose = [
        v for v in vitals
        if session.dose_started_at_utc is None or v.taken_at_utc <= session.dose_started_at_utc
    ]
    latest_predose = before_dose[-1] if before_dose else None
    predose_alert = bool(
        latest_predose and AlertCode.PREDOSE_BP_HIGH.value in latest_predose.alert_codes.split(",")
    )
    aldrete = db.scalar(
        select(ScaleScore.total)
        .where(ScaleScore.session_id == session.id, ScaleScore.scale == "aldrete",
               ScaleScore.voided_at_utc.is_(None))
        .order_by(ScaleScore.taken_at_utc.desc(), ScaleScore.id.desc())
        .limit(1)
    )
    open_flags = db.scalars(
        select(EventFlag.kind).where(
            EventFlag.session_id == session.id, EventFlag.resolved_at_utc.is_(None),
            EventFlag.voided_at_utc.is_(None),
        )
    ).all()
    checklist = (
        ("patient identity confirmed", session.identity_confirmed),
        ("consent on file", session.consent_on_file),
        ("fasting (NPO) confirmed", session.npo_confirmed),
        ("escort named", bool((session.escort_name or "").strip())),
    )
    monitored = None
    if session.dose_started_at_utc is not None:
        # a back-dated action can come before the start: never negative
        monitored = max(0, int((now - session.dose_started_at_utc).total_seconds() // 60))
    return SessionFacts(
        dose_verified=order is not None and _is_verified(db, order.id),
        has_baseline_vitals=bool(before_dose),
        predose_bp_alert=predose_alert,
        predose_bp_acknowledged=session.predose_bp_ack_at_utc is not None,
        aldrete_total=aldrete,
        aldrete_minimum=protocol.aldrete_discharge_min,
        unresolved_event_flags=tuple(open_flags),
        escort_named=bool((session.escort_name or "").strip()),
        instructions_given=session.instructions_given,
        minutes_monitored=monitored,
        min_monitoring_min=protocol.min_monitoring_min,
        minutes_since_dose_end=_minutes_between(session.dose_ended_at_utc, now),
        min_recovery_min=protocol.min_recovery_min,
        reading_before_discharge_required=protocol.schedule.before_discharge_required,
        minutes_since_last_reading=_minutes_between(vitals[-1].taken_at_utc if vitals else None,
                                                    now),
        discharge_reading_within_min=protocol.schedule.discharge_reading_within_min,
        open_alerts=open_alerts if open_alerts is not None else tuple(
            alert.message for alert in open_session_alerts(db, session.id)),
        reason=reason,
        checklist_missing=tuple(label for label, done in checklist if not done),
        suicide_risk=suicide_risk_screen(db, session.id),
        course_problems=(gate or course_gate(db, session.course_id)).start_problems,
    )


_INFUSION_EVENT = {
    SessionAction.START_INFUSION: "start",
    SessionAction.PAUSE: "pause",
    SessionAction.RESUME: "resume",
    SessionAction.STOP_INFUSION: "stop",
    SessionAction.STOP_EARLY: "stop_early",
}


def change_state(
    db: Session,
    actor: Actor,
    session_id: int,
    action: SessionAction | str,
    *,
    reason: str | None = None,
    at: datetime | None = None,
    clock: Clock = system_clock,
) -> SessionState:
    """Move a session through its life cycle, or refuse with every reason.

    The domain decides whether the move is allowed; this records it: the new
    state, the milestone time it sets, the infusion event, and the audit row.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    when = _when(at, now)
    session = _session(db, session_id, lock=True)
    move = parse_action(action)
    if move is SessionAction.SIGN:
        raise PermissionDenied("Use sign_session to sign; it records the signature.")
    protocol = _protocol_of(db, session)
    facts = session_facts(db, session, protocol, when, reason=(reason or "").strip() or None)
    old = session.state
    new = next_state(old, move, facts)
    session.state = new
    if move is SessionAction.CHECK_IN:
        session.checked_in_at_utc = when
    elif move is SessionAction.START_INFUSION:
        session.dose_started_at_utc = when
    elif move in (SessionAction.STOP_INFUSION, SessionAction.STOP_EARLY):
        session.dose_ended_at_utc = when
    elif move is SessionAction.DISCHARGE:
        session.discharged_at_utc = when
        if session.ready_to_leave_at_utc is None:
            session.ready_to_leave_at_utc = when
    if move in (SessionAction.CANCEL, SessionAction.STOP_EARLY):
        session.state_reason = facts.reason
    session.updated_at_utc = now
    event_kind = _INFUSION_EVENT.get(move)
    if event_kind is not None:
        order = _current_dose_order(db, session_id)
        db.add(InfusionEvent(
            session_id=session_id, kind=event_kind, occurred_at_utc=when,
            rate_ml_per_h=order.rate_ml_per_h if order and event_kind in ("start", "resume")
            else None,
            reason=facts.reason, recorded_by_id=actor.user_id, created_at_utc=now,
        ))
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="treatment_sessions", row_id=session_id,
                 patient_id=session.patient_id, field="state", old=old,
                 new=new.value if not facts.reason else f"{new.value} ({facts.reason})")
    if move is SessionAction.CANCEL:
        # a cancelled session gives up its number; the later ones move up (no repeats)
        from ketalog.services.courses import renumber_course  # courses imports sessions

        renumber_course(db, session.course_id, actor=actor, at=now)
    db.commit()
    return new


def acknowledge_predose_bp(
    db: Session, actor: Actor, session_id: int, *, physician: IdentityProof | None = None,
    clock: Clock = system_clock,
) -> None:
    """A physician accepts a pre-dose BP above threshold so the infusion may start.

    ``actor`` is the user signed in at the chair (the physician or a nurse);
    ``physician`` proves the physician typed their own password for this.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = _session(db, session_id, lock=True)
    ensure_editable(session.state, "a blood pressure acknowledgment")
    _, doctor, key = accept_keyed_proof(db, physician, ProofPurpose.ACKNOWLEDGE_BP,
                                        person="the physician", signed_in=actor, clock=clock)
    authorize(db, doctor, Permission.ACKNOWLEDGE_BP)
    sign_predose_ack(session, key, now)
    db.flush()
    append_audit(db, doctor, "acknowledge", at=now, table_name="treatment_sessions",
                 row_id=session_id, patient_id=session.patient_id, field="predose_bp_ack_at_utc",
                 old=_signed_in_note(actor, doctor), new=now)
    db.commit()


_DISCHARGE_FIELDS = {"escort_name": "the escort's name",
                     "instructions_given": "aftercare instructions given",
                     "ready_to_leave_at_utc": "the ready-to-leave time"}


def update_discharge_details(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    expected_version: int,
    escort_name: str | None = None,
    instructions_given: bool | None = None,
    ready_to_leave_at: datetime | None = None,
    clock: Clock = system_clock,
) -> int:
    """Record escort, instructions and ready-to-leave time; returns the new version.

    ``expected_version`` is the version the form showed: if another workstation
    changed the session since, the edit is refused (StaleEdit), never merged.
    """
    authorize(db, actor, Permission.RECORD)
    from ketalog.services.locking import check_version

    now = clock()
    session = _session(db, session_id, lock=True)
    ensure_editable(session.state, "discharge details")
    asked = {name: value for name, value in (("escort_name", escort_name),
                                             ("instructions_given", instructions_given),
                                             ("ready_to_leave_at_utc", ready_to_leave_at))
             if value is not None}
    if len(asked) == 1:  # one field edited: the refusal carries both values
        field, yours = next(iter(asked.items()))
        check_version(db, session, expected_version, "session", table="treatment_sessions",
                      field=field, what=_DISCHARGE_FIELDS[field], yours=yours,
                      theirs=getattr(session, field))
    else:
        check_version(db, session, expected_version, "session", table="treatment_sessions")
    changes: dict[str, tuple[object, object]] = {}
    if escort_name is not None and escort_name.strip() != (session.escort_name or ""):
        changes["escort_name"] = (session.escort_name, escort_name.strip())
        session.escort_name = escort_name.strip()
    if instructions_given is not None and instructions_given != session.instructions_given:
        changes["instructions_given"] = (session.instructions_given, instructions_given)
        session.instructions_given = instructions_given
    if ready_to_leave_at is not None:
        when = _when(ready_to_leave_at, now, "ready-to-leave time")
        changes["ready_to_leave_at_utc"] = (session.ready_to_leave_at_utc, when)
        session.ready_to_leave_at_utc = when
    if not changes:
        return session.version
    session.updated_at_utc = now
    db.flush()
    for field, (old, new) in changes.items():
        append_audit(db, actor, "update", at=now, table_name="treatment_sessions",
                     row_id=session_id, patient_id=session.patient_id, field=field,
                     old=old, new=new)
    db.commit()
    return session.version


# --- dose -------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseOrderResult:
    """The stored order as the dose panel shows it back."""

    dose_order_id: int
    total_mg: Decimal
    drug_volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    working: tuple[str, ...]
    limit_level: str
    weight_warning: str | None


def order_dose(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    inputs: Mapping[str, object],
    weight_kg: object = None,
    weight_measured_on: date | None = None,
    weight_basis: str | None = None,
    lot_number: str | None = None,
    diluent: str | None = None,
    confirm_outside_warning: bool = False,
    override_reason: str | None = None,
    override_by: IdentityProof | None = None,
    clock: Clock = system_clock,
) -> DoseOrderResult:
    """Compute and record the dose; it still needs an independent verification.

    ``inputs`` are the protocol's dosing inputs other than weight (mg/kg,
    concentration, bag volume, duration, or device count). Without an explicit
    weight the patient's latest weighing is used, and its age is checked.
    A dose in the warning range needs ``confirm_outside_warning``; above the
    hard maximum it needs a physician's override with a reason, and
    ``override_by`` proving that physician typed their own password for it.
    The dose must follow the physician's order (``domain.orders.order_followed``):
    a verbal order for exactly this dose, or the course's standing order in force;
    the order it followed is stored with it (``physician_order_id``).
    """
    preparer = authorize(db, actor, Permission.PREPARE_DOSE)
    from ketalog.domain.dosing import weight_age_warning

    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "a dose order")
    if dose_started(SessionState(session.state)):
        raise TransitionRefused(["The infusion has started; the dose can no longer be changed."])
    protocol = _protocol_of(db, session)
    values = dict(inputs)
    weight_warning = None
    today = clinic_today(db, now)
    if protocol.dosing_mode is not DosingMode.DEVICE:
        if weight_kg is None or weight_kg == "":
            latest = latest_weight(db, session.patient_id, today)
            if latest is None:
                raise ValidationError.single(
                    "weight_kg", "Weight is missing; weigh the patient and record the weight."
                )
            weight_kg, weight_measured_on = latest.weight_kg, latest.measured_on
            weight_basis = weight_basis or latest.basis
        weight_measured_on = weight_measured_on or today
        weight_warning = weight_age_warning(weight_measured_on, today,
                                            protocol.weight_max_age_days)
        values["weight_kg"] = weight_kg
    calc = calculate_dose(protocol, **values)
    overrider: Actor | None = None
    override_key: UnlockedKey | None = None
    # the mg/kg, the total, the duration and the weight (against the last weighing)
    check = assess_dose(
        protocol, calc, on=weight_measured_on or today,
        max_weight_change_percent=weight_change_percent(db),
        previous_weight=None if calc.weight_kg is None else reference_weight(
            db, session.patient_id, calc.weight_kg, today))
    level = check.level
    if check.needs_physician_override:
        if override_by is None:
            raise PermissionDenied(check.message)
        _required_text(override_reason, "override_reason",
                       "Give the reason for overriding the maximum dose.")
        _, overrider, override_key = accept_keyed_proof(
            db, override_by, ProofPurpose.OVERRIDE_DOSE, person="the physician",
            signed_in=actor, clock=clock)
        authorize(db, overrider, Permission.OVERRIDE_DOSE)
    # The physician's order (0016): above the maximum, the physician's own keyed override
    # with a reason is the order for exactly this dose; any other dose follows one.
    physician_order_id: int | None = None
    if overrider is None:
        orders = orders_for_dose(db, session)
        basis = (weight_basis or "actual") if calc.weight_kg is not None else None
        physician_order_id = order_followed(
            proposed_dose(protocol.code, calc, basis), standing=orders.standing,
            verbal=orders.verbal, order_required=orders.order_required)
    if (check.needs_confirmation and not check.needs_physician_override
            and not confirm_outside_warning):
        raise ValidationError.single("confirm_outside_warning",
                                     f"{check.message} Confirm the dose to continue.")
    previous = _current_dose_order(db, session_id)
    if previous is not None:
        previous.superseded_at_utc = now

    order = DoseOrder(
        session_id=session_id, drug=protocol.drug, route=str(protocol.route),
        dosing_mode=str(protocol.dosing_mode),
        dose_mg_per_kg=calc.ordered_dose if calc.mode is not DosingMode.RATE else None,
        rate_mg_per_kg_per_h=calc.ordered_dose if calc.mode is DosingMode.RATE else None,
        device_count=calc.device_count,
        weight_kg=calc.weight_kg,
        weight_measured_on=weight_measured_on if calc.weight_kg is not None else None,
        weight_basis=(weight_basis or "actual") if calc.weight_kg is not None else None,
        concentration_mg_per_ml=calc.concentration_mg_per_ml,
        bag_volume_ml=calc.bag_volume_ml,
        duration_min=calc.duration_min,
        diluent=diluent, total_mg=calc.total_mg, drug_volume_ml=calc.drug_volume_ml,
        rate_ml_per_h=calc.rate_ml_per_h, working="\n".join(calc.working),
        lot_number=(lot_number or "").strip() or None, limit_level=level,
        override_reason=(override_reason or "").strip() or None,
        override_by_id=overrider.user_id if overrider else None,
        prepared_by_id=preparer.id,
        prepared_by_name=printed_name(preparer.full_name, preparer.credentials),
        ordered_at_utc=now, created_at_utc=now, physician_order_id=physician_order_id,
    )
    db.add(order)
    db.flush()
    if override_key is not None:  # signed over the row as stored (its decimals as kept)
        stored = db.execute(select(DoseOrder.__table__).where(DoseOrder.id == order.id)
                            ).mappings().one()
        order.override_key_id = override_key.key_id
        order.override_signature = override_key.sign_row(DOSE_OVERRIDE, dict(stored))
        db.flush()
    append_audit(db, actor, "create", at=now, table_name="dose_orders", row_id=order.id,
                 patient_id=session.patient_id,
                 new={"total_mg": calc.total_mg, "working": list(calc.working),
                      "limit_level": level, "override_reason": order.override_reason,
                      **({"findings": [f.message for f in check.findings]}
                         if check.findings else {}),
                      **({"physician_order_id": physician_order_id}
                         if physician_order_id is not None else {}),
                      **({"override_by": overrider.display_name} if overrider else {})})
    db.commit()
    return DoseOrderResult(order.id, calc.total_mg, calc.drug_volume_ml, calc.rate_ml_per_h,
                           calc.working, level, weight_warning)


def verify_dose(
    db: Session, actor: Actor, session_id: int, *, dose_order_id: int,
    verifier_total_mg: object, verifier_rate_ml_per_h: object = None,
    verifier: IdentityProof | None = None, clock: Clock = system_clock,
) -> None:
    """Record the second nurse's independent check of exactly this dose order.

    ``actor`` is the user signed in at the chair; ``verifier`` proves the
    second nurse typed their own password for this (an Actor naming them is
    refused). The stored name is the verifier's account's, never the caller's.
    The second nurse's own figures (total mg, and the pump rate of an infusion),
    worked out without seeing the first nurse's, must agree with the order
    (:mod:`ketalog.domain.double_check`). A disagreement is refused with both
    figures; being a near miss, it is written to the audit trail under the
    second nurse's name, and nothing else is recorded.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "a dose check")
    order = db.get(DoseOrder, dose_order_id, populate_existing=True)
    if order is None or order.session_id != session_id:
        raise NotFound(f"No dose order {dose_order_id} on this session.")
    if order.superseded_at_utc is not None:
        raise ValidationError.single("dose_order_id",
                                     "This dose order was replaced; verify the current one.")
    if _is_verified(db, order.id):
        raise ValidationError.single("dose_order_id", "This dose is already verified.")
    _, checker, key = accept_keyed_proof(db, verifier, ProofPurpose.VERIFY_DOSE,
                                         person="the second nurse", signed_in=actor,
                                         clock=clock)
    authorize(db, checker, Permission.VERIFY_DOSE)
    if checker.user_id == order.prepared_by_id:
        raise PermissionDenied(
            "The dose must be verified by a second nurse, not the one who prepared it."
        )
    # the figures are compared only once the second nurse is proven, so the prepared
    # figures a mismatch shows are never shown to someone who could not verify
    prepared = DoubleCheckFigures(order.total_mg, order.rate_ml_per_h)
    figures = parse_double_check(verifier_total_mg, verifier_rate_ml_per_h,
                                 needs_rate=order.rate_ml_per_h is not None)
    mismatches = double_check_mismatches(prepared, figures)
    if mismatches:
        append_audit(db, checker, "dose_check_mismatch", at=now, table_name="dose_orders",
                     row_id=order.id, patient_id=session.patient_id,
                     old={"total_mg": order.total_mg, "rate_ml_per_h": order.rate_ml_per_h},
                     new={"total_mg": figures.total_mg, "rate_ml_per_h": figures.rate_ml_per_h})
        db.commit()
        raise ValidationError.single("verifier_total_mg", mismatch_message(mismatches))
    stored = db.execute(select(DoseOrder.__table__).where(DoseOrder.id == order.id)
                        ).mappings().one()
    check = {"session_id": session_id, "dose_order_id": order.id,
             "dose_order_sha256": dose_order_sha256(dict(stored)), "verifier_id": checker.user_id,
             "verifier_name": checker.display_name, "verified_at_utc": now,
             "verifier_total_mg": figures.total_mg,
             "verifier_rate_ml_per_h": figures.rate_ml_per_h}
    db.add(DoseVerification(dose_order_id=order.id, verifier_id=checker.user_id,
                            verifier_name=checker.display_name, verified_at_utc=now,
                            created_at_utc=now, key_id=key.key_id,
                            verifier_total_mg=figures.total_mg,
                            verifier_rate_ml_per_h=figures.rate_ml_per_h,
                            signature=key.sign_row(DOSE_CHECK, check)))
    db.flush()
    append_audit(db, checker, "verify", at=now, table_name="dose_orders", row_id=order.id,
                 patient_id=session.patient_id, new=checker.display_name,
                 old=_signed_in_note(actor, checker))
    db.commit()


def _signed_in_note(actor: Actor, person: Actor) -> str | None:
    """Who was signed in at the chair when another person acted there (audit ``old``)."""
    if actor.user_id == person.user_id:
        return None
    return f"signed in: {actor.username}"


# --- clinical entries ---------------------------------------------------------------


@dataclass(frozen=True)
class SavedVital:
    """A stored reading and the alerts it raised (each needs an action note)."""

    vital_id: int
    alerts: tuple[str, ...]
    alert_messages: tuple[str, ...]


def record_vitals(
    db: Session,
    actor: Actor,
    session_id: int,
    values: Mapping[str, object],
    *,
    taken_at: datetime | None = None,
    action_note: str | None = None,
    clock: Clock = system_clock,
) -> SavedVital:
    """Validate one reading and commit it with its audit row.

    Impossible values are refused (nothing written); values past an alert
    threshold are stored, flagged, and returned so the UI asks for an action.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    vital, alerts = add_reading(db, actor, session_id, values, taken_at=taken_at,
                                action_note=action_note, now=now)
    db.commit()
    return SavedVital(vital.id, tuple(a.code.value for a in alerts),
                      tuple(a.message for a in alerts))


def add_reading(
    db: Session, actor: Actor, session_id: int, values: Mapping[str, object], *,
    taken_at: datetime | None, action_note: str | None, now: datetime,
    replaces_id: int | None = None,
) -> tuple[VitalSign, list[VitalAlert]]:
    """Validate one reading and add it with its audit row to the caller's transaction.

    ``replaces_id``: the reading this one corrects (entered in error, see
    :mod:`ketalog.services.corrections`).
    """
    session = _session(db, session_id)
    ensure_editable(session.state, "vitals")
    if session.state == SessionState.SCHEDULED.value:
        raise TransitionRefused(["Check the patient in before recording vitals."])
    reading = validate_vitals(values)
    when = _when(taken_at, now, "reading time")
    arrived = session.checked_in_at_utc
    if arrived is not None and when < arrived - EARLIEST_BEFORE_CHECK_IN:
        raise ValidationError.single(
            "taken_at", "The reading time is before the patient was checked in; correct it to "
            "the time the reading was taken."
        )
    protocol = _protocol_of(db, session)
    pre_dose = session.dose_started_at_utc is None or when < session.dose_started_at_utc
    alerts = vital_alerts(reading, protocol.thresholds, pre_dose=pre_dose)
    vital = VitalSign(
        session_id=session_id, taken_at_utc=when,
        systolic_mmhg=reading.systolic_mmhg, diastolic_mmhg=reading.diastolic_mmhg,
        heart_rate_bpm=reading.heart_rate_bpm, spo2_percent=reading.spo2_percent,
        resp_rate_per_min=reading.resp_rate_per_min, temperature_c=reading.temperature_c,
        etco2_mmhg=reading.etco2_mmhg, pain_score=reading.pain_score,
        alert_codes=",".join(a.code.value for a in alerts),
        action_note=(action_note or "").strip() or None,
        recorded_by_id=actor.user_id, created_at_utc=now, replaces_id=replaces_id,
    )
    db.add(vital)
    db.flush()
    audited = _vital_audit(vital)
    if replaces_id is not None:
        audited["replaces_id"] = replaces_id
    append_audit(db, actor, "create", at=now, table_name="vital_signs", row_id=vital.id,
                 patient_id=session.patient_id, new=audited)
    return vital, alerts


def _vital_audit(vital: VitalSign) -> dict[str, object]:
    return {
        "taken_at_utc": vital.taken_at_utc, "systolic_mmhg": vital.systolic_mmhg,
        "diastolic_mmhg": vital.diastolic_mmhg, "heart_rate_bpm": vital.heart_rate_bpm,
        "spo2_percent": vital.spo2_percent, "resp_rate_per_min": vital.resp_rate_per_min,
        "temperature_c": vital.temperature_c, "etco2_mmhg": vital.etco2_mmhg,
        "pain_score": vital.pain_score, "alert_codes": vital.alert_codes,
        "action_note": vital.action_note,
    }


def add_vital_action_note(
    db: Session, actor: Actor, vital_id: int, note: str, *, expected_version: int,
    clock: Clock = system_clock,
) -> int:
    """Record what was done about an alert ("infusion paused, physician notified")."""
    authorize(db, actor, Permission.RECORD)
    from ketalog.services.locking import check_version

    now = clock()
    vital = db.get(VitalSign, vital_id, populate_existing=True)
    if vital is None:
        raise NotFound(f"No vital sign reading with id {vital_id}.")
    session = _session(db, vital.session_id)
    ensure_editable(session.state, "an action note")
    text = _required_text(note, "action_note", "Write the action taken for this alert.")
    check_version(db, vital, expected_version, "reading", table="vital_signs",
                  field="action_note", what="the action taken for this alert", yours=text,
                  theirs=vital.action_note)
    old = vital.action_note
    vital.action_note = text
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="vital_signs", row_id=vital.id,
                 patient_id=session.patient_id, field="action_note", old=old, new=text)
    db.commit()
    return vital.version


def record_scale(
    db: Session,
    actor: Actor,
    session_id: int,
    scale: str,
    items: object,
    *,
    taken_at: datetime | None = None,
    clock: Clock = system_clock,
) -> int:
    """Score an instrument (MOAA/S, CADSS-6, Aldrete, PHQ-9, ...) and store its items."""
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "a score")
    if not isinstance(items, list | tuple | Mapping):
        raise ValidationError.single("items", "Give the item scores as a list.")
    result = score_scale(scale, items)
    when = _when(taken_at, now, "scoring time")
    ensure_observed_before_discharge(when, session.discharged_at_utc,
                                     f"a {SCALES[result.code].name} score", clinic_timezone(db))
    score = ScaleScore(
        patient_id=session.patient_id, session_id=session_id, scale=result.code,
        item_scores_json=json.dumps(list(result.item_scores)), total=result.total,
        band=result.band, taken_at_utc=when, recorded_by_id=actor.user_id, created_at_utc=now,
    )
    db.add(score)
    db.flush()
    # alerts are part of the same user action: stored beside the score, named in its audit row
    thresholds = _protocol_of(db, session).thresholds
    alerts = scale_alerts(result.code, result.item_scores, result.total, thresholds)
    for alert in alerts:
        db.add(ScaleAlert(session_id=session_id, scale_score_id=score.id, code=alert.code.value,
                          message=alert.message, raised_at_utc=when, created_at_utc=now))
    audited: dict[str, object] = {"scale": result.code, "items": list(result.item_scores),
                                  "total": result.total}
    if alerts:
        audited["alerts"] = [alert.code.value for alert in alerts]
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="scale_scores", row_id=score.id,
                 patient_id=session.patient_id, new=audited)
    db.commit()
    return score.id


def flag_event(
    db: Session, actor: Actor, session_id: int, kind: str, *, onset_at: datetime | None = None,
    note: str | None = None, clock: Clock = system_clock,
) -> int:
    """Open an event flag (sedation, dissociation, respiratory depression)."""
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "an event flag")
    if kind not in EVENT_FLAG_KINDS:
        raise ValidationError.single(
            "kind", f"Unknown event '{kind}'; use one of {', '.join(EVENT_FLAG_KINDS)}."
        )
    flag = EventFlag(session_id=session_id, kind=kind, onset_at_utc=_when(onset_at, now, "onset"),
                     note=(note or "").strip() or None, recorded_by_id=actor.user_id,
                     created_at_utc=now)
    db.add(flag)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="event_flags", row_id=flag.id,
                 patient_id=session.patient_id, new={"kind": kind, "onset": flag.onset_at_utc})
    db.commit()
    return flag.id


def resolve_event(
    db: Session, actor: Actor, flag_id: int, *, resolved_at: datetime | None = None,
    clock: Clock = system_clock,
) -> None:
    """Close an event flag at the time it resolved."""
    authorize(db, actor, Permission.RECORD)
    resolve_onset_row(db, actor, EventFlag, flag_id, "event flag", "an event resolution",
                      resolved_at=resolved_at, clock=clock)


OnsetRow = TypeVar("OnsetRow", EventFlag, AdverseEvent)


def resolve_onset_row(
    db: Session, actor: Actor, model: type[OnsetRow], row_id: int,
    label: str, what: str, *, resolved_at: datetime | None, clock: Clock,
) -> None:
    """Record when something with an onset (event flag, adverse event) resolved.

    One rule for both: the session must accept entries, and a resolution cannot
    come before the onset.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    row = db.get(model, row_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No {label} with id {row_id}.")
    session = _session(db, row.session_id)
    ensure_editable(session.state, what)
    if row.voided_at_utc is not None:
        raise TransitionRefused([f"This {label} is marked entered in error; it needs no "
                                 "resolution."])
    when = _when(resolved_at, now, "resolution time")
    if when < row.onset_at_utc:
        raise ValidationError.single("resolved_at", "Resolution cannot be before the onset.")
    row.resolved_at_utc = when
    db.flush()
    append_audit(db, actor, "update", at=now, table_name=model.__tablename__, row_id=row.id,
                 patient_id=session.patient_id, field="resolved_at_utc", new=when)
    db.commit()


def add_note(
    db: Session, actor: Actor, session_id: int, kind: str, text: str, *,
    written_at: datetime | None = None, clock: Clock = system_clock,
) -> int:
    """Add a recovery, nursing or observation note with its author and time."""
    author = authorize(db, actor, Permission.RECORD)
    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "a note")
    if kind not in NOTE_KINDS:
        raise ValidationError.single("kind", f"Unknown note kind '{kind}'.")
    body = _required_text(text, "text", "The note is empty.")
    note = Note(session_id=session_id, kind=kind, text=body, author_id=author.id,
                author_name=printed_name(author.full_name, author.credentials),
                written_at_utc=_when(written_at, now),
                created_at_utc=now)
    db.add(note)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="notes", row_id=note.id,
                 patient_id=session.patient_id, new={"kind": kind, "text": body})
    db.commit()
    return note.id


def protocol_for_session(db: Session, session_id: int) -> Protocol:
    """The parsed protocol a session runs under."""
    record = db.scalar(
        select(ProtocolRecord).join(
            TreatmentSession, TreatmentSession.protocol_id == ProtocolRecord.id
        ).where(TreatmentSession.id == session_id)
    )
    if record is None:
        raise NotFound(f"No session with id {session_id}.")
    return protocol_from_record(record)



def change_rate(
    db: Session,
    actor: Actor,
    session_id: int,
    rate_ml_per_h: object,
    *,
    reason: str | None,
    at: datetime | None = None,
    clock: Clock = system_clock,
) -> None:
    """Record a pump rate change (with its reason) on a running infusion."""
    authorize(db, actor, Permission.RECORD)
    from ketalog.domain.values import parse_decimal

    now = clock()
    session = _session(db, session_id)
    ensure_editable(session.state, "a rate change")
    if session.state != SessionState.INFUSING.value:
        raise TransitionRefused(
            [f"The rate can be changed only while the infusion runs (it is {session.state})."]
        )
    rate = parse_decimal(rate_ml_per_h, "Rate", "rate_ml_per_h")
    if not Decimal(0) < rate <= Decimal(2000):
        raise ValidationError.single("rate_ml_per_h",
                                     f"Rate {rate} mL/h is impossible; enter 1-2000 mL/h.")
    why = _required_text(reason, "reason", "Give the reason for changing the rate.")
    when = _when(at, now)
    db.add(InfusionEvent(session_id=session_id, kind="rate_change", occurred_at_utc=when,
                         rate_ml_per_h=rate, reason=why, recorded_by_id=actor.user_id,
                         created_at_utc=now))
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="treatment_sessions", row_id=session_id,
                 patient_id=session.patient_id, field="rate_ml_per_h", new=f"{rate} ({why})")
    db.commit()


CHECKLIST_ITEMS = ("identity_confirmed", "consent_on_file", "npo_confirmed")


def update_checklist(
    db: Session,
    actor: Actor,
    session_id: int,
    item: str,
    done: bool,
    *,
    clock: Clock = system_clock,
) -> None:
    """Tick or untick one pre-infusion checklist item; committed at once.

    A checklist tick is an independent fact, so it does not take part in
    optimistic locking: two nurses ticking two items both succeed.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    if item not in CHECKLIST_ITEMS:
        raise ValidationError.single("item", f"Unknown checklist item '{item}'.")
    session = _session(db, session_id, lock=True)
    ensure_editable(session.state, "the checklist")
    if dose_started(SessionState(session.state)):
        raise TransitionRefused(["The dose has started; the pre-infusion checklist is closed."])
    old = getattr(session, item)
    if old == done:
        return
    setattr(session, item, done)
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="treatment_sessions", row_id=session_id,
                 patient_id=session.patient_id, field=item, old=old, new=done)
    db.commit()


def record_session_view(
    db: Session, actor: Actor, session_id: int, *, clock: Clock = system_clock
) -> None:
    """Audit that a user opened a patient's session (HIPAA access log)."""
    patient_id = db.scalar(select(TreatmentSession.patient_id)
                           .where(TreatmentSession.id == session_id))
    if patient_id is None:
        raise NotFound(f"No session with id {session_id}.")
    append_audit(db, actor, "view", at=clock(), table_name="treatment_sessions",
                 row_id=session_id, patient_id=patient_id)
    db.commit()
