"""Keystroke fuzz: whatever is typed at the chair changes no clinical state by accident.

Hypothesis generates key sequences (printable text, spaces, Tab, Shift+Tab,
Enter and arrows) and sends each key to whatever has the focus at that
moment, on the session screen in every state with any panel brought forward
by its Alt+n. None of these keys is any action's shortcut, so afterwards the
session's state, pump log, dose orders, checks, signatures and discharge must
be exactly as before. The one kind of Enter that may act by design, Enter in
the field an action button belongs to (the pause reason's Enter pauses), is
left out of the sequences here and tested on its own (test_infusion_panel).
Free text stored meanwhile (an escort, a note on a flag) must be text that was
typed.
"""

from __future__ import annotations

import itertools
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, func, select

from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.entries import flag_event, record_vitals
from ketalog.services.session.state import change_state
from ketalog.store.models import (
    DoseOrder,
    DoseVerification,
    EventFlag,
    InfusionEvent,
    Signature,
    TreatmentSession,
)
from ketalog.ui.core.context import DraftStore, UiContext
from ketalog.ui.session.session_page import SessionPage
from ketalog.ui.widgets import ActionButton
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, seed_staff
from tests.ui.conftest import BASELINE, Chair, activate

#: The states a nurse meets at the chair, each prepared once as a database file.
STATES = ("scheduled", "checked_in", "verified", "infusing", "paused", "recovering",
          "discharge_ready", "discharged", "cancelled")

