"""The session's life cycle at the chair: check-in, start, pause, resume, stop, discharge, cancel.

Every move is judged by the domain's state machine
(:mod:`ketalog.domain.session_state`) on facts read here, then recorded with its
milestone time, its infusion event and its audit row in one use case
(:func:`~ketalog.services.unit_of_work.use_case`). The checklist, the
physician's acknowledgment of a high pre-dose BP and pump rate changes live here
too: they are what the next move is judged on, or change the running infusion.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.protocols import Protocol
from ketalog.domain.session_state import (
    SessionAction,
    SessionFacts,
    SessionState,
    dose_started,
    ensure_editable,
    next_state,
    parse_action,
)
from ketalog.domain.values import parse_decimal, required_text
from ketalog.domain.vitals import AlertCode
from ketalog.services.access import Permission, authorize
from ketalog.services.alerts import open_session_alerts
from ketalog.services.audit import append_audit
from ketalog.services.booking import renumber_course
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import PermissionDenied
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import sign_predose_ack
from ketalog.services.safety import suicide_risk_screen
from ketalog.services.screening import CourseGate, course_gate
from ketalog.services.session.common import (
    current_dose_order,
    dose_verified,
    entry_time,
    load_session,
    session_protocol,
    signed_in_note,
)
from ketalog.services.stock import open_draws
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import EventFlag, InfusionEvent, ScaleScore, TreatmentSession, VitalSign


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
    order = current_dose_order(db, session.id)
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
        dose_verified=order is not None and dose_verified(db, order.id),
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
        unreconciled_draws=tuple(f"{format_ml(d.unreconciled_ml)} of lot {d.lot_number}"
                                 for d in open_draws(db, session.id)),
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


@use_case
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
    when = entry_time(at, now)
    session = load_session(db, session_id, lock=True)
    move = parse_action(action)
    if move is SessionAction.SIGN:
        raise PermissionDenied("Use sign_session to sign; it records the signature.")
    protocol = session_protocol(db, session)
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
        order = current_dose_order(db, session_id)
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
        renumber_course(db, session.course_id, actor=actor, at=now)
    return new


@use_case
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
    session = load_session(db, session_id, lock=True)
    ensure_editable(session.state, "a blood pressure acknowledgment")
    _, doctor, key = accept_keyed_proof(db, physician, ProofPurpose.ACKNOWLEDGE_BP,
                                        person="the physician", signed_in=actor, clock=clock)
    authorize(db, doctor, Permission.ACKNOWLEDGE_BP)
    sign_predose_ack(session, key, now)
    db.flush()
    append_audit(db, doctor, "acknowledge", at=now, table_name="treatment_sessions",
                 row_id=session_id, patient_id=session.patient_id, field="predose_bp_ack_at_utc",
                 old=signed_in_note(actor, doctor), new=now)


CHECKLIST_ITEMS = ("identity_confirmed", "consent_on_file", "npo_confirmed")


@use_case
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
    session = load_session(db, session_id, lock=True)
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


@use_case
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
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "a rate change")
    if session.state != SessionState.INFUSING:
        raise TransitionRefused(
            [f"The rate can be changed only while the infusion runs (it is {session.state})."]
        )
    rate = parse_decimal(rate_ml_per_h, "Rate", "rate_ml_per_h")
    if not Decimal(0) < rate <= Decimal(2000):
        raise ValidationError.single("rate_ml_per_h",
                                     f"Rate {rate} mL/h is impossible; enter 1-2000 mL/h.")
    why = required_text(reason, "reason", "Give the reason for changing the rate.")
    when = entry_time(at, now)
    db.add(InfusionEvent(session_id=session_id, kind="rate_change", occurred_at_utc=when,
                         rate_ml_per_h=rate, reason=why, recorded_by_id=actor.user_id,
                         created_at_utc=now))
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="treatment_sessions", row_id=session_id,
                 patient_id=session.patient_id, field="rate_ml_per_h", new=f"{rate} ({why})")
