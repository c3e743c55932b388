"""Entries entered in error: marked with a reason, kept visible, counted nowhere.

Before the physician signs, the person who entered a reading, score, event
flag, intervention, adverse event, note or weight (or a physician) may mark it
"entered in error" (:mod:`ketalog.domain.corrections` holds the rule). The row
is never deleted or changed otherwise: it gains who marked it, when and why,
stays in the record struck through, and every computation (trends, outcomes,
alerts, REMS blood pressures, discharge checks, the latest weight) leaves it
out. A corrected value is a new row whose ``replaces_id`` names the one it
replaces, written with the mark in one transaction.

Each action is one transaction with its audit rows: "entered_in_error" (old:
the entry's values, new: who, when and why), then the replacement's "create".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ketalog.domain.corrections import (
    EntryFacts,
    EntryKind,
    ensure_may_mark_entered_in_error,
    parse_entry_kind,
)
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.session_state import SessionState
from ketalog.domain.values import decimal_problem, printed_name
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.keyed import when_text
from ketalog.services.patients import MAX_WEIGHT_KG, WeightRecord
from ketalog.services.session.entries import SavedVital, record_vitals
from ketalog.services.settings import clinic_today
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    AdverseEvent,
    DoseOrder,
    EventFlag,
    Intervention,
    Note,
    PatientWeight,
    ScaleScore,
    Signature,
    TreatmentSession,
    User,
    VitalSign,
)

#: The stored row of each kind, and the column naming who entered it.
MODELS: dict[EntryKind, Any] = {
    EntryKind.READING: VitalSign, EntryKind.SCORE: ScaleScore,
    EntryKind.EVENT_FLAG: EventFlag, EntryKind.INTERVENTION: Intervention,
    EntryKind.ADVERSE_EVENT: AdverseEvent, EntryKind.NOTE: Note,
    EntryKind.WEIGHT: PatientWeight,
}
AUTHOR_COLUMNS: dict[EntryKind, str] = {
    EntryKind.READING: "recorded_by_id", EntryKind.SCORE: "recorded_by_id",
    EntryKind.EVENT_FLAG: "recorded_by_id", EntryKind.INTERVENTION: "given_by_id",
    EntryKind.ADVERSE_EVENT: "recorded_by_id", EntryKind.NOTE: "author_id",
    EntryKind.WEIGHT: "recorded_by_id",
}
#: Columns of the entry copied into the audit row's old value (what was marked).
_SKIP_IN_AUDIT = frozenset({"id", "version", "created_at_utc", "audit_id", "audit_sha256",
                            "voided_at_utc", "void_reason", "voided_by_id"})


@dataclass(frozen=True)
class EnteredInError:
    """An entry as marked: what, when and by whom (for the screen's confirmation)."""

    kind: EntryKind
    row_id: int
    voided_at_utc: datetime
    voided_by_name: str
    reason: str


def _name(db: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = db.get(User, user_id)
    return printed_name(user.full_name, user.credentials) if user is not None else ""


def _session_signed(db: Session, session_id: int) -> bool:
    """A physician has signed the session (the state, or a signature row the guard counts)."""
    state = db.scalar(select(TreatmentSession.state).where(TreatmentSession.id == session_id))
    return state == SessionState.SIGNED or bool(db.scalar(select(exists().where(
        Signature.session_id == session_id, Signature.kind == "physician_signature"))))


def _weight_signed(db: Session, weight: PatientWeight) -> bool:
    """A dose order of a signed session used this weighing (its value and date, since it)."""
    signed = (select(Signature.id).where(Signature.session_id == DoseOrder.session_id,
                                         Signature.kind == "physician_signature").exists())
    return bool(db.scalar(select(exists().where(
        DoseOrder.session_id == TreatmentSession.id,
        TreatmentSession.patient_id == weight.patient_id,
        DoseOrder.weight_kg == weight.weight_kg,
        DoseOrder.weight_measured_on == weight.measured_on,
        DoseOrder.ordered_at_utc >= weight.created_at_utc,
        signed))))


def _patient_id(db: Session, kind: EntryKind, row: Any) -> int | None:
    if kind in (EntryKind.WEIGHT, EntryKind.SCORE):
        return int(row.patient_id)
    return db.scalar(select(TreatmentSession.patient_id)
                     .where(TreatmentSession.id == row.session_id))


def _mark(db: Session, actor: Actor, kind: EntryKind, row_id: int, reason: str | None,
          now: datetime) -> tuple[Any, EnteredInError]:
    """Judge and mark one entry in the caller's transaction, with its audit row."""
    user = authorize(db, actor, Permission.RECORD)
    model = MODELS[kind]
    row = db.get(model, row_id, populate_existing=True,
                 with_for_update={"key_share": True})
    if row is None:
        raise NotFound(f"No {kind.noun} with id {row_id}.")
    if kind is EntryKind.WEIGHT:
        signed = _weight_signed(db, row)
    else:
        signed = row.session_id is not None and _session_signed(db, row.session_id)
    author_id = getattr(row, AUTHOR_COLUMNS[kind])
    voided_by = None
    if row.voided_at_utc is not None:
        voided_by = _name(db, row.voided_by_id)
    text = ensure_may_mark_entered_in_error(EntryFacts(
        kind=kind, author_id=author_id, author_name=_name(db, author_id),
        actor_id=user.id, actor_role=user.role, signed=signed,
        voided_by_name=voided_by,
        voided_at_text=when_text(row.voided_at_utc) if row.voided_at_utc else None,
    ), reason)
    entry = {column.name: getattr(row, column.key) for column in model.__table__.columns
             if column.name not in _SKIP_IN_AUDIT and getattr(row, column.key) is not None}
    row.voided_at_utc = now
    row.void_reason = text
    row.voided_by_id = user.id
    db.flush()
    who = printed_name(user.full_name, user.credentials)
    append_audit(db, actor, "entered_in_error", at=now, table_name=kind.value, row_id=row.id,
                 patient_id=_patient_id(db, kind, row), old=entry,
                 new={"voided_at_utc": now, "voided_by": who, "reason": text})
    return row, EnteredInError(kind, row.id, now, who, text)


def mark_entered_in_error(
    db: Session, actor: Actor, kind: EntryKind | str, row_id: int, reason: str | None, *,
    clock: Clock = system_clock,
) -> EnteredInError:
    """Mark one entry entered in error with a reason, and commit.

    Raises:
        PermissionDenied: not a clinician.
        TransitionRefused: signed (add an addendum instead), already marked, or neither
            the entry's author nor a physician.
        ValidationError: no reason given.
        NotFound: no such entry.
    """
    entry_kind = parse_entry_kind(kind)
    _, marked = _mark(db, actor, entry_kind, row_id, reason, clock())
    db.commit()
    return marked


@use_case
def correct_reading(
    db: Session, actor: Actor, vital_id: int, values: Mapping[str, object], reason: str | None,
    *, taken_at: datetime | None = None, clock: Clock = system_clock,
) -> SavedVital:
    """Mark a reading entered in error and record the right values in its place, at once.

    The new reading keeps the old one's time unless ``taken_at`` is given, and
    names the reading it replaces. Nothing is written when either part is refused:
    both are steps of this one use case.
    """
    now = clock()
    old, _ = _mark(db, actor, EntryKind.READING, vital_id, reason, now)
    return record_vitals(db, actor, old.session_id, values,
                         taken_at=taken_at or old.taken_at_utc, replaces_id=old.id,
                         clock=lambda: now)


def correct_weight(
    db: Session, actor: Actor, weight_id: int, weight_kg: object, reason: str | None, *,
    measured_on: date | None = None, basis: str | None = None, clock: Clock = system_clock,
) -> WeightRecord:
    """Mark a weighing entered in error and record the right weight in its place, at once.

    The new weighing keeps the old one's date and basis unless given, and names
    the weighing it replaces, so the dose prefill reads the corrected weight.
    """
    now = clock()
    try:
        old, _ = _mark(db, actor, EntryKind.WEIGHT, weight_id, reason, now)
        value, problem = decimal_problem(weight_kg, "Weight", "weight_kg")
        problems = [problem] if problem else []
        if value is not None and not 0 < value <= MAX_WEIGHT_KG:
            problems.append(Problem("weight_kg",
                                    f"Weight {value} kg is impossible; enter 1-400 kg."))
        kept_basis = basis or old.basis
        if kept_basis not in {"actual", "ideal"}:
            problems.append(Problem("basis", "Weight basis must be actual or ideal body "
                                             "weight."))
        day = measured_on or old.measured_on
        if day > clinic_today(db, now):
            problems.append(Problem("measured_on", f"Weighing date {day} is in the future."))
        if problems:
            raise ValidationError(problems)
        assert value is not None
        weight = PatientWeight(
            patient_id=old.patient_id, weight_kg=value.quantize(Decimal("0.01")),
            measured_on=day, basis=kept_basis, recorded_by_id=actor.user_id,
            created_at_utc=now, replaces_id=old.id)
        db.add(weight)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="patient_weights",
                     row_id=weight.id, patient_id=old.patient_id,
                     new={"weight_kg": weight.weight_kg, "measured_on": day,
                          "basis": kept_basis, "replaces_id": old.id})
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return WeightRecord(format(weight.weight_kg, "f"), day, kept_basis)


def correct_entry(
    db: Session, actor: Actor, kind: EntryKind | str, row_id: int, reason: str | None,
    values: Mapping[str, object], *, clock: Clock = system_clock,
) -> SavedVital | WeightRecord:
    """Mark an entry entered in error and record its corrected value (readings, weights).

    Other kinds are corrected by marking them and recording the right entry as
    usual (a score is scored again, a note written again).
    """
    entry_kind = parse_entry_kind(kind)
    if entry_kind is EntryKind.READING:
        return correct_reading(db, actor, row_id, values, reason, clock=clock)
    if entry_kind is EntryKind.WEIGHT:
        return correct_weight(db, actor, row_id, values.get("weight_kg"), reason, clock=clock)
    raise ValidationError.single(
        "kind", f"A {entry_kind.noun} is corrected by marking it entered in error and "
                f"recording the right {entry_kind.noun} again.")
