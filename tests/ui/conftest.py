"""UI test set-up: a real SQLite database, a session at any state, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketalog.domain.session_state import SessionAction
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.common import current_dose_order, load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import CHECKLIST_ITEMS, change_state, update_checklist
from ketalog.services.session_detail import SessionDetail, open_session
from ketalog.ui.core.conflict import ConflictDialog
from ketalog.ui.core.context import DraftStore, SessionController, UiContext
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.helpers.databases import copy_sqlite_template
from tests.play import BASELINE, book
from tests.staff import NURSE, prove


@dataclass
class Chair:
    """One booked session and the means to move it along through the services."""

    engine: Engine
    factory: sessionmaker[Session]
    clock: FakeClock
    ctx: UiContext
    drafts: DraftStore
    session_id: int
    actor: list[Actor] = field(default_factory=lambda: [NURSE])

    def controller(self) -> SessionController:
        return SessionController(self.ctx, self.session_id)

    def db(self) -> Session:
        return self.factory()

    def stored(self) -> SessionDetail:
        """The session as the database holds it now."""
        with self.factory() as db:
            return open_session(db, self.session_id)

    def cancel(self, reason: str = "patient unwell") -> None:
        """Check in, then cancel with a reason (entries are refused afterwards)."""
        self.to("checked_in")
        with self.factory() as db:
            change_state(db, NURSE, self.session_id, SessionAction.CANCEL, reason=reason,
                         clock=self.clock)

    def to(self, target: str) -> None:
        """Advance the session through legal moves up to ``target``."""
        steps = ["checked_in", "checklist", "baseline", "dosed", "verified", "infusing",
                 "recovering", "discharge_ready", "discharged"]
        sid, c = self.session_id, self.clock
        with self.factory() as db:
            for step in steps[: steps.index(target) + 1]:
                if step == "checked_in":
                    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=c)
                elif step == "checklist":
                    for item in CHECKLIST_ITEMS:
                        update_checklist(db, NURSE, sid, item, True, clock=c)
                    version = load_session(db, sid).version
                    update_discharge_details(db, NURSE, sid, expected_version=version,
                                             escort_name="Maria (wife)", clock=c)
                elif step == "baseline":
                    c.advance(2)
                    record_vitals(db, NURSE, sid, BASELINE, clock=c)
                elif step == "dosed":
                    order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=c)
                elif step == "verified":
                    order = current_dose_order(db, sid)
                    assert order is not None
                    verify_dose(db, NURSE, sid, dose_order_id=order.id,
                                **right_figures(db, order.id), clock=c,
                                verifier=prove(db, "sam", "verify_dose", c))
                elif step == "infusing":
                    c.advance(1)
                    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=c)
                elif step == "recovering":
                    c.advance(40)
                    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=c)
                elif step == "discharge_ready":
                    c.advance(30)
                    record_vitals(db, NURSE, sid, BASELINE, clock=c)
                    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=c)
                    version = load_session(db, sid).version
                    update_discharge_details(db, NURSE, sid, expected_version=version,
                                             instructions_given=True, clock=c)
                elif step == "discharged":
                    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=c)


@pytest.fixture(autouse=True)
def fresh_alert_sound() -> Iterator[None]:
    """Each test starts with nothing sounded yet (the player is one per process)."""
    from ketalog.ui.core.alert_sound import ALERT_SOUND

    ALERT_SOUND.forget()
    yield
    ALERT_SOUND.forget()


@pytest.fixture
def english_plurals(qapp: QApplication) -> Iterator[None]:
    """The English catalogue installed, as the app does at start: "1 session", not "1 sessions".

    Without it a screen shows the source texts, whose plural is written out ("%n sessions").
    """
    from ketalog.ui.core.translation import install_translator, remove_translator

    assert install_translator(qapp, QLocale("en_US")) is not None
    yield
    remove_translator(qapp)


@pytest.fixture
def chair(tmp_path: Path) -> Iterator[Chair]:
    """Patient José Ñúñez, 80 kg, IV depression 0.5 mg/kg, session 1 at Chair 1 (scheduled)."""
    # a copy of the run's migrated, seeded template (tests/helpers/databases.py)
    engine = open_database(copy_sqlite_template(tmp_path / "ui.sqlite3"))
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        sid = book(db, clock)
    actor: list[Actor] = [NURSE]
    ctx = UiContext(factory, ZoneInfo("UTC"), lambda: actor[0], clock)
    yield Chair(engine, factory, clock, ctx, DraftStore(), sid, actor)
    engine.dispose()


P = TypeVar("P", bound=QWidget)


def activate(qtbot: QtBot, window: QWidget) -> None:
    """Make ``window`` the active window: shortcuts only reach the active window."""
    from PySide6.QtWidgets import QApplication

    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def open_panel(chair: Chair, qtbot: QtBot, panel_type: type[P], *,
               drafts: bool = False) -> tuple[P, SessionController]:
    """Show a panel on the chair's session, loaded, as the session page would."""
    controller = chair.controller()
    panel = panel_type(controller, chair.drafts) if drafts else panel_type(controller)  # type: ignore[call-arg]
    qtbot.addWidget(panel)
    panel.show()
    controller.reload()
    return panel, controller


def answer_conflict(qtbot: QtBot, button: str) -> list[ConflictDialog]:
    """Click ``button`` ("keep" or "mine") on the conflict dialog when it appears."""
    seen: list[ConflictDialog] = []

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ConflictDialog):
            QTimer.singleShot(20, click)
            return
        seen.append(dialog)
        target = dialog.keep_button if button == "keep" else dialog.mine_button
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, click)
    return seen
