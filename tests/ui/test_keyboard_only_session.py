"""A whole session at the chair from the keyboard alone, every key sent to the focus.

No click, no widget poked by the test: after signing in, the nurse opens the
session from the board with Enter and works with Alt+n, F2, each action's own
key, Tab, Space, digits and Enter. The database then holds exactly what was
entered and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, select

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import (
    DoseVerification,
    InfusionEvent,
    Note,
    PatientWeight,
    ScaleScore,
    Signature,
    TreatmentSession,
    VitalSign,
)
from ketalog.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.play import book
from tests.staff import NURSE, password_of, seed_staff
from tests.ui.conftest import activate

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_database(copy_sqlite_template(tmp_path / 'keys.sqlite3'))
    seed_staff(eng)
    yield eng
    eng.dispose()


class Keyboard:
    """Keys as a nurse presses them: each one goes to whatever has the focus."""

    def __init__(self, qtbot: QtBot, window: MainWindow) -> None:
        self.qtbot = qtbot
        self.window = window

    def focus(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def press(self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
              times: int = 1) -> None:
        for _ in range(times):
            self.qtbot.keyClick(self.focus(), key, modifier)

    def type(self, text: str) -> None:
        for char in text:
            if char == "\t":
                self.press(Qt.Key.Key_Tab)
            elif char == "\n":
                self.press(Qt.Key.Key_Return)
            elif char == " ":
                self.press(Qt.Key.Key_Space)
            else:
                self.qtbot.keyClicks(self.focus(), char)

    def alt(self, key: Qt.Key) -> None:
        self.press(key, ALT)


def test_a_whole_session_from_the_keyboard_alone(qtbot: QtBot, engine: Engine) -> None:
    clock = FakeClock()
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
    window = MainWindow(engine, "sqlite:///keys", clock=clock)
    qtbot.addWidget(window)
    activate(qtbot, window)
    keys = Keyboard(qtbot, window)

    # sign in: the user name field has the keyboard; Enter goes on to the password
    keys.type(f"{NURSE.username}\n{password_of(NURSE.username)}\n")
    assert window.user is not None
    # the board has the keyboard with today's first session selected: Enter opens it
    window.show_board()
    keys.press(Qt.Key.Key_Return)
    page = window.session_page
    assert page is not None and page.session_id == sid  # type: ignore[attr-defined]

    # --- check in (Alt+1, Alt+I), the checklist by Space and Tab, escort, weight
    keys.alt(Qt.Key.Key_1)
    keys.alt(Qt.Key.Key_I)
    keys.type(" \t \t \tMaria Okafor\t80\n")
    # PHQ-9 item by item: Tab past the basis and the measure to item 1
    keys.type("\t\t\t")
    keys.type("221211100\n")

    # --- baseline vitals: F2, then SBP/DBP HR SpO2 RR and Enter
    clock.advance(3)
    keys.press(Qt.Key.Key_F2)
    keys.type("124/78\t72\t98\t14\n")

    # --- dose: Enter walks the fields to the lot and diluent; Enter there orders
    keys.alt(Qt.Key.Key_2)
    for _ in range(8):
        if keys.focus().objectName() == "lot_number":
            break
        keys.press(Qt.Key.Key_Tab)
    keys.type("KT555\n\n")
    # the second nurse, not shown the prepared figures, types her own total and pump rate,
    # then her own user name and password, where the keyboard now is
    keys.type(f"40\n150\nsam\n{password_of('sam')}\n")

    # --- start (Alt+3, Alt+S), vitals every 10 minutes, an alert and its action note
    keys.alt(Qt.Key.Key_3)
    clock.advance(2)
    keys.alt(Qt.Key.Key_S)
    for sbp in ("130", "134", "186"):
        clock.advance(10)
        keys.press(Qt.Key.Key_F2)
        keys.type(f"{sbp}/84\t80\t97\t15\n")
    keys.type("Infusion paused, physician notified\n")  # the keyboard went to the note
    # pause with a reason (Enter in the reason pauses), resume with Alt+R
    keys.alt(Qt.Key.Key_3)
    keys.type("BP 186 systolic\n")
    clock.advance(5)
    keys.alt(Qt.Key.Key_R)
    clock.advance(10)
    keys.press(Qt.Key.Key_F2)
    keys.type("138/82\t78\t97\t14\n")
    clock.advance(2)
    keys.alt(Qt.Key.Key_3)
    keys.alt(Qt.Key.Key_T)

    # --- MOAA/S 4, then Tab to the CADSS-6 items
    keys.alt(Qt.Key.Key_4)
    keys.type("4\n")
    keys.type("\t\t\t\t\t")
    keys.type("120130\n")

    # --- recovery: vitals, Aldrete 9, instructions, a note, discharge, nursing record
    clock.advance(31)
    keys.press(Qt.Key.Key_F2)
    keys.type("126/80\t74\t98\t14\n")
    keys.alt(Qt.Key.Key_6)
    keys.type("22221\n")
    keys.type(" ")  # the keyboard is on the instructions: Space ticks them
    keys.alt(Qt.Key.Key_7)
    keys.type("Tolerated well; walked out with escort.")
    keys.press(Qt.Key.Key_Return, CTRL)
    keys.alt(Qt.Key.Key_6)
    clock.advance(2)
    keys.press(Qt.Key.Key_D, CTRL)
    keys.press(Qt.Key.Key_8, ALT)
    # the keyboard lands on the nurse's password: typing it and Enter attest (her own key)
    keys.type(f"{password_of(NURSE.username)}\n")

    with make_sessionmaker(engine)() as db:
        session = db.get_one(TreatmentSession, sid)
        assert session.state == "discharged", page.message.text()  # type: ignore[attr-defined]
        assert (session.identity_confirmed, session.consent_on_file, session.npo_confirmed,
                session.instructions_given) == (True, True, True, True)
        assert session.escort_name == "Maria Okafor"
        readings = db.scalars(select(VitalSign).where(VitalSign.session_id == sid)
                              .order_by(VitalSign.taken_at_utc)).all()
        assert [(v.systolic_mmhg, v.diastolic_mmhg, v.heart_rate_bpm, v.spo2_percent,
                 v.resp_rate_per_min) for v in readings] == [
            (124, 78, 72, 98, 14), (130, 84, 80, 97, 15), (134, 84, 80, 97, 15),
            (186, 84, 80, 97, 15), (138, 82, 78, 97, 14), (126, 80, 74, 98, 14)]
        assert readings[3].action_note == "Infusion paused, physician notified"
        events = db.scalars(select(InfusionEvent).where(InfusionEvent.session_id == sid)
                            .order_by(InfusionEvent.occurred_at_utc)).all()
        assert [(e.kind, e.reason) for e in events] == [
            ("start", None), ("pause", "BP 186 systolic"), ("resume", None), ("stop", None)]
        verification = db.scalars(select(DoseVerification)).one()
        assert verification.verifier_name == "Sam Okafor, RN"
        scores = db.scalars(select(ScaleScore).where(ScaleScore.session_id == sid)
                            .order_by(ScaleScore.id)).all()
        assert [(s.scale, json.loads(s.item_scores_json)) for s in scores] == [
            ("phq9", [2, 2, 1, 2, 1, 1, 1, 0, 0]), ("moaas", [4]),
            ("cadss6", [1, 2, 0, 1, 3, 0]), ("aldrete", [2, 2, 2, 2, 1])]
        note = db.scalars(select(Note).where(Note.session_id == sid)).one()
        assert note.text == "Tolerated well; walked out with escort."
        assert Decimal(80) in db.scalars(select(PatientWeight.weight_kg)).all()
        assert db.scalars(select(Signature.kind).where(Signature.session_id == sid)).all() == [
            "nursing_attestation"]
