"""The Controlled substances window, driven as the clinic's staff would (issue 19).

Keys and clicks on the real widgets; every assertion is on the database (through
the services) and on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    recall_lot,
    receive_stock,
    stock_on_hand,
)
from ketalog.services.stock_counts import open_discrepancies
from ketalog.services.users import UserSummary
from ketalog.store.models import (
    AuditEntry,
    StockContainer,
    StockEntry,
    StockInventory,
    StockInventoryLine,
    StockLocation,
    StockProduct,
    StockReceipt,
)
from ketalog.ui.stock.on_hand import OnHandModel
from ketalog.ui.stock.stock_window import StockDialog
from tests.staff import ADMIN, NURSE, PHYSICIAN, password_of
from tests.ui.conftest import Chair, activate
from tests.ui.every_window import no_workstation_file as no_workstation_file

GTIN = "00367457108100"  # NDC 67457-108-10
SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")


@dataclass
class Books:
    location_id: int
    product_id: int


@pytest.fixture
def books(chair: Chair) -> Books:
    """One safe and ketamine 50 mg/mL in 10 mL vials (with its GTIN), nothing received yet."""
    with chair.db() as db:
        location = add_stock_location(db, ADMIN, name="Main clinic safe",
                                      dea_number="FB7654329", address="12 Elm St, Springfield",
                                      clock=chair.clock)
        product = add_stock_product(db, ADMIN, name="Ketamine HCl 50 mg/mL, 10 mL vial",
                                    substance="ketamine", strength_mg_per_ml="50",
                                    container_volume_ml="10", ndc="67457-108-10", gtin=GTIN,
                                    clock=chair.clock)
    return Books(location, product)


def received(chair: Chair, books: Books, *serials: str, lot: str = "KX2291",
             expiry: date = date(2027, 6, 30)) -> list[int]:
    with chair.db() as db:
        return receive_stock(db, NURSE, location_id=books.location_id,
                             product_id=books.product_id, received_on=chair.clock.now.date(),
                             supplier=SUPPLIER, order_reference="INV-1",
                             containers=[ReceivedContainer(lot, expiry, s) for s in serials],
                             clock=chair.clock)


def open_window(chair: Chair, qtbot: QtBot, as_who: object = NURSE) -> StockDialog:
    chair.actor[0] = as_who  # type: ignore[assignment]
    dialog = StockDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def press(widget: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier, text: str) -> None:
    """One keystroke as the platform delivers it (press, then release)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, modifiers, text))


def scan(qtbot: QtBot, box: QWidget, *parts: str) -> None:
    """A keyboard scanner: the parts with GS (Ctrl+]) between them, then Enter."""
    for index, part in enumerate(parts):
        if index:
            press(box, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier, "\x1d")
        qtbot.keyClicks(box, part)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def vial(lot: str, serial: str, expiry: str = "271031") -> tuple[str, str]:
    """A DSCSA vial's code: GTIN, expiry, lot, then (after GS) the serial."""
    return f"]d201{GTIN}17{expiry}10{lot}", f"21{serial}"


# --- set-up ------------------------------------------------------------------------------


def test_an_administrator_registers_a_location_and_a_product_by_keyboard(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = open_window(chair, qtbot, ADMIN)
    tab = dialog.set_up_tab
    dialog.show_tab(tab)
    assert tab.location_name.hasFocus()
    qtbot.keyClicks(tab.location_name, "Main clinic safe")
    qtbot.keyClicks(tab.location_dea, "FB7654329")
    qtbot.keyClicks(tab.location_address, "12 Elm St")
    qtbot.keyClick(tab.location_address, Qt.Key.Key_Return)
    qtbot.keyClicks(tab.product_name, "Ketamine 50 mg/mL, 10 mL")
    qtbot.keyClicks(tab.strength, "50")
    qtbot.keyClicks(tab.container_volume, "10")
    qtbot.keyClicks(tab.gtin, GTIN)
    qtbot.keyClick(tab.gtin, Qt.Key.Key_Return)
    with chair.db() as db:
        [location] = db.scalars(select(StockLocation)).all()
        [product] = db.scalars(select(StockProduct)).all()
    assert (location.name, location.dea_number) == ("Main clinic safe", "FB7654329")
    assert (product.strength_mg_per_ml, product.container_volume_ml) == (50, 10)
    assert product.gtin == GTIN
    assert "Main clinic safe" in tab.registered.text()
    assert dialog.receive.location.currentText() == "Main clinic safe"  # offered at once


def test_a_wrong_dea_number_is_refused_in_words_and_nothing_is_stored(
        chair: Chair, qtbot: QtBot) -> None:
    dialog = open_window(chair, qtbot, ADMIN)
    tab = dialog.set_up_tab
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.location_name, "Safe")
    qtbot.keyClicks(tab.location_dea, "FB7654320")  # check digit wrong
    qtbot.keyClicks(tab.location_address, "12 Elm St")
    qtbot.keyClick(tab.location_address, Qt.Key.Key_Return)
    assert "DEA number" in tab.message.text()
    assert tab.location_name.text() == "Safe"  # what was typed stays
    with chair.db() as db:
        assert db.scalars(select(StockLocation)).all() == []


