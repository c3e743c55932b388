"""The plain data each chart document is built from; reports never see a database.

Nothing here reads the clock: the caller passes the printing moment
(``as_of``), so a document built twice from the same stored data at the same
moment is byte-identical (the reports render in invariant mode). Everything
that depends on time (the mg delivered so far, how long the pump has run, the
infusion band) is taken from the pump events up to that moment, never from a
scheduled or planned time.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import DEFAULT_CLINIC_NAME
from ketalog.domain.infusion import PumpEvent, delivered_as_of
from ketalog.domain.outcomes import OUTCOME_SCALES
from ketalog.domain.session_state import SessionState
from ketalog.reports.inputs import AddendumBlock as AddendumBlock
from ketalog.reports.inputs import Clinic
from ketalog.reports.inputs import CourseReportData as CourseReportData
from ketalog.reports.inputs import CourseSessionLine as CourseSessionLine
from ketalog.reports.inputs import DayLogData as DayLogData
from ketalog.reports.inputs import DayLogRow as DayLogRow
from ketalog.reports.inputs import SessionSummaryData as SessionSummaryData
from ketalog.reports.inputs import SignatureBlock as SignatureBlock
from ketalog.reports.inputs import VisitReportData as VisitReportData
from ketalog.services.board import day_bounds_utc
from ketalog.services.errors import NotFound
from ketalog.services.interventions import patient_wording
from ketalog.services.orders import order_followed_by_session
from ketalog.services.outcomes import course_view
from ketalog.services.patient_safety import safety_facts
from ketalog.services.session_detail import open_session
from ketalog.services.settings import (
    CLINIC_ADDRESS,
    CLINIC_LOGO_PATH,
    CLINIC_NAME,
    CLINIC_PHONE,
    DOCUMENT_FOOTER,
    clinic_timezone,
    get_setting,
    is_demo_clinic,
    stored_logo,
)
from ketalog.services.signature_status import signature_status, signature_statuses
from ketalog.store.anchors import anchor_file_path, latest_anchor
from ketalog.store.models import (
    Addendum,
    DoseOrder,
    InfusionEvent,
    Patient,
    ProtocolRecord,
    ScaleScore,
    Signature,
    TreatmentSession,
    User,
    VitalSign,
)

MAX_LOGO_BYTES = 2 * 1024 * 1024


class NotEnoughData(NotFound):
    """The session has too little recorded to summarise (e.g. never checked in)."""


def clinic(db: Session) -> Clinic:
    """The clinic as the documents print it (administrator settings)."""
    name = get_setting(db, CLINIC_NAME, DEFAULT_CLINIC_NAME)
    address = get_setting(db, CLINIC_ADDRESS, "")
    phone = get_setting(db, CLINIC_PHONE, "")
    footer = get_setting(db, DOCUMENT_FOOTER, "")
    return Clinic(str(name), str(address or ""), str(phone or ""),
                  stored_logo(db) or _logo(get_setting(db, CLINIC_LOGO_PATH)),
                  demo=is_demo_clinic(db),
                  footer=str(footer or ""))


def _logo(path: object) -> bytes | None:
    """The logo file's bytes (a clinic set up before its picture was stored).

    A missing, unreadable or huge file means no logo.
    """
    from pathlib import Path

    if not isinstance(path, str) or not path:
        return None
    try:
        file = Path(path)
        if file.stat().st_size > MAX_LOGO_BYTES:
            return None
        return file.read_bytes()
    except OSError:
        return None


def _signatures(db: Session, session_id: int) -> tuple[SignatureBlock, ...]:
    rows = db.execute(
        select(Signature, User.full_name, User.credentials)
        .join(User, User.id == Signature.signer_id)
        .where(Signature.session_id == session_id)
        .order_by(Signature.signed_at_utc, Signature.id)
    ).all()
    # The name as it was at signing (it already carries the credentials) prints, not
    # today's account name; rows from before the snapshot existed fall back to the account.
    return tuple(SignatureBlock(s.signer_name or name, "" if s.signer_name else creds, s.kind,
                                s.meaning, s.signed_at_utc, s.content_sha256)
                 for s, name, creds in rows)


def _addenda(db: Session, session_id: int) -> tuple[AddendumBlock, ...]:
    rows = db.execute(
        select(Addendum, User.full_name, User.credentials)
        .join(User, User.id == Addendum.author_id)
        .where(Addendum.session_id == session_id)
        .order_by(Addendum.written_at_utc, Addendum.id)
    ).all()
    # the author's printed name as it was at writing (0014); older rows: the account's
    return tuple(AddendumBlock(n, a.author_name or (f"{name}, {creds}" if creds else name),
                               a.written_at_utc, a.reason, a.text)
                 for n, (a, name, creds) in enumerate(rows, start=1))


def session_summary_data(db: Session, session_id: int,
                         as_of: datetime | None = None) -> SessionSummaryData:
    """The chart copy's data as of ``as_of`` (default: now); refuses a session never checked in.

    Raises:
        NotEnoughData: the patient was never checked in (nothing to summarise).
    """
    detail = open_session(db, session_id)
    if detail.checked_in_at_utc is None and detail.state != SessionState.CANCELLED:
        raise NotEnoughData(
            f"Session {session_id} has not started (the patient was never checked in); "
            "there is nothing to summarise yet."
        )
    # re-verified at every printing: what is printed is true at the moment it is printed
    return SessionSummaryData(clinic(db), clinic_timezone(db), detail,
                              _signatures(db, session_id), _addenda(db, session_id),
                              _moment(as_of), safety_facts(db, session_id),
                              signature_status(db, session_id),
                              order_followed_by_session(db, session_id))


def _moment(as_of: datetime | None) -> datetime:
    """The printing moment: the caller's clock, or the wall clock when none was given."""
    from datetime import UTC

    return as_of if as_of is not None else datetime.now(UTC)


