"""Every screen that shows a signature re-verifies it (issue 14, item 2).

A record changed after signing and a forged sign-off (state set by SQL and a
signature inserted with the hash recomputed, no audit row) read "SIGNATURE
NOT VALID" in red on the session page and the sign-off tab, and "NOT VALID"
on the board; a nursing attestation inserted by SQL is not shown as complete
on the physician's waiting list.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from ketalog.services.signing import complete_nursing_record
from ketalog.store.models import VitalSign
from ketalog.ui.board.board_page import BoardPage
from ketalog.ui.board.waiting_page import WaitingPage, WaitingTableModel
from ketalog.ui.core.documents import PdfPreview, document_job
from ketalog.ui.session.session_page import SessionPage
from tests.forgery import forge_signature
from tests.play import sign
from tests.staff import NURSE, password_of
from tests.tamper import tamper
from tests.ui.conftest import Chair

NOT_VALID = "SIGNATURE NOT VALID"


def _session_page(qtbot: QtBot, chair: Chair) -> SessionPage:
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    page.show_panel(8)
    return page


def _board_cell(qtbot: QtBot, chair: Chair) -> tuple[str, str]:
    board = BoardPage(chair.ctx)
    qtbot.addWidget(board)
    board.refresh()
    cell = board.model.index(0, board.model.SIGNED)
    return cell.data(), cell.data(Qt.ItemDataRole.ToolTipRole)


def _forge(chair: Chair) -> None:
    chair.to("discharged")
    with chair.db() as db:
        complete_nursing_record(db, NURSE, chair.session_id,
                                password=password_of(NURSE.username), clock=chair.clock)
        forge_signature(db, chair.engine, chair.session_id, chair.clock.advance(30))


def _red(style: str) -> bool:
    return "#b00000" in style or "#8b0000" in style


def test_a_forged_signature_is_not_valid_on_the_session_page_and_the_board(
    qtbot: QtBot, chair: Chair
) -> None:
    _forge(chair)
    page = _session_page(qtbot, chair)
    assert page.state.text().startswith(
        f"{NOT_VALID}: the signature is not made with the signer's key")
    assert _red(page.state.styleSheet())
    assert page.signing.status.text().startswith(f"⚠ {NOT_VALID}")
    assert _red(page.signing.status.styleSheet())
    assert "Verified" not in page.signing.verification.text()
    assert page.banner.isVisibleTo(page) and NOT_VALID in page.banner.text()
    shown, hint = _board_cell(qtbot, chair)
    assert shown == "⚠ NOT VALID"
    assert hint.startswith(f"{NOT_VALID}: the signature is not made with the signer's key")


def test_a_record_changed_after_signing_is_not_valid_everywhere(
    qtbot: QtBot, chair: Chair
) -> None:
    chair.to("discharged")
    with chair.db() as db:
        sign(db, chair.session_id, chair.clock)
        vital_id = db.scalars(select(VitalSign.id).where(
            VitalSign.session_id == chair.session_id).order_by(VitalSign.id)).first()
    page = _session_page(qtbot, chair)
    assert page.state.text() == "Signed"
    assert _board_cell(qtbot, chair)[0] == "✓ signed"
    tamper(chair.engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id",
           id=vital_id)
    page.reload()
    assert page.state.text() == f"{NOT_VALID}: the record was changed after signing"
    assert _red(page.state.styleSheet())
    assert page.signing.status.text() == (
        f"⚠ {NOT_VALID}: the record was changed after signing")
    assert _board_cell(qtbot, chair)[0] == "⚠ NOT VALID"


def test_a_nursing_attestation_inserted_by_sql_is_not_shown_as_complete(
    qtbot: QtBot, chair: Chair
) -> None:
    chair.to("discharged")
    with chair.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO signatures (session_id, signer_id, kind, meaning, signed_at_utc, "
            "content_sha256, signer_name, created_at_utc) VALUES (:sid, :uid, "
            "'nursing_attestation', 'Nursing record complete', :at, :sha, 'Nora Reyes, RN', "
            ":at)"), {"sid": chair.session_id, "uid": NURSE.user_id, "at": chair.clock(),
                      "sha": "0" * 64})
    waiting = WaitingPage(chair.ctx)
    qtbot.addWidget(waiting)
    assert waiting.refresh() == 1
    cell = waiting.model.index(0, WaitingTableModel.NURSING)
    assert cell.data().startswith("⚠ NOT VALID")
    # the key check names it first (an audit row can be appended by SQL; a signature cannot)
    assert "was not made with Nora Reyes, RN's key" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert waiting.heading.text().endswith("0 ready to sign")


def test_the_preview_and_the_print_of_a_forged_session_say_not_valid_on_every_page(
    qtbot: QtBot, chair: Chair, tmp_path: Path
) -> None:
    _forge(chair)
    job = document_job(chair.ctx, "session", chair.session_id, NURSE)
    with qtbot.waitSignal(job.signals.done, timeout=10000) as done:
        job.run()
    preview = PdfPreview(done.args[0], "Session summary", "s.pdf", record=lambda *_: None)
    qtbot.addWidget(preview)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert preview.print_to(printer) == preview.document.pageCount()
    shown = [page.extract_text() for page in PdfReader(BytesIO(done.args[0])).pages]
    assert shown and all(NOT_VALID in " ".join(text.split()) for text in shown)
    assert all("Status signed" not in " ".join(text.split()) for text in shown)
