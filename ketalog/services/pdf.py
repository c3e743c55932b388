"""Produce a chart document as PDF bytes: one call per document a user asks for.

reportlab loads only here, on first use, so starting the app does not pay for it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.services.context import Actor, Clock, system_clock


class DocumentKind(StrEnum):
    """The documents ketalog prints."""

    SESSION = "session"  # session summary, the chart copy
    VISIT = "visit"  # the patient's take-home report
    DAY = "day"  # the day log
    COURSE = "course"  # the course report
    REMS = "rems"  # a session's esketamine REMS monitoring form


def produce_pdf(db: Session, kind: DocumentKind | str, key: int | date, *,
                as_of: datetime | None = None) -> bytes:
    """Gather the data and build the document; ``key`` is an id, or a date for the day log.

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

        return build_day_log(documents.day_log_data(db, key, as_of))
    if isinstance(key, date | bool) or not isinstance(key, int):
        raise ValidationError.single("key", f"The {document.value} document needs a number id.")
    if document is DocumentKind.SESSION:
        from ketalog.reports.session_summary import build_session_summary

        return build_session_summary(documents.session_summary_data(db, key, as_of))
    if document is DocumentKind.VISIT:
        from ketalog.reports.visit_report import build_visit_report

        return build_visit_report(documents.visit_report_data(db, key, as_of))
    if document is DocumentKind.REMS:
        from ketalog.services.rems import rems_pdf

        return rems_pdf(db, key)
    from ketalog.reports.course_report import build_course_report

    return build_course_report(documents.course_report_data(db, key))


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
