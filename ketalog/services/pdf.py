"""Produce a chart document as PDF bytes: one call per document a user asks for.

Which documents there are, and how each is gathered and built, is the table in
:mod:`ketalog.services.document_kinds`; reportlab loads at the first document built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.reports.inputs import SessionSummaryData
from ketalog.services.audit import append_audit
from ketalog.services.clinic_certificate import sign_pdf
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.document_kinds import DocumentKind as DocumentKind
from ketalog.services.document_kinds import document_type
from ketalog.services.signing import PHYSICIAN_SIGNATURE
from ketalog.store.models import Course, TreatmentSession


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
    document = document_type(kind)
    if document.of_a_day:
        if not isinstance(key, date):
            raise ValidationError.single("key", f"The {document.title.lower()} needs a date "
                                         "(YYYY-MM-DD).")
    elif isinstance(key, date | bool) or not isinstance(key, int):
        raise ValidationError.single("key", f"The {document.kind.value} document needs a "
                                     "number id.")
    data = document.gather(db, key, as_of)
    pdf = document.build(data)
    if document.kind is DocumentKind.SESSION:
        return _sign_summary(db, data, pdf)
    return ProducedPdf(pdf)


def _sign_summary(db: Session, data: SessionSummaryData, pdf: bytes) -> ProducedPdf:
    """The summary signed by the clinic's certificate if, and only if, its signature holds."""
    status = data.signature
    if status is None or not status.valid or not data.signed:
        return ProducedPdf(pdf)  # the pages say DRAFT or SIGNATURE NOT VALID
    physician = [s for s in data.signatures if s.kind == PHYSICIAN_SIGNATURE][-1]
    name = status.signer_name or physician.signer_name
    signed = sign_pdf(db, pdf, reason=f"{physician.meaning} by {name}",
                      location=data.clinic.name)
    return ProducedPdf(signed.data, signed.signed, signed.note)


#: The row each controlled-substance record is printed from (its key is that row's id).
_BOOKS_TABLES = {
    DocumentKind.STOCK_COUNT: "stock_counts",
    DocumentKind.STOCK_INVENTORY: "stock_inventories",
    DocumentKind.STOCK_DESTRUCTION: "stock_entries",
    DocumentKind.STOCK_LOSS: "stock_losses",
}


def record_document(
    db: Session, actor: Actor, kind: DocumentKind | str, key: int | date, *, action: str,
    detail: str | None = None, clock: Clock = system_clock,
) -> None:
    """Audit that a chart document was produced, saved or printed, and for whom.

    ``action`` is ``pdf_produced``, ``pdf_saved`` or ``pdf_printed``; ``detail``
    says where it went (a file, a page count).
    """
    document = DocumentKind(kind)
    table: str | None = None
    row_id: int | None = None
    patient_id: int | None = None
    if isinstance(key, int) and not isinstance(key, bool):
        row_id = key
        if document.of_the_books:
            table = _BOOKS_TABLES[document]
        elif document is DocumentKind.COURSE:
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
