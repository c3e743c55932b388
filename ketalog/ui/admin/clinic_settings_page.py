"""The clinic's own settings, for administrators: name, address, logo, zone, chairs, days.

One field per setting of :data:`ketalog.domain.clinic_settings.CLINIC_SETTINGS`.
A value is stored when the field is accepted (Enter, or leaving the field
changed), on its own, with its audit row; a refusal is shown under the field,
the typed text stays for correcting, and nothing is stored. The logo is
previewed as the documents will print it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_settings import CLINIC_SETTINGS, SettingKind
from ketalog.services.clinic_settings import SettingRow, change_clinic_setting, clinic_settings
from ketalog.services.settings import stored_logo
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.widgets import Button
from ketalog.ui.widgets.windows import place_window

#: How large the logo preview is drawn (the documents print it about this size).
_LOGO_PREVIEW_PX = 64


class ClinicSettingsDialog(QDialog):
    """Every clinic setting, each stored as soon as its field is accepted.

    Attributes used by tests: ``fields`` (key -> QLineEdit), ``messages``
    (key -> MessageLabel under the field), ``logo_preview``, ``message`` (the
    dialog's own line: a refusal to read the settings at all).
    """

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Clinic settings"))
        self.fields: dict[str, QLineEdit] = {}
        self.messages: dict[str, MessageLabel] = {}
        self._stored: dict[str, str] = {}
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Each value is saved when you press Enter or leave its field. "
                               "Documents print the new values from the next one on; a new "
                               "time zone applies at the next start."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        for setting in CLINIC_SETTINGS:
            field = QLineEdit()
            field.setObjectName(setting.key)
            field.setToolTip(setting.hint)
            field.setPlaceholderText(setting.hint)
            field.editingFinished.connect(lambda key=setting.key: self._accept(key))
            message = MessageLabel()
            column = QVBoxLayout()
            column.setSpacing(2)
            if setting.kind is SettingKind.IMAGE_FILE:
                row = QHBoxLayout()
                row.addWidget(field, 1)
                row.addWidget(Button(self.tr("Choose file…"), on_click=self._choose_logo))
                self.logo_preview = QLabel()
                self.logo_preview.setFixedSize(_LOGO_PREVIEW_PX, _LOGO_PREVIEW_PX)
                self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
                row.addWidget(self.logo_preview)
                column.addLayout(row)
            else:
                column.addWidget(field)
            column.addWidget(message)
            form.addRow(self.tr(setting.label), column)
            self.fields[setting.key] = field
            self.messages[setting.key] = message
        layout.addLayout(form)
        layout.addStretch(1)  # spare height below the fields, not between the lines
        self.message = MessageLabel()
        layout.addWidget(self.message)
        bar = QHBoxLayout()
        bar.addWidget(Button(self.tr("Protocols…"), on_click=self.show_protocols))
        bar.addStretch(1)
        bar.addWidget(Button(self.tr("Close"), on_click=self.accept))
        layout.addLayout(bar)
        self.load()
        place_window(self, "clinic settings", 760, 440)
        self.fields[CLINIC_SETTINGS[0].key].setFocus()

    def show_protocols(self) -> None:
        """The protocols: doses, durations, vitals schedule and alert thresholds."""
        # start-up: the protocols editor (about 15 ms) loads when first opened
        from ketalog.ui.admin.protocols_page import ProtocolsDialog

        ProtocolsDialog(self.ctx, self).exec()

    def load(self) -> None:
        """Show the settings as stored now."""
        outcome = self.ctx.run(lambda db: clinic_settings(db, self.ctx.actor()))
        if not outcome.ok or outcome.value is None:
            self.message.show_error(outcome.error or "")
            for field in self.fields.values():
                field.setEnabled(False)
            return
        for row in outcome.value:
            self._show(row)

    def _show(self, row: SettingRow) -> None:
        self._stored[row.key] = row.text
        self.fields[row.key].setText(row.text)
        if row.key == "clinic_logo_path":
            self._preview(row.text)

    def _accept(self, key: str) -> None:
        field = self.fields[key]
        text = field.text()
        if text.strip() == self._stored.get(key, "").strip():
            self.messages[key].clear_message()
            return  # leaving an unchanged field stores nothing
        outcome = self.ctx.run(lambda db: change_clinic_setting(db, self.ctx.actor(), key, text,
                                                                clock=self.ctx.clock))
        if not outcome.ok:
            self.messages[key].show_error(outcome.error or "")
            return
        reread = self.ctx.run(lambda db: clinic_settings(db, self.ctx.actor()))
        for row in reread.value or []:
            if row.key == key:
                self._show(row)
        self.messages[key].show_info(self.tr("Saved."))

    def _choose_logo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Clinic logo"), "", self.tr("Images (*.png *.jpg *.jpeg)"))
        if path:
            self.fields["clinic_logo_path"].setText(path)
            self._accept("clinic_logo_path")

    def _preview(self, path: str) -> None:
        """The logo as the documents print it: the picture stored in the database."""
        stored = self.ctx.run(stored_logo)
        picture = QPixmap()
        if stored.ok and stored.value:
            picture.loadFromData(stored.value)
        if picture.isNull():
            self.logo_preview.setPixmap(QPixmap())  # (clears the text: set it after)
            self.logo_preview.setText(self.tr("no logo") if not path else self.tr("unreadable"))
            return
        self.logo_preview.setPixmap(picture.scaled(
            _LOGO_PREVIEW_PX, _LOGO_PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
