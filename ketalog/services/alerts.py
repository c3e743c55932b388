"""Alerts that follow through: every session's alerts, which are still open, and acknowledging one.

A vitals reading stores its alert codes on the row (``vital_signs.alert_codes``)
and the nurse's action note beside them; a score stores its alerts in
``scale_alerts`` (schema 0006). Whether an alert is still open is the domain's
rule (:func:`ketalog.domain.alerts.alert_states`): until a physician
acknowledges it (``alert_acknowledgments``), or a later reading of the same
measure is back in range. The day board, the waiting list, the lock page, the
session screen and the discharge check all read it from here, so they agree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.alerts import (
    SCALE_MEASURE,
    Acknowledgment,
    AlertSource,
    AlertState,
    Observation,
    RaisedAlert,
    alert_states,
    alert_words,
    cadss6_total,
)
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import EDITABLE_STATES, ensure_editable
from ketalog.domain.values import printed_name
from ketalog.domain.vitals import AlertCode
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import ALERT_ACK, sign_predose_ack
from ketalog.store.models import (
    AlertAcknowledgment,
    Patient,
    ScaleAlert,
    ScaleScore,
    TreatmentSession,
    User,
    VitalSign,
)

_VITAL_FIELDS = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent",
                 "resp_rate_per_min", "temperature_c", "etco2_mmhg", "pain_score")
#: Longest comment a physician may add to an acknowledgment.
MAX_COMMENT_LENGTH = 500


def _vital_value(vital: VitalSign, code: str) -> str:
    """The reading behind an alert, as a nurse writes it ("BP 185/100")."""
    if code in (AlertCode.PREDOSE_BP_HIGH, AlertCode.SBP_HIGH, AlertCode.DBP_HIGH):
        return f"BP {vital.systolic_mmhg}/{vital.diastolic_mmhg}"
    if code in (AlertCode.HR_LOW, AlertCode.HR_HIGH):
        return f"HR {vital.heart_rate_bpm} bpm"
    if code == AlertCode.SPO2_LOW:
        return f"SpO2 {vital.spo2_percent} %"
    if code == AlertCode.RR_LOW:
        return f"RR {vital.resp_rate_per_min}/min"
    return ""


def _score_value(scale: str, total: int, items_json: str) -> str:
    """The score behind an alert ("MOAA/S 3", "CADSS-6 14 of 24")."""
    if scale == "moaas":
        return f"MOAA/S {total}"
    cadss = cadss6_total(scale, json.loads(items_json))
    return f"CADSS-6 {cadss} of 24" if cadss is not None else f"{scale} {total}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def session_alerts(
    db: Session, session_ids: Collection[int]
) -> dict[int, tuple[AlertState, ...]]:
    """Every alert of each session with where it stands, oldest first (a few queries in all)."""
    asked = list(session_ids)
    if not asked:
        return {}
    # most sessions never raise an alert: read the rest only for those that did
    flagged = set(db.scalars(
        select(VitalSign.session_id).where(VitalSign.session_id.in_(asked),
                                           VitalSign.alert_codes != "",
                                           VitalSign.voided_at_utc.is_(None))
        .union(select(ScaleAlert.session_id).where(ScaleAlert.session_id.in_(asked)))))
    ids = [sid for sid in asked if sid in flagged]
    if not ids:
        return {sid: () for sid in asked}
    raised: dict[int, list[RaisedAlert]] = defaultdict(list)
    seen: dict[int, list[Observation]] = defaultdict(list)
    acks: dict[int, list[Acknowledgment]] = defaultdict(list)
    for vital in db.scalars(
        select(VitalSign).where(VitalSign.session_id.in_(ids), VitalSign.voided_at_utc.is_(None))
    ):
        codes = frozenset(c for c in vital.alert_codes.split(",") if c)
        measures = frozenset(f for f in _VITAL_FIELDS if getattr(vital, f) is not None)
        seen[vital.session_id].append(Observation(vital.taken_at_utc, measures, codes))
        for code in sorted(codes):
            raised[vital.session_id].append(RaisedAlert(
                AlertSource.VITALS, vital.id, code, vital.taken_at_utc,
                f"{_capital(alert_words(code))}: {_vital_value(vital, code)}",
                vital.action_note))
    scale_codes: dict[int, set[str]] = defaultdict(set)
    for stored, taken_at, scale, total, items in db.execute(
        select(ScaleAlert, ScaleScore.taken_at_utc, ScaleScore.scale, ScaleScore.total,
               ScaleScore.item_scores_json)
        .join(ScaleScore, ScaleScore.id == ScaleAlert.scale_score_id)
        .where(ScaleAlert.session_id.in_(ids), ScaleScore.voided_at_utc.is_(None))
    ):
        scale_codes[stored.scale_score_id].add(stored.code)
        raised[stored.session_id].append(RaisedAlert(
            AlertSource.SCALE, stored.scale_score_id, stored.code, taken_at,
            f"{_capital(alert_words(stored.code))}: {_score_value(scale, total, items)}"))
    for score_id, session_id, scale, taken_at in db.execute(
        select(ScaleScore.id, ScaleScore.session_id, ScaleScore.scale, ScaleScore.taken_at_utc)
        .where(ScaleScore.session_id.in_(ids), ScaleScore.scale.in_(SCALE_MEASURE),
               ScaleScore.voided_at_utc.is_(None))
    ):
        assert session_id is not None
        seen[session_id].append(Observation(taken_at, frozenset({SCALE_MEASURE[scale]}),
                                            frozenset(scale_codes.get(score_id, ()))))
    for ack, name, credentials in db.execute(
        select(AlertAcknowledgment, User.full_name, User.credentials)
        .join(User, User.id == AlertAcknowledgment.acknowledged_by_id)
        .where(AlertAcknowledgment.session_id.in_(ids))
    ):
        acks[ack.session_id].append(Acknowledgment(
            AlertSource(ack.source_table), ack.source_id, ack.code, ack.acknowledged_at_utc,
            printed_name(name, credentials), ack.comment))
    # the pre-dose BP acknowledgment on the session row (before schema 0006) counts too
    for session_id, at, name, credentials in db.execute(
        select(TreatmentSession.id, TreatmentSession.predose_bp_ack_at_utc, User.full_name,
               User.credentials)
        .join(User, User.id == TreatmentSession.predose_bp_ack_by_id)
        .where(TreatmentSession.id.in_(ids), TreatmentSession.predose_bp_ack_at_utc.is_not(None))
    ):
        if at is None:
            continue
        for alert in raised[session_id]:
            if alert.code == AlertCode.PREDOSE_BP_HIGH and alert.raised_at_utc <= at and not any(
                    a.key == alert.key for a in acks[session_id]):
                acks[session_id].append(Acknowledgment(
                    alert.source, alert.source_id, alert.code, at,
                    printed_name(name, credentials)))
    return {sid: tuple(alert_states(raised[sid], seen[sid], acks[sid])) if sid in flagged
            else () for sid in asked}


def open_session_alerts(db: Session, session_id: int) -> tuple[RaisedAlert, ...]:
    """The session's open alerts, oldest first."""
    states = session_alerts(db, [session_id])[session_id]
    return tuple(s.alert for s in states if s.is_open)


