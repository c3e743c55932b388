"""The vial box in the Dose tab, driven as a nurse would: scan, draw, given, waste before a witness.

Scans are typed as a USB scanner types them: the printable characters as key
clicks, and the group separator (GS, Ctrl+]) as the key event the platform
delivers, which qtbot.keyClicks cannot send (tests/ui/test_vial_scan_keys.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.errors import TransitionRefused
from ketalog.domain.session_state import SessionAction
from ketalog.domain.vial_barcode import gtin_from_ndc
from ketalog.services.session.state import change_state
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    receive_stock,
)
from ketalog.store.models import StockEntry
from ketalog.ui.session.panels.dose_panel import DosePanel
from ketalog.ui.session.panels.vial_box import VialBox
from ketalog.ui.widgets import ActionButton
from tests.staff import ADMIN, NURSE, password_of
from tests.ui.conftest import Chair, activate, open_panel
from tests.ui.kit_rules import assert_follows_the_kit

NDC = "99999-101-20"  # labeler 99999: no real product
GTIN = gtin_from_ndc(NDC)
GS = "\x1d"


def _stock(chair: Chair) -> list[int]:
    """The clinic safe: ketamine 10 mg/mL, 20 mL vials, lot KT24A (S1, S2) and KT24B (S3)."""
    with chair.db() as db:
        location = add_stock_location(db, ADMIN, name="Clinic safe", dea_number="FB7654329",
                                      address="12 Elm St", clock=chair.clock)
        product = add_stock_product(db, ADMIN, name="Ketamine 10 mg/mL, 20 mL vial",
                                    substance="ketamine", strength_mg_per_ml="10",
                                    container_volume_ml="20", ndc=NDC, clock=chair.clock)
        return receive_stock(
            db, NURSE, location_id=location, product_id=product, received_on=date(2026, 11, 1),
            supplier=Supplier("Henry Schein", "135 Duryea Road, Melville", "AB1234563"),
            order_reference="INV-1",
            containers=[ReceivedContainer("KT24A", date(2027, 6, 30), "S1"),
                        ReceivedContainer("KT24A", date(2027, 6, 30), "S2"),
                        ReceivedContainer("KT24B", date(2027, 9, 30), "S3")],
            clock=chair.clock)


def _entries(chair: Chair, kind: LedgerKind | None = None) -> list[StockEntry]:
    with chair.db() as db:
        query = select(StockEntry).order_by(StockEntry.id)
        if kind is not None:
            query = query.where(StockEntry.kind == kind)
        rows = list(db.scalars(query))
        db.expunge_all()
        return rows


def _box(chair: Chair, qtbot: QtBot, state: str = "verified") -> tuple[DosePanel, VialBox]:
    containers = _stock(chair)
    assert containers
    chair.to(state)
    panel, _controller = open_panel(chair, qtbot, DosePanel)
    return panel, panel.vial_box


def _focused(widget: QWidget) -> bool:
    return widget.window().focusWidget() is widget


def press(edit: QLineEdit, key: Qt.Key, modifiers: Qt.KeyboardModifier, text: str) -> None:
    """One keystroke as the platform delivers it (press, then release)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(kind, key, modifiers, text))


def scan(qtbot: QtBot, edit: QLineEdit, parts: list[str], separator: str = GS) -> None:
    """A scanner's keystrokes: the parts, the separator between them, Enter at the end."""
    edit.setFocus()
    for index, part in enumerate(parts):
        if index and separator == GS:
            press(edit, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier, GS)
        elif index:
            qtbot.keyClicks(edit, separator)
        qtbot.keyClicks(edit, part)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _code(lot: str = "KT24A", expiry: str = "270630", serial: str | None = "S2",
          prefix: str = "]d2") -> list[str]:
    parts = [f"{prefix}01{GTIN}17{expiry}10{lot}"]
    return [*parts, f"21{serial}"] if serial else parts


