"""What is charted during a session: readings, scores, event flags, notes, discharge details.

Each entry is one use case (:func:`~ketalog.services.unit_of_work.use_case`):
validated through the domain, stored with its author, time and audit row. An
entry is accepted from check-in until the physician signs (late charting after
discharge included); a time in the future is refused as a typing error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.alerts import scale_alerts
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.scales import SCALES, score_scale
from ketalog.domain.session_state import (
    SessionState,
    ensure_editable,
    ensure_observed_before_discharge,
)
from ketalog.domain.values import printed_name, required_text
from ketalog.domain.vitals import validate_vitals, vital_alerts
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit, append_field_changes
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.locking import check_version
from ketalog.services.session.common import entry_time, load_session, session_protocol
from ketalog.services.settings import clinic_timezone
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    AdverseEvent,
    EventFlag,
    Note,
    ScaleAlert,
    ScaleScore,
    TreatmentSession,
    VitalSign,
)

#: A baseline may be taken shortly before the check-in is clicked; earlier is a slip.
EARLIEST_BEFORE_CHECK_IN = timedelta(minutes=30)
EVENT_FLAG_KINDS = ("sedation", "dissociation", "respiratory_depression")
NOTE_KINDS = ("recovery", "nursing", "observation")


@dataclass(frozen=True)
class SavedVital:
    """A stored reading and the alerts it raised (each needs an action note)."""

    vital_id: int
    alerts: tuple[str, ...]
    alert_messages: tuple[str, ...]


@use_case
def record_vitals(
    db: Session,
    actor: Actor,
    session_id: int,
    values: Mapping[str, object],
    *,
    taken_at: datetime | None = None,
    action_note: str | None = None,
    replaces_id: int | None = None,
    clock: Clock = system_clock,
) -> SavedVital:
    """Validate one reading and commit it with its audit row.

    Impossible values are refused (nothing written); values past an alert
    threshold are stored, flagged, and returned so the UI asks for an action.
    ``replaces_id``: the reading this one corrects (entered in error, see
    :func:`ketalog.services.corrections.correct_reading`, which calls this
    inside its own use case).
    """
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "vitals")
    if session.state == SessionState.SCHEDULED:
        raise TransitionRefused(["Check the patient in before recording vitals."])
    reading = validate_vitals(values)
    when = entry_time(taken_at, now, "reading time")
    arrived = session.checked_in_at_utc
    if arrived is not None and when < arrived - EARLIEST_BEFORE_CHECK_IN:
        raise ValidationError.single(
            "taken_at", "The reading time is before the patient was checked in; correct it to "
            "the time the reading was taken."
        )
    protocol = session_protocol(db, session)
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
    return SavedVital(vital.id, tuple(a.code.value for a in alerts),
                      tuple(a.message for a in alerts))


def _vital_audit(vital: VitalSign) -> dict[str, object]:
    return {
        "taken_at_utc": vital.taken_at_utc, "systolic_mmhg": vital.systolic_mmhg,
        "diastolic_mmhg": vital.diastolic_mmhg, "heart_rate_bpm": vital.heart_rate_bpm,
        "spo2_percent": vital.spo2_percent, "resp_rate_per_min": vital.resp_rate_per_min,
        "temperature_c": vital.temperature_c, "etco2_mmhg": vital.etco2_mmhg,
        "pain_score": vital.pain_score, "alert_codes": vital.alert_codes,
        "action_note": vital.action_note,
    }


@use_case
def add_vital_action_note(
    db: Session, actor: Actor, vital_id: int, note: str, *, expected_version: int,
    clock: Clock = system_clock,
) -> int:
    """Record what was done about an alert ("infusion paused, physician notified")."""
    authorize(db, actor, Permission.RECORD)
    now = clock()
    vital = db.get(VitalSign, vital_id, populate_existing=True)
    if vital is None:
        raise NotFound(f"No vital sign reading with id {vital_id}.")
    session = load_session(db, vital.session_id)
    ensure_editable(session.state, "an action note")
    text = required_text(note, "action_note", "Write the action taken for this alert.")
    check_version(db, vital, expected_version, "reading", table="vital_signs",
                  field="action_note", what="the action taken for this alert", yours=text,
                  theirs=vital.action_note)
    old = vital.action_note
    vital.action_note = text
    db.flush()
    append_audit(db, actor, "update", at=now, table_name="vital_signs", row_id=vital.id,
                 patient_id=session.patient_id, field="action_note", old=old, new=text)
    return vital.version


@use_case
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
    session = load_session(db, session_id)
    ensure_editable(session.state, "a score")
    if not isinstance(items, list | tuple | Mapping):
        raise ValidationError.single("items", "Give the item scores as a list.")
    result = score_scale(scale, items)
    when = entry_time(taken_at, now, "scoring time")
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
    thresholds = session_protocol(db, session).thresholds
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
    return score.id


@use_case
def flag_event(
    db: Session, actor: Actor, session_id: int, kind: str, *, onset_at: datetime | None = None,
    note: str | None = None, clock: Clock = system_clock,
) -> int:
    """Open an event flag (sedation, dissociation, respiratory depression)."""
    authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "an event flag")
    if kind not in EVENT_FLAG_KINDS:
        raise ValidationError.single(
            "kind", f"Unknown event '{kind}'; use one of {', '.join(EVENT_FLAG_KINDS)}."
        )
    flag = EventFlag(session_id=session_id, kind=kind,
                     onset_at_utc=entry_time(onset_at, now, "onset"),
                     note=(note or "").strip() or None, recorded_by_id=actor.user_id,
                     created_at_utc=now)
    db.add(flag)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="event_flags", row_id=flag.id,
                 patient_id=session.patient_id, new={"kind": kind, "onset": flag.onset_at_utc})
    return flag.id


@use_case
def resolve_event(
    db: Session, actor: Actor, flag_id: int, *, resolved_at: datetime | None = None,
    clock: Clock = system_clock,
) -> None:
    """Close an event flag at the time it resolved."""
    authorize(db, actor, Permission.RECORD)
    resolve_onset_row(db, actor, EventFlag, flag_id, "event flag", "an event resolution",
                      resolved_at=resolved_at, clock=clock)


OnsetRow = TypeVar("OnsetRow", EventFlag, AdverseEvent)


@use_case
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
    session = load_session(db, row.session_id)
    ensure_editable(session.state, what)
    if row.voided_at_utc is not None:
        raise TransitionRefused([f"This {label} is marked entered in error; it needs no "
                                 "resolution."])
    when = entry_time(resolved_at, now, "resolution time")
    if when < row.onset_at_utc:
        raise ValidationError.single("resolved_at", "Resolution cannot be before the onset.")
    row.resolved_at_utc = when
    db.flush()
    append_audit(db, actor, "update", at=now, table_name=model.__tablename__, row_id=row.id,
                 patient_id=session.patient_id, field="resolved_at_utc", new=when)


@use_case
def add_note(
    db: Session, actor: Actor, session_id: int, kind: str, text: str, *,
    written_at: datetime | None = None, clock: Clock = system_clock,
) -> int:
    """Add a recovery, nursing or observation note with its author and time."""
    author = authorize(db, actor, Permission.RECORD)
    now = clock()
    session = load_session(db, session_id)
    ensure_editable(session.state, "a note")
    if kind not in NOTE_KINDS:
        raise ValidationError.single("kind", f"Unknown note kind '{kind}'.")
    body = required_text(text, "text", "The note is empty.")
    note = Note(session_id=session_id, kind=kind, text=body, author_id=author.id,
                author_name=printed_name(author.full_name, author.credentials),
                written_at_utc=entry_time(written_at, now),
                created_at_utc=now)
    db.add(note)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="notes", row_id=note.id,
                 patient_id=session.patient_id, new={"kind": kind, "text": body})
    return note.id


_DISCHARGE_FIELDS = {"escort_name": "the escort's name",
                     "instructions_given": "aftercare instructions given",
                     "ready_to_leave_at_utc": "the ready-to-leave time"}


@use_case
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
    now = clock()
    session = load_session(db, session_id, lock=True)
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
        when = entry_time(ready_to_leave_at, now, "ready-to-leave time")
        changes["ready_to_leave_at_utc"] = (session.ready_to_leave_at_utc, when)
        session.ready_to_leave_at_utc = when
    if not changes:
        return session.version
    session.updated_at_utc = now
    db.flush()
    append_field_changes(db, actor, changes, at=now, table_name="treatment_sessions",
                         row_id=session_id, patient_id=session.patient_id)
    return session.version


@use_case
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
