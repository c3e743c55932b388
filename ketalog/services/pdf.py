"""Produce a chart document as PDF bytes: one call per document a user asks for.

reportlab loads only here, on first use, so starting the app does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.services.context import Actor, Clock, system_clock

if TYPE_CHECKING:
    from ketalog.services.documents import SessionSummaryData


class DocumentKind(StrEnum):
    """The documents ketalog prints."""

    SESSION = "session"  # session summary, the chart copy
    VISIT = "visit"  # the patient's take-home report
    DAY = "day"  # the day log
    COURSE = "course"  # the course report
    REMS = "rems"  # a session's esketamine REMS monitoring form


@dataclass(frozen=True)
class ProducedPdf:
    """A document's bytes, and whether they carry the clinic's PDF signature."""

    data: bytes
    #: the clinic's document certificate signed the file (a validly signed session summary)
    pdf_signed: bool = False
    #: why a document that should carry the PDF signature does not ("" otherwise)
    note: str = ""


def produce_pdf(db: Session, kind: DocumentKind | str, key: int | date, *,
                as_of: datetime | None = None) -> bytes:
    """The document's bytes (see :func:`produce_document`)."""
    return produce_document(db, kind, key, as_of=as_of).data


def produce_document(db: Session, kind: DocumentKind | str, key: int | date, *,
                     as_of: datetime | None = None) -> ProducedPdf:
    """Gather the data and build the document; ``key`` is an id, or a date for the day log.

    The session summary of a session whose physician signature is VALID at
    the printing moment is signed with the clinic's document certificate
    (services.clinic_certificate); the reason names the physician and the
    meaning. Any other document, or a session not validly signed, is never
    PDF-signed; without a certificate the summary comes out unsigned, with a
    note saying so.

    ``as_of`` is the printing moment (the caller's clock; default the wall
    clock): a document printed mid-infusion states what the pump had delivered
    by then, and says the infusion is still in progress.

    Raises:
        NotFound: no such session or course (or too little data to summarise).
        ValidationError: ``key`` is of the wrong kind for the document.
        ReportError: the document could not be laid out.
    """
    from ketalog.services import documents

    document = DocumentKind(kind)
    if document is DocumentKind.DAY:
        if not isinstance(key, date):
            raise ValidationError.single("key", "The day log needs a date (YYYY-MM-DD).")
        from ketalog.reports.day_log import build_day_log

        return ProducedPdf(build_day_log(documents.day_log_data(db, key, as_of)))
    if isinstance(key, date | bool) or not isinstance(key, int):
        raise ValidationError.single("key", f"The {document.value} document needs a number id.")
    if document is DocumentKind.SESSION:
        from ketalog.reports.session_summary import build_session_summary

        data = documents.session_summary_data(db, key, as_of)
        return _sign_summary(db, data, build_session_summary(data))
    if document is DocumentKind.VISIT:
        from ketalog.reports.visit_report import build_visit_report

        return ProducedPdf(build_visit_report(documents.visit_report_data(db, key, as_of)))
    if document is DocumentKind.REMS:
        from ketalog.services.rems import rems_pdf

        return ProducedPdf(rems_pdf(db, key))
    from ketalog.reports.course_report import build_course_report

    return ProducedPdf(build_course_report(documents.course_report_data(db, key)))


def _sign_summary(db: Session, data: SessionSummaryData, pdf: bytes) -> ProducedPdf:
    """The summary signed by the clinic's certificate if, and only if, its signature holds."""
    from ketalog.services.signing import PHYSICIAN_SIGNATURE

    status = data.signature
    if status is None or not status.valid or not data.signed:
        return ProducedPdf(pdf)  # the pages say DRAFT or SIGNATURE NOT VALID
    from ketalog.services.clinic_certificate import sign_pdf

    physician = [s for s in data.signatures if s.kind == PHYSICIAN_SIGNATURE][-1]
    name = status.signer_name or physician.signer_name
    signed = sign_pdf(db, pdf, reason=f"{physician.meaning} by {name}",
                      location=data.clinic.name)
    return ProducedPdf(signed.data, signed.signed, signed.note)


def record_document(
    db: Session, actor: Actor, kind: DocumentKind | str, key: int | date, *, action: str,
    detail: str | None = None, clock: Clock = system_clock,
) -> None:
    """Audit that a chart document was produced, saved or printed, and for whom.

    ``action`` is ``pdf_produced``, ``pdf_saved`` or ``pdf_printed``; ``detail``
    says where it went (a file, a page count).
    """
    from sqlalchemy import select

    from ketalog.services.audit import append_audit
    from ketalog.store.models import Course, TreatmentSession

    document = DocumentKind(kind)
    table: str | None = None
    row_id: int | None = None
    patient_id: int | None = None
    if isinstance(key, int) and not isinstance(key, bool):
        row_id = key
        if document is DocumentKind.COURSE:
            table = "courses"
            patient_id = db.scalar(select(Course.patient_id).where(Course.id == key))
        else:
            table = "treatment_sessions"
            patient_id = db.scalar(select(TreatmentSession.patient_id)
                                   .where(TreatmentSession.id == key))
    append_audit(db, actor, action, at=clock(), table_name=table, row_id=row_id,
                 patient_id=patient_id, field=document.value,
                 new=detail if detail is not None else str(key))
    db.commit()
