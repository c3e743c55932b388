"""Everything a session view shows, loaded with a handful of Core queries.

Kept apart from the day board so that painting the board at start-up does not
load the session view's types.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from ketalog.domain.values import printed_name
from ketalog.reports.inputs import AdverseEventRow as AdverseEventRow
from ketalog.reports.inputs import DoseOrderView as DoseOrderView
from ketalog.reports.inputs import EventRow as EventRow
from ketalog.reports.inputs import InterventionRow as InterventionRow
from ketalog.reports.inputs import NoteRow as NoteRow
from ketalog.reports.inputs import ScoreRow as ScoreRow
from ketalog.reports.inputs import SessionDetail as SessionDetail
from ketalog.reports.inputs import VitalRow as VitalRow
from ketalog.reports.inputs import VoidMark as VoidMark
from ketalog.services.errors import NotFound
from ketalog.store.models import (
    AdverseEvent,
    Base,
    Course,
    DoseOrder,
    DoseVerification,
    EventFlag,
    InfusionEvent,
    Intervention,
    Note,
    Patient,
    ProtocolRecord,
    ScaleScore,
    Signature,
    TreatmentSession,
    User,
    VitalSign,
)


def _scores_with_recorders(db: Session, session_id: int) -> list[Row[Any]]:
    """The session's scores (entered in error too), oldest first, with who recorded each."""
    sc, us = ScaleScore.__table__, User.__table__
    return list(db.execute(
        select(sc, us.c.full_name, us.c.credentials)
        .outerjoin(us, us.c.id == sc.c.recorded_by_id)
        .where(sc.c.session_id == session_id)
        .order_by(sc.c.taken_at_utc, sc.c.id)
    ))


class _Voids:
    """The void marks of one kind of entry: who marked each, and what replaced it."""

    def __init__(self, names: dict[int, str], rows: list[Row[Any]]) -> None:
        self._names = names
        self._replaced_by = {r.replaces_id: r.id for r in rows
                             if getattr(r, "replaces_id", None) is not None}

    def mark(self, row: Row[Any]) -> VoidMark | None:
        if row.voided_at_utc is None:
            return None
        return VoidMark(row.voided_at_utc, self._names.get(row.voided_by_id or 0, ""),
                        row.void_reason or "", self._replaced_by.get(row.id))


def _voider_names(db: Session, groups: list[list[Row[Any]]]) -> dict[int, str]:
    """Printed names of everyone who marked one of these entries entered in error."""
    ids = sorted({r.voided_by_id for rows in groups for r in rows
                  if r.voided_at_utc is not None and r.voided_by_id is not None})
    if not ids:
        return {}
    us = User.__table__
    return {u.id: printed_name(u.full_name, u.credentials) for u in db.execute(
        select(us.c.id, us.c.full_name, us.c.credentials).where(us.c.id.in_(ids)))}


