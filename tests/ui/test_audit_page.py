"""The administrator's audit trail window, driven with the mouse and keyboard."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from ketalog.services.audit import append_audit
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import register_patient
from ketalog.store.models import AuditEntry
from ketalog.ui.admin.audit_page import AuditDialog, AuditTableModel
from ketalog.ui.core.context import UiContext
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.staff import ADMIN, NURSE, PHYSICIAN, seed_staff
from tests.tamper import tamper

DAY = date(2030, 11, 21)


@dataclass
class Trail:
    engine: Engine
    ctx: UiContext
    actor: list[Actor]


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[Trail]:
    """Two patients registered on 2030-11-21 by nora and ada, then two edits by ada."""
    engine = open_database(copy_sqlite_template(tmp_path / 'audit.sqlite3'))
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    with factory() as db:
        register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                         birth_date=date(1980, 3, 14), mrn="MRN-A", clock=clock)
        clock.advance(10)
        b = register_patient(db, PHYSICIAN, family_name="Ångström", given_name="Zoë",
                             birth_date=date(1975, 1, 2), mrn="MRN-B", clock=clock)
        for field, old, new in (("phone", "555-0100", "555-0199"), ("sex", None, "F")):
            clock.advance(10)
            append_audit(db, PHYSICIAN, "update", at=clock(), table_name="patients",
                         row_id=b.id, patient_id=b.id, field=field, old=old, new=new)
        db.commit()
    actor: list[Actor] = [ADMIN]
    yield Trail(engine, UiContext(factory, ZoneInfo("UTC"), lambda: actor[0], clock), actor)
    engine.dispose()


def _open(qtbot: QtBot, trail: Trail) -> AuditDialog:
    dialog = AuditDialog(trail.ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _column(dialog: AuditDialog, column: int) -> list[str]:
    model = dialog.model
    return [model.index(r, column).data() for r in range(model.rowCount())]


def _click_header(qtbot: QtBot, dialog: AuditDialog, column: int) -> None:
    header = dialog.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))


def test_administrator_sees_the_day_newest_first(qtbot: QtBot, trail: Trail,
                                                 qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = _open(qtbot, trail)
    assert not dialog.message.isVisible()
    assert dialog.model.rowCount() == 4
    assert _column(dialog, AuditTableModel.TIME) == [
        "2030-11-21 09:30:00", "2030-11-21 09:20:00", "2030-11-21 09:10:00",
        "2030-11-21 09:00:00"]
    assert _column(dialog, AuditTableModel.PATIENT)[-1] == "MRN-A  Ñúñez, José"
    assert _column(dialog, AuditTableModel.CHANGE)[1] == "555-0100 -> 555-0199"
    assert dialog.count.text() == "4 rows"
    qtmodeltester.check(dialog.model)


def test_filters_narrow_the_list(qtbot: QtBot, trail: Trail) -> None:
    dialog = _open(qtbot, trail)
    qtbot.keyClicks(dialog.patient, "MRN-B")
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Return)
    assert set(_column(dialog, AuditTableModel.PATIENT)) == {"MRN-B  Ångström, Zoë"}
    assert dialog.model.rowCount() == 3

    dialog.action.setCurrentIndex(dialog.action.findData("update"))
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert _column(dialog, AuditTableModel.TARGET) == ["patients/2/sex", "patients/2/phone"]

    dialog.patient.clear()
    dialog.action.setCurrentIndex(0)
    dialog.user.setCurrentText("nora")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert _column(dialog, AuditTableModel.USER) == ["nora"]

    dialog.user.setCurrentText("")
    dialog.date_from.setDate(QDate(2030, 11, 22))
    dialog.date_to.setDate(QDate(2030, 11, 22))
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 0


def test_unknown_patient_is_a_message(qtbot: QtBot, trail: Trail) -> None:
    dialog = _open(qtbot, trail)
    qtbot.keyClicks(dialog.patient, "K404")
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Return)
    assert dialog.message.isVisible()
    assert "No patient has the MRN 'K404'" in dialog.message.text()
    assert dialog.model.rowCount() == 0


def test_header_click_sorts_in_the_query(qtbot: QtBot, trail: Trail) -> None:
    dialog = _open(qtbot, trail)
    header = dialog.table.horizontalHeader()
    _click_header(qtbot, dialog, AuditTableModel.USER)
    users = _column(dialog, AuditTableModel.USER)
    order = header.sortIndicatorOrder()
    expected = sorted(users, reverse=order == Qt.SortOrder.DescendingOrder)
    assert users == expected and users[0] in {"ada", "nora"}
    assert header.sortIndicatorSection() == AuditTableModel.USER
    _click_header(qtbot, dialog, AuditTableModel.USER)
    assert _column(dialog, AuditTableModel.USER) == list(reversed(expected))

    _click_header(qtbot, dialog, AuditTableModel.TIME)
    times = _column(dialog, AuditTableModel.TIME)
    assert times in (sorted(times), sorted(times, reverse=True)) and len(set(times)) == 4

    # the values column cannot be sorted: the order and its arrow stay
    _click_header(qtbot, dialog, AuditTableModel.CHANGE)
    assert header.sortIndicatorSection() == AuditTableModel.TIME
    assert _column(dialog, AuditTableModel.TIME) == times


def test_verify_chain_button(qtbot: QtBot, trail: Trail) -> None:
    dialog = _open(qtbot, trail)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in dialog.chain.text(), timeout=5000)
    assert dialog.chain.isVisible()
    assert "Audit trail intact: 8 rows." in dialog.chain.text()  # 4 protocols + 4 above

    with trail.engine.connect() as conn:
        victim = conn.scalar(select(AuditEntry.id).where(AuditEntry.field == "phone"))
    tamper(trail.engine, "UPDATE audit_log SET new_value = '555-0000' WHERE id = :id",
           id=victim)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "BROKEN" in dialog.chain.text(), timeout=5000)
    assert f"row {victim}: its content does not match its hash (edited)" in dialog.chain.text()
    assert dialog.verify_button.isEnabled()


def test_verify_reports_a_trail_shortened_after_its_anchor(qtbot: QtBot, trail: Trail) -> None:
    """The chain alone said "intact" once the newest rows were gone; the anchor tells."""
    dialog = _open(qtbot, trail)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in dialog.chain.text(), timeout=5000)
    assert "Anchored at row" in dialog.chain.text()

    with trail.engine.connect() as conn:
        last = conn.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    tamper(trail.engine, "DELETE FROM audit_log WHERE id = :id", id=last)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "NOT intact" in dialog.chain.text(), timeout=5000)
    assert f"row {last}, anchored on" in dialog.chain.text()
    assert "it was shortened or emptied" in dialog.chain.text()


def test_export_csv(qtbot: QtBot, trail: Trail, tmp_path: Path) -> None:
    dialog = _open(qtbot, trail)
    target = tmp_path / "audit.csv"
    dialog.export_to(target)
    qtbot.waitUntil(lambda: "Wrote" in dialog.message.text(), timeout=5000)
    assert dialog.message.text() == f"Wrote 4 rows to {target}."
    with target.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.DictReader(f))
    assert [r["field"] for r in records] == ["sex", "phone", "", ""]

    dialog.export_to(tmp_path / "missing" / "audit.csv")
    qtbot.waitUntil(lambda: "does not exist" in dialog.message.text(), timeout=5000)


def test_nurse_is_refused_with_the_services_message(qtbot: QtBot, trail: Trail) -> None:
    trail.actor[0] = NURSE
    dialog = _open(qtbot, trail)
    assert dialog.message.isVisible()
    assert ("Only an administrator can view the audit trail; Nora Reyes (nora) is a nurse."
            in dialog.message.text())
    assert dialog.model.rowCount() == 0
    assert dialog.user.count() == 1  # no user list either

    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "administrator" in dialog.chain.text(), timeout=5000)
    assert "intact" not in dialog.chain.text()


def test_closing_during_verify_is_harmless(qtbot: QtBot, trail: Trail) -> None:
    """The result of a check still running when the window goes is dropped quietly."""
    import shiboken6
    from PySide6.QtCore import QThreadPool

    dialog = AuditDialog(trail.ctx)
    dialog.show()
    dialog.verify()
    shiboken6.delete(dialog)
    QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)  # deliver the queued result, if anything still listens
    assert not shiboken6.isValid(dialog)


def test_headers_name_the_zone_and_say_which_columns_sort(qtbot: QtBot, trail: Trail) -> None:
    dialog = _open(qtbot, trail)
    model = dialog.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["Time (UTC)", "User", "Workstation", "Patient", "Action",
                      "Table / row / field", "Old \u2192 new"]
    tips = [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            for c in range(model.columnCount())]
    assert tips == ["Click to sort by this column"] * 6 + ["Not sortable"]
    # the full time in UTC and the values before and after stay one hover away
    assert "UTC\nAudit row" in model.index(0, AuditTableModel.TIME).data(
        Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, AuditTableModel.CHANGE).data(Qt.ItemDataRole.ToolTipRole) == (
        "Old: 555-0100\nNew: 555-0199")
