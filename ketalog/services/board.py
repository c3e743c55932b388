"""Read models: the day board and everything a session view shows.

These return plain frozen dataclasses, never ORM objects, so widgets and
documents cannot trigger lazy loads or hold a database session open.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ketalog.domain.session_state import SessionState
from ketalog.domain.vitals import VitalsPhase, next_vitals_due
from ketalog.services.errors import NotFound
from ketalog.services.protocols import protocol_from_record
from ketalog.store.models import (
    Course,
    DoseOrder,
    Patient,
    ProtocolRecord,
    TreatmentSession,
    VitalSign,
)

_PHASE = {
    SessionState.CHECKED_IN: VitalsPhase.BEFORE_DOSE,
    SessionState.INFUSING: VitalsPhase.DURING_DOSE,
    SessionState.PAUSED: VitalsPhase.DURING_DOSE,
    SessionState.RECOVERING: VitalsPhase.RECOVERY,
    SessionState.STOPPED_EARLY: VitalsPhase.RECOVERY,
}


def vitals_phase(state: str) -> VitalsPhase:
    """Which part of the vitals schedule applies in this session state."""
    return _PHASE.get(SessionState(state), VitalsPhase.NOT_MONITORED)


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the clinic's local day starts and ends (DST-safe)."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


@dataclass(frozen=True)
class BoardRow:
    """One session on the day board."""

    session_id: int
    chair: str
    scheduled_at_utc: datetime
    state: str
    patient_id: int
    patient_name: str
    mrn: str
    birth_date: date
    course_id: int
    sequence_number: int | None
    planned_infusions: int
    protocol_name: str
    dose_started_at_utc: datetime | None
    dose_ended_at_utc: datetime | None
    last_vitals_at_utc: datetime | None
    next_vitals_due_at_utc: datetime | None

    @property
    def signed(self) -> bool:
        """Whether a physician has signed the session."""
        return self.state == SessionState.SIGNED.value

    def vitals_overdue(self, now: datetime) -> bool:
        """Whether the next reading is past due."""
        return self.next_vitals_due_at_utc is not None and self.next_vitals_due_at_utc < now


def day_board(
    db: Session, day: date, tz: ZoneInfo, *, now: datetime | None = None
) -> list[BoardRow]:
    """Every session of the clinic's local ``day``, by chair then time.

    Two queries whatever the day's size: the sessions with patient, course
    and protocol, and the day's vital times for the "next due" column.
    """
    start, end = day_bounds_utc(day, tz)
    rows = db.execute(
        select(
            TreatmentSession.id, TreatmentSession.chair, TreatmentSession.scheduled_at_utc,
            TreatmentSession.state, TreatmentSession.patient_id,
            TreatmentSession.course_id, TreatmentSession.sequence_number,
            TreatmentSession.dose_started_at_utc, TreatmentSession.dose_ended_at_utc,
            Patient.family_name, Patient.given_name, Patient.mrn, Patient.birth_date,
            Course.planned_infusions, ProtocolRecord.id.label("protocol_id"),
        )
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(Course, Course.id == TreatmentSession.course_id)
        .join(ProtocolRecord, ProtocolRecord.id == TreatmentSession.protocol_id)
        .where(TreatmentSession.scheduled_at_utc >= start, TreatmentSession.scheduled_at_utc < end)
        .order_by(TreatmentSession.chair, TreatmentSession.scheduled_at_utc, TreatmentSession.id)
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    readings: dict[int, list[datetime]] = defaultdict(list)
    for session_id, taken_at in db.execute(
        select(VitalSign.session_id, VitalSign.taken_at_utc)
        .where(VitalSign.session_id.in_(ids), VitalSign.voided_at_utc.is_(None))
        .order_by(VitalSign.taken_at_utc)
    ):
        readings[session_id].append(taken_at)
    protocols = {
        rec.id: protocol_from_record(rec)
        for rec in db.scalars(
            select(ProtocolRecord).where(ProtocolRecord.id.in_({r.protocol_id for r in rows}))
        )
    }
    moment = now or datetime.now(UTC)
    board = []
    for r in rows:
        protocol = protocols[r.protocol_id]
        times = readings.get(r.id, [])
        phase = vitals_phase(r.state)
        due = None
        if phase is not VitalsPhase.NOT_MONITORED:
            since_dose = [t for t in times if r.dose_started_at_utc and t >= r.dose_started_at_utc]
            due = next_vitals_due(
                protocol.schedule, phase,
                last_reading_at=times[-1] if times else None,
                dose_started_at=r.dose_started_at_utc or moment,
                recovery_started_at=r.dose_ended_at_utc or r.dose_started_at_utc or moment,
                readings_since_dose_start=since_dose,
                now=moment,
            )
        board.append(BoardRow(
            session_id=r.id, chair=r.chair, scheduled_at_utc=r.scheduled_at_utc, state=r.state,
            patient_id=r.patient_id, patient_name=f"{r.family_name}, {r.given_name}",
            mrn=r.mrn, birth_date=r.birth_date, course_id=r.course_id,
            sequence_number=r.sequence_number, planned_infusions=r.planned_infusions,
            protocol_name=protocol.name, dose_started_at_utc=r.dose_started_at_utc,
            dose_ended_at_utc=r.dose_ended_at_utc,
            last_vitals_at_utc=times[-1] if times else None, next_vitals_due_at_utc=due,
        ))
    return board


# --- one session ---------------------------------------------------------------------


@dataclass(frozen=True)
class VitalRow:
    """One reading as the vitals grid and the chart show it."""

    id: int
    version: int
    taken_at_utc: datetime
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    spo2_percent: int | None
    resp_rate_per_min: int | None
    temperature_c: Decimal | None
    etco2_mmhg: int | None
    pain_score: int | None
    alert_codes: tuple[str, ...]
    action_note: str | None
    voided: bool


@dataclass(frozen=True)
class DoseOrderView:
    """The current dose order with its verification."""

    id: int
    drug: str
    route: str
    dosing_mode: str
    dose_mg_per_kg: Decimal | None
    rate_mg_per_kg_per_h: Decimal | None
    device_count: int | None
    weight_kg: Decimal | None
    weight_measured_on: date | None
    weight_basis: str | None
    concentration_mg_per_ml: Decimal | None
    bag_volume_ml: Decimal | None
    duration_min: int | None
    total_mg: Decimal
    drug_volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    working: tuple[str, ...]
    lot_number: str | None
    limit_level: str
    override_reason: str | None
    prepared_by_name: str
    verified_by_name: str | None
    verified_at_utc: datetime | None


@dataclass(frozen=True)
class EventRow:
    """An infusion event, scale score, flag or note, flattened for display."""

    id: int
    kind: str
    at_utc: datetime
    detail: str
    until_utc: datetime | None = None


@dataclass(frozen=True)
class SessionDetail:
    """Everything the session view shows, loaded in one go."""

    id: int
    version: int
    state: str
    state_reason: str | None
    chair: str
    scheduled_at_utc: datetime
    patient_id: int
    patient_name: str
    mrn: str
    birth_date: date
    course_id: int
    indication: str
    sequence_number: int | None
    planned_infusions: int
    protocol_code: str
    protocol_name: str
    checked_in_at_utc: datetime | None
    dose_started_at_utc: datetime | None
    dose_ended_at_utc: datetime | None
    ready_to_leave_at_utc: datetime | None
    discharged_at_utc: datetime | None
    escort_name: str | None
    instructions_given: bool
    dose: DoseOrderView | None
    infusion_events: tuple[EventRow, ...]
    vitals: tuple[VitalRow, ...]
    scores: tuple[EventRow, ...]
    event_flags: tuple[EventRow, ...]
    notes: tuple[EventRow, ...]
    signatures: tuple[EventRow, ...]


def open_session(db: Session, session_id: int) -> SessionDetail:
    """Load one session with all it shows (a handful of indexed queries)."""
    s = db.scalar(
        select(TreatmentSession)
        .where(TreatmentSession.id == session_id)
        .options(
            selectinload(TreatmentSession.patient),
            selectinload(TreatmentSession.course),
            selectinload(TreatmentSession.protocol),
            selectinload(TreatmentSession.vitals),
            selectinload(TreatmentSession.infusion_events),
            selectinload(TreatmentSession.dose_orders).selectinload(DoseOrder.verification),
            selectinload(TreatmentSession.scale_scores),
            selectinload(TreatmentSession.event_flags),
            selectinload(TreatmentSession.notes),
            selectinload(TreatmentSession.signatures),
        )
        .execution_options(populate_existing=True)
    )
    if s is None:
        raise NotFound(f"No session with id {session_id}.")
    current = [o for o in s.dose_orders if o.superseded_at_utc is None]
    dose = None
    if current:
        o = current[-1]
        v = o.verification
        dose = DoseOrderView(
            o.id, o.drug, o.route, o.dosing_mode, o.dose_mg_per_kg, o.rate_mg_per_kg_per_h,
            o.device_count, o.weight_kg, o.weight_measured_on, o.weight_basis,
            o.concentration_mg_per_ml, o.bag_volume_ml, o.duration_min, o.total_mg,
            o.drug_volume_ml, o.rate_ml_per_h, tuple(o.working.splitlines()), o.lot_number,
            o.limit_level, o.override_reason, o.prepared_by_name,
            v.verifier_name if v else None, v.verified_at_utc if v else None,
        )
    return SessionDetail(
        id=s.id, version=s.version, state=s.state, state_reason=s.state_reason, chair=s.chair,
        scheduled_at_utc=s.scheduled_at_utc, patient_id=s.patient_id,
        patient_name=f"{s.patient.family_name}, {s.patient.given_name}", mrn=s.patient.mrn,
        birth_date=s.patient.birth_date, course_id=s.course_id, indication=s.course.indication,
        sequence_number=s.sequence_number, planned_infusions=s.course.planned_infusions,
        protocol_code=s.protocol.code, protocol_name=s.protocol.name,
        checked_in_at_utc=s.checked_in_at_utc, dose_started_at_utc=s.dose_started_at_utc,
        dose_ended_at_utc=s.dose_ended_at_utc, ready_to_leave_at_utc=s.ready_to_leave_at_utc,
        discharged_at_utc=s.discharged_at_utc, escort_name=s.escort_name,
        instructions_given=s.instructions_given, dose=dose,
        infusion_events=tuple(
            EventRow(e.id, e.kind, e.occurred_at_utc, e.reason or "") for e in s.infusion_events
        ),
        vitals=tuple(
            VitalRow(
                v.id, v.version, v.taken_at_utc, v.systolic_mmhg, v.diastolic_mmhg,
                v.heart_rate_bpm, v.spo2_percent, v.resp_rate_per_min, v.temperature_c,
                v.etco2_mmhg, v.pain_score, tuple(c for c in v.alert_codes.split(",") if c),
                v.action_note, v.voided_at_utc is not None,
            )
            for v in s.vitals
        ),
        scores=tuple(
            EventRow(sc.id, sc.scale, sc.taken_at_utc,
                     f"{sc.total} {json.loads(sc.item_scores_json)}"
                     + (f" ({sc.band})" if sc.band else ""))
            for sc in s.scale_scores if sc.voided_at_utc is None
        ),
        event_flags=tuple(
            EventRow(f.id, f.kind, f.onset_at_utc, f.note or "", f.resolved_at_utc)
            for f in s.event_flags
        ),
        notes=tuple(
            EventRow(n.id, n.kind, n.written_at_utc, f"{n.author_name}: {n.text}")
            for n in s.notes if n.voided_at_utc is None
        ),
        signatures=tuple(
            EventRow(g.id, g.kind, g.signed_at_utc, f"{g.meaning} ({g.content_sha256[:12]})")
            for g in s.signatures
        ),
    )
