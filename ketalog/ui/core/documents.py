"""Preview, save and print chart documents; they are built off the GUI thread.

The worker opens its own database session through ``UiContext.run`` and never
touches a widget; the PDF bytes come back by signal. Printing draws the pages
of that same PDF, so what is printed is what was previewed and saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.documents import DocumentKind
from ketalog.services.document_kinds import document_type
from ketalog.ui.core.context import UiContext
from ketalog.ui.widgets.windows import export_path, place_window, remember_export_folder

if TYPE_CHECKING:
    from ketalog.services.context import Actor
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.widgets import ActionButton, Button
from ketalog.ui.widgets.background import BackgroundJob, JobRefused, run_in_background

#: Each document's title as the screens show it, marked for the translators (the
#: registry's titles are the printed ones; a test keeps the two lists the same).
DOCUMENT_TITLES: dict[DocumentKind, str] = {
    DocumentKind.SESSION: QT_TRANSLATE_NOOP("Document", "Session summary"),
    DocumentKind.VISIT: QT_TRANSLATE_NOOP("Document", "Visit report"),
    DocumentKind.DAY: QT_TRANSLATE_NOOP("Document", "Day log"),
    DocumentKind.COURSE: QT_TRANSLATE_NOOP("Document", "Course report"),
    DocumentKind.REMS: QT_TRANSLATE_NOOP("Document", "Spravato REMS patient monitoring form"),
    DocumentKind.STOCK_COUNT: QT_TRANSLATE_NOOP("Document", "Controlled-substance count record"),
    DocumentKind.STOCK_INVENTORY: QT_TRANSLATE_NOOP("Document",
                                                    "Controlled-substance inventory"),
    DocumentKind.STOCK_DESTRUCTION: QT_TRANSLATE_NOOP(
        "Document", "Controlled-substance destruction record"),
    DocumentKind.STOCK_LOSS: QT_TRANSLATE_NOOP("Document",
                                               "Controlled-substance loss or theft record"),
}


def document_title(kind: DocumentKind | str) -> str:
    """The document's title in the workstation's language."""
    return translated("Document", DOCUMENT_TITLES[DocumentKind(kind)])

log = logging.getLogger(__name__)

def document_work(ctx: UiContext, kind: str, key: int | date,
                  actor: Actor) -> Callable[[], bytes]:
    """The work of building one document in a pool thread: its bytes, or a refusal.

    ``actor`` is read on the GUI thread: the signed-in user who asked.
    """

    def work() -> bytes:
        # start-up: reportlab and the PDF services (0.2-1 s) load on the first document
        from ketalog.reports.base import ReportError
        from ketalog.services.pdf import produce_pdf, record_document

        # read and laid out in a reading session (no save waits for the pages); then its
        # audit row in a short transaction of its own: a document nobody recorded is not shown
        try:
            built = ctx.read(lambda db: produce_pdf(db, kind, key, as_of=ctx.clock()))
        except ReportError as exc:
            raise JobRefused(str(exc)) from exc
        pdf = built.value
        if pdf is None:
            raise JobRefused(built.error or "The document could not be built.")
        recorded = ctx.run(lambda db: record_document(db, actor, kind, key,
                                                      action="pdf_produced",
                                                      detail=f"{len(pdf)} bytes",
                                                      clock=ctx.clock))
        if not recorded.ok:
            raise JobRefused(recorded.error or "The document could not be recorded.")
        return pdf

    return work


def document_job(ctx: UiContext, kind: str, key: int | date, actor: Actor) -> BackgroundJob:
    """One document job, not started (tests run it in their own thread)."""
    return BackgroundJob(document_work(ctx, kind, key, actor), f"document {kind}")


class PdfPreview(QDialog):
    """Shows a PDF and offers Save as PDF and Print (of the same pages)."""

    def __init__(self, pdf: bytes, title: str, suggested_name: str,
                 parent: QWidget | None = None,
                 record: Callable[[str, str], None] | None = None) -> None:
        super().__init__(parent)
        #: audits a save or print: record(action, detail)
        self.record = record or (lambda _action, _detail: None)
        self.setWindowTitle(title)
        self.pdf = pdf
        self.suggested_name = suggested_name
        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.message = MessageLabel()
        # saving and printing send the record out of the app (and are audited): a click
        # or their key, never a stray Space; Close may have the focus
        self.save_button = save = ActionButton(self.tr("Save as PDF..."), shortcut="Ctrl+S")
        save.clicked.connect(self.save_dialog)
        self.print_button = print_button = ActionButton(self.tr("Print..."), shortcut="Ctrl+P")
        print_button.clicked.connect(self.print_dialog)
        close = Button(self.tr("Close"), on_click=self.accept)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("%n pages", "", self.document.pageCount())))
        bar.addStretch(1)
        for button in (save, print_button, close):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        layout.addLayout(bar)
        place_window(self, "print preview", 900, 1000)

    def save_to(self, path: Path) -> bool:
        """Write the PDF completely or not at all; say what went wrong if it failed."""
        # start-up: reportlab and the PDF services (0.2-1 s) load on the first document
        from ketalog.reports.base import ReportError, write_pdf_atomic

        try:
            write_pdf_atomic(path, self.pdf)
        except ReportError as exc:
            self.message.show_error(str(exc))
            return False
        self.record("pdf_saved", str(path))
        self.message.show_info(self.tr("Saved %1").replace("%1", str(path)))
        return True

    def save_dialog(self) -> None:
        """Ask where to save."""
        name, _filter = QFileDialog.getSaveFileName(self, self.tr("Save as PDF"),
                                                    export_path(self.suggested_name),
                                                    "PDF (*.pdf)")
        if name and self.save_to(Path(name)):
            remember_export_folder(name)

    def print_to(self, printer: QPrinter) -> int:
        """Draw every page of the PDF onto the printer; returns the pages printed."""
        painter = QPainter()
        if not painter.begin(printer):
            self.message.show_error(self.tr("The printer could not be opened."))
            return 0
        try:
            area = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            for page in range(self.document.pageCount()):
                if page:
                    printer.newPage()
                points = self.document.pagePointSize(page)
                scale = min(area.width() / points.width(), area.height() / points.height())
                size = QSize(int(points.width() * scale), int(points.height() * scale))
                image = self.document.render(page, size)
                painter.drawImage(area.topLeft(), image)
        finally:
            painter.end()
        self.record("pdf_printed", f"{self.document.pageCount()} pages to {printer.printerName()}")
        return self.document.pageCount()

    def print_dialog(self) -> None:
        """Choose a printer, then print the previewed pages."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            printed = self.print_to(printer)
            if printed:
                self.message.show_info(self.tr("Sent %n pages to the printer.", "", printed))


