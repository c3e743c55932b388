"""The stock on hand per location, and the set-up of locations and products.

Every container with volume left is a row: product, lot, expiry, serial, the
millilitres and milligrams left, sealed or opened. A recalled lot and an
expired container are marked in words and colour, never hidden: they still
count until returned or destroyed. A location's dispensing log and perpetual
balance over a period are saved from here as PDF or CSV. Administrators register locations (with
their DEA registration) and products in the Set-up tab.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ketalog.domain.controlled_substances import Substance, format_ml
from ketalog.services.access import Permission, may
from ketalog.services.stock import add_stock_location, add_stock_product
from ketalog.services.stock_reports import FileFormat, StockDocument, save_stock_document
from ketalog.services.stock_view_window import OnHandRow, StockSetUp, on_hand_rows
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import ALERT_MARK, OVERDUE_TEXT
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.stock.tab import StockTab, date_field, fill_locations, pydate
from ketalog.ui.widgets import (
    ActionButton,
    Button,
    Column,
    ComboBox,
    RowsModel,
    hint,
    make_table,
)
from ketalog.ui.widgets.windows import export_path, remember_export_folder

RIGHT = Qt.AlignmentFlag.AlignRight


def format_mg(amount: Decimal) -> str:
    """Milligrams as the books print them: "500 mg", "12.5 mg"."""
    return f"{amount.normalize():f} mg"


def state_text(row: OnHandRow) -> str:
    """Sealed or opened, in the workstation's language."""
    return (translated("Stock", QT_TRANSLATE_NOOP("Stock", "sealed")) if row.sealed
            else translated("Stock", QT_TRANSLATE_NOOP("Stock", "opened")))


def warning_text(row: OnHandRow) -> str:
    """Recalled and expired, in words (do not draw from it)."""
    words = []
    if row.recalled:
        words.append(translated("Stock", QT_TRANSLATE_NOOP("Stock", "RECALLED")))
    if row.expired:
        words.append(translated("Stock", QT_TRANSLATE_NOOP("Stock", "EXPIRED")))
    return f"{ALERT_MARK} " + ", ".join(words) if words else ""


def _alert(row: OnHandRow) -> QColor | None:
    return OVERDUE_TEXT if row.recalled or row.expired else None


class OnHandModel(RowsModel[OnHandRow]):
    """One row per container with volume left."""

    WARNING = 8

    def __init__(self) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Location"), lambda r: r.location_name),
            Column(QT_TRANSLATE_NOOP("Column", "Product"), lambda r: r.product_name),
            Column(QT_TRANSLATE_NOOP("Column", "Lot"), lambda r: r.lot_number, colour=_alert),
            Column(QT_TRANSLATE_NOOP("Column", "Expiry"), lambda r: r.expiry_date.isoformat(),
                   colour=lambda r: OVERDUE_TEXT if r.expired else None),
            Column(QT_TRANSLATE_NOOP("Column", "Serial"), lambda r: r.serial or "—"),
            Column(QT_TRANSLATE_NOOP("Column", "mL left"), lambda r: format_ml(r.left_ml),
                   align=RIGHT, header_tip=QT_TRANSLATE_NOOP("Column", "Millilitres left")),
            Column(QT_TRANSLATE_NOOP("Column", "mg left"), lambda r: format_mg(r.left_mg),
                   align=RIGHT, header_tip=QT_TRANSLATE_NOOP("Column", "Milligrams left")),
            Column(QT_TRANSLATE_NOOP("Column", "Sealed"), state_text),
            Column(QT_TRANSLATE_NOOP("Column", "Warning"), warning_text, colour=_alert,
                   bold=lambda r: r.recalled or r.expired),
        ), key=lambda r: r.container_id)


