"""Documents in the app: built off the GUI thread, previewed, saved and printed."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.users import UserSummary
from ketalog.store.models import AuditEntry
from ketalog.ui.core.documents import PdfPreview, document_job
from ketalog.ui.main_window import MainWindow
from tests.staff import NURSE
from tests.ui.conftest import Chair, activate

NURSE_ACCOUNT = UserSummary(1, "nora", "Nora Reyes", "RN", "nurse")


def test_a_job_builds_the_summary_off_the_gui_thread(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")
    job = document_job(chair.ctx, "session", chair.session_id, NURSE)
    with qtbot.waitSignal(job.signals.done, timeout=10000) as done:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().start(job)
    pdf = done.args[0]
    assert pdf.startswith(b"%PDF")
    assert "Ñúñez" in PdfReader(BytesIO(pdf)).pages[0].extract_text()


def test_a_refusal_comes_back_as_a_message(qtbot: QtBot, chair: Chair) -> None:
    job = document_job(chair.ctx, "session", chair.session_id, NURSE)  # never checked in
    with qtbot.waitSignal(job.signals.failed, timeout=10000) as failed:
        job.run()
    assert "nothing to summarise" in failed.args[0]


def test_preview_saves_and_prints_the_same_pages(qtbot: QtBot, chair: Chair,
                                                 tmp_path: Path) -> None:
    chair.to("infusing")
    job = document_job(chair.ctx, "session", chair.session_id, NURSE)
    with qtbot.waitSignal(job.signals.done, timeout=10000) as done:
        job.run()
    recorded: list[tuple[str, str]] = []
    preview = PdfPreview(done.args[0], "Session summary", "s.pdf",
                         record=lambda action, detail: recorded.append((action, detail)))
    qtbot.addWidget(preview)
    pages = preview.document.pageCount()
    assert pages >= 1
    assert preview.save_to(tmp_path / "saved.pdf")
    assert (tmp_path / "saved.pdf").read_bytes() == done.args[0]
    assert not preview.save_to(tmp_path / "missing" / "x.pdf")
    assert "does not exist" in preview.message.text()
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert preview.print_to(printer) == pages
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == pages
    # one save and one print reached the audit callback; the failed save did not
    assert [a for a, _ in recorded] == ["pdf_saved", "pdf_printed"]


def test_ctrl_p_in_a_session_opens_the_chart_summary(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")
    window = MainWindow(chair.engine, "sqlite:///ui", clock=chair.clock, user=NURSE_ACCOUNT)
    qtbot.addWidget(window)
    activate(qtbot, window)
    window.open_session(chair.session_id)
    with qtbot.waitSignal(window.documents.opened, timeout=10000) as opened:
        qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    preview = opened.args[0]
    assert preview.windowTitle() == "Session summary"
    preview.close()
    with qtbot.waitSignal(window.documents.opened, timeout=10000) as opened:
        qtbot.mouseClick(window.session_page.course_button,  # type: ignore[union-attr]
                         Qt.MouseButton.LeftButton)
    assert opened.args[0].windowTitle() == "Course report"
    opened.args[0].close()
    window.show_board()
    with qtbot.waitSignal(window.documents.opened, timeout=10000) as opened:
        qtbot.mouseClick(window.board.day_log_button, Qt.MouseButton.LeftButton)
    assert opened.args[0].windowTitle() == "Day log"
    opened.args[0].close()
    with chair.db() as db:
        produced = db.scalars(select(AuditEntry).where(AuditEntry.action == "pdf_produced")
                              .order_by(AuditEntry.id)).all()
    assert [(r.field, r.username) for r in produced] == [
        ("session", "nora"), ("course", "nora"), ("day", "nora")]
    assert produced[0].patient_id is not None
