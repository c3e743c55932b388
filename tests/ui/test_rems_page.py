"""The REMS forms dialog driven as a nurse would: overdue in red, mark filed, print."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.rems import FilingState, filing_status
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.rems import RemsRow, file_rems_form
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import AuditEntry, RemsFiling
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import OVERDUE_TEXT
from ketalog.ui.course.rems_page import RemsDialog, RemsTableModel
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.services.test_rems import book_esketamine, discharged_esketamine, dose_esketamine
from tests.staff import ADMIN, NURSE, PHYSICIAN, seed_staff


@dataclass
class Clinic:
    """Two discharged esketamine sessions 8 days apart and one still being monitored."""

    engine: Engine
    factory: sessionmaker[Session]
    clock: FakeClock
    ctx: UiContext
    overdue: int  # treated 21 Nov, due 28 Nov: overdue by 1 day on 29 Nov
    recent: int  # treated 29 Nov: due in 7 days
    monitoring: int  # dosed today, not discharged

    def filings(self) -> list[RemsFiling]:
        with self.factory() as db:
            return list(db.scalars(select(RemsFiling).order_by(RemsFiling.id)))


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    engine = open_database(copy_sqlite_template(tmp_path / 'rems.sqlite3'))
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        set_clinic_timezone(db, ADMIN, "UTC")
        overdue = discharged_esketamine(db, clock, family="Older", given="Ana").session_id
        clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
        recent = discharged_esketamine(db, clock, family="Newer", given="Ben").session_id
        monitoring = book_esketamine(db, clock, family="Chair", given="Cy").session_id
        dose_esketamine(db, clock, monitoring)
    ctx = UiContext(factory, ZoneInfo("UTC"), lambda: NURSE, clock)
    yield Clinic(engine, factory, clock, ctx, overdue, recent, monitoring)
    engine.dispose()


def _dialog(qtbot: QtBot, clinic: Clinic) -> RemsDialog:
    dialog = RemsDialog(clinic.ctx)
    qtbot.addWidget(dialog)
    dialog.show()  # showing loads the list
    return dialog


def _cells(dialog: RemsDialog, row: int) -> list[str]:
    model = dialog.model
    return [model.index(row, c).data() for c in range(model.columnCount())]


def _select(qtbot: QtBot, dialog: RemsDialog, session_id: int) -> None:
    ids = [dialog.model.row_at(r).session_id for r in range(dialog.model.rowCount())]
    row = ids.index(session_id)
    rect = dialog.table.visualRect(dialog.model.index(row, RemsTableModel.PATIENT))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.selected() is not None and dialog.selected().session_id == session_id


def test_overdue_first_in_red_and_marked(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    assert dialog.model.rowCount() == 3
    assert _cells(dialog, 0) == ["Sat 21 Nov 2026", "Older, Ana", _cells(dialog, 0)[2],
                                 "⚠ OVERDUE BY 1 DAY", "-1", ""]
    assert _cells(dialog, 1)[1:2] + _cells(dialog, 1)[3:5] == ["Newer, Ben", "due in 7 days", "7"]
    assert _cells(dialog, 2)[1:2] + _cells(dialog, 2)[3:4] == [
        "Chair, Cy", "due in 7 days (still being monitored)"]
    status = dialog.model.index(0, RemsTableModel.STATUS)
    assert status.data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_TEXT
    assert status.data(Qt.ItemDataRole.FontRole).bold()
    assert dialog.model.index(1, RemsTableModel.STATUS).data(
        Qt.ItemDataRole.ForegroundRole) is None
    assert dialog.heading.text() == "REMS forms: 1 overdue, 2 to file"


def test_mark_filed_asks_the_confirmation_and_updates_screen_and_database(
        qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    _select(qtbot, dialog, clinic.overdue)
    assert dialog.mark_button.isEnabled()
    qtbot.mouseClick(dialog.mark_button, Qt.MouseButton.LeftButton)
    asked = dialog.mark_dialog
    assert asked is not None and asked.isVisible()
    qtbot.keyClicks(asked.confirmation, "RX-20261129")
    qtbot.mouseClick(asked.file_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not asked.isVisible())

    [filing] = clinic.filings()
    assert (filing.session_id, filing.confirmation, filing.filed_by_id) == (
        clinic.overdue, "RX-20261129", 1)
    # the form moved to the end of the list, filed, still selected
    last = dialog.model.rowCount() - 1
    assert _cells(dialog, last)[3:] == ["✓ filed on 29 Nov 2026, 1 day late", "",
                                        "Nora Reyes, RN"]
    assert dialog.selected() is not None and dialog.selected().session_id == clinic.overdue
    assert dialog.model.index(last, RemsTableModel.STATUS).data(
        Qt.ItemDataRole.ForegroundRole) is None
    assert not dialog.mark_button.isEnabled()
    assert "Already filed on 29 Nov 2026" in dialog.mark_button.toolTip()
    assert dialog.heading.text() == "REMS forms: 0 overdue, 2 to file"
    assert dialog.message.text() == "Older, Ana: REMS form filed on 29 Nov 2026, 1 day late."

    qtbot.mouseClick(dialog.show_filed, Qt.MouseButton.LeftButton)
    assert not dialog.show_filed.isChecked()
    assert [dialog.model.row_at(r).session_id for r in range(dialog.model.rowCount())] == [
        clinic.recent, clinic.monitoring]


def test_a_form_filed_meanwhile_elsewhere_is_refused_in_the_dialog(qtbot: QtBot,
                                                                   clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    _select(qtbot, dialog, clinic.recent)
    qtbot.mouseClick(dialog.mark_button, Qt.MouseButton.LeftButton)
    asked = dialog.mark_dialog
    assert asked is not None
    with clinic.factory() as db:  # the physician files it on another workstation
        file_rems_form(db, PHYSICIAN, clinic.recent, confirmation="RX-1", clock=clinic.clock)
    qtbot.keyClicks(asked.confirmation, "RX-2")
    qtbot.mouseClick(asked.file_button, Qt.MouseButton.LeftButton)
    assert asked.isVisible()
    assert asked.message.text() == (
        "⚠ This REMS form was already filed by Ada Lindqvist, MD on 29 Nov 2026 11:06 "
        "(confirmation RX-1); it is filed once.")
    assert [(f.confirmation, f.filed_by_id) for f in clinic.filings()] == [("RX-1", 3)]


def test_a_session_still_being_monitored_cannot_be_marked_filed(qtbot: QtBot,
                                                                clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    _select(qtbot, dialog, clinic.monitoring)
    assert not dialog.mark_button.isEnabled()
    assert "still being monitored" in dialog.mark_button.toolTip()
    assert dialog.pdf_button.isEnabled()  # the form so far can be printed


def test_print_or_save_builds_the_selected_form_and_audits_it(qtbot: QtBot, clinic: Clinic,
                                                              tmp_path: Path) -> None:
    dialog = _dialog(qtbot, clinic)
    _select(qtbot, dialog, clinic.recent)
    with qtbot.waitSignal(dialog.preview_opened, timeout=20000) as opened:
        qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    preview = opened.args[0]
    assert preview.pdf.startswith(b"%PDF") and preview.document.pageCount() == 1
    assert preview.windowTitle() == "Spravato REMS patient monitoring form"
    assert preview.suggested_name == f"rems-{clinic.recent}.pdf"
    target = tmp_path / "form.pdf"
    assert preview.save_to(target)
    assert target.read_bytes() == preview.pdf
    with clinic.factory() as db:
        rows = db.execute(select(AuditEntry.action, AuditEntry.field, AuditEntry.row_id)
                          .where(AuditEntry.field == "rems").order_by(AuditEntry.id)).all()
    assert [tuple(r) for r in rows] == [("pdf_produced", "rems", clinic.recent),
                                        ("pdf_saved", "rems", clinic.recent)]
    preview.close()


def test_enter_opens_the_session(qtbot: QtBot, clinic: Clinic) -> None:
    dialog = _dialog(qtbot, clinic)
    _select(qtbot, dialog, clinic.recent)
    with qtbot.waitSignal(dialog.open_session) as opened:
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert opened.args == [clinic.recent]


def test_rems_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 12, 1)
    at = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    model = RemsTableModel()
    model.set_rows([
        RemsRow(1, "Older, Ana", "K1", date(2026, 11, 20), "signed", True,
                filing_status(date(2026, 11, 20), None, today), None, None, None),
        RemsRow(2, "Newer, Ben", "K2", date(2026, 11, 21), "signed", True,
                filing_status(date(2026, 11, 21), date(2026, 11, 22), today), "Nora Reyes, RN",
                at, "RX-1"),
    ])
    qtmodeltester.check(model)
    assert model.row_at(1).status.state is FilingState.FILED
    assert model.index(1, RemsTableModel.STATUS).data() == "✓ filed on 22 Nov 2026"
    assert "RX-1" in model.index(1, RemsTableModel.STATUS).data(Qt.ItemDataRole.ToolTipRole)
