"""Produce a chart document as PDF bytes: one call per document a user asks for.

reportlab loads only here, on first use, so starting the app does not pay for it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError


class DocumentKind(StrEnum):
    """The documents ketalog prints."""

    SESSION = "session"  # session summary, the chart copy
    VISIT = "visit"  # the patient's take-home report
    DAY = "day"  # the day log
    COURSE = "course"  # the course report


def produce_pdf(db: Session, kind: DocumentKind | str, key: int | date) -> bytes:
    """Gather the data and build the document; ``key`` is an id, or a date for the day log.

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

        return build_day_log(documents.day_log_data(db, key))
    if isinstance(key, date | bool) or not isinstance(key, int):
        raise ValidationError.single("key", f"The {document.value} document needs a number id.")
    if document is DocumentKind.SESSION:
        from ketalog.reports.session_summary import build_session_summary

        return build_session_summary(documents.session_summary_data(db, key))
    if document is DocumentKind.VISIT:
        from ketalog.reports.visit_report import build_visit_report

        return build_visit_report(documents.visit_report_data(db, key))
    from ketalog.reports.course_report import build_course_report

    return build_course_report(documents.course_report_data(db, key))
