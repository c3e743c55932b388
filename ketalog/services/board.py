"""Read models: the day board and everything a session view shows.

These return plain frozen dataclasses, never ORM objects, so widgets and
documents cannot trigger lazy loads or hold a database session open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.alerts import RaisedAlert
from ketalog.domain.infusion import PumpEvent
from ketalog.domain.safety import safety_alert
from ketalog.domain.scheduling import infusion_label
from ketalog.domain.session_state import SessionState
from ketalog.domain.vitals import VitalsPhase, next_vitals_due
from ketalog.services.alerts import newest_open_at, session_alerts
from ketalog.services.protocols import protocol_from_record
from ketalog.services.safety import suicide_risk_screens
from ketalog.services.screening import course_cautions
from ketalog.services.signature_status import SignatureStatus, signature_statuses
from ketalog.store.models import (
    Course,
    InfusionEvent,
    Patient,
    ProtocolRecord,
    Signature,
    TreatmentSession,
    VitalSign,
)

#: Signature kind of a nurse's "nursing record complete" (see services.signing).
_NURSING_ATTESTATION = "nursing_attestation"

_PHASE = {
    SessionState.CHECKED_IN: VitalsPhase.BEFORE_DOSE,
    SessionState.INFUSING: VitalsPhase.DURING_DOSE,
    SessionState.PAUSED: VitalsPhase.DURING_DOSE,
    SessionState.RECOVERING: VitalsPhase.RECOVERY,
    SessionState.STOPPED_EARLY: VitalsPhase.RECOVERY,
}


def vitals_phase(state: SessionState | str) -> VitalsPhase:
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
    state: SessionState
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
    #: A nurse has completed the nursing record (the physician can sign).
    nursing_completed: bool = False
    #: PHQ-9 item 9 / C-SSRS words for the physician (None when nothing is positive)
    safety_alert: str | None = None
    #: the course screening's cautions and overridden contraindications, short labels
    cautions: tuple[str, ...] = ()
    #: the pump log (start, pause, resume, rate change, stop): the "Dose time" is run from it
    pump_events: tuple[PumpEvent, ...] = ()
    #: alerts not yet acknowledged by a physician nor back in range, oldest first
    open_alerts: tuple[RaisedAlert, ...] = ()
    #: signed or discharged sessions: the signature re-verified with its audit rows
    signature: SignatureStatus | None = None

    @property
    def infusion_label(self) -> str:
        """Infusion "3 of 6"; a booster after the induction series reads "7 (maintenance)"."""
        if self.sequence_number is None:
            return ""
        return infusion_label(self.sequence_number, self.planned_infusions).removeprefix(
            "infusion ")

    @property
    def signed(self) -> bool:
        """Whether a physician has signed the session."""
        return self.state == SessionState.SIGNED

    @property
    def signature_not_valid(self) -> str:
        """"SIGNATURE NOT VALID: <reason>", or "" when there is nothing wrong to show."""
        return self.signature.banner if self.signature is not None else ""

    def vitals_overdue(self, now: datetime) -> bool:
        """Whether the next reading is past due."""
        return self.next_vitals_due_at_utc is not None and self.next_vitals_due_at_utc < now


def day_board(
    db: Session, day: date, tz: ZoneInfo, *, now: datetime | None = None
) -> list[BoardRow]:
    """Every session of the clinic's local ``day``, by chair then time.

    A few queries whatever the day's size: the sessions with patient, course
    and protocol, the day's vital times for the "next due" column, and which
    discharged sessions a nurse has completed (for the signature column).
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
    protocols = {
        rec.id: protocol_from_record(rec)
        for rec in db.scalars(
            select(ProtocolRecord).where(ProtocolRecord.id.in_({r.protocol_id for r in rows}))
        )
    }
    live = VitalSign.voided_at_utc.is_(None)
    last_reading: dict[int, datetime] = {
        session_id: taken_at
        for session_id, taken_at in db.execute(
            select(VitalSign.session_id, func.max(VitalSign.taken_at_utc))
            .where(VitalSign.session_id.in_([r.id for r in rows]), live)
            .group_by(VitalSign.session_id)
        )
    }
    finished = [r.id for r in rows if r.state == SessionState.DISCHARGED]
    completed = set(db.scalars(
        select(Signature.session_id).where(Signature.session_id.in_(finished),
                                           Signature.kind == _NURSING_ATTESTATION)
    )) if finished else set()
    # Fixed checkpoints (esketamine at 40 min) need each reading since the dose
    # started; interval schedules need only the last one.
    checkpoint_ids = [
        r.id for r in rows
        if protocols[r.protocol_id].schedule.post_dose_checkpoints_min
        and r.dose_started_at_utc is not None
    ]
    readings: dict[int, list[datetime]] = defaultdict(list)
    if checkpoint_ids:
        for session_id, taken_at in db.execute(
            select(VitalSign.session_id, VitalSign.taken_at_utc)
            .where(VitalSign.session_id.in_(checkpoint_ids), live)
            .order_by(VitalSign.taken_at_utc)
        ):
            readings[session_id].append(taken_at)
    pump: dict[int, list[PumpEvent]] = defaultdict(list)
    dosed = [r.id for r in rows if r.dose_started_at_utc is not None]
    if dosed:
        for session_id, kind, at, rate in db.execute(
            select(InfusionEvent.session_id, InfusionEvent.kind, InfusionEvent.occurred_at_utc,
                   InfusionEvent.rate_ml_per_h)
            .where(InfusionEvent.session_id.in_(dosed))
            .order_by(InfusionEvent.occurred_at_utc, InfusionEvent.id)
        ):
            pump[session_id].append(PumpEvent(kind, at, rate))
    moment = now or datetime.now(UTC)
    screens = suicide_risk_screens(db, [r.id for r in rows])
    cautions = course_cautions(db, {r.course_id for r in rows})
    alerts = session_alerts(db, [r.id for r in rows])
    # every signature the board shows is re-verified (about 4 ms a signed session)
    signatures = signature_statuses(db, [r.id for r in rows if r.state in (
        SessionState.SIGNED, SessionState.DISCHARGED)])
    board = []
    for r in rows:
        protocol = protocols[r.protocol_id]
        last = last_reading.get(r.id)
        phase = vitals_phase(r.state)
        due = None
        if phase is not VitalsPhase.NOT_MONITORED:
            since_dose = [t for t in readings.get(r.id, ())
                          if r.dose_started_at_utc and t >= r.dose_started_at_utc]
            due = next_vitals_due(
                protocol.schedule, phase,
                last_reading_at=last,
                dose_started_at=r.dose_started_at_utc or moment,
                recovery_started_at=r.dose_ended_at_utc or r.dose_started_at_utc or moment,
                readings_since_dose_start=since_dose,
                now=moment,
                open_alert_at=newest_open_at(alerts.get(r.id, ())),
            )
        board.append(BoardRow(
            session_id=r.id, chair=r.chair, scheduled_at_utc=r.scheduled_at_utc, state=r.state,
            patient_id=r.patient_id, patient_name=f"{r.family_name}, {r.given_name}",
            mrn=r.mrn, birth_date=r.birth_date, course_id=r.course_id,
            sequence_number=r.sequence_number, planned_infusions=r.planned_infusions,
            protocol_name=protocol.name, dose_started_at_utc=r.dose_started_at_utc,
            dose_ended_at_utc=r.dose_ended_at_utc,
            last_vitals_at_utc=last, next_vitals_due_at_utc=due,
            nursing_completed=r.id in completed,
            safety_alert=safety_alert(screens[r.id]) if r.id in screens else None,
            cautions=cautions.get(r.course_id, ()),
            pump_events=tuple(pump.get(r.id, ())),
            open_alerts=tuple(s.alert for s in alerts.get(r.id, ()) if s.is_open),
            signature=signatures.get(r.id),
        ))
    return board
