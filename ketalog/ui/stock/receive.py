"""Receiving a delivery: the receipt's facts, then its containers, scanned vial by vial.

The supplier's name, address and DEA number and the invoice or DEA Form 222
number are what 21 CFR 1304.22(c) asks of a receipt. Each container is
recorded on its own: a scan of the vial's GS1 DataMatrix fills its lot, expiry
and serial and adds it to the delivery at once, so a box of serialised vials
is scanned one after another without touching the keyboard; vials without a
code are added by typing the lot and expiry once with how many of them came.
Nothing is stored until "Record delivery": then the receipt and every
container go in together, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from ketalog.domain.errors import ValidationError
from ketalog.domain.vial_barcode import VialScan, check_vial_against, parse_vial_scan
from ketalog.services.stock import (
    MAX_CONTAINERS_PER_RECEIPT,
    ReceivedContainer,
    Supplier,
    receive_stock,
)
from ketalog.services.stock_view_window import ProductChoice, StockSetUp
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.stock.tab import StockTab, date_field, fill_locations, fill_products, pydate, qdate
from ketalog.ui.widgets import ActionButton, Column, ComboBox, RowsModel, SpinBox, hint, make_table

#: What a keyboard scanner's FNC1 arrives as: Ctrl+], the control character GS.
GS_KEY_TEXT = "\x1d"
#: Put in its place in the box (a line edit drops control characters): the visible
#: symbol for GS, which parse_vial_scan reads as the separator.
GS_SHOWN = "\u241d"


class VialScanField(QLineEdit):
    """The box a USB scanner types the vial's code into; its field separators survive.

    A line edit drops the GS a scanner sends between fields (it is a control
    character), and without it a lot runs into the serial that follows. This
    box puts the visible GS symbol in its place.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaxLength(200)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """GS (Ctrl+]) becomes its visible symbol; every other key as usual."""
        if event.text() == GS_KEY_TEXT:
            self.insert(GS_SHOWN)
            return
        super().keyPressEvent(event)


@dataclass(frozen=True)
class DraftContainer:
    """One container of the delivery being entered (not stored yet)."""

    number: int
    lot_number: str
    expiry_date: date
    serial: str | None
    scanned: bool


def _source(container: DraftContainer) -> str:
    return (translated("Stock", QT_TRANSLATE_NOOP("Stock", "scan")) if container.scanned
            else translated("Stock", QT_TRANSLATE_NOOP("Stock", "typed")))


class DraftContainersModel(RowsModel[DraftContainer]):
    """The containers of the delivery, in the order they were added."""

    def __init__(self) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "#"), lambda c: str(c.number)),
            Column(QT_TRANSLATE_NOOP("Column", "Lot"), lambda c: c.lot_number),
            Column(QT_TRANSLATE_NOOP("Column", "Expiry"), lambda c: c.expiry_date.isoformat()),
            Column(QT_TRANSLATE_NOOP("Column", "Serial"), lambda c: c.serial or "—"),
            Column(QT_TRANSLATE_NOOP("Column", "From"), _source),
        ), key=lambda c: c.number)


