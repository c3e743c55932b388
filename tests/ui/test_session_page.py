"""The assembled session screen: header, panels on Alt+n, the vitals reminder."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ketalog.ui.session_page import SessionPage
from tests.ui.conftest import Chair


def test_header_reminder_and_panel_switching(qtbot: QtBot, chair: Chair) -> None:
    chair.to("infusing")
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert page.patient.text().startswith("Ñúñez, José")
    assert "infusion 1 of 6" in page.facts.text()
    assert page.state.text() == "Infusing"
    assert page.progress.text().startswith("0.0 mg of 40.0 mg")
    chair.clock.advance(11)
    page.reload()
    page.vitals.refresh_due()
    assert "Vitals are due now" in page.message.text()
    assert page.progress.text().startswith("11.0 mg of 40.0 mg")
    page.show_panel(6)
    assert page.tabs.currentWidget() is page.discharge