@pytest.mark.parametrize(("parts", "separator"), [
    (_code(), GS),  # a DataMatrix with FNC1 as GS and its symbology identifier
    (_code(prefix=""), "~"),  # a scanner set to send ~ for GS, no identifier
    (_code(serial=None), GS),  # an older vial: no serial, the lot last (reads one way only)
])
def test_a_scanned_vial_fills_lot_and_expiry_and_the_draw_is_recorded(
        chair: Chair, qtbot: QtBot, parts: list[str], separator: str) -> None:
    panel, box = _box(chair, qtbot)
    assert box.isVisible()
    assert panel.focusProxy() is box.scan_edit  # Alt+2 lands in the scan field
    assert "Nothing drawn yet" in box.summary_label.text()
    scan(qtbot, box.scan_edit, parts, separator)
    assert not box.scan_message.isVisible(), box.scan_message.text()
    chosen = box.chosen()
    assert chosen is not None and chosen.lot_number == "KT24A"
    assert "Scanned: lot KT24A, expires 2027-06-30" in box.vial_facts.text()
    if "S2" in "".join(parts):
        assert "serial S2" in box.vial_facts.text()
    # the dose ordered: 40 mg at 10 mg/mL; the keyboard is in the volume, Enter records it
    assert box.draw_edit.text() == "4" and _focused(box.draw_edit)
    qtbot.keyClick(box.draw_edit, Qt.Key.Key_Return)
    drawn = _entries(chair, LedgerKind.DRAWN)
    assert [(e.container_id, e.volume_ml, e.session_id) for e in drawn] == [
        (chosen.container_id, Decimal(4), chair.session_id)]
    # drawn for a dose not yet given: said plainly, without the alarm colour
    assert "4 mL drawn, for this dose: once it has ended" in box.summary_label.text()
    assert box.summary_label.styleSheet() == ""


@pytest.mark.parametrize(("parts", "words"), [
    (_code(expiry="261101"), "This vial expired on 2026-11-01"),
    ([f"]d201{gtin_from_ndc('12345-678-90')}1727063010KT24A", "21S1"], "Unknown product"),
    (["]d2hello"], "This is not a vial code ketalog can read"),
])
def test_a_scan_that_will_not_do_is_refused_where_the_nurse_is_and_nothing_is_written(
        chair: Chair, qtbot: QtBot, parts: list[str], words: str) -> None:
    _panel, box = _box(chair, qtbot)
    before = len(_entries(chair))
    scan(qtbot, box.scan_edit, parts)
    assert box.scan_message.isVisible() and words in box.scan_message.text()
    assert box.chosen() is None and not box.draw_button.isEnabled()
    assert len(_entries(chair)) == before
    # the refused code stays selected: the next scan replaces it
    assert box.scan_edit.selectedText() == box.scan_edit.text()


def test_a_vial_of_another_lot_than_the_picked_container_is_refused(
        chair: Chair, qtbot: QtBot) -> None:
    _panel, box = _box(chair, qtbot)
    box.container_combo.setFocus()
    box.container_combo.setCurrentIndex(0)  # lot KT24A, S1
    box.container_combo.activated.emit(0)
    scan(qtbot, box.scan_edit, _code(lot="KT24B", expiry="270930", serial="S3"))
    assert "This vial is lot KT24B, but the chosen container is lot KT24A" in (
        box.scan_message.text())
    assert _entries(chair, LedgerKind.DRAWN) == []


def _drawn_and_ended(chair: Chair, qtbot: QtBot, volume: str = "4.5") -> tuple[DosePanel, VialBox]:
    containers = _stock(chair)
    chair.to("verified")
    with chair.db() as db:
        draw_for_session(db, NURSE, session_id=chair.session_id, container_id=containers[0],
                         volume_ml=volume, clock=chair.clock)
        for minutes, action in ((1, SessionAction.START_INFUSION),
                                (40, SessionAction.STOP_INFUSION)):
            chair.clock.advance(minutes)
            change_state(db, NURSE, chair.session_id, action, clock=chair.clock)
    panel, _controller = open_panel(chair, qtbot, DosePanel)
    return panel, panel.vial_box