def _course_lines(db: Session, course_id: int) -> tuple[CourseSessionLine, ...]:
    sessions = db.execute(
        select(TreatmentSession.id, TreatmentSession.sequence_number,
               TreatmentSession.scheduled_at_utc, TreatmentSession.state)
        .where(TreatmentSession.course_id == course_id)
        .order_by(TreatmentSession.scheduled_at_utc, TreatmentSession.id)
    ).all()
    ids = [s.id for s in sessions]
    doses = {
        row.session_id: (row.total_mg, row.dose_mg_per_kg)
        for row in db.execute(
            select(DoseOrder.session_id, DoseOrder.total_mg, DoseOrder.dose_mg_per_kg)
            .where(DoseOrder.session_id.in_(ids), DoseOrder.superseded_at_utc.is_(None))
        )
    }
    scores: dict[int, dict[str, int]] = {i: {} for i in ids}
    for row in db.execute(
        select(ScaleScore.session_id, ScaleScore.scale, ScaleScore.total)
        .where(ScaleScore.session_id.in_(ids), ScaleScore.scale.in_(OUTCOME_SCALES),
               ScaleScore.voided_at_utc.is_(None))
        .order_by(ScaleScore.taken_at_utc, ScaleScore.id)
    ):
        if row.session_id is not None:
            scores[row.session_id].setdefault(row.scale, row.total)  # first score of the visit
    return tuple(
        CourseSessionLine(s.id, s.sequence_number, s.scheduled_at_utc, s.state,
                          *doses.get(s.id, (None, None)), scores[s.id])
        for s in sessions
    )


def visit_report_data(db: Session, session_id: int,
                      as_of: datetime | None = None) -> VisitReportData:
    """The patient's take-home report for one visit, as of ``as_of`` (default: now)."""
    summary = session_summary_data(db, session_id, as_of)
    detail = summary.detail
    lines = _course_lines(db, detail.course_id)
    upcoming = [line.scheduled_at_utc for line in lines
                if line.scheduled_at_utc > detail.scheduled_at_utc
                and line.state == SessionState.SCHEDULED]

    return VisitReportData(summary.clinic, summary.tz, detail,
                           min(upcoming) if upcoming else None, lines, summary.as_of_utc,
                           tuple(patient_wording(i.drug) for i in detail.interventions))


