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
from ketalog.ui.clinic_settings_page import ClinicSettingsDialog
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


def test_a_nurse_sees_the_refusal_and_no_editable_field(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = NURSE
    dialog = ClinicSettingsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    assert "administrator" in dialog.message.text()
    assert not any(f.isEnabled() for f in dialog.fields.values())
