"""The documents ketalog prints, each once: its title, how its data is gathered and built.

The window, the command line and :mod:`ketalog.services.pdf` all read this
table, so a document added here is offered everywhere with the same title and
file name. Gathering reads the database (services); building lays the pages
out (reports, with reportlab).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from ketalog.domain.documents import DocumentKind as DocumentKind
from ketalog.reports.inputs import (
    COURSE_REPORT_TITLE,
    DAY_LOG_TITLE,
    REMS_FORM_TITLE,
    SESSION_SUMMARY_TITLE,
    VISIT_REPORT_TITLE,
    CourseReportData,
    DayLogData,
    RemsFormDocument,
    SessionSummaryData,
    VisitReportData,
)
from ketalog.reports.stock_inputs import (
    COUNT_TITLE,
    DESTRUCTION_TITLE,
    INVENTORY_TITLE,
    LOSS_TITLE,
    CountSheet,
    DestructionRecord,
    Inventory,
    LossRecord,
)
from ketalog.services import documents
from ketalog.services.context import SYSTEM
from ketalog.services.rems import rems_document_data

Data = TypeVar("Data")


@dataclass(frozen=True)
class DocumentType(Generic[Data]):
    """One kind of document: what it is called, what it is of, how it is made."""

    kind: DocumentKind
    title: str
    #: the day log is of a date; every other document of a session or course id
    of_a_day: bool
    #: the plain data from the database, as of a printing moment (None: now)
    gather: Callable[[Session, Any, datetime | None], Data]
    #: the PDF bytes from that data
    build: Callable[[Data], bytes]

    def file_name(self, key: int | date) -> str:
        """The name a saved copy is offered under ("session-12.pdf", "day-2026-11-21.pdf")."""
        return f"{self.kind.value}-{key}.pdf"


# The renderers import reportlab (about 0.5 s on the 2-core machine, measured with
# `python -c "import reportlab.platypus, reportlab.graphics.shapes"`): each builder
# loads its renderer at the first document, so starting the app and the command
# line's other commands do not pay for it.

def _build_session_summary(data: SessionSummaryData) -> bytes:
    from ketalog.reports.session_summary import build_session_summary  # start-up: reportlab

    return build_session_summary(data)


def _build_visit_report(data: VisitReportData) -> bytes:
    from ketalog.reports.visit_report import build_visit_report  # start-up: reportlab

    return build_visit_report(data)


def _build_day_log(data: DayLogData) -> bytes:
    from ketalog.reports.day_log import build_day_log  # start-up: reportlab

    return build_day_log(data)


def _build_course_report(data: CourseReportData) -> bytes:
    from ketalog.reports.course_report import build_course_report  # start-up: reportlab

    return build_course_report(data)


def _build_rems_form(data: RemsFormDocument) -> bytes:
    from ketalog.reports.rems_form import build_rems_form_pdf  # start-up: reportlab

    return build_rems_form_pdf(data)


def _build_stock_count(data: CountSheet) -> bytes:
    from ketalog.reports.stock_count import build_count  # start-up: reportlab

    return build_count(data)


def _build_stock_inventory(data: Inventory) -> bytes:
    from ketalog.reports.stock_inventory import build_inventory  # start-up: reportlab

    return build_inventory(data)


def _build_stock_destruction(data: DestructionRecord) -> bytes:
    from ketalog.reports.stock_destruction import build_destruction  # start-up: reportlab

    return build_destruction(data)


def _build_stock_loss(data: LossRecord) -> bytes:
    from ketalog.reports.stock_loss import build_loss  # start-up: reportlab

    return build_loss(data)


# The controlled-substance records state what was signed: no printing moment. Every
# member of staff may read the books (Permission.VIEW_STOCK_RECORDS), and this table is
# reached only by a signed-in window or the command line, so the records are read as
# the system does; the caller audits who produced the document (services.pdf).

# The stock books' services (stock_reports with stock_counts and stock_movements: 42 ms
# measured with `python -X importtime -c "import ketalog.services.document_kinds"` on the
# 2-core machine while it ran the suite) load at the first stock record printed, not with
# the main window's document buttons while it prepares the board.

def _stock_count_data(db: Session, count_id: int, _as_of: datetime | None) -> CountSheet:
    from ketalog.services.stock_reports import count_input  # start-up: see above

    return count_input(db, SYSTEM, count_id=count_id)


def _stock_inventory_data(db: Session, inventory_id: int, _as_of: datetime | None) -> Inventory:
    from ketalog.services.stock_counts import inventory_record  # start-up: see above
    from ketalog.services.stock_reports import inventory_input  # start-up: see above

    place = inventory_record(db, inventory_id).location.location_id
    return inventory_input(db, SYSTEM, location_id=place, inventory_id=inventory_id)


def _stock_destruction_data(db: Session, entry_id: int,
                            _as_of: datetime | None) -> DestructionRecord:
    from ketalog.services.stock_reports import destruction_act_input  # start-up: see above

    return destruction_act_input(db, SYSTEM, entry_id=entry_id)


def _stock_loss_data(db: Session, loss_id: int, _as_of: datetime | None) -> LossRecord:
    from ketalog.services.stock_reports import loss_input  # start-up: see above

    return loss_input(db, SYSTEM, loss_id=loss_id)


def _course_report_data(db: Session, course_id: int, _as_of: datetime | None) -> CourseReportData:
    """The course report states the course as stored: it has no printing moment."""
    return documents.course_report_data(db, course_id)


def _rems_form_data(db: Session, session_id: int, _as_of: datetime | None) -> RemsFormDocument:
    """The REMS form is of what was recorded: it has no printing moment."""
    return rems_document_data(db, session_id)


DOCUMENTS: Mapping[DocumentKind, DocumentType[Any]] = MappingProxyType({
    DocumentKind.SESSION: DocumentType(DocumentKind.SESSION, SESSION_SUMMARY_TITLE, False,
                                       documents.session_summary_data, _build_session_summary),
    DocumentKind.VISIT: DocumentType(DocumentKind.VISIT, VISIT_REPORT_TITLE, False,
                                     documents.visit_report_data, _build_visit_report),
    DocumentKind.DAY: DocumentType(DocumentKind.DAY, DAY_LOG_TITLE, True,
                                   documents.day_log_data, _build_day_log),
    DocumentKind.COURSE: DocumentType(DocumentKind.COURSE, COURSE_REPORT_TITLE, False,
                                      _course_report_data, _build_course_report),
    DocumentKind.REMS: DocumentType(DocumentKind.REMS, REMS_FORM_TITLE, False,
                                    _rems_form_data, _build_rems_form),
    DocumentKind.STOCK_COUNT: DocumentType(DocumentKind.STOCK_COUNT, COUNT_TITLE, False,
                                           _stock_count_data, _build_stock_count),
    DocumentKind.STOCK_INVENTORY: DocumentType(
        DocumentKind.STOCK_INVENTORY, INVENTORY_TITLE, False, _stock_inventory_data,
        _build_stock_inventory),
    DocumentKind.STOCK_DESTRUCTION: DocumentType(
        DocumentKind.STOCK_DESTRUCTION, DESTRUCTION_TITLE, False, _stock_destruction_data,
        _build_stock_destruction),
    DocumentKind.STOCK_LOSS: DocumentType(DocumentKind.STOCK_LOSS, LOSS_TITLE, False,
                                          _stock_loss_data, _build_stock_loss),
})

def document_type(kind: DocumentKind | str) -> DocumentType[Any]:
    """The document of ``kind`` (a DocumentKind or its name)."""
    return DOCUMENTS[DocumentKind(kind)]
