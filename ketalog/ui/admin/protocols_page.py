"""Protocols, for administrators: every version, its definition, and new versions.

The selected protocol's definition is shown as the JSON ketalog keeps (dose
range and hard maximum, duration, vitals schedule and alert thresholds,
recovery minimums). "Save as new version" checks the whole definition in the
domain and stores it as the protocol's next version; the version it replaces
stays with every course and session that used it. Saved with another code,
it is a copy: a new protocol.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.protocols import ProtocolRow, protocol_rows, save_protocol
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import ActionButton, Button, Column, RowsModel, make_table
from ketalog.ui.widgets.windows import place_window


class ProtocolsModel(RowsModel[ProtocolRow]):
    """One row per stored version."""

    def __init__(self) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Protocol"), lambda p: p.name),
            Column(QT_TRANSLATE_NOOP("Column", "Code"), lambda p: p.code),
            Column(QT_TRANSLATE_NOOP("Column", "Version"), lambda p: str(p.version)),
            Column(QT_TRANSLATE_NOOP("Column", "In use"),
                   lambda p: "yes" if p.is_active else "retired"),
        ), key=lambda p: p.id)


class ProtocolsDialog(QDialog):
    """The list of versions above, the selected definition below, ready to edit.

    Attributes used by tests: ``model``, ``table``, ``editor``, ``save_button``,
    ``message``.
    """

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Protocols"))
        self.model = ProtocolsModel()
        self.table = make_table(self.model, stretch_column=0)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setTabChangesFocus(True)
        hint = QLabel(self.tr(
            "Edit the definition and save it as the protocol's next version: courses and "
            "sessions already given the old one keep it. Change the code and the name to "
            "save a copy as a new protocol. Every setting is checked before anything is "
            "saved."))
        hint.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.editor)
        split.setStretchFactor(1, 2)
        self.message = MessageLabel()
        self.save_button = ActionButton(self.tr("Save as new version"), shortcut="Ctrl+S")
        self.save_button.clicked.connect(self.save)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.save_button)
        bar.addWidget(Button(self.tr("Close"), on_click=self.accept))
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        layout.addLayout(bar)
        self.refresh()
        place_window(self, "protocols", 1000, 700)
        self.table.setFocus()

    def refresh(self, select_id: int | None = None) -> None:
        """Read the versions as stored now."""
        outcome = self.ctx.run(lambda db: protocol_rows(db, self.ctx.actor()))
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            self.editor.setReadOnly(True)
            self.save_button.setEnabled(False)
            return
        rows = outcome.value or []
        self.model.set_rows(rows)
        wanted = next((i for i, r in enumerate(rows) if r.id == select_id), 0)
        if rows:
            self.table.selectRow(wanted)
            self._selected()

    def _selected(self) -> None:
        row = self.table.currentIndex().row()
        if row < 0:
            return
        protocol = self.model.row_at(row)
        self.editor.setPlainText(json.dumps(protocol.definition, indent=2, ensure_ascii=False))

    def save(self) -> None:
        """Check and store the definition in the editor; refusals list every problem."""
        text = self.editor.toPlainText()
        outcome = self.ctx.run(lambda db: save_protocol(db, self.ctx.actor(), text,
                                                        clock=self.ctx.clock))
        if not outcome.ok or outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        saved = outcome.value
        self.message.show_info(self.tr("Saved: %1, version %2. New courses use it.")
                               .replace("%1", saved.name).replace("%2", str(saved.version)))
        self.refresh(select_id=saved.id)
