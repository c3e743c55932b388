"""The workstation's alert sound: made when an alert falls due, exactly when it is on.

The sound is counted at Qt's boundary (QApplication.beep replaced by a
counter), so these tests see what a nurse would hear, whichever screen
noticed the alert. The setting is this workstation's (the workstation file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ketalog.services.session.entries import record_vitals
from ketalog.store.workstation import (
    ENV_CONFIG_DIR,
    AlertSound,
    WorkstationConfig,
    save_workstation_config,
)
from ketalog.ui.board.board_page import BoardPage
from ketalog.ui.session.alerts_strip import AlertsStrip
from ketalog.ui.session.panels.vitals_panel import VitalsPanel
from tests.ui.conftest import BASELINE, NURSE, Chair, open_panel

HIGH_BP = {**BASELINE, "systolic_mmhg": 185, "diastolic_mmhg": 100}


@pytest.fixture
def beeps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """QApplication.beep counted instead of made; this test's own workstation folder."""
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "workstation"))
    made: list[int] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: made.append(1)))
    return made


def _sound(sound: AlertSound) -> None:
    save_workstation_config(WorkstationConfig(alert_sound=sound))


@pytest.mark.parametrize(("sound", "expected"), [(AlertSound.OFF, 0), (AlertSound.BEEP, 1)])
def test_vitals_falling_due_on_the_session_screen(
        chair: Chair, qtbot: QtBot, beeps: list[int], sound: AlertSound, expected: int) -> None:
    _sound(sound)
    chair.to("infusing")
    panel, _ = open_panel(chair, qtbot, VitalsPanel, drafts=True)
    panel.refresh_due()
    assert beeps == []  # nothing due yet
    chair.clock.advance(11)
    panel.refresh_due()
    assert "OVERDUE" in panel.due_label.text()
    assert len(beeps) == expected
    panel.refresh_due()  # the same due moment: never a second sound
    assert len(beeps) == expected


@pytest.mark.parametrize(("sound", "expected"), [(AlertSound.OFF, 0), (AlertSound.BEEP, 1)])
def test_a_new_alert_in_the_alerts_strip(
        chair: Chair, qtbot: QtBot, beeps: list[int], sound: AlertSound, expected: int) -> None:
    _sound(sound)
    chair.to("infusing")
    strip, controller = open_panel(chair, qtbot, AlertsStrip)
    assert strip.isHidden() and beeps == []
    chair.clock.advance(5)
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, HIGH_BP, clock=chair.clock)
    controller.reload()
    assert strip.isVisible() and len(beeps) == expected
    controller.reload()
    assert len(beeps) == expected


def test_an_alert_already_open_when_the_session_is_opened_is_not_sounded(
        chair: Chair, qtbot: QtBot, beeps: list[int]) -> None:
    _sound(AlertSound.BEEP)
    chair.to("infusing")
    chair.clock.advance(5)
    with chair.db() as db:
        record_vitals(db, NURSE, chair.session_id, HIGH_BP, clock=chair.clock)
    strip, _ = open_panel(chair, qtbot, AlertsStrip)
    assert strip.isVisible() and beeps == []


@pytest.mark.parametrize(("sound", "expected"), [(AlertSound.OFF, 0), (AlertSound.BEEP, 1)])
def test_vitals_falling_overdue_on_todays_board_sound_once_with_the_session_screen(
        chair: Chair, qtbot: QtBot, beeps: list[int], sound: AlertSound, expected: int) -> None:
    _sound(sound)
    chair.to("infusing")
    board = BoardPage(chair.ctx)
    qtbot.addWidget(board)
    board.show()
    board.refresh()
    assert beeps == []
    chair.clock.advance(11)
    board.tick()
    assert len(beeps) == expected
    panel, _ = open_panel(chair, qtbot, VitalsPanel, drafts=True)
    panel.refresh_due()  # the same reading falling due, seen on a second screen
    board.refresh()
    assert len(beeps) == expected
    board.day.setDate(board.day.date().addDays(-1))  # another day's board: read, not watched
    board.tick()
    assert len(beeps) == expected