def newest_open_at(states: Iterable[AlertState]) -> datetime | None:
    """When the newest open alert was raised (the next reading is due sooner after it)."""
    times = [s.alert.raised_at_utc for s in states if s.is_open]
    return max(times) if times else None


def acknowledge_alert(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    source: AlertSource | str,
    source_id: int,
    code: str,
    comment: str | None = None,
    physician: IdentityProof | None = None,
    clock: Clock = system_clock,
) -> int:
    """A physician acknowledges an open alert (optionally with a comment); the row's id.

    ``actor`` is the user signed in; ``physician`` proves the acknowledging
    physician typed their own password for this (often the same person).
    Acknowledging a pre-dose blood pressure alert also records the pre-dose
    acknowledgment the start of the infusion waits for.
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    ensure_editable(session.state, "an alert acknowledgment")
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError.single(
            "comment", f"The comment is {len(text)} characters; shorten it to at most "
                       f"{MAX_COMMENT_LENGTH}.")
    kind = AlertSource(source)
    states = session_alerts(db, [session_id])[session_id]
    match = [s for s in states if s.alert.key == (kind.value, source_id, code)]
    if not match:
        raise NotFound("No such alert on this session; it may have been voided with its "
                       "reading.")
    if not match[0].is_open:
        raise TransitionRefused([
            f"This alert ({match[0].alert.words}) is no longer open; nothing to acknowledge."])
    _, doctor, key = accept_keyed_proof(db, physician, ProofPurpose.ACKNOWLEDGE_ALERT,
                                        person="the physician", signed_in=actor, clock=clock)
    authorize(db, doctor, Permission.ACKNOWLEDGE_ALERT)
    facts = {"session_id": session_id, "source_table": kind.value, "source_id": source_id,
             "code": code, "acknowledged_by_id": doctor.user_id, "acknowledged_at_utc": now,
             "comment": text}
    row = AlertAcknowledgment(**facts, created_at_utc=now, key_id=key.key_id,
                              signature=key.sign_row(ALERT_ACK, facts))
    db.add(row)
    if code == AlertCode.PREDOSE_BP_HIGH and session.predose_bp_ack_at_utc is None:
        # the same key signs the acknowledgment the start of the infusion waits for
        sign_predose_ack(session, key, now)
    db.flush()
    append_audit(db, doctor, "acknowledge", at=now, table_name="alert_acknowledgments",
                 row_id=row.id, patient_id=session.patient_id, field=code,
                 new={"source": kind.value, "source_id": source_id, "code": code,
                      "comment": text,
                      **({"signed_in": actor.username} if actor.user_id != doctor.user_id
                         else {})})
    db.commit()
    return row.id


@dataclass(frozen=True)
class WaitingAlert:
    """An open alert on the physician's waiting list, with whose session it is."""

    session_id: int
    patient_name: str
    mrn: str
    chair: str
    alert: RaisedAlert

    @property
    def id(self) -> tuple[str, int, str]:
        """The alert's identity (a list refresh keeps the selection on it)."""
        return self.alert.key


#: Sessions whose alerts can still be open: entries accepted, not signed or cancelled.
_FOLLOWED_STATES = tuple(sorted(EDITABLE_STATES))


def alerts_waiting(db: Session, *, limit: int = 200) -> list[WaitingAlert]:
    """Every open alert of unsigned sessions, oldest first, for the physician's list.

    Runs every few seconds on every workstation, so it starts from the few
    sessions still open (not from the years of vitals): their alerts are then
    read through the per-session indexes.
    """
    rows = db.execute(
        select(TreatmentSession.id, Patient.family_name, Patient.given_name, Patient.mrn,
               TreatmentSession.chair)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.state.in_(_FOLLOWED_STATES))
        .order_by(TreatmentSession.scheduled_at_utc, TreatmentSession.id)
    ).all()
    states = session_alerts(db, [r.id for r in rows])
    waiting = [
        WaitingAlert(r.id, f"{r.family_name.upper()}, {r.given_name}", r.mrn, r.chair, s.alert)
        for r in rows for s in states[r.id] if s.is_open
    ]
    return sorted(waiting, key=lambda w: w.alert.raised_at_utc)[:limit]
