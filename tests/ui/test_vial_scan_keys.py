"""A vial scanned into a line edit: what survives the typing (no production scan box yet).

A USB scanner types like a keyboard. The FNC1 between variable-length fields
arrives as the control character GS (ASCII 29), which a keyboard produces as
Ctrl+]; the platform hands Qt a key event carrying the text "\\x1d". A
QLineEdit drops it (control characters are not acceptable input), so the scan
box receives the code without separators. qtbot.keyClicks cannot type GS at all:
QTest has no key for it and Qt aborts the interpreter, so it is sent here as the
key event a scanner's keystrokes make.

What this means for the scan box to come: parse_vial_scan reads a code that lost
its separators where it can be read one way only, and refuses the usual DSCSA
vial (lot and serial both variable) with what to do; a scanner that sends ~ for
GS, or a scan box that inserts U+241D when it sees the GS key event, keeps them.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from ketalog.domain.errors import ValidationError
from ketalog.domain.vial_barcode import VialScan, parse_vial_scan

GTIN = "00367457108100"  # NDC 67457-108-10, ketamine 100 mg/mL (Mylan Institutional)
VIAL = VialScan(gtin=GTIN, lot_number="KE24A07", expiry_date=date(2027, 10, 31),
                serial="S9F3K2Q7P1")


def scan_box(qtbot: QtBot) -> QLineEdit:
    box = QLineEdit()
    qtbot.addWidget(box)
    return box


def press(box: QLineEdit, key: Qt.Key, modifiers: Qt.KeyboardModifier, text: str) -> None:
    """One keystroke as the platform delivers it (press, then release)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(box, QKeyEvent(kind, key, modifiers, text))


def type_scan(box: QLineEdit, qtbot: QtBot, parts: list[str], separator: str) -> None:
    """Type the printable parts, with the group separator between them as Ctrl+] would."""
    for index, part in enumerate(parts):
        if index:
            press(box, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier, separator)
        qtbot.keyClicks(box, part)


def test_the_group_separator_does_not_survive_a_line_edit(qtbot: QtBot) -> None:
    box = scan_box(qtbot)
    type_scan(box, qtbot, [f"]d201{GTIN}17271031" "10KE24A07", "21S9F3K2Q7P1"], "\x1d")
    assert box.text() == f"]d201{GTIN}1727103110KE24A0721S9F3K2Q7P1"
    # the lot ran into the serial: refused, not recorded as lot "KE24A0721S9F3K2Q7P1"
    with pytest.raises(ValidationError) as refused:
        parse_vial_scan(box.text())
    assert refused.value.messages[-1].startswith(
        "The scanner sent this code without its field separators")


def test_a_code_that_reads_one_way_only_survives_without_separators(qtbot: QtBot) -> None:
    # a vial without a serial, its lot last: the lost GS changes nothing
    box = scan_box(qtbot)
    type_scan(box, qtbot, [f"]d201{GTIN}", "17271031", "10KE24A07"], "\x1d")
    assert parse_vial_scan(box.text()) == VialScan(gtin=GTIN, lot_number="KE24A07",
                                                   expiry_date=date(2027, 10, 31))


@pytest.mark.parametrize(("key", "stand_in"), [
    (Qt.Key.Key_AsciiTilde, "~"),  # a scanner set to send ~ for GS
    (Qt.Key.Key_unknown, "\u241d"),  # what a scan box could insert on the GS key event
])
def test_a_stand_in_survives_and_is_read_as_the_separator(
        qtbot: QtBot, key: Qt.Key, stand_in: str) -> None:
    box = scan_box(qtbot)
    qtbot.keyClicks(box, f"]d201{GTIN}17271031" "10KE24A07")
    press(box, key, Qt.KeyboardModifier.NoModifier, stand_in)
    qtbot.keyClicks(box, "21S9F3K2Q7P1")
    assert stand_in in box.text()
    assert parse_vial_scan(box.text()) == VIAL