def test_a_witnessed_waste_writes_the_entry_with_the_witness_s_signature(
        chair: Chair, qtbot: QtBot) -> None:
    panel, box = _drawn_and_ended(chair, qtbot)
    assert_follows_the_kit(box)
    keys = [b.key_text() for b in panel.findChildren(ActionButton)
            if b.isVisible() and b.key_text()]
    assert len(keys) == len(set(keys)), keys
    # the dose has ended: what is still open is the nurse's to account for, in red
    assert "4.5 mL not yet accounted for" in box.summary_label.text()
    assert "#8b0000" in box.summary_label.styleSheet()
    # the pump ran the whole bag: 40 mg, 4 mL of the vial; the rest is the remainder
    assert box.given_edit.text() == "4" and box.remainder_edit.text() == "0.5"
    assert panel.focusProxy() is box.given_edit
    box.given_edit.setFocus()
    qtbot.keyClick(box.given_edit, Qt.Key.Key_Return)
    assert [e.volume_ml for e in _entries(chair, LedgerKind.ADMINISTERED)] == [Decimal(4)]
    assert "0.5 mL not yet accounted for" in box.summary_label.text()
    assert _focused(box.remainder_edit) and box.remainder_edit.text() == "0.5"
    qtbot.keyClick(box.remainder_edit, Qt.Key.Key_Return)
    assert _focused(box.manner_edit)
    qtbot.keyClick(box.manner_edit, Qt.Key.Key_Return)
    assert _focused(box.witness.username_edit)
    qtbot.keyClicks(box.witness.username_edit, "sam")
    qtbot.keyClick(box.witness.username_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(box.witness.password_edit, password_of("sam"))
    qtbot.keyClick(box.witness.password_edit, Qt.Key.Key_Return)
    assert not box.message.isVisible(), box.message.text()
    [wasted] = _entries(chair, LedgerKind.WASTED)
    assert (wasted.volume_ml, wasted.witness_id, wasted.witness_name, wasted.waste_manner) == (
        Decimal("0.5"), 2, "Sam Okafor, RN", "into the drug waste container")
    assert wasted.witness_key_id is not None and wasted.witness_signature
    assert "Every mL drawn is accounted for" in box.summary_label.text()
    assert "0.5 mL wasted before a witness" in box.draws_label.text()
    assert box.witness.password_edit.text() == "" and not box.settle_area.isVisible()


def test_a_wrong_witness_password_is_refused_and_nothing_is_written(
        chair: Chair, qtbot: QtBot) -> None:
    _panel, box = _drawn_and_ended(chair, qtbot)
    qtbot.keyClicks(box.witness.username_edit, "sam")
    qtbot.keyClicks(box.witness.password_edit, "not-sams-password")
    qtbot.keyClick(box.witness.password_edit, Qt.Key.Key_Return)
    assert "The user name or password is wrong." in box.message.text()
    assert _entries(chair, LedgerKind.WASTED) == []
    assert box.witness.password_edit.text() == "" and _focused(box.witness.password_edit)
    # the nurse cannot witness their own waste either
    box.witness.username_edit.setText("nora")
    qtbot.keyClicks(box.witness.password_edit, password_of("nora"))
    qtbot.keyClick(box.witness.password_edit, Qt.Key.Key_Return)
    assert "cannot also be the witness" in box.message.text()
    assert _entries(chair, LedgerKind.WASTED) == []


def test_the_remainder_must_be_accounted_for_before_discharge(chair: Chair, qtbot: QtBot) -> None:
    _panel, box = _drawn_and_ended(chair, qtbot)
    qtbot.keyClick(box.given_edit, Qt.Key.Key_Return)
    chair.clock.advance(30)
    with chair.db() as db, pytest.raises(TransitionRefused, match=r"Drawn and not accounted "
                                                                  r"for: 0\.5 mL of lot KT24A"):
        change_state(db, NURSE, chair.session_id, SessionAction.DISCHARGE, clock=chair.clock)
    activate(qtbot, box.window())
    box.remainder_edit.setFocus()
    qtbot.keyClick(box.remainder_edit, Qt.Key.Key_H, Qt.KeyboardModifier.AltModifier)
    assert [e.volume_ml for e in _entries(chair, LedgerKind.RETURNED)] == [Decimal("0.5")]
    assert "Every mL drawn is accounted for" in box.summary_label.text()
    with chair.db() as db:
        assert db.scalar(select(func.count()).select_from(StockEntry)) == 6


def test_the_box_is_filled_while_the_dose_tab_is_behind_another(chair: Chair, qtbot: QtBot) -> None:
    """The view arrives before the tab is shown: the box is filled all the same."""
    _stock(chair)
    chair.to("verified")
    controller = chair.controller()
    panel = DosePanel(controller)
    qtbot.addWidget(panel)
    controller.reload()  # not shown yet, as a tab behind the current one
    assert panel.focusProxy() is panel.vial_box.scan_edit
    panel.show()
    assert "Nothing drawn yet" in panel.vial_box.summary_label.text()
    assert panel.vial_box.container_combo.count() == 3


def test_alt_v_puts_the_keyboard_in_the_scan_field(chair: Chair, qtbot: QtBot) -> None:
    panel, box = _box(chair, qtbot)
    activate(qtbot, panel.window())
    panel.fields["dose_mg_per_kg"].setFocus()
    qtbot.keyClick(panel.fields["dose_mg_per_kg"], Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    assert _focused(box.scan_edit)
