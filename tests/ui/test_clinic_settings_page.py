"""The administrator's clinic settings window: each field saved when accepted, refusals shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.services.documents import clinic
from ketalog.services.settings import clinic_chairs
from ketalog.store.models import AuditEntry
from ketalog.ui.admin.clinic_settings_page import ClinicSettingsDialog
from tests.staff import ADMIN, NURSE
from tests.ui.conftest import Chair, activate


def _dialog(chair: Chair, qtbot: QtBot) -> ClinicSettingsDialog:
    chair.actor[0] = ADMIN
    dialog = ClinicSettingsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def _type(qtbot: QtBot, dialog: ClinicSettingsDialog, key: str, text: str) -> None:
    field = dialog.fields[key]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def _audit(chair: Chair) -> int:
    with chair.db() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_the_clinic_name_typed_and_entered_is_on_the_next_document(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    assert dialog.fields["clinic_name"].text() == "ketalog clinic"
    assert dialog.fields["clinic_name"].hasFocus()
    _type(qtbot, dialog, "clinic_name", "Riverside Ketamine Clinic")
    assert dialog.messages["clinic_name"].text() == "Saved."
    with chair.db() as db:
        assert clinic(db).name == "Riverside Ketamine Clinic"
    _type(qtbot, dialog, "chairs", "Recliner A, Recliner B")
    with chair.db() as db:
        assert clinic_chairs(db) == ["Recliner A", "Recliner B"]


def test_a_bad_zone_is_refused_under_its_field_and_nothing_is_stored(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    before = _audit(chair)
    _type(qtbot, dialog, "clinic_timezone", "Mars/Olympus")
    message = dialog.messages["clinic_timezone"]
    assert message.isVisible() and "'Mars/Olympus' is not a time zone name" in message.text()
    assert dialog.fields["clinic_timezone"].text() == "Mars/Olympus"  # kept for correcting
    assert _audit(chair) == before


def test_leaving_an_unchanged_field_stores_nothing(chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    before = _audit(chair)
    qtbot.keyClick(dialog.fields["clinic_name"], Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.fields["clinic_address"], Qt.Key.Key_Tab)
    assert _audit(chair) == before


def test_the_logo_is_previewed(chair: Chair, qtbot: QtBot, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    image = QImage(120, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    assert image.save(str(logo))
    dialog = _dialog(chair, qtbot)
    _type(qtbot, dialog, "clinic_logo_path", str(logo))
    assert dialog.messages["clinic_logo_path"].text() == "Saved."
    assert not dialog.logo_preview.pixmap().isNull()
    # another workstation, where the file never was: the stored picture is shown
    logo.unlink()
    elsewhere = _dialog(chair, qtbot)
    assert not elsewhere.logo_preview.pixmap().isNull()
    assert elsewhere.logo_preview.pixmap().width() > elsewhere.logo_preview.pixmap().height()


def test_a_nurse_sees_the_refusal_and_no_editable_field(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = NURSE
    dialog = ClinicSettingsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    assert "administrator" in dialog.message.text()
    assert not any(f.isEnabled() for f in dialog.fields.values())


FOOTER = "Confidential: patient health information. Riverside Ketamine Clinic, NPI 1234567890"


def _pages(pdf: bytes) -> list[str]:
    from io import BytesIO

    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def test_the_document_footer_is_saved_audited_and_on_every_page_of_every_document(
        chair: Chair, qtbot: QtBot) -> None:
    from ketalog.services.pdf import DocumentKind, produce_pdf

    dialog = _dialog(chair, qtbot)
    assert dialog.fields["document_footer"].text() == ""  # none until an administrator sets it
    _type(qtbot, dialog, "document_footer", FOOTER)
    assert dialog.messages["document_footer"].text() == "Saved."
    with chair.db() as db:
        row = db.scalars(select(AuditEntry).where(AuditEntry.field == "document_footer")).one()
        assert (row.old_value, row.new_value) == (None, FOOTER)
    chair.to("infusing")
    with chair.db() as db:
        documents = {kind: produce_pdf(db, kind, chair.clock.now.date() if kind == "day"
                                       else chair.session_id, as_of=chair.clock.now)
                     for kind in (DocumentKind.SESSION, DocumentKind.VISIT, DocumentKind.DAY)}
    for kind, pdf in documents.items():
        pages = _pages(pdf)
        assert pages and all(FOOTER in text for text in pages), kind


def test_a_footer_of_two_lines_or_too_long_is_refused_and_nothing_changes(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    before = _audit(chair)
    _type(qtbot, dialog, "document_footer", "x" * 101)
    message = dialog.messages["document_footer"]
    assert message.isVisible()
    assert message.text().endswith("Document footer is at most 100 characters (this is 101).")
    assert dialog.fields["document_footer"].text() == "x" * 101  # kept for correcting
    field = dialog.fields["document_footer"]
    field.setText("first line\tsecond")  # a tab pasted from a spreadsheet
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert "does not print" in message.text()
    assert _audit(chair) == before
    with chair.db() as db:
        assert clinic(db).footer == ""