def day_log_data(db: Session, day: date, as_of: datetime | None = None) -> DayLogData:
    """The day's sessions across chairs with dose, times, alerts and signature state.

    The mg given per session is the pump log's up to ``as_of`` (default now), so a
    session still infusing counts what has run, not what was ordered.
    """
    from sqlalchemy import func

    tz = clinic_timezone(db)
    start, end = day_bounds_utc(day, tz)
    sessions = db.execute(
        select(TreatmentSession, Patient.family_name, Patient.given_name, Patient.mrn,
               ProtocolRecord.name)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(ProtocolRecord, ProtocolRecord.id == TreatmentSession.protocol_id)
        .where(TreatmentSession.scheduled_at_utc >= start,
               TreatmentSession.scheduled_at_utc < end)
        .order_by(TreatmentSession.chair, TreatmentSession.scheduled_at_utc,
                  TreatmentSession.id)
    ).all()
    ids = [row[0].id for row in sessions]
    orders = {row.session_id: row for row in db.execute(
        select(DoseOrder.session_id, DoseOrder.total_mg, DoseOrder.bag_volume_ml,
               DoseOrder.rate_ml_per_h)
        .where(DoseOrder.session_id.in_(ids), DoseOrder.superseded_at_utc.is_(None))
    )}
    doses = {sid: row.total_mg for sid, row in orders.items()}
    moment = _moment(as_of)
    pump: dict[int, list[PumpEvent]] = {}
    for event in db.execute(
        select(InfusionEvent.session_id, InfusionEvent.kind, InfusionEvent.occurred_at_utc,
               InfusionEvent.rate_ml_per_h)
        .where(InfusionEvent.session_id.in_(ids))
        .order_by(InfusionEvent.occurred_at_utc, InfusionEvent.id)
    ):
        if event.occurred_at_utc > moment:
            continue  # not yet happened at the printing moment
        pump.setdefault(event.session_id, []).append(
            PumpEvent(event.kind, event.occurred_at_utc, event.rate_ml_per_h))
    delivered: dict[int, Decimal] = {}
    still_open: set[int] = set()
    for sid, events in pump.items():
        order = orders.get(sid)
        if order is None:
            continue
        # the same computation as the chart copy's "Delivered by the pump log"
        progress = delivered_as_of(events, total_mg=order.total_mg,
                                   bag_volume_ml=order.bag_volume_ml,
                                   planned_rate_ml_per_h=order.rate_ml_per_h, as_of=moment)
        if progress is None:
            continue
        delivered[sid] = progress.delivered_mg
        if (order.bag_volume_ml or 0) > 0 and events[-1].kind not in ("stop", "stop_early"):
            still_open.add(sid)
    alerts = dict(db.execute(
        select(VitalSign.session_id, func.count())
        .where(VitalSign.session_id.in_(ids), VitalSign.alert_codes != "",
               VitalSign.voided_at_utc.is_(None))
        .group_by(VitalSign.session_id)
    ).all())
    # "signed" is printed only for a signature that holds at the printing moment
    checked = signature_statuses(db, [s.id for s, *_ in sessions
                                      if s.state in (SessionState.SIGNED, SessionState.DISCHARGED)])
    rows = []
    for s, family, given, mrn, protocol in sessions:
        status = checked.get(s.id)
        warning = status.banner if status is not None else ""
        rows.append(DayLogRow(
            s.id, s.chair, s.scheduled_at_utc, f"{family}, {given}", mrn, protocol,
            doses.get(s.id), s.dose_started_at_utc, s.dose_ended_at_utc,
            int(alerts.get(s.id, 0)), s.discharged_at_utc, s.state,
            s.state == SessionState.SIGNED and not warning, delivered.get(s.id), warning,
            s.id in still_open, s.state_reason))
    anchor = latest_anchor(anchor_file_path(db.get_bind().engine.url))
    return DayLogData(clinic(db), tz, day, tuple(rows), moment, anchor)


def course_report_data(db: Session, course_id: int) -> CourseReportData:
    """The course report's data, with response and remission judged by the domain."""
    return CourseReportData(clinic(db), clinic_timezone(db), course_view(db, course_id))
