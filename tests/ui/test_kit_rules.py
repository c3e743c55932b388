"""The kit's rules hold on every widget of the session screen, in every state.

* every button either never takes the focus or is a kit ``Button`` (Enter = Space),
  and every value widget is a kit one (:func:`tests.ui.kit_rules.assert_follows_the_kit`);
* a wheel turn over a value widget unfocused changes nothing;
* every state-changing button has a key or a field whose Enter presses it, and no
  two keys clash on one screen.
"""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtWidgets import (
    QComboBox,
)
from pytestqt.qtbot import QtBot

from ketalog.ui.session.session_page import SessionPage
from ketalog.ui.widgets import ActionButton
from tests.ui.conftest import Chair, activate
from tests.ui.kit_rules import assert_follows_the_kit, value_widgets
from tests.ui.test_wheel_safety import turn_wheel

STATES = ("scheduled", "checked_in", "verified", "infusing", "recovering", "discharged")


def _page(chair: Chair, qtbot: QtBot, state: str) -> SessionPage:
    if state != "scheduled":
        chair.to(state)
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    activate(qtbot, page)
    page.reload()
    return page


@pytest.mark.parametrize("state", STATES)
def test_every_button_and_value_widget_follows_the_kit(
        chair: Chair, qtbot: QtBot, state: str) -> None:
    page = _page(chair, qtbot, state)
    assert_follows_the_kit(page)


@pytest.mark.parametrize("state", STATES)
def test_the_wheel_changes_no_unfocused_value_on_any_panel(
        chair: Chair, qtbot: QtBot, state: str) -> None:
    page = _page(chair, qtbot, state)
    for number in range(1, page.tabs.count() + 1):
        page.show_panel(number)
        page.vitals.sbp.setFocus()
        for widget in value_widgets(page.tabs.currentWidget()):
            if not widget.isVisible():
                continue
            before = widget.currentIndex() if isinstance(widget, QComboBox) else widget.text()
            for notches in (-3, 3):
                turn_wheel(widget, notches)
            after = widget.currentIndex() if isinstance(widget, QComboBox) else widget.text()
            assert after == before, (number, widget.objectName() or widget)


@pytest.mark.parametrize("state", STATES)
def test_every_state_changing_button_has_a_key_or_a_field_and_keys_do_not_clash(
        chair: Chair, qtbot: QtBot, state: str) -> None:
    page = _page(chair, qtbot, state)
    for number in range(1, page.tabs.count() + 1):
        page.show_panel(number)
        shown = [b for b in page.findChildren(ActionButton) if b.isVisible()]
        keyless = [b.label() for b in shown if b.shortcut_keys is None and not b.owner_fields
                   and not _resolves_a_listed_item(b)]
        assert keyless == [], (number, keyless)
        keys = Counter(b.key_text() for b in shown if b.key_text())
        assert [k for k, n in keys.items() if n > 1] == [], (number, keys)


def _resolves_a_listed_item(button: ActionButton) -> bool:
    """A Resolved button of an open flag or event: its list's Enter resolves by keyboard."""
    from ketalog.ui.session.panels.events_panel import OpenItemsList

    parent = button.parentWidget()
    while parent is not None:
        if isinstance(parent, OpenItemsList):
            return True
        parent = parent.parentWidget()
    return False


@pytest.mark.parametrize("state", ["checked_in", "infusing", "discharged"])
def test_f1_lists_every_action_key_of_the_session_screen(
        chair: Chair, qtbot: QtBot, state: str) -> None:
    """A key a nurse cannot look up is a key nobody uses: F1 names each one."""
    from ketalog.ui.main_window import SHORTCUTS

    listed = " ".join(keys for keys, _ in SHORTCUTS).replace(" / ", " ").split()
    page = _page(chair, qtbot, state)
    for number in range(1, page.tabs.count() + 1):
        page.show_panel(number)
        keys = {b.key_text().replace("Return", "Enter") for b in page.findChildren(ActionButton)
                if b.isVisible() and b.key_text()}
        missing = sorted(k for k in keys if k not in listed)
        assert missing == [], (number, missing)