class OnHandTab(StockTab):
    """The containers on hand at one location or all of them."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, scrolling=False)
        self.location = ComboBox()
        self.location.currentIndexChanged.connect(lambda _i: self.refresh())
        # one line per product under the location, wrapped: on one line beside it, a clinic
        # with three products pushed the window wider than a 1366-pixel screen
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Location")))
        top.addWidget(self.location)
        top.addStretch(1)
        self.model = OnHandModel()
        self.table = make_table(self.model, stretch_column=1)
        self.content.addLayout(top)
        self.content.addWidget(self.summary)
        self.content.addWidget(self.table, 1)
        self.content.addWidget(hint(self.tr(
            "Recalled and expired containers stay in the books (and in every count) until "
            "they are returned or destroyed; do not draw from them.")))
        self.content.addLayout(self._books_row())
        self.finish()

    def _books_row(self) -> QHBoxLayout:
        """The chosen location's dispensing log and balance over a period, saved as PDF or CSV."""
        today = self.ctx.clock().astimezone(self.ctx.tz).date()
        self.books_from = date_field(today.replace(day=1))
        self.books_to = date_field(today)
        self.books_format = ComboBox()
        for fmt in FileFormat:
            self.books_format.addItem(fmt.value.upper(), fmt.value)
        self.save_log_button = Button(
            self.tr("Save dispensing log…"),
            on_click=lambda: self.save_books(StockDocument.DISPENSING_LOG))
        self.save_balance_button = Button(self.tr("Save balance…"),
                                          on_click=lambda: self.save_books(StockDocument.BALANCE))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("The location's books from")))
        row.addWidget(self.books_from)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.books_to)
        row.addWidget(self.books_format)
        row.addStretch(1)
        row.addWidget(self.save_log_button)
        row.addWidget(self.save_balance_button)
        return row

    def save_books(self, document: StockDocument) -> None:
        """Ask where, then save the chosen location's log or balance (written whole, audited)."""
        location_id = self.location.currentData()
        if location_id is None:
            self.message.show_error(self.tr("Choose one location: each keeps its own books."))
            return
        start, end = pydate(self.books_from.date()), pydate(self.books_to.date())
        fmt = FileFormat(self.books_format.currentData())
        what = "dispensing-log" if document is StockDocument.DISPENSING_LOG else "balance"
        suggested = f"{what}-{location_id}-{end.isoformat()}.{fmt.value}"
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save the books"), export_path(suggested),
            f"{fmt.value.upper()} (*.{fmt.value})")
        if not path:
            return
        outcome = self.act(lambda db, actor, clock: save_stock_document(
            db, actor, document=document, file_format=fmt, location_id=location_id, path=path,
            start=start, end=end, clock=clock),
            self.tr("Saved %1").replace("%1", path))
        if outcome.ok:
            remember_export_folder(path)

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer every location, and "All locations" first."""
        super().show_set_up(set_up)
        fill_locations(self.location, set_up.locations, everywhere=self.tr("All locations"))

    def refresh(self) -> None:
        """The containers as the books hold them now."""
        where = self.location.currentData()
        now = self.ctx.clock()
        actor = self.ctx.actor()
        rows = self.read(lambda db: on_hand_rows(db, actor, now, where))
        if rows is None:
            return
        self.model.set_rows(rows)
        total: dict[str, Decimal] = {}
        for row in rows:
            total[row.product_name] = total.get(row.product_name, Decimal(0)) + row.left_ml
        self.summary.setText("\n".join(
            self.tr("%1: %2 in %3").replace("%1", name).replace("%2", format_ml(ml))
            .replace("%3", self.tr("%n containers", "", sum(
                1 for r in rows if r.product_name == name)))
            for name, ml in total.items()) or self.tr("No containers on hand."))

    def first_field(self) -> QWidget | None:
        """The list (arrows move between containers)."""
        return self.table


class SetUpTab(StockTab):
    """Register a location or a product (administrators); lists what is registered."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.registered = QLabel()
        self.registered.setWordWrap(True)
        self.registered.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.content.addWidget(self.section(self.tr("Registered")))
        self.content.addWidget(self.registered)

        self.content.addWidget(self.section(self.tr("New location")))
        location = QFormLayout()
        self.location_name = QLineEdit()
        self.location_name.setPlaceholderText(self.tr("e.g. Main clinic safe"))
        self.location_dea = QLineEdit()
        self.location_dea.setPlaceholderText(self.tr("e.g. FB7654329"))
        self.location_address = QLineEdit()
        self.add_location_button = ActionButton(self.tr("Add location (Enter)"))
        self.add_location_button.clicked.connect(self.add_location)
        self.add_location_button.bind_enter(self.location_name, self.location_dea,
                                            self.location_address)
        location.addRow(self.tr("Name"), self.location_name)
        location.addRow(self.tr("DEA registration number"), self.location_dea)
        location.addRow(self.tr("Address"), self.location_address)
        location.addRow("", self.add_location_button)
        self.content.addLayout(location)

        self.content.addWidget(self.section(self.tr("New product")))
        product = QFormLayout()
        self.product_name = QLineEdit()
        self.product_name.setPlaceholderText(self.tr("e.g. Ketamine HCl 50 mg/mL, 10 mL vial"))
        self.substance = ComboBox()
        for substance in Substance:
            self.substance.addItem(substance.value, substance.value)
        self.strength = QLineEdit()
        self.strength.setPlaceholderText(self.tr("mg/mL, e.g. 50"))
        self.container_volume = QLineEdit()
        self.container_volume.setPlaceholderText(self.tr("mL, e.g. 10"))
        self.ndc = QLineEdit()
        self.ndc.setPlaceholderText(self.tr("e.g. 67457-108-10"))
        self.gtin = QLineEdit()
        self.gtin.setPlaceholderText(self.tr("14 digits, as the vial's code carries after (01)"))
        self.add_product_button = ActionButton(self.tr("Add product (Enter)"))
        self.add_product_button.clicked.connect(self.add_product)
        self.add_product_button.bind_enter(self.product_name, self.strength,
                                           self.container_volume, self.ndc, self.gtin)
        product.addRow(self.tr("Name"), self.product_name)
        product.addRow(self.tr("Substance"), self.substance)
        sizes = QHBoxLayout()
        sizes.addWidget(self.strength)
        sizes.addWidget(QLabel(self.tr("Container volume")))
        sizes.addWidget(self.container_volume)
        product.addRow(self.tr("Strength"), sizes)
        codes = QHBoxLayout()
        codes.addWidget(self.ndc)
        codes.addWidget(QLabel(self.tr("GTIN")))
        codes.addWidget(self.gtin, 1)
        product.addRow(self.tr("NDC"), codes)
        product.addRow("", self.add_product_button)
        self.content.addLayout(product)
        self.content.addStretch(1)
        self.finish()

    def allow(self, role: str) -> None:
        """Only administrators register (the services refuse anyone else too)."""
        allowed = may(role, Permission.MANAGE_STOCK)
        why = "" if allowed else self.tr("Only an administrator registers stock locations and "
                                         "products.")
        for button in (self.add_location_button, self.add_product_button):
            button.setEnabled(allowed)
            button.setToolTip(why)

    def show_set_up(self, set_up: StockSetUp) -> None:
        """List the locations and products in use."""
        super().show_set_up(set_up)
        lines = [self.tr("Location: %1 (DEA %2), %3").replace("%1", loc.name)
                 .replace("%2", loc.dea_number).replace("%3", loc.address)
                 for loc in set_up.locations]
        lines += [self.tr("Product: %1 — %2, %3 mg/mL, %4 per container%5")
                  .replace("%1", p.name).replace("%2", p.substance.value)
                  .replace("%3", f"{p.strength_mg_per_ml.normalize():f}")
                  .replace("%4", format_ml(p.container_volume_ml))
                  .replace("%5", f", GTIN {p.gtin}" if p.gtin else "")
                  for p in set_up.products]
        self.registered.setText("\n".join(lines) or self.tr(
            "Nothing registered yet: add the location that holds the stock, then the product."))

    def add_location(self) -> None:
        """Register the location typed."""
        name, dea, address = (self.location_name.text(), self.location_dea.text(),
                              self.location_address.text())
        outcome = self.act(lambda db, actor, clock: add_stock_location(
            db, actor, name=name, dea_number=dea, address=address, clock=clock),
            self.tr("Location %1 registered.").replace("%1", name.strip()))
        if outcome.ok:
            for field in (self.location_name, self.location_dea, self.location_address):
                field.clear()
            self.location_name.setFocus()

    def add_product(self) -> None:
        """Register the product typed."""
        name = self.product_name.text()
        substance = self.substance.currentData()
        strength, volume = self.strength.text(), self.container_volume.text()
        ndc, gtin = self.ndc.text(), self.gtin.text()
        outcome = self.act(lambda db, actor, clock: add_stock_product(
            db, actor, name=name, substance=substance, strength_mg_per_ml=strength,
            container_volume_ml=volume, ndc=ndc, gtin=gtin, clock=clock),
            self.tr("Product %1 registered.").replace("%1", name.strip()))
        if outcome.ok:
            for field in (self.product_name, self.strength, self.container_volume, self.ndc,
                          self.gtin):
                field.clear()
            self.product_name.setFocus()

    def first_field(self) -> QWidget | None:
        """The new location's name."""
        return self.location_name