SPECIAL = {
    "<tab>": (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
    "<backtab>": (Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier),
    "<enter>": (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
    "<left>": (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier),
    "<right>": (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
    "<up>": (Qt.Key.Key_Up, Qt.KeyboardModifier.NoModifier),
    "<down>": (Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier),
    " ": (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier),
}
KEYS = st.one_of(
    st.sampled_from(list(SPECIAL)),
    st.sampled_from(list("BP 158/92 after labetalol ok 0123456789")),
)
SEQUENCES = st.lists(KEYS, min_size=1, max_size=40)
_COPIES = itertools.count()


@dataclass(frozen=True)
class Snapshot:
    """Everything a keystroke must not change, as stored."""

    state: str
    state_reason: str | None
    discharged: bool
    infusion_events: int
    dose_orders: int
    verifications: int
    signatures: int
    escort: str | None
    flag_notes: tuple[str, ...]


def snapshot(engine: Engine, session_id: int) -> Snapshot:
    with make_sessionmaker(engine)() as db:
        row = db.get(TreatmentSession, session_id)
        assert row is not None

        def count(model: type, where: object) -> int:
            return int(db.scalar(select(func.count()).select_from(model).where(where)) or 0)

        return Snapshot(
            state=row.state, state_reason=row.state_reason,
            discharged=row.discharged_at_utc is not None,
            infusion_events=count(InfusionEvent, InfusionEvent.session_id == session_id),
            dose_orders=count(DoseOrder, DoseOrder.session_id == session_id),
            verifications=int(db.scalar(
                select(func.count()).select_from(DoseVerification).join(
                    DoseOrder, DoseOrder.id == DoseVerification.dose_order_id)
                .where(DoseOrder.session_id == session_id)) or 0),
            signatures=count(Signature, Signature.session_id == session_id),
            escort=row.escort_name,
            flag_notes=tuple(db.scalars(select(EventFlag.note).where(
                EventFlag.session_id == session_id, EventFlag.note.is_not(None)))),
        )


def _prepare(path: Path, state: str) -> int:
    """A database with one session brought to ``state`` through the real services."""
    engine = open_database(f"sqlite:///{path}")
    seed_staff(engine)
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    with factory() as db:
        sid = book(db, clock)
    chair = Chair(engine, factory, clock, UiContext(factory, ZoneInfo("UTC"), lambda: NURSE,
                                                     clock), DraftStore(), sid)
    if state == "cancelled":
        chair.cancel()
    elif state == "paused":
        chair.to("infusing")
        clock.advance(5)
        with factory() as db:
            change_state(db, NURSE, sid, SessionAction.PAUSE, reason="nausea", clock=clock)
    elif state == "recovering":
        chair.to("recovering")
        with factory() as db:
            record_vitals(db, NURSE, sid, BASELINE, clock=clock)
            flag_event(db, NURSE, sid, "dissociation", clock=clock)
    elif state != "scheduled":
        chair.to(state)
    engine.dispose()
    return sid


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("fuzz-templates")
    made = {}
    for state in STATES:
        path = folder / f"{state}.sqlite3"
        made[state] = (path, _prepare(path, state))
    return made


@dataclass
class Screen:
    engine: Engine
    page: SessionPage
    session_id: int


@contextmanager
def _open(template: tuple[Path, int], folder: Path, qtbot: QtBot) -> Iterator[Screen]:
    path, sid = template
    copy = folder / f"fuzz-{next(_COPIES)}.sqlite3"  # never shared with an earlier example
    shutil.copy(path, copy)
    engine = open_database(f"sqlite:///{copy}")
    factory = make_sessionmaker(engine)
    clock = FakeClock()
    clock.advance(120)  # later than anything the template recorded
    ctx = UiContext(factory, ZoneInfo("UTC"), lambda: NURSE, clock)
    page = SessionPage(ctx, sid, DraftStore())
    qtbot.addWidget(page)
    activate(qtbot, page)
    page.reload()
    try:
        yield Screen(engine, page, sid)
    finally:
        page.close()  # qtbot deletes it at the end of the test
        engine.dispose()


def _owner_fields(page: QWidget) -> set[QWidget]:
    """Fields whose Enter presses an action button (by design; tested elsewhere)."""
    owners: set[QWidget] = set()
    for button in page.findChildren(ActionButton):
        owners.update(button.owner_fields)
    # the credentials rows' password Enter signs in a second person: a typed password
    # would have to be right, which random text never is, so they may stay in
    return owners


def _type(qtbot: QtBot, page: SessionPage, keys: list[str]) -> str:
    """Send each key to the focus of the moment; return the printable text typed."""
    owners = _owner_fields(page)
    typed = []
    for key in keys:
        target = QApplication.focusWidget() or page
        if key in SPECIAL:
            code, modifier = SPECIAL[key]
            if code == Qt.Key.Key_Return and any(
                    target is owner or owner.isAncestorOf(target) for owner in owners):
                continue  # an owning field's Enter acts by design
            qtbot.keyClick(target, code, modifier)
            if key == " ":
                typed.append(" ")
        else:
            qtbot.keyClicks(target, key)
            typed.append(key)
    return "".join(typed)


def _text_typed(stored: str | None, before: str | None, typed: str) -> bool:
    """Every character the stored text gained was typed (it may extend what was there)."""
    if stored == before or stored is None:
        return True
    gained = Counter(stored) - Counter(before or "")
    return not gained - Counter(typed)


@pytest.mark.gui
@pytest.mark.parametrize("state", STATES)
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(panel=st.integers(min_value=1, max_value=8), keys=SEQUENCES)
def test_no_keystroke_changes_clinical_state(
        state: str, panel: int, keys: list[str], templates: dict[str, tuple[Path, int]],
        tmp_path: Path, qtbot: QtBot) -> None:
    with _open(templates[state], tmp_path, qtbot) as screen:
        before = snapshot(screen.engine, screen.session_id)
        screen.page.show_panel(panel)  # what Alt+n does
        typed = _type(qtbot, screen.page, keys)
        after = snapshot(screen.engine, screen.session_id)
        assert (after.state, after.state_reason, after.discharged, after.infusion_events,
                after.dose_orders, after.verifications, after.signatures) == (
            before.state, before.state_reason, before.discharged, before.infusion_events,
            before.dose_orders, before.verifications, before.signatures), (panel, keys)
        assert _text_typed(after.escort, before.escort, typed), (after.escort, typed)
        for note in set(after.flag_notes) - set(before.flag_notes):
            assert _text_typed(note, None, typed), (note, typed)
