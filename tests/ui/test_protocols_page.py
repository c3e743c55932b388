"""The administrator's protocols window: a definition edited and saved as a new version."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ketalog.services.protocols import protocol_by_id, protocol_id_by_code
from ketalog.ui.admin.protocols_page import ProtocolsDialog
from tests.staff import ADMIN
from tests.ui.conftest import Chair, activate

CODE = "iv-depression-0.5"


def _dialog(chair: Chair, qtbot: QtBot) -> ProtocolsDialog:
    chair.actor[0] = ADMIN
    dialog = ProtocolsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    for row in range(dialog.model.rowCount()):
        if dialog.model.row_at(row).code == CODE:
            dialog.table.selectRow(row)
    return dialog


def test_a_changed_threshold_is_saved_as_the_next_version(chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    definition = json.loads(dialog.editor.toPlainText())
    assert definition["code"] == CODE
    definition["thresholds"]["sbp_max"] = 170
    dialog.editor.setPlainText(json.dumps(definition, indent=2))
    dialog.editor.setFocus()
    qtbot.keyClick(dialog.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "version 2" in dialog.message.text()
    with chair.db() as db:
        assert protocol_by_id(db, protocol_id_by_code(db, CODE)).thresholds.sbp_max == 170
    assert [r.version for r in dialog.model.rows() if r.code == CODE] == [2, 1]


def test_an_unsound_definition_shows_every_problem_and_saves_nothing(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    definition = json.loads(dialog.editor.toPlainText())
    definition["default_duration_min"] = -5
    definition["typo_setting"] = 1
    dialog.editor.setPlainText(json.dumps(definition))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    text = dialog.message.text()
    assert "typo_setting" in text and "duration" in text.lower()
    with chair.db() as db:
        assert protocol_by_id(db, protocol_id_by_code(db, CODE)).default_duration_min == 40
