"""The discharge panel: every reason shown, each value committed, then discharge."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ketalog.domain.session_state import SessionAction
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.store.models import TreatmentSession
from ketalog.ui.core.context import SessionController
from ketalog.ui.session.panels.discharge_panel import DischargePanel
from tests.staff import NURSE2
from tests.ui.conftest import BASELINE, NURSE, Chair, answer_conflict


def _open(chair: Chair, qtbot: QtBot, state: str | None = "recovering"
          ) -> tuple[DischargePanel, SessionController]:
    if state is not None:
        chair.to(state)
    controller = chair.controller()
    panel = DischargePanel(controller, chair.drafts)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)  # shortcuts need it
    controller.reload()
    return panel, controller


def _stored(chair: Chair) -> TreatmentSession:
    with chair.db() as db:
        row = db.get(TreatmentSession, chair.session_id)
        assert row is not None
        db.expunge(row)
        return row


def _type(qtbot: QtBot, panel: DischargePanel, keys: str) -> None:
    for key in keys:
        target = panel.focusWidget()
        assert target is not None
        qtbot.keyClick(target, key)


def _forget_escort(chair: Chair) -> None:
    """Whatever the fixture recorded earlier, no escort is named now."""
    with chair.db() as db:
        version = load_session(db, chair.session_id).version
        update_discharge_details(db, NURSE, chair.session_id, expected_version=version,
                                 escort_name="", clock=chair.clock)


def test_refused_with_every_reason_then_discharged(chair: Chair, qtbot: QtBot) -> None:
    chair.to("recovering")
    chair.clock.advance(30)  # the recovery time is up and a reading fresh
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, BASELINE, clock=chair.clock)
    _forget_escort(chair)
    panel, _ = _open(chair, qtbot, None)
    assert panel.escort.text() == ""
    shown = panel.problems_label.text()
    assert "Aldrete" in shown and "escort" in shown and "instructions" in shown
    assert shown.count("⚠") == 3
    assert not panel.discharge_button.isEnabled()

    # the shortcut tries anyway and is told why not, in the domain's words
    panel.aldrete_form.focus_first()
    qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert panel.message.isVisible()
    refusal = panel.message.text()
    assert refusal.startswith("⚠ Cannot discharge yet:")
    assert "No modified Aldrete score recorded" in refusal and "escort" in refusal
    assert _stored(chair).state == "recovering"

    # Aldrete 2, 2, 2, 2, 1 = 9 by keys; Enter records it
    panel.aldrete_form.focus_first()
    _type(qtbot, panel, "2222")
    assert "Total 8 / 10" in panel.aldrete_form.total_label.text()
    _type(qtbot, panel, "1")
    assert panel.aldrete_form.total_label.text() == "Total 9 / 10  (Enter records)"
    qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_Return)
    assert "Last Aldrete: 9 / 10" in panel.aldrete_last.text()
    assert "Aldrete" not in panel.problems_label.text()
    assert panel.focusWidget() is panel.escort  # the next thing missing

    qtbot.keyClicks(panel.escort, "Maria Nunez (wife)")
    qtbot.keyClick(panel.escort, Qt.Key.Key_Return)
    assert _stored(chair).escort_name == "Maria Nunez (wife)"
    assert panel.escort_status.text() == "✓ Escort recorded: Maria Nunez (wife)"
    assert panel.focusWidget() is panel.instructions

    qtbot.keyClick(panel.instructions, Qt.Key.Key_Space)
    assert _stored(chair).instructions_given is True
    assert panel.discharge_button.isEnabled()
    assert panel.problems_label.text() == "✓ Every discharge check is met."
    assert panel.focusWidget() is panel.instructions  # a tick never moves the focus

    chair.clock.advance(5)
    qtbot.mouseClick(panel.discharge_button, Qt.MouseButton.LeftButton)
    row = _stored(chair)
    assert row.state == "discharged"
    assert row.discharged_at_utc is not None
    assert row.discharged_at_utc.replace(tzinfo=UTC) == chair.clock.now
    assert panel.discharged_label.text() == "✓ Discharged at " + chair.clock.now.strftime(
        "%H:%M")
    assert panel.discharge_button.isHidden()


def test_ready_to_leave_is_recorded(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    chair.clock.advance(30)
    qtbot.mouseClick(panel.ready_button, Qt.MouseButton.LeftButton)
    row = _stored(chair)
    assert row.ready_to_leave_at_utc is not None
    assert row.ready_to_leave_at_utc.replace(tzinfo=UTC) == chair.clock.now
    assert panel.ready_label.text() == "Ready to leave at " + chair.clock.now.strftime("%H:%M")


def test_stale_escort_edit_shows_both_names_and_keeps_the_stored_one(
        chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.escort.setFocus()
    panel.escort.selectAll()
    qtbot.keyClicks(panel.escort, "Rosa (sister)")
    # another workstation names the escort while this nurse types
    with chair.db() as db:
        version = load_session(db, chair.session_id).version
        update_discharge_details(db, NURSE2, chair.session_id, expected_version=version,
                                 escort_name="Pedro (brother)", clock=chair.clock)
    seen = answer_conflict(qtbot, "keep")
    qtbot.keyClick(panel.escort, Qt.Key.Key_Return)
    assert seen, "no choice was offered"
    assert seen[0].theirs.text() == "Pedro (brother)" and seen[0].yours.text() == "Rosa (sister)"
    assert "changed by Sam Okafor, RN" in seen[0].heading.text()
    assert _stored(chair).escort_name == "Pedro (brother)"  # nothing overwritten
    assert "Kept the stored escort: Pedro (brother)" in panel.message.text()
    assert panel.escort.text() == "Pedro (brother)"  # the screen shows what is stored
    # entered again knowingly, it is accepted against the new version
    panel.escort.selectAll()
    qtbot.keyClicks(panel.escort, "Rosa (sister)")
    qtbot.keyClick(panel.escort, Qt.Key.Key_Return)
    assert _stored(chair).escort_name == "Rosa (sister)"
    assert not panel.message.isVisible()


def test_aldrete_below_nine_keeps_discharge_refused(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.aldrete_form.focus_first()
    _type(qtbot, panel, "21211")
    qtbot.keyClick(panel.focusWidget(), Qt.Key.Key_Return)
    assert "Discharge needs a modified Aldrete score of at least 9 (now 7)" in (
        panel.problems_label.text())


def test_incomplete_aldrete_is_refused(chair: Chair, qtbot: QtBot) -> None:
    panel, _ = _open(chair, qtbot)
    panel.aldrete_form.focus_first()
    _type(qtbot, panel, "22")
    qtbot.mouseClick(panel.aldrete_form.record_button, Qt.MouseButton.LeftButton)
    assert "Aldrete circulation is missing" in panel.aldrete_form.message.text()
    assert "Last Aldrete" not in panel.aldrete_last.text()


def test_begin_recovery_after_a_stopped_infusion(chair: Chair, qtbot: QtBot) -> None:
    panel, controller = _open(chair, qtbot, "infusing")
    assert panel.begin_recovery_button.isHidden()
    assert "Not possible while the session is infusing." in panel.problems_label.text()
    chair.clock.advance(10)
    with chair.db() as db:
        change_state(db, NURSE, chair.session_id, SessionAction.STOP_EARLY,
                     reason="anxiety", clock=chair.clock)
    controller.reload()
    assert not panel.begin_recovery_button.isHidden()
    qtbot.mouseClick(panel.begin_recovery_button, Qt.MouseButton.LeftButton)
    assert _stored(chair).state == "recovering"
    assert panel.begin_recovery_button.isHidden()
