"""Rules every chart-entry panel follows the same way."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from ketalog.ui.session.panels.discharge_panel import DischargePanel
from ketalog.ui.session.panels.events_panel import EventsPanel
from ketalog.ui.session.panels.notes_panel import NotesPanel
from ketalog.ui.session.panels.scales_panel import ScalesPanel
from tests.ui.conftest import Chair, open_panel


@pytest.mark.parametrize("panel_type", [ScalesPanel, EventsPanel, DischargePanel, NotesPanel])
def test_entry_disabled_on_a_cancelled_session_with_the_reason(
    chair: Chair, qtbot: QtBot, panel_type: type
) -> None:
    chair.cancel()
    panel, _ = open_panel(chair, qtbot, panel_type, drafts=True)
    assert not panel.entry_area.isEnabled()
    assert panel.entry_message.isVisible() and "cancelled" in panel.entry_message.text()