def test_a_nurse_cannot_register_and_is_told_why(chair: Chair, qtbot: QtBot) -> None:
    dialog = open_window(chair, qtbot, NURSE)
    tab = dialog.set_up_tab
    assert not tab.add_location_button.isEnabled()
    assert "administrator" in tab.add_location_button.toolTip()
    assert tab.add_location_button.focusPolicy() == Qt.FocusPolicy.NoFocus


# --- on hand -----------------------------------------------------------------------------


def test_on_hand_shows_each_container_with_ml_mg_sealed_and_marks_recalled_and_expired(
        chair: Chair, qtbot: QtBot, books: Books, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    received(chair, books, "S1", "S2")
    received(chair, books, "E1", lot="OLD1", expiry=date(2026, 12, 31))
    with chair.db() as db:
        recall_lot(db, ADMIN, product_id=books.product_id, lot_number="KX2291",
                   reason="particles seen", clock=chair.clock)
    chair.clock.advance(60 * 24 * 45)  # 45 days on: lot OLD1 has expired
    dialog = open_window(chair, qtbot)
    model = dialog.on_hand.model
    qtmodeltester.check(model)
    rows = {model.row_at(r).serial: r for r in range(model.rowCount())}
    assert set(rows) == {"S1", "S2", "E1"}
    cells = [model.index(rows["S1"], c).data() for c in range(model.columnCount())]
    assert cells[1:] == ["Ketamine HCl 50 mg/mL, 10 mL vial", "KX2291", "2027-06-30", "S1",
                         "10 mL", "500 mg", "sealed", "⚠ RECALLED"]
    assert model.index(rows["E1"], OnHandModel.WARNING).data() == "⚠ EXPIRED"
    assert "30 mL in 3 containers" in dialog.on_hand.summary.text()


def test_the_dispensing_log_and_balance_of_a_location_are_saved_as_pdf_and_csv(
        chair: Chair, qtbot: QtBot, books: Books, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.on_hand
    chosen: list[str] = []

    def choose(*_args: object, **_kwargs: object) -> tuple[str, str]:
        return chosen[-1], ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    chosen.append(str(tmp_path / "log.pdf"))
    qtbot.mouseClick(tab.save_log_button, Qt.MouseButton.LeftButton)
    assert "Choose one location" in tab.message.text()  # "All locations": each has its books
    tab.location.setCurrentIndex(tab.location.findData(books.location_id))
    qtbot.mouseClick(tab.save_log_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "log.pdf").read_bytes().startswith(b"%PDF")
    tab.books_format.setCurrentIndex(tab.books_format.findData("csv"))
    chosen.append(str(tmp_path / "balance.csv"))
    qtbot.mouseClick(tab.save_balance_button, Qt.MouseButton.LeftButton)
    assert "KX2291" in (tmp_path / "balance.csv").read_text(encoding="utf-8")
    assert tab.message.text() == f"Saved {tmp_path / 'balance.csv'}"


# --- receive -----------------------------------------------------------------------------


def test_receive_a_delivery_with_scanned_vials(chair: Chair, qtbot: QtBot, books: Books) -> None:
    dialog = open_window(chair, qtbot)
    tab = dialog.receive
    dialog.show_tab(tab)
    assert tab.supplier_name.hasFocus()
    qtbot.keyClicks(tab.supplier_name, SUPPLIER.name)
    qtbot.keyClick(tab.supplier_name, Qt.Key.Key_Return)  # Enter moves on
    assert tab.supplier_dea.hasFocus()
    qtbot.keyClicks(tab.supplier_dea, SUPPLIER.dea_number)
    qtbot.keyClicks(tab.supplier_address, SUPPLIER.address)
    qtbot.keyClicks(tab.order_reference, "DEA-222-0042")
    tab.scan.setFocus()
    scan(qtbot, tab.scan, *vial("KE24A07", "S9F3K2Q7P1"))
    # the scan filled lot, expiry and serial, and added the container; the box is ready
    assert (tab.lot.text(), tab.serial.text()) == ("KE24A07", "S9F3K2Q7P1")
    assert tab.expiry.date().toPython() == date(2027, 10, 31)
    assert tab.scan.text() == "" and tab.scan.hasFocus()
    scan(qtbot, tab.scan, *vial("KE24A07", "S9F3K2Q7P2"))
    scan(qtbot, tab.scan, *vial("KE24A07", "S9F3K2Q7P2"))  # the same vial twice
    assert "in the list already" in tab.message.text()
    assert [c.serial for c in tab.containers()] == ["S9F3K2Q7P1", "S9F3K2Q7P2"]
    assert tab.count_label.text() == "2 containers in this delivery"
    assert tab.record_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert "Delivery recorded" in tab.message.text()
    with chair.db() as db:
        [receipt] = db.scalars(select(StockReceipt)).all()
        containers = db.scalars(select(StockContainer).order_by(StockContainer.id)).all()
        on_hand = stock_on_hand(db, books.location_id)
    assert (receipt.supplier_name, receipt.supplier_dea_number, receipt.order_reference) == (
        SUPPLIER.name, SUPPLIER.dea_number, "DEA-222-0042")
    assert [(c.lot_number, c.expiry_date, c.serial) for c in containers] == [
        ("KE24A07", date(2027, 10, 31), "S9F3K2Q7P1"),
        ("KE24A07", date(2027, 10, 31), "S9F3K2Q7P2")]
    assert sum(b.balance_ml for b in on_hand) == Decimal(20)
    assert tab.containers() == [] and tab.supplier_name.text() == ""
    assert dialog.on_hand.model.rowCount() == 2  # the other tab shows it at once


def test_many_unserialised_vials_of_one_lot_typed_once(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    dialog = open_window(chair, qtbot)
    tab = dialog.receive
    dialog.show_tab(tab)
    for field, text in ((tab.supplier_name, SUPPLIER.name), (tab.supplier_dea,
                        SUPPLIER.dea_number), (tab.supplier_address, SUPPLIER.address),
                        (tab.order_reference, "INV-7")):
        qtbot.keyClicks(field, text)
    qtbot.keyClicks(tab.lot, "LOT55")
    tab.expiry.setDate(date(2028, 1, 31))
    tab.how_many.setValue(25)
    qtbot.keyClick(tab.lot, Qt.Key.Key_Return)
    assert len(tab.containers()) == 25
    tab.record_button.press()
    with chair.db() as db:
        containers = db.scalars(select(StockContainer)).all()
    assert len(containers) == 25 and {c.lot_number for c in containers} == {"LOT55"}


def test_a_scan_of_an_unknown_product_or_an_unreadable_code_adds_nothing(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    dialog = open_window(chair, qtbot)
    tab = dialog.receive
    dialog.show_tab(tab)
    other = "00312345678906"  # another product's GTIN (check digit right)
    scan(qtbot, tab.scan, f"]d201{other}17271031" "10LOT1", "21X1")
    assert "Unknown product" in tab.message.text()
    scan(qtbot, tab.scan, "hello")
    assert "not a vial code" in tab.message.text()
    assert tab.containers() == []


def test_a_scan_picks_the_vials_product_and_reads_a_tilde_as_the_separator(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    with chair.db() as db:
        add_stock_product(db, ADMIN, name="Esketamine 28 mg device", substance="esketamine",
                          strength_mg_per_ml="140", container_volume_ml="0.2",
                          clock=chair.clock)
    dialog = open_window(chair, qtbot)
    tab = dialog.receive
    dialog.show_tab(tab)
    tab.product.setCurrentIndex(tab.product.findText("Esketamine 28 mg device"))
    lot, serial = vial("KE24A07", "S1")
    qtbot.keyClicks(tab.scan, lot + "~" + serial)  # a scanner set to send ~ for GS
    qtbot.keyClick(tab.scan, Qt.Key.Key_Return)
    assert [(c.lot_number, c.serial) for c in tab.containers()] == [("KE24A07", "S1")]
    assert tab.product.currentText() == "Ketamine HCl 50 mg/mL, 10 mL vial"


def test_f5_shows_what_another_workstation_recorded(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    dialog = open_window(chair, qtbot)
    assert dialog.on_hand.model.rowCount() == 0
    received(chair, books, "S1")
    qtbot.keyClick(dialog, Qt.Key.Key_F5)
    assert dialog.on_hand.model.rowCount() == 1


def test_a_delivery_missing_its_supplier_is_refused_and_kept_on_screen(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    dialog = open_window(chair, qtbot)
    tab = dialog.receive
    dialog.show_tab(tab)
    scan(qtbot, tab.scan, *vial("KE24A07", "S1"))
    tab.record_button.press()
    assert "supplier's name is missing" in tab.message.text()
    assert len(tab.containers()) == 1
    with chair.db() as db:
        assert db.scalars(select(StockReceipt)).all() == []


# --- counts, discrepancies, inventories -------------------------------------------------------


def test_a_count_with_a_mismatch_opens_a_discrepancy_closed_only_by_a_signed_explanation(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    first, second = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)  # Nora counts
    tab = dialog.count
    dialog.show_tab(tab)
    assert tab.entries.fields[first].hasFocus()
    assert "expected 10 mL" in tab.entries.grid.itemAtPosition(0, 1).widget().text()
    qtbot.keyClicks(tab.entries.fields[first], "10")
    qtbot.keyClick(tab.entries.fields[first], Qt.Key.Key_Return)  # Enter: the next container
    assert tab.entries.fields[second].hasFocus()
    qtbot.keyClicks(tab.entries.fields[second], "9.5")
    qtbot.keyClick(tab.entries.fields[second], Qt.Key.Key_Return)  # then the second counter
    assert tab.second.username_edit.hasFocus()
    qtbot.keyClicks(tab.second.username_edit, "sam")
    qtbot.keyClick(tab.second.username_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(tab.second.password_edit, password_of("sam"))
    qtbot.keyClick(tab.second.password_edit, Qt.Key.Key_Return)
    assert tab.password.hasFocus()
    qtbot.keyClicks(tab.password, password_of("nora"))
    qtbot.keyClick(tab.password, Qt.Key.Key_Return)  # signs and records
    assert "1 discrepancies opened" in tab.message.text() or (
        "1 discrepancy opened" in tab.message.text())
    assert tab.password.text() == "" and tab.second.password_edit.text() == ""
    with chair.db() as db:
        [open_one] = open_discrepancies(db)
    assert (open_one.container_id, open_one.expected_ml, open_one.found_ml) == (
        second, Decimal(10), Decimal("9.5"))

    chair.actor[0] = PHYSICIAN  # the clinic's default: a physician resolves
    listing = dialog.discrepancies
    dialog.show_tab(listing)
    assert listing.model.rowCount() == 1
    assert listing.model.index(0, 4).data() == "9.5 mL"
    assert listing.resolve_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    # no explanation: refused, still open
    qtbot.keyClicks(listing.password, password_of("ada"))
    qtbot.keyClick(listing.password, Qt.Key.Key_Return)
    assert "Explain the difference" in listing.message.text()
    assert listing.explanation.hasFocus()
    # an explanation but a wrong password: refused, still open
    qtbot.keyClicks(listing.explanation, "half a mL spilled while drawing, Tuesday")
    qtbot.keyClick(listing.explanation, Qt.Key.Key_Return)
    assert listing.password.hasFocus()
    qtbot.keyClicks(listing.password, "not-my-password")
    qtbot.keyClick(listing.password, Qt.Key.Key_Return)
    assert listing.message.text().startswith("⚠")
    with chair.db() as db:
        assert len(open_discrepancies(db)) == 1
    qtbot.keyClicks(listing.password, password_of("ada"))
    qtbot.keyClick(listing.password, Qt.Key.Key_Return)
    assert listing.message.text() == "Discrepancy resolved."
    assert listing.model.rowCount() == 0
    with chair.db() as db:
        assert open_discrepancies(db) == []


def test_a_count_missing_a_container_or_the_second_counter_records_nothing(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    first, _second = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.count
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.entries.fields[first], "10")
    tab.record_button.press()
    assert "every container" in tab.message.text()
    assert tab.entries.fields[_second].hasFocus()
    qtbot.keyClicks(tab.entries.fields[_second], "10")
    tab.record_button.press()
    assert "second counter's user name" in tab.message.text()
    assert tab.second.username_edit.hasFocus()
    with chair.db() as db:
        assert open_discrepancies(db) == []


def test_an_inventory_is_saved_signed(chair: Chair, qtbot: QtBot, books: Books) -> None:
    first, second = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.inventory
    dialog.show_tab(tab)
    assert "initial inventory" in tab.status.text()
    assert not tab._print.isVisible()  # no inventory yet: nothing to print
    assert tab.entries.fields[first].hasFocus()
    qtbot.keyClicks(tab.entries.fields[first], "1")
    qtbot.keyClick(tab.entries.fields[first], Qt.Key.Key_Return)
    qtbot.keyClicks(tab.entries.fields[second], "1")
    qtbot.keyClick(tab.entries.fields[second], Qt.Key.Key_Return)
    assert tab.password.hasFocus()
    qtbot.keyClicks(tab.password, password_of("nora"))
    qtbot.keyClick(tab.password, Qt.Key.Key_Return)
    assert tab.message.text() == "Inventory recorded and signed."
    with chair.db() as db:
        [inventory] = db.scalars(select(StockInventory)).all()
        lines = db.scalars(select(StockInventoryLine)).all()
    assert (inventory.kind.value, inventory.business_time.value) == ("initial", "opening")
    assert inventory.taken_by_name.startswith("Nora Reyes") and inventory.signature
    assert len(lines) == 2
    assert "Last inventory: Initial inventory" in tab.status.text()
    assert tab._print.isVisible()  # the inventory just signed can be printed
    reopened = open_window(chair, qtbot)
    assert reopened.inventory.kind.currentData() == "biennial"  # the next one due
    reopened.show_tab(reopened.inventory)
    assert reopened.inventory._print.isVisible()  # the last inventory prints from here


@pytest.mark.usefixtures("english_plurals")
def test_an_inventory_that_finds_a_sealed_vial_missing_says_to_count(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    first, second = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.inventory
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.entries.fields[first], "1")
    qtbot.keyClicks(tab.entries.fields[second], "0")  # sealed, and not on the shelf
    qtbot.keyClicks(tab.password, password_of("nora"))
    tab.sign_button.press()
    text = tab.message.text()
    assert "Inventory recorded and signed; 1 container differs from the books" in text
    assert "Count the location (Count tab)" in text
    with chair.db() as db:
        assert len(db.scalars(select(StockInventory)).all()) == 1  # recorded as found


def test_print_opens_the_signed_inventory_in_the_document_preview(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    [first] = received(chair, books, "S1")
    dialog = open_window(chair, qtbot)
    tab = dialog.inventory
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.entries.fields[first], "1")
    qtbot.keyClicks(tab.password, password_of("nora"))
    tab.sign_button.press()
    assert tab.message.text() == "Inventory recorded and signed."
    assert tab._print.isVisible()
    qtbot.mouseClick(tab._print, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog._documents is not None and bool(dialog._documents.previews),
                    timeout=20_000)
    assert dialog._documents is not None
    preview = dialog._documents.previews[0]
    assert preview.windowTitle() == "Controlled-substance inventory"
    assert preview.document.pageCount() >= 1
    with chair.db() as db:
        [inventory] = db.scalars(select(StockInventory)).all()
        produced = db.scalars(select(AuditEntry).where(AuditEntry.action == "pdf_produced")).all()
    assert [(row.table_name, row.row_id, row.field) for row in produced] == [
        ("stock_inventories", inventory.id, "stock_inventory")]
    preview.close()


def test_an_inventory_with_a_wrong_password_is_refused_and_keeps_the_lines(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    [first] = received(chair, books, "S1")
    dialog = open_window(chair, qtbot)
    tab = dialog.inventory
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.entries.fields[first], "1")
    qtbot.keyClicks(tab.password, "wrong")
    tab.sign_button.press()
    assert tab.message.text().startswith("⚠")
    assert tab.entries.fields[first].text() == "1"
    with chair.db() as db:
        assert db.scalars(select(StockInventory)).all() == []


# --- transfer, destruction, loss -----------------------------------------------------------


def test_destruction_before_two_witnesses_by_keyboard(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    [first, _second] = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.destruction
    dialog.show_tab(tab)
    tab.table.selectRow(0)
    qtbot.keyClicks(tab.manner, "pharmaceutical waste kit")
    qtbot.keyClick(tab.manner, Qt.Key.Key_Return)
    for row, who in ((tab.first_witness, "sam"), (tab.second_witness, "ada")):
        assert row.username_edit.hasFocus()
        qtbot.keyClicks(row.username_edit, who)
        qtbot.keyClick(row.username_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(row.password_edit, password_of(who))
        qtbot.keyClick(row.password_edit, Qt.Key.Key_Return)
    assert "destroyed before two witnesses" in tab.message.text()
    with chair.db() as db:
        [destroyed] = db.scalars(select(StockEntry).where(StockEntry.kind == "destroyed")).all()
    assert destroyed.container_id == first and destroyed.volume_ml == 10
    assert tab.model.rowCount() == 1


def test_a_loss_is_recorded_signed(chair: Chair, qtbot: QtBot, books: Books) -> None:
    [first, _second] = received(chair, books, "S1", "S2")
    dialog = open_window(chair, qtbot)
    tab = dialog.loss
    dialog.show_tab(tab)
    qtbot.keyClicks(tab.entries.fields[first], "10")
    qtbot.keyClicks(tab.circumstances, "vial missing from the safe at the morning count")
    qtbot.keyClicks(tab.password, password_of("nora"))
    qtbot.keyClick(tab.password, Qt.Key.Key_Return)
    assert "Loss recorded" in tab.message.text()
    with chair.db() as db:
        [lost] = db.scalars(select(StockEntry).where(StockEntry.kind == "lost")).all()
    assert lost.container_id == first and lost.volume_ml == 10


def test_a_transfer_needs_another_registration(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    [first] = received(chair, books, "S1")
    with chair.db() as db:
        add_stock_location(db, ADMIN, name="Satellite clinic", dea_number="BS1234563",
                           address="1 Oak Ave", clock=chair.clock)
    dialog = open_window(chair, qtbot)
    tab = dialog.transfer
    dialog.show_tab(tab)
    tab.transfer_button.press()
    assert "Choose the containers" in tab.message.text()
    tab.table.selectRow(0)
    tab.to_location.setCurrentIndex(tab.to_location.findText("Satellite clinic"))
    tab.transfer_button.press()
    assert "transferred to Satellite clinic" in tab.message.text()
    with chair.db() as db:
        [where] = [b.location_name for b in stock_on_hand(db) if b.container_id == first]
    assert where == "Satellite clinic"


# --- the main window ---------------------------------------------------------------------


def test_the_main_window_opens_it_with_its_shortcut(chair: Chair, qtbot: QtBot) -> None:
    from ketalog.ui.main_window import SHORTCUTS, MainWindow

    window = MainWindow(chair.engine, "sqlite:///kit", clock=chair.clock,
                        user=UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"))
    qtbot.addWidget(window)
    activate(qtbot, window)
    assert window.stock_action.isVisible()
    assert "Ctrl+Shift+K" in dict(SHORTCUTS)
    qtbot.keyClick(window, Qt.Key.Key_K,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.stock_dialog.isVisible())
    window.stock_dialog.close()


def test_a_clinic_with_several_long_product_names_still_fits_the_laptop_screen(
        chair: Chair, qtbot: QtBot, books: Books) -> None:
    """Seen on the demo: the on-hand summary on one line made the window 1510 pixels wide."""
    received(chair, books, "S1")
    with chair.db() as db:
        for number, name in enumerate(("Ketamine HCl 10 mg/mL, 20 mL multi-dose vial",
                                       "Spravato (esketamine) 28 mg nasal spray device"),
                                      start=2):
            product = add_stock_product(db, ADMIN, name=name, substance="ketamine",
                                        strength_mg_per_ml="10", container_volume_ml="20",
                                        ndc=f"67457-10{number}-20", clock=chair.clock)
            receive_stock(db, NURSE, location_id=books.location_id, product_id=product,
                          received_on=chair.clock.now.date(), supplier=SUPPLIER,
                          order_reference=f"INV-{number}",
                          containers=[ReceivedContainer("L1", date(2027, 6, 30), f"P{number}")],
                          clock=chair.clock)
    dialog = open_window(chair, qtbot)
    dialog.on_hand.refresh()
    assert "Spravato (esketamine) 28 mg nasal spray device" in dialog.on_hand.summary.text()
    assert dialog.minimumSizeHint().width() <= 1366, dialog.minimumSizeHint()
