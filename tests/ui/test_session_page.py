"""The assembled session screen: header, panels on Alt+n, the vitals reminder."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ketalog.ui.session.session_page import SessionPage
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


def test_every_panel_title_is_readable_at_1366x768(qtbot: QtBot, chair: Chair) -> None:
    """Found under Xvfb: at 1366 px the tab bar hid Notes and Sign-off behind scroll arrows."""
    chair.to("infusing")
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitExposed(page)
    page.reload()
    bar = page.tabs.tabBar()
    assert bar.sizeHint().width() <= page.tabs.width()
    assert all(bar.tabRect(i).right() <= page.tabs.width() for i in range(bar.count()))