class ReceiveTab(StockTab):
    """A delivery to one location, of one product (see the module docstring)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._next_number = 1
        today = ctx.clock().astimezone(ctx.tz).date()

        form = QFormLayout()
        self.location = ComboBox()
        self.product = ComboBox()
        self.received_on = date_field(today)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(QLabel(self.tr("Product")))
        where.addWidget(self.product, 2)
        where.addWidget(QLabel(self.tr("Received on")))
        where.addWidget(self.received_on)
        form.addRow(self.tr("Location"), where)
        self.supplier_name = QLineEdit()
        self.supplier_name.setPlaceholderText(self.tr("e.g. Henry Schein"))
        self.supplier_dea = QLineEdit()
        self.supplier_dea.setPlaceholderText(self.tr("supplier's DEA number"))
        supplier = QHBoxLayout()
        supplier.addWidget(self.supplier_name, 2)
        supplier.addWidget(QLabel(self.tr("DEA number")))
        supplier.addWidget(self.supplier_dea, 1)
        form.addRow(self.tr("Supplier"), supplier)
        self.supplier_address = QLineEdit()
        form.addRow(self.tr("Supplier's address"), self.supplier_address)
        self.order_reference = QLineEdit()
        self.order_reference.setPlaceholderText(self.tr("invoice number, or DEA Form 222 / "
                                                        "CSOS order number"))
        form.addRow(self.tr("Invoice or Form 222"), self.order_reference)
        self.content.addWidget(self.section(self.tr("The delivery")))
        self.content.addLayout(form)

        self.content.addWidget(self.section(self.tr("Its containers")))
        self.scan = VialScanField()
        self.scan.setObjectName("vialScan")
        self.scan.setPlaceholderText(self.tr("Scan the vial's square code here: each scan adds "
                                             "one container"))
        self.scan.returnPressed.connect(self.scan_entered)
        containers = QFormLayout()
        containers.addRow(self.tr("Scan"), self.scan)
        self.lot = QLineEdit()
        self.expiry = date_field(today)
        self.serial = QLineEdit()
        self.serial.setPlaceholderText(self.tr("none"))
        self.how_many = SpinBox()
        self.how_many.setRange(1, MAX_CONTAINERS_PER_RECEIPT)
        self.add_button = ActionButton(self.tr("Add (Enter)"))
        self.add_button.setToolTip(self.tr("Add this many containers of the lot typed"))
        self.add_button.clicked.connect(self.add_typed)
        self.add_button.bind_enter(self.lot, self.serial)
        typed = QHBoxLayout()
        typed.addWidget(self.lot, 2)
        typed.addWidget(QLabel(self.tr("Expiry")))
        typed.addWidget(self.expiry)
        typed.addWidget(QLabel(self.tr("Serial")))
        typed.addWidget(self.serial, 2)
        typed.addWidget(QLabel(self.tr("Containers")))
        typed.addWidget(self.how_many)
        typed.addWidget(self.add_button)
        containers.addRow(self.tr("Or type the lot"), typed)
        self.content.addLayout(containers)
        self.model = DraftContainersModel()
        self.table = make_table(self.model, stretch_column=3)
        self.table.setMinimumHeight(140)
        self.content.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.remove_button = ActionButton(self.tr("Remove selected"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.record_button = ActionButton(self.tr("Record delivery"), shortcut="Alt+R")
        self.record_button.setToolTip(self.tr("Record the receipt and every container listed"))
        self.record_button.clicked.connect(self.record)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.remove_button)
        bottom.addWidget(self.record_button)
        self.content.addLayout(bottom)
        self.content.addWidget(hint(self.tr(
            "A scanner that cannot send the field separator (GS) may send ~ in its place. "
            "One delivery is one product; record it, then the next.")))
        for field in (self.supplier_name, self.supplier_dea, self.supplier_address,
                      self.order_reference):
            field.returnPressed.connect(self.focusNextChild)
        self._show_count()
        self.finish()

    # --- set-up -------------------------------------------------------------------------

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer the locations and products in use."""
        super().show_set_up(set_up)
        fill_locations(self.location, set_up.locations)
        fill_products(self.product, set_up.products)

    def chosen_product(self) -> ProductChoice | None:
        """The product chosen in the list."""
        product_id = self.product.currentData()
        return next((p for p in self.set_up.products if p.id == product_id), None)

    def first_field(self) -> QWidget | None:
        """The supplier's name (the location and product keep their last choice)."""
        return self.supplier_name

    # --- containers ---------------------------------------------------------------------

    def containers(self) -> list[DraftContainer]:
        """The containers listed for the delivery."""
        return self.model.rows()

    def _add(self, lot: str, expiry: date, serial: str | None, scanned: bool,
             how_many: int = 1) -> None:
        rows = self.model.rows()
        for _ in range(how_many):
            rows.append(DraftContainer(self._next_number, lot, expiry, serial, scanned))
            self._next_number += 1
        self.model.set_rows(rows)
        self.table.scrollToBottom()
        self._show_count()

    def _show_count(self) -> None:
        self.count_label.setText(self.tr("%n containers in this delivery", "",
                                         len(self.model.rows())))

    def _product_of(self, scan: VialScan) -> ProductChoice | None:
        """The product whose GTIN the vial carries, or None when no product has that GTIN."""
        return next((p for p in self.set_up.products if p.gtin == scan.gtin), None)

    def scan_entered(self) -> None:
        """The scanner's Enter: read the code, fill lot/expiry/serial and add the container."""
        typed = self.scan.text()
        try:
            scan = parse_vial_scan(typed)
            with_gtins = [p.gtin for p in self.set_up.products if p.gtin]
            check_vial_against(scan, expected_gtin=None, expected_lot=None,
                               today=pydate(self.received_on.date()),
                               known_gtins=with_gtins or None)
        except ValidationError as refusal:
            self.message.show_error("\n".join(refusal.messages))
            self.scan.selectAll()  # the next scan replaces it
            return
        product = self._product_of(scan)
        if product is not None and product.id != self.product.currentData():
            if self.model.rows():
                self.message.show_error(self.tr(
                    "This vial is %1, but the delivery listed so far is %2: one delivery is "
                    "one product. Record these containers first, then scan this one again.")
                    .replace("%1", product.name).replace("%2", self.product.currentText()))
                self.scan.selectAll()
                return
            self.product.setCurrentIndex(self.product.findData(product.id))
        if scan.serial is not None and any(c.serial == scan.serial for c in self.model.rows()):
            self.message.show_error(self.tr("The vial with serial %1 is in the list already: "
                                            "each vial is scanned once.")
                                    .replace("%1", scan.serial))
            self.scan.selectAll()
            return
        self.lot.setText(scan.lot_number)
        self.expiry.setDate(qdate(scan.expiry_date))
        self.serial.setText(scan.serial or "")
        self._add(scan.lot_number, scan.expiry_date, scan.serial, scanned=True)
        self.scan.clear()
        self.message.show_info(self.tr("Container added: lot %1, expiry %2, serial %3.")
                               .replace("%1", scan.lot_number)
                               .replace("%2", scan.expiry_date.isoformat())
                               .replace("%3", scan.serial or self.tr("none")))

    def add_typed(self) -> None:
        """Add the typed lot and expiry, as many containers as said (one if a serial is typed)."""
        lot = self.lot.text().strip()
        serial = self.serial.text().strip() or None
        how_many = self.how_many.value()
        if not lot:
            self.message.show_error(self.tr("Type the lot number from the vial's label."))
            self.lot.setFocus()
            return
        if serial is not None and how_many > 1:
            self.message.show_error(self.tr("A serial number belongs to one vial: add "
                                            "serialised vials one at a time (or scan them)."))
            self.how_many.setFocus()
            return
        if serial is not None and any(c.serial == serial for c in self.model.rows()):
            self.message.show_error(self.tr("The vial with serial %1 is in the list already.")
                                    .replace("%1", serial))
            self.serial.setFocus()
            return
        self._add(lot, pydate(self.expiry.date()), serial, scanned=False, how_many=how_many)
        self.serial.clear()
        self.how_many.setValue(1)
        self.message.show_info(self.tr("%n containers of lot %1 added.", "", how_many)
                               .replace("%1", lot))

    def remove_selected(self) -> None:
        """Take the selected container off the list (nothing is stored yet)."""
        index = self.table.currentIndex()
        if not index.isValid():
            self.message.show_error(self.tr("Select the container to remove first."))
            return
        removed = self.model.row_at(index.row())
        self.model.set_rows([c for c in self.model.rows() if c.number != removed.number])
        self._show_count()
        self.message.clear_message()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete in the list removes the selected container."""
        if event.key() == Qt.Key.Key_Delete and self.table.hasFocus():
            self.remove_selected()
            return
        super().keyPressEvent(event)

    # --- recording ----------------------------------------------------------------------

    def record(self) -> None:
        """Record the receipt and its containers in one action; the form empties when done."""
        location_id = self.location.currentData()
        product_id = self.product.currentData()
        if location_id is None or product_id is None:
            self.message.show_error(self.tr("Register a location and a product first (Set-up "
                                            "tab, administrators)."))
            return
        received_on = pydate(self.received_on.date())
        supplier = Supplier(self.supplier_name.text(), self.supplier_address.text(),
                            self.supplier_dea.text())
        reference = self.order_reference.text()
        containers = [ReceivedContainer(c.lot_number, c.expiry_date, c.serial)
                      for c in self.model.rows()]
        outcome = self.act(lambda db, actor, clock: receive_stock(
            db, actor, location_id=location_id, product_id=product_id, received_on=received_on,
            supplier=supplier, order_reference=reference, containers=containers, clock=clock),
            self.tr("Delivery recorded: %n containers.", "", len(containers)))
        if not outcome.ok:
            return
        for field in (self.supplier_name, self.supplier_dea, self.supplier_address,
                      self.order_reference, self.lot, self.serial, self.scan):
            field.clear()
        self.model.set_rows([])
        self._next_number = 1
        self._show_count()
        self.supplier_name.setFocus()
