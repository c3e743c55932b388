"""The Spravato REMS monitoring form of esketamine sessions: fill it, list it, file it.

The form is built from the session's own records (see ``domain.rems``), so it
is never typed twice and always agrees with the chart. Filing is recorded in
``rems_filings``, apart from the session's rows, because it usually happens
after the physician has signed and must not touch the signed record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.protocols import DosingMode
from ketalog.domain.rems import (
    FilingStatus,
    RemsForm,
    RemsInputs,
    RemsVitals,
    build_rems_form,
    filing_status,
)
from ketalog.domain.values import printed_name
from ketalog.reports.inputs import RemsFormDocument as RemsFormDocument
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.documents import clinic
from ketalog.services.errors import NotFound
from ketalog.services.protocols import protocol_by_id
from ketalog.services.session_detail import open_session
from ketalog.services.settings import CLINIC_ADDRESS, CLINIC_NAME, clinic_timezone, get_setting
from ketalog.store.models import (
    Patient,
    ProtocolRecord,
    RemsFiling,
    Screening,
    Signature,
    TreatmentSession,
    User,
)

#: Longest confirmation number kept (the column's size).
MAX_CONFIRMATION_LENGTH = 120


def is_esketamine(drug: str, dosing_mode: str) -> bool:
    """Whether a protocol gives intranasal esketamine (Spravato), which the REMS covers."""
    return "esketamine" in drug.casefold() or dosing_mode == DosingMode.DEVICE.value


def _esketamine_protocol() -> ColumnElement[bool]:
    """:func:`is_esketamine` as a SQL condition on ``protocols``."""
    return or_(func.lower(ProtocolRecord.drug).like("%esketamine%"),
               ProtocolRecord.dosing_mode == DosingMode.DEVICE.value)


def _clinic_setting(db: Session) -> str:
    """The healthcare setting as the form names it: the clinic's name and address."""
    name, address = get_setting(db, CLINIC_NAME, ""), get_setting(db, CLINIC_ADDRESS, "")
    return ", ".join(str(part) for part in (name, address) if part)


# --- the form ------------------------------------------------------------------------