class DocumentButtons(QObject):
    """Starts document jobs and opens a preview for each result."""

    failed = Signal(str)
    opened = Signal(object)  # PdfPreview

    def __init__(self, ctx: UiContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.window = parent
        self.previews: list[PdfPreview] = []

    def request(self, kind: str, key: int | date) -> BackgroundJob:
        """Build the document in the background; a preview opens when it is ready."""
        actor = self.ctx.actor()
        name = document_type(kind).file_name(key)
        log.info("document %s %s requested", kind, key)  # ids only, never the patient
        return run_in_background(
            document_work(self.ctx, kind, key, actor),
            done=lambda pdf: self._show(pdf, kind, key, name, actor),
            failed=self.failed.emit, owner=self, name=f"document {kind}")

    def _show(self, pdf: bytes, kind: str, key: int | date, name: str, actor: Actor) -> None:
        # start-up: reportlab and the PDF services (0.2-1 s) load on the first document
        from ketalog.services.pdf import record_document

        def record(action: str, detail: str) -> None:
            self.ctx.run(lambda db: record_document(db, actor, kind, key, action=action,
                                                    detail=detail, clock=self.ctx.clock))

        preview = PdfPreview(pdf, document_title(kind), name, self.window, record)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.previews.append(preview)
        preview.finished.connect(lambda _code: self.previews.remove(preview)
                                 if preview in self.previews else None)
        preview.show()
        self.opened.emit(preview)
