"""The infusion panel: the start gate, pump actions with reasons, and the live timer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ketalog.services.session.dose import order_dose
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.dose_panel import DosePanel
from ketalog.ui.session.panels.infusion_panel import TICK_MS, InfusionPanel, mmss
from tests.staff import password_of
from tests.ui.conftest import BASELINE, NURSE, Chair, activate, open_panel


def _panel(chair: Chair, qtbot: QtBot) -> tuple[InfusionPanel, SessionController]:
    return open_panel(chair, qtbot, InfusionPanel)



def test_start_waits_for_verification_and_baseline_vitals(chair: Chair, qtbot: QtBot) -> None:
    controller = chair.controller()
    panel = InfusionPanel(controller)
    dose_panel = DosePanel(controller)
    for widget in (panel, dose_panel):
        qtbot.addWidget(widget)
        widget.show()
    chair.to("checklist")
    with chair.db() as db:
        order_dose(db, NURSE, chair.session_id, inputs={}, lot_number="KT1",
                   clock=chair.clock)
    controller.reload()

    assert not panel.start_button.isEnabled()
    reasons = panel.start_reasons.text()
    assert "The dose has not been independently verified" in reasons
    assert "No baseline vitals recorded" in reasons
    assert reasons.count("⚠") == 2
    # the prepared figures are not on this panel either until the second nurse matched them
    assert panel.ordered_label.text() == "" and panel.rate_label.text() == ""

    qtbot.keyClicks(dose_panel.check_total_edit, "40")
    qtbot.keyClicks(dose_panel.check_rate_edit, "150")
    qtbot.keyClicks(dose_panel.verifier.username_edit, "sam")
    qtbot.keyClick(dose_panel.verifier.username_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dose_panel.verifier.password_edit, password_of("sam"))
    qtbot.keyClick(dose_panel.verifier.password_edit, Qt.Key.Key_Return)
    assert not panel.start_button.isEnabled()
    assert "independently verified" not in panel.start_reasons.text()
    assert panel.ordered_label.text() == "of 40.0 mg ordered"
    assert panel.rate_label.text() == "Planned rate: 150 mL/h"
    assert "No baseline vitals recorded" in panel.start_reasons.text()

    chair.clock.advance(2)
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, BASELINE, clock=chair.clock)
    controller.reload()
    assert panel.start_button.isEnabled()
    assert not panel.start_reasons.isVisible()

    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    stored = chair.stored()
    assert stored.state == "infusing"
    assert [e.kind for e in stored.infusion_events] == ["start"]
    assert not panel.start_button.isVisible()
    assert "Running since 09:02" in panel.state_label.text()


def test_pause_needs_a_reason_which_is_stored(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    chair.clock.advance(5)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert "Give a reason for pausing" in panel.message.text()
    assert chair.stored().state == "infusing"

    qtbot.keyClicks(panel.reason_edit, "BP 186/112, physician notified")
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    stored = chair.stored()
    assert stored.state == "paused"
    pause = stored.infusion_events[-1]
    assert (pause.kind, pause.detail) == ("pause", "BP 186/112, physician notified")
    assert panel.state_label.text() == "Paused at 09:08, because:"
    assert panel.reason_shown.text() == "BP 186/112, physician notified"
    assert not panel.pause_button.isVisible() and panel.resume_button.isVisible()
    assert panel.reason_edit.text() == ""

    chair.clock.advance(10)  # paused: the timer stands still
    panel.tick()
    assert panel.elapsed_label.text() == "05:00"
    assert panel.delivered_label.text() == "5.0 mg"

    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert chair.stored().state == "infusing"


def test_timer_shows_delivered_and_remaining_from_the_clock(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    assert panel.elapsed_label.text() == "00:00"
    assert panel.remaining_label.text() == "40:00"
    assert panel.ordered_label.text() == "of 40.0 mg ordered"
    assert panel.rate_label.text() == "Rate: 150 mL/h"
    assert panel.timer.isActive() and panel.timer.interval() == TICK_MS

    chair.clock.advance(20)
    panel.tick()  # what the QTimer does every second: no reload needed
    assert panel.elapsed_label.text() == "20:00"
    assert panel.delivered_label.text() == "20.0 mg"
    assert panel.remaining_label.text() == "20:00"

    chair.clock.advance(0.5)
    panel.tick()
    assert panel.elapsed_label.text() == "20:30"
    assert panel.remaining_label.text() == "19:30"

    chair.clock.advance(25)  # past the planned end: the bag caps the dose
    panel.tick()
    assert panel.delivered_label.text() == "40.0 mg"
    assert panel.remaining_label.text() == "00:00"
    assert "Planned end reached" in panel.end_hint.text()

    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert chair.stored().state == "recovering"
    assert not panel.stop_button.isVisible()
    assert panel.end_hint.text() == ""


def test_the_qtimer_drives_the_display(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    chair.clock.advance(3)
    qtbot.waitUntil(lambda: panel.elapsed_label.text() == "03:00", timeout=3 * TICK_MS)


def test_rate_change_is_stored_with_its_reason(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    chair.clock.advance(10)
    qtbot.keyClicks(panel.rate_edit, "100")
    qtbot.mouseClick(panel.rate_button, Qt.MouseButton.LeftButton)
    assert "reason for changing the rate" in panel.message.text()

    qtbot.keyClicks(panel.rate_reason_edit, "Nausea")
    qtbot.mouseClick(panel.rate_button, Qt.MouseButton.LeftButton)
    event = chair.stored().infusion_events[-1]
    assert (event.kind, event.rate_ml_per_h, event.detail) == ("rate_change", Decimal(100),
                                                               "Nausea")
    assert panel.rate_label.text() == "Rate: 100 mL/h"
    assert panel.rate_edit.text() == "" and panel.rate_reason_edit.text() == ""
    chair.clock.advance(15)  # 25 mL at 150 + 25 mL at 100 mL/h
    panel.tick()
    assert panel.delivered_label.text() == "20.0 mg"
    assert panel.remaining_label.text() == "30:00"


def test_stop_early_needs_a_reason(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    chair.clock.advance(12)
    qtbot.mouseClick(panel.stop_early_button, Qt.MouseButton.LeftButton)
    assert "Give a reason for stopping the infusion early" in panel.message.text()
    assert chair.stored().state == "infusing"

    qtbot.keyClicks(panel.reason_edit, "Emergence reaction")
    qtbot.mouseClick(panel.stop_early_button, Qt.MouseButton.LeftButton)
    stored = chair.stored()
    assert stored.state == "stopped_early" and stored.state_reason == "Emergence reaction"
    assert panel.state_label.text() == "Stopped at 09:15, because:"
    assert panel.reason_shown.text() == "Emergence reaction"
    assert panel.delivered_label.text() == "12.0 mg"
    chair.clock.advance(10)
    panel.tick()
    assert panel.elapsed_label.text() == "12:00"


def test_mmss_rounds_to_the_nearest_second() -> None:
    assert mmss(Decimal("19.99999999")) == "20:00"
    assert mmss(Decimal(240)) == "4:00:00"
    assert mmss(Decimal("208.9")) == "3:28:54"
    assert mmss(Decimal(-1)) == "00:00"


def test_enter_in_the_rate_goes_to_its_reason_and_enter_there_changes_the_rate(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    activate(qtbot, panel)
    chair.clock.advance(10)
    panel.rate_edit.setFocus()
    qtbot.keyClicks(panel.rate_edit, "100")
    qtbot.keyClick(panel.rate_edit, Qt.Key.Key_Return)
    assert panel.rate_reason_edit.hasFocus()
    qtbot.keyClicks(panel.rate_reason_edit, "Nausea")
    qtbot.keyClick(panel.rate_reason_edit, Qt.Key.Key_Return)
    stored = chair.stored()
    assert stored.state == "infusing"  # never a pause: the pause reason is another field
    assert [(e.kind, e.detail) for e in stored.infusion_events] == [
        ("start", ""), ("rate_change", "Nausea")]


def test_enter_in_the_reason_pauses_once_with_that_reason(chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    activate(qtbot, panel)
    chair.clock.advance(6)
    panel.reason_edit.setFocus()
    qtbot.keyClicks(panel.reason_edit, "BP 158/92")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(panel.reason_edit, "more words")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_Return)
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_Return)
    stored = chair.stored()
    assert stored.state == "paused"
    assert [(e.kind, e.detail) for e in stored.infusion_events] == [
        ("start", ""), ("pause", "BP 158/92")]
    assert "Alt+R" in panel.message.text()  # Enter while paused says how to resume
    assert panel.reason_edit.hasFocus()


def test_pump_actions_have_their_own_keys_and_never_take_the_focus(
        chair: Chair, qtbot: QtBot) -> None:
    chair.to("infusing")
    panel, _ = _panel(chair, qtbot)
    activate(qtbot, panel)
    for button in (panel.start_button, panel.pause_button, panel.resume_button,
                   panel.stop_button, panel.stop_early_button, panel.rate_button):
        assert button.focusPolicy() == Qt.FocusPolicy.NoFocus
    chair.clock.advance(4)
    panel.reason_edit.setFocus()
    qtbot.keyClicks(panel.reason_edit, "nausea")
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert chair.stored().state == "paused"
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert "The pump is paused" in panel.message.text()
    qtbot.keyClick(panel.reason_edit, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert chair.stored().state == "infusing"
    assert "Alt+P" in panel.pause_button.text() and "Alt+P" in panel.pause_button.toolTip()


#: A reason as a nurse types it in a hurry: long, and with a run of no spaces at all.
LONG_REASONS = [
    ("Patient became very anxious and tearful about ten minutes into the infusion, reported "
     "nausea and a pounding headache; BP rose to 186/112 on two readings five minutes apart, "
     "physician Dr Okafor notified at the chair and asked to pause while ondansetron 4 mg IV "
     "was given and the room was darkened; reassess in 10 minutes"),
    "BP186/112,HR131,nauseated,anxious;" * 9,
]


@pytest.mark.parametrize("reason", LONG_REASONS, ids=["words", "no spaces"])
@pytest.mark.parametrize("action", ["pause", "stop_early"])
def test_a_long_reason_is_read_whole_within_the_screen(
        chair: Chair, qtbot: QtBot, reason: str, action: str) -> None:
    """Found at 1366x768: a 300-character stop-early reason widened the session screen to
    4879 px (the header's state line), and one with no spaces ran off the infusion panel."""
    from ketalog.ui.session.session_page import SessionPage

    assert len(reason) >= 300
    chair.to("infusing")
    chair.clock.advance(5)
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, action, reason=reason, clock=chair.clock)
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitExposed(page)
    page.reload()
    page.show_panel(3)
    assert page.width() == 1366 and page.minimumSizeHint().width() <= 1366
    panel = page.infusion
    assert panel.page is not None
    content, viewport = panel.page.widget(), panel.page.viewport()
    assert content.minimumSizeHint().width() <= viewport.width()
    # the nurse reads the whole reason in the panel (wrapped), not a cut-off line
    shown = panel.reason_shown
    assert shown.isVisibleTo(panel) and shown.text().replace("\u200b", "") == reason
    assert shown.width() <= viewport.width()
    assert shown.heightForWidth(shown.width()) <= shown.height() + 1
    # the header says why an infusion stopped early in short, the whole reason on hovering
    assert page.state.width() < 400
    if action == "stop_early":
        assert page.state.text().startswith("Stopped early (") and page.state.text()[-1] == "…"
        assert reason in page.state.toolTip()