def rems_form(db: Session, session_id: int) -> RemsForm:
    """The monitoring form of one esketamine session, from what has been recorded so far.

    Raises:
        NotFound: no such session.
        ValidationError: the session is not an esketamine session.
    """
    row = db.get(TreatmentSession, session_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No session with id {session_id}.")
    record = db.get(ProtocolRecord, row.protocol_id)
    if record is None or not is_esketamine(record.drug, record.dosing_mode):
        name = record.name if record is not None else "no protocol"
        raise ValidationError.single(
            "session_id",
            f"Session {session_id} is not an esketamine session ({name}); the REMS "
            "monitoring form exists only for intranasal esketamine (Spravato).",
        )
    protocol = protocol_by_id(db, row.protocol_id)
    detail = open_session(db, session_id)
    tz = clinic_timezone(db)
    screening = db.execute(
        select(Screening.takes_benzodiazepine, Screening.takes_other_sedative,
               Screening.takes_stimulant, Screening.takes_maoi, Screening.takes_opioid)
        .where(Screening.course_id == row.course_id)
    ).one_or_none()
    first_device = detail.dose_started_at_utc
    earlier = select(func.count()).select_from(TreatmentSession).join(
        ProtocolRecord, ProtocolRecord.id == TreatmentSession.protocol_id
    ).where(TreatmentSession.patient_id == row.patient_id, TreatmentSession.id != session_id,
            TreatmentSession.dose_started_at_utc.is_not(None), _esketamine_protocol())
    if first_device is not None:
        earlier = earlier.where(TreatmentSession.dose_started_at_utc < first_device)
    earlier_count = db.scalar(earlier) or 0
    provider = db.scalar(
        select(Signature.signer_name)
        .where(Signature.session_id == session_id, Signature.kind == "nursing_attestation")
        .order_by(Signature.signed_at_utc.desc(), Signature.id.desc()).limit(1)
    ) or (detail.dose.prepared_by_name if detail.dose is not None else None)
    dose = detail.dose
    inputs = RemsInputs(
        session_id=session_id,
        patient_name=detail.patient_name,
        mrn=detail.mrn,
        birth_date=detail.birth_date,
        earlier_esketamine_treatments=earlier_count,
        takes_benzodiazepine=screening.takes_benzodiazepine if screening else None,
        takes_other_sedative=screening.takes_other_sedative if screening else None,
        takes_stimulant=screening.takes_stimulant if screening else None,
        takes_maoi=screening.takes_maoi if screening else None,
        takes_opioid=screening.takes_opioid if screening else None,
        first_device_at_utc=first_device,
        treatment_date=first_device.astimezone(tz).date() if first_device else None,
        discharged_at_utc=detail.discharged_at_utc,
        ready_to_leave_at_utc=detail.ready_to_leave_at_utc,
        dose_mg=dose.total_mg if dose is not None else None,
        device_count=dose.device_count if dose is not None else None,
        lot_number=dose.lot_number if dose is not None else None,
        readings=[
            RemsVitals(v.taken_at_utc, v.systolic_mmhg, v.diastolic_mmhg, v.heart_rate_bpm,
                       v.spo2_percent, v.resp_rate_per_min)
            for v in detail.vitals if not v.voided
        ],
        thresholds=protocol.thresholds,
        event_flag_kinds=[f.kind for f in detail.live_event_flags],
        monitoring_provider=provider,
        setting=_clinic_setting(db),
    )
    return build_rems_form(inputs)


# --- the list --------------------------------------------------------------------------


@dataclass(frozen=True)
class RemsRow:
    """One esketamine session on the REMS list."""

    session_id: int
    patient_name: str
    mrn: str
    treatment_date: date
    state: str
    #: the patient has left: only then can the form be complete and filed
    discharged: bool
    status: FilingStatus
    filed_by: str | None
    filed_at_utc: datetime | None
    confirmation: str | None

    @property
    def status_text(self) -> str:
        """"filed on ...", "due in n days", "due today" or "overdue by n days"."""
        return self.status.text


def rems_list(db: Session, *, today: date, include_filed: bool = True) -> list[RemsRow]:
    """Every esketamine session whose dose started, overdue first, then by deadline.

    One query for the sessions with patient, protocol and filing, and one for
    the clinic's time zone (treatment and filing dates are clinic-local).
    """
    tz = clinic_timezone(db)
    query = (
        select(TreatmentSession.id, TreatmentSession.state,
               TreatmentSession.dose_started_at_utc, TreatmentSession.discharged_at_utc,
               Patient.family_name, Patient.given_name, Patient.mrn,
               RemsFiling.filed_at_utc, RemsFiling.confirmation,
               User.full_name, User.credentials)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .join(ProtocolRecord, and_(ProtocolRecord.id == TreatmentSession.protocol_id,
                                   _esketamine_protocol()))
        .outerjoin(RemsFiling, RemsFiling.session_id == TreatmentSession.id)
        .outerjoin(User, User.id == RemsFiling.filed_by_id)
        .where(TreatmentSession.dose_started_at_utc.is_not(None))
    )
    if not include_filed:
        query = query.where(RemsFiling.id.is_(None))
    rows = []
    for r in db.execute(query):
        treated = r.dose_started_at_utc.astimezone(tz).date()
        filed_on = r.filed_at_utc.astimezone(tz).date() if r.filed_at_utc else None
        rows.append(RemsRow(
            session_id=r.id, patient_name=f"{r.family_name}, {r.given_name}", mrn=r.mrn,
            treatment_date=treated, state=r.state, discharged=r.discharged_at_utc is not None,
            status=filing_status(treated, filed_on, today),
            filed_by=printed_name(r.full_name, r.credentials) if r.full_name else None,
            filed_at_utc=r.filed_at_utc, confirmation=r.confirmation,
        ))
    rows.sort(key=lambda row: (row.status.sort_key, row.treatment_date, row.session_id))
    return rows


# --- filing ---------------------------------------------------------------------------


def _already_filed(db: Session, session_id: int, tz: ZoneInfo) -> ValidationError | None:
    found = db.execute(
        select(RemsFiling.filed_at_utc, RemsFiling.confirmation, User.full_name,
               User.credentials)
        .join(User, User.id == RemsFiling.filed_by_id)
        .where(RemsFiling.session_id == session_id)
    ).one_or_none()
    if found is None:
        return None
    local = found.filed_at_utc.astimezone(tz)
    when = f"{local.day} {local:%b %Y %H:%M}"
    confirmation = f" (confirmation {found.confirmation})" if found.confirmation else ""
    return ValidationError.single(
        "session_id",
        f"This REMS form was already filed by {printed_name(found.full_name, found.credentials)} "
        f"on {when}{confirmation}; it is filed once.",
    )


def file_rems_form(
    db: Session,
    actor: Actor,
    session_id: int,
    *,
    confirmation: str | None,
    clock: Clock = system_clock,
) -> int:
    """Record that the session's monitoring form was filed with the REMS; returns the filing id.

    Only after the patient was discharged (the form covers the whole
    monitoring), and only once: a second filing is refused naming who filed it
    and when. ``confirmation`` is the number the REMS gave back (optional:
    a faxed form may have none).

    Raises:
        PermissionDenied: the actor's role may not file REMS forms.
        NotFound: no such session.
        ValidationError: not an esketamine session, already filed, or the
            confirmation number is too long.
        TransitionRefused: the patient has not been discharged yet.
    """
    authorize(db, actor, Permission.FILE_REMS)
    now = clock()
    tz = clinic_timezone(db)
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    record = db.get(ProtocolRecord, session.protocol_id)
    if record is None or not is_esketamine(record.drug, record.dosing_mode):
        raise ValidationError.single(
            "session_id", f"Session {session_id} is not an esketamine session; only "
            "intranasal esketamine (Spravato) sessions have a REMS form to file.")
    refusal = _already_filed(db, session_id, tz)
    if refusal is not None:
        raise refusal
    if session.discharged_at_utc is None:
        raise TransitionRefused([
            "The patient has not been discharged yet; file the REMS form once monitoring "
            "has ended and the patient has left."])
    number = (confirmation or "").strip() or None
    if number is not None and len(number) > MAX_CONFIRMATION_LENGTH:
        raise ValidationError.single(
            "confirmation", f"The confirmation number is {len(number)} characters long; "
            f"enter at most {MAX_CONFIRMATION_LENGTH}.")
    filing = RemsFiling(session_id=session_id, filed_at_utc=now, filed_by_id=actor.user_id,
                        confirmation=number, created_at_utc=now)
    db.add(filing)
    try:
        db.flush()
    except IntegrityError:
        # another workstation filed it between our check and this insert
        db.rollback()
        raise _already_filed(db, session_id, tz) or ValidationError.single(
            "session_id", "This REMS form was filed at the same moment elsewhere.") from None
    append_audit(db, actor, "create", at=now, table_name="rems_filings", row_id=filing.id,
                 patient_id=session.patient_id,
                 new={"session_id": session_id, "confirmation": number, "filed_at_utc": now})
    db.commit()
    return filing.id


# --- the printed form -------------------------------------------------------------------


def rems_document_data(db: Session, session_id: int) -> RemsFormDocument:
    """Gather the printed form's data (same refusals as :func:`rems_form`)."""
    form = rems_form(db, session_id)
    filed = db.execute(
        select(RemsFiling.filed_at_utc, RemsFiling.confirmation, User.full_name,
               User.credentials)
        .join(User, User.id == RemsFiling.filed_by_id)
        .where(RemsFiling.session_id == session_id)
    ).one_or_none()
    return RemsFormDocument(
        clinic=clinic(db), tz=clinic_timezone(db), form=form,
        filed_at_utc=filed.filed_at_utc if filed else None,
        filed_by=printed_name(filed.full_name, filed.credentials) if filed else None,
        confirmation=filed.confirmation if filed else None,
    )


def rems_pdf(db: Session, session_id: int) -> bytes:
    """The one-page PDF of the session's monitoring form.

    Raises:
        NotFound: no such session.
        ValidationError: the session is not an esketamine session.
        ReportError: the document could not be laid out.
    """
    # start-up: reportlab (about 0.5 s), only when a form is printed (see document_kinds)
    from ketalog.reports.rems_form import build_rems_form_pdf

    return build_rems_form_pdf(rems_document_data(db, session_id))