def open_session(db: Session, session_id: int) -> SessionDetail:
    """Load one session with all it shows: seven indexed Core queries, no ORM objects.

    Plain table selects skip identity-map and relationship work, which is most
    of the cost of an ORM load; the view needs values, not entities.
    """
    ts, pt, co, pr = (TreatmentSession.__table__, Patient.__table__, Course.__table__,
                      ProtocolRecord.__table__)
    head = db.execute(
        select(ts, pt.c.family_name, pt.c.given_name, pt.c.mrn, pt.c.birth_date,
               co.c.indication, co.c.planned_infusions,
               pr.c.code.label("protocol_code"), pr.c.name.label("protocol_name"))
        .join(pt, pt.c.id == ts.c.patient_id)
        .join(co, co.c.id == ts.c.course_id)
        .join(pr, pr.c.id == ts.c.protocol_id)
        .where(ts.c.id == session_id)
    ).one_or_none()
    if head is None:
        raise NotFound(f"No session with id {session_id}.")

    def rows(model: type[Base], order: str) -> list[Row[Any]]:
        table = model.__table__
        return list(db.execute(
            select(table).where(table.c.session_id == session_id)
            .order_by(table.c[order], table.c.id)
        ))

    do, dv = DoseOrder.__table__, DoseVerification.__table__
    order = db.execute(
        select(do, dv.c.verifier_name, dv.c.verified_at_utc, dv.c.verifier_total_mg,
               dv.c.verifier_rate_ml_per_h)
        .outerjoin(dv, dv.c.dose_order_id == do.c.id)
        .where(do.c.session_id == session_id, do.c.superseded_at_utc.is_(None))
        .order_by(do.c.id.desc()).limit(1)
    ).one_or_none()
    dose = None
    if order is not None:
        dose = DoseOrderView(
            order.id, order.drug, order.route, order.dosing_mode, order.dose_mg_per_kg,
            order.rate_mg_per_kg_per_h, order.device_count, order.weight_kg,
            order.weight_measured_on, order.weight_basis, order.concentration_mg_per_ml,
            order.bag_volume_ml, order.duration_min, order.total_mg, order.drug_volume_ml,
            order.rate_ml_per_h, tuple(order.working.splitlines()), order.lot_number,
            order.limit_level, order.override_reason, order.prepared_by_name,
            order.verifier_name, order.verified_at_utc, order.verifier_total_mg,
            order.verifier_rate_ml_per_h,
        )
    vitals_rows = rows(VitalSign, "taken_at_utc")
    score_rows = _scores_with_recorders(db, session_id)
    flag_rows = rows(EventFlag, "onset_at_utc")
    given_rows = rows(Intervention, "given_at_utc")
    adverse_rows = rows(AdverseEvent, "onset_at_utc")
    note_rows = rows(Note, "written_at_utc")
    groups = [vitals_rows, score_rows, flag_rows, given_rows, adverse_rows, note_rows]
    names = _voider_names(db, groups)
    vv, sv, fv, iv, av, nv = (_Voids(names, g) for g in groups)
    return SessionDetail(
        id=head.id, version=head.version, state=head.state, state_reason=head.state_reason,
        chair=head.chair, scheduled_at_utc=head.scheduled_at_utc, patient_id=head.patient_id,
        patient_name=f"{head.family_name}, {head.given_name}", mrn=head.mrn,
        birth_date=head.birth_date, course_id=head.course_id, indication=head.indication,
        sequence_number=head.sequence_number, planned_infusions=head.planned_infusions,
        protocol_code=head.protocol_code, protocol_name=head.protocol_name,
        checked_in_at_utc=head.checked_in_at_utc, dose_started_at_utc=head.dose_started_at_utc,
        dose_ended_at_utc=head.dose_ended_at_utc,
        ready_to_leave_at_utc=head.ready_to_leave_at_utc,
        discharged_at_utc=head.discharged_at_utc, escort_name=head.escort_name,
        instructions_given=head.instructions_given,
        identity_confirmed=head.identity_confirmed, consent_on_file=head.consent_on_file,
        npo_confirmed=head.npo_confirmed, predose_bp_ack_at_utc=head.predose_bp_ack_at_utc,
        dose=dose,
        infusion_events=tuple(
            EventRow(e.id, e.kind, e.occurred_at_utc, e.reason or "",
                     rate_ml_per_h=e.rate_ml_per_h)
            for e in rows(InfusionEvent, "occurred_at_utc")
        ),
        vitals=tuple(
            VitalRow(
                v.id, v.version, v.taken_at_utc, v.systolic_mmhg, v.diastolic_mmhg,
                v.heart_rate_bpm, v.spo2_percent, v.resp_rate_per_min, v.temperature_c,
                v.etco2_mmhg, v.pain_score, tuple(c for c in v.alert_codes.split(",") if c),
                v.action_note, v.voided_at_utc is not None, vv.mark(v),
            )
            for v in vitals_rows
        ),
        scores=tuple(
            ScoreRow(sc.id, sc.scale, sc.taken_at_utc, sc.total,
                     tuple(json.loads(sc.item_scores_json)), sc.band,
                     printed_name(sc.full_name, sc.credentials) if sc.full_name else "",
                     sv.mark(sc))
            for sc in score_rows
        ),
        event_flags=tuple(
            EventRow(f.id, f.kind, f.onset_at_utc, f.note or "", f.resolved_at_utc,
                     void=fv.mark(f))
            for f in flag_rows
        ),
        interventions=tuple(
            InterventionRow(i.id, i.drug, i.dose, i.dose_unit, i.route, i.given_at_utc,
                            i.given_by_name, i.indication, i.outcome, iv.mark(i))
            for i in given_rows
        ),
        adverse_events=tuple(
            AdverseEventRow(a.id, a.kind, a.severity, a.onset_at_utc, a.resolved_at_utc,
                            a.description, a.action_taken, av.mark(a))
            for a in adverse_rows
        ),
        notes=tuple(
            NoteRow(n.id, n.kind, n.written_at_utc, n.author_name, n.text, nv.mark(n))
            for n in note_rows
        ),
        signatures=tuple(
            EventRow(g.id, g.kind, g.signed_at_utc, f"{g.meaning} ({g.content_sha256[:12]})")
            for g in rows(Signature, "signed_at_utc")
        ),
    )
