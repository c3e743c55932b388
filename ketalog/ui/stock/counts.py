"""Counts by two people, the discrepancies they open, and the inventories (issue 19, items 3-4).

Count: the books' containers at a location are listed with what they should
hold; the counter types what they find, container by container (Enter moves
down); a second person types their own user name and password (the
second-person row of the blind double check), and the counter signs with
their own password. A container found with another volume than the books'
opens a discrepancy.

Discrepancies: an open one closes only with an explanation (a few words an
inspector can check) and the resolver's password; a shortfall may be written
off as lost, which writes the LOST entry in the ledger.

Inventory: the initial and biennial inventory 21 CFR 1304.11 asks: dated,
taken at the opening or close of business, every sealed container counted
(1 present, 0 not found) and every opened one measured, signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo
from enum import StrEnum
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.stock_counts import (
    MIN_EXPLANATION_WORDS,
    BusinessTime,
    CountOccasion,
    InventoryKind,
    inventory_differences,
    inventory_entries,
)
from ketalog.domain.values import parse_decimal
from ketalog.services.context import Actor, Clock
from ketalog.services.identity import ProofPurpose
from ketalog.services.stock_counts import (
    CountResult,
    DiscrepancyView,
    ExpectedContainer,
    InventoryView,
    expected_stock,
    inventory_due_on,
    last_inventory,
    open_discrepancies,
    record_count,
    resolve_discrepancy,
    take_inventory,
)
from ketalog.services.stock_view_window import StockSetUp
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import OVERDUE_TEXT
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.start.credentials import CredentialsRow
from ketalog.ui.stock.entry_list import ContainerEntries, EntryLine
from ketalog.ui.stock.tab import StockTab, date_field, fill_locations, pydate
from ketalog.ui.widgets import (
    Column,
    ComboBox,
    RowsModel,
    hint,
    make_table,
)

E = TypeVar("E", bound=StrEnum)

OCCASION_WORDS = {
    CountOccasion.SHIFT_END: QT_TRANSLATE_NOOP("Stock", "Shift end"),
    CountOccasion.DAY_END: QT_TRANSLATE_NOOP("Stock", "Day end"),
    CountOccasion.SPOT: QT_TRANSLATE_NOOP("Stock", "Spot check"),
}
INVENTORY_WORDS = {
    InventoryKind.INITIAL: QT_TRANSLATE_NOOP("Stock", "Initial inventory"),
    InventoryKind.BIENNIAL: QT_TRANSLATE_NOOP("Stock", "Biennial inventory"),
    InventoryKind.OTHER: QT_TRANSLATE_NOOP("Stock", "Other inventory"),
}
BUSINESS_WORDS = {
    BusinessTime.OPENING: QT_TRANSLATE_NOOP("Stock", "Opening of business"),
    BusinessTime.CLOSE: QT_TRANSLATE_NOOP("Stock", "Close of business"),
}


def container_words(line: ExpectedContainer) -> str:
    """The container as its label reads: product, lot, expiry, serial."""
    serial = translated("Stock", QT_TRANSLATE_NOOP("Stock", ", serial %1")).replace(
        "%1", line.serial) if line.serial else ""
    return (translated("Stock", QT_TRANSLATE_NOOP("Stock", "%1 — lot %2, exp. %3%4"))
            .replace("%1", line.product_name).replace("%2", line.lot_number)
            .replace("%3", line.expiry_date.isoformat()).replace("%4", serial))


def _expected_words(line: ExpectedContainer) -> str:
    """What the count should find, and what was drawn from it and is not back yet."""
    text = translated("Stock", QT_TRANSLATE_NOOP("Stock", "expected %1")).replace(
        "%1", format_ml(line.expected_ml))
    if line.in_syringe_ml:
        text += translated("Stock", QT_TRANSLATE_NOOP("Stock", " (%1 drawn, not yet accounted "
                                                               "for)")).replace(
            "%1", format_ml(line.in_syringe_ml))
    return text


def _fill_enum(combo: ComboBox, words: Mapping[E, str]) -> None:
    for value, text in words.items():
        combo.addItem(translated("Stock", text), value)


class CountTab(StockTab):
    """A count by two people at one location (see the module docstring)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.expected: list[ExpectedContainer] = []
        self.location = ComboBox()
        self.location.currentIndexChanged.connect(lambda _i: self.refresh())
        self.occasion = ComboBox()
        _fill_enum(self.occasion, OCCASION_WORDS)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Location")))
        top.addWidget(self.location, 1)
        top.addWidget(QLabel(self.tr("Occasion")))
        top.addWidget(self.occasion)
        self.content.addLayout(top)
        self.content.addWidget(hint(self.tr(
            "Type the volume you find in each container, in mL (0 for one not found); Enter "
            "moves to the next. A volume other than the books' opens a discrepancy.")))
        self.entries = ContainerEntries()
        self.content.addWidget(self.entries)
        form = QFormLayout()
        self.second = CredentialsRow(self.tr("second counter"), "second_counter")
        form.addRow(self.tr("Second counter"), self.second)
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("optional"))
        form.addRow(self.tr("Note"), self.note)
        self.password, self.record_button = self.signing_row(
            form, placeholder=self.tr("your password: you sign the count"),
            button_text=self.tr("Record count (Enter)"),
            tooltip=self.tr("Record the count, signed by you and the second counter"),
            act=self.record, record="count")
        self.content.addLayout(form)
        self.content.addStretch(1)
        self.entries.done.connect(self.second.focus)
        self.second.submitted.connect(self.password.setFocus)
        self.finish()

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer the locations."""
        super().show_set_up(set_up)
        fill_locations(self.location, set_up.locations)

    def refresh(self) -> None:
        """The containers the books place at the location now."""
        location_id = self.location.currentData()
        if location_id is None:
            self.expected = []
        else:
            found = self.read(lambda db: expected_stock(db, location_id))
            if found is None:
                return
            self.expected = list(found)
        self.entries.set_lines([EntryLine(
            line.container_id, container_words(line),
            _expected_words(line), self.tr("mL found")) for line in self.expected],
            self.tr("The books hold no container at this location."))

    def first_field(self) -> QWidget | None:
        """The first container not yet counted."""
        return self.entries.first_empty() or self.entries.first()

    def record(self) -> None:
        """Record the count in one action: the second counter's proof, then the count."""
        location_id = self.location.currentData()
        if location_id is None:
            self.message.show_error(self.tr("Choose the location counted."))
            return
        found = self.entries.values()
        empty = self.entries.first_empty()
        if empty is not None:
            self.message.show_error(self.tr("Type what you found in every container (0 for "
                                            "one that is empty or not found)."))
            empty.setFocus()
            return
        missing = self.second.missing()
        if missing is not None:
            self.message.show_error(missing)
            return
        credentials = self.second.take()
        password = self.password.take()
        occasion = CountOccasion(self.occasion.currentData())
        note = self.note.text()
        workstation = self.ctx.actor().workstation

        def count(db: Session, actor: Actor, clock: Clock) -> CountResult:
            proof = credentials.proof(db, workstation=workstation,
                                      purpose=ProofPurpose.SECOND_COUNTER, clock=clock)
            return record_count(db, actor, location_id=location_id, occasion=occasion,
                                found=found, second_counter_proof=proof, note=note,
                                password=password, clock=clock)

        outcome = self.act(count)
        self.second.settle(credentials, outcome.ok)
        if not outcome.ok or outcome.value is None:
            return
        self.printable(outcome.value.count_id)
        opened = len(outcome.value.discrepancy_ids)
        self.message.show_info(
            self.tr("Count recorded; it matches the books.") if not opened else
            self.tr("Count recorded; %n discrepancies opened: resolve them in the "
                    "Discrepancies tab.", "", opened))
        self.entries.clear()
        self.note.clear()


class DiscrepancyModel(RowsModel[DiscrepancyView]):
    """Open discrepancies, oldest first."""

    def __init__(self, tz: tzinfo) -> None:
        right = Qt.AlignmentFlag.AlignRight
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Opened"),
                   lambda d: d.opened_at_utc.astimezone(tz).strftime("%Y-%m-%d %H:%M")),
            Column(QT_TRANSLATE_NOOP("Column", "Location"), lambda d: d.location_name),
            Column(QT_TRANSLATE_NOOP("Column", "Container"), _container),
            Column(QT_TRANSLATE_NOOP("Column", "Expected"), lambda d: format_ml(d.expected_ml),
                   align=right),
            Column(QT_TRANSLATE_NOOP("Column", "Found"), lambda d: format_ml(d.found_ml),
                   align=right, colour=lambda _d: OVERDUE_TEXT, bold=lambda _d: True),
            Column(QT_TRANSLATE_NOOP("Column", "Counted by"),
                   lambda d: f"{d.counted_by_name}; {d.second_counter_name}"),
        ), key=lambda d: d.discrepancy_id)


def _container(row: DiscrepancyView) -> str:
    serial = translated("Stock", QT_TRANSLATE_NOOP("Stock", ", serial %1")).replace(
        "%1", row.serial) if row.serial else ""
    return (translated("Stock", QT_TRANSLATE_NOOP("Stock", "%1 — lot %2%3"))
            .replace("%1", row.product_name).replace("%2", row.lot_number)
            .replace("%3", serial))


class DiscrepanciesTab(StockTab):
    """Open discrepancies and the signed resolution that closes one."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, scrolling=False)
        self.model = DiscrepancyModel(ctx.tz)
        self.table = make_table(self.model, stretch_column=2)
        self.content.addWidget(self.table, 1)
        form = QFormLayout()
        self.explanation = QLineEdit()
        self.explanation.setPlaceholderText(self.tr(
            "what was found and why, e.g. \"vial broken while drawing, Tuesday 9 am\""))
        form.addRow(self.tr("Explanation"), self.explanation)
        self.write_off = QCheckBox(self.tr("Write the shortfall off as lost (a LOST entry in "
                                           "the books)"))
        form.addRow("", self.write_off)
        self.password, self.resolve_button = self.signing_row(
            form, placeholder=self.tr("your password: you sign the resolution"),
            button_text=self.tr("Resolve (Enter)"),
            tooltip=self.tr("Close the selected discrepancy with this explanation, signed by "
                            "you"),
            act=self.resolve)
        self.content.addLayout(form)
        self.explanation.returnPressed.connect(self.password.setFocus)
        self.finish()

    def refresh(self) -> None:
        """The discrepancies still open, at every location."""
        rows = self.read(open_discrepancies)
        if rows is None:
            return
        self.model.set_rows(list(rows))
        if self.table.currentIndex().row() < 0 and self.model.rowCount():
            self.table.selectRow(0)

    def first_field(self) -> QWidget | None:
        """The list (the explanation is one Tab away)."""
        return self.table

    def selected_id(self) -> int | None:
        """The selected discrepancy's id."""
        row = self.table.currentIndex().row()
        return self.model.row_at(row).discrepancy_id if row >= 0 else None

    def resolve(self) -> None:
        """Close the selected discrepancy, signed; refused without an explanation."""
        discrepancy_id = self.selected_id()
        password = self.password.take()
        if discrepancy_id is None:
            self.message.show_error(self.tr("No discrepancy is open."))
            return
        explanation = self.explanation.text()
        write_off = self.write_off.isChecked()
        outcome = self.act(lambda db, actor, clock: resolve_discrepancy(
            db, actor, discrepancy_id=discrepancy_id, explanation=explanation,
            write_off_as_lost=write_off, password=password, clock=clock),
            self.tr("Discrepancy resolved."))
        if outcome.ok:
            self.explanation.clear()
            self.write_off.setChecked(False)
        else:
            said_enough = len(explanation.split()) >= MIN_EXPLANATION_WORDS
            (self.password if said_enough else self.explanation).setFocus()


class InventoryTab(StockTab):
    """An inventory of one location: sealed containers counted, opened ones measured, signed."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.expected: list[ExpectedContainer] = []
        self.location = ComboBox()
        self.location.currentIndexChanged.connect(lambda _i: self.refresh())
        self.kind = ComboBox()
        _fill_enum(self.kind, INVENTORY_WORDS)
        self._kind_chosen_for: int | None = None
        self.taken_on = date_field(ctx.clock().astimezone(ctx.tz).date())
        self.business_time = ComboBox()
        _fill_enum(self.business_time, BUSINESS_WORDS)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Location")))
        top.addWidget(self.location, 1)
        top.addWidget(self.kind)
        top.addWidget(QLabel(self.tr("Taken on")))
        top.addWidget(self.taken_on)
        top.addWidget(self.business_time)
        self.content.addLayout(top)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.content.addWidget(self.status)
        self.content.addWidget(hint(self.tr(
            "A sealed container is counted: 1 present, 0 not found. An opened one is "
            "measured: the mL in it. Enter moves to the next.")))
        self.entries = ContainerEntries()
        self.content.addWidget(self.entries)
        form = QFormLayout()
        self.password, self.sign_button = self.signing_row(
            form, placeholder=self.tr("your password: you sign the inventory"),
            button_text=self.tr("Sign inventory (Enter)"),
            tooltip=self.tr("Record the inventory, signed by you"),
            act=self.sign, record="inventory")
        self.content.addLayout(form)
        self.content.addStretch(1)
        self.entries.done.connect(self.password.setFocus)
        self.finish()

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer the locations."""
        super().show_set_up(set_up)
        fill_locations(self.location, set_up.locations)

    def refresh(self) -> None:
        """The containers on hand at the location, and when the next inventory is due."""
        location_id = self.location.currentData()
        if location_id is None:
            self.expected = []
            self.status.setText("")
        else:
            read = self.read(lambda db: (expected_stock(db, location_id),
                                         last_inventory(db, location_id),
                                         inventory_due_on(db, location_id)))
            if read is None:
                return
            found, last, due = read
            self.expected = list(found)
            self.status.setText(self._status(last, due))
            if last is not None:  # the inspector asks for it: Print offers the last one
                self.printable(last.inventory_id)
            if location_id != self._kind_chosen_for:  # a location's first look: the kind due
                self._kind_chosen_for = location_id
                due_kind = InventoryKind.INITIAL if last is None else InventoryKind.BIENNIAL
                self.kind.setCurrentIndex(self.kind.findData(due_kind))
        self.entries.set_lines([EntryLine(
            line.container_id, container_words(line),
            self.tr("sealed") if line.sealed else self.tr("opened"),
            self.tr("1 or 0") if line.sealed else self.tr("mL measured"))
            for line in self.expected], self.tr("The books hold no container at this location."))

    def _point_out_differences(self, lines: Mapping[int, str]) -> None:
        """After signing: say which containers the books disagree with, and what to do."""
        on_hand = {c.container_id: (c.sealed, c.container_volume_ml) for c in self.expected}
        entries = inventory_entries(on_hand, {k: parse_decimal(v, "volume")  # accepted: parses
                                              for k, v in lines.items()})
        differing = inventory_differences(
            {c.container_id: c.expected_ml for c in self.expected},
            {c.container_id: c.container_volume_ml for c in self.expected}, entries)
        if differing:
            self.message.show_error(self.tr(
                "Inventory recorded and signed; %n container(s) differ from the books. Count "
                "the location (Count tab): each difference opens a discrepancy to be resolved.",
                "", len(differing)))

    def _status(self, last: InventoryView | None, due: date | None) -> str:
        if last is None:
            return self.tr("No inventory of this location yet: take the initial inventory.")
        return (self.tr("Last inventory: %1, taken on %2 (%3) by %4; the next is due by %5.")
                .replace("%1", translated("Stock", INVENTORY_WORDS[last.kind]))
                .replace("%2", last.taken_on.isoformat())
                .replace("%3", translated("Stock", BUSINESS_WORDS[last.business_time]).lower())
                .replace("%4", last.taken_by_name)
                .replace("%5", due.isoformat() if due else "—"))

    def first_field(self) -> QWidget | None:
        """The first container not yet entered."""
        return self.entries.first_empty() or self.entries.first()

    def sign(self) -> None:
        """Record the inventory, signed by the signed-in user's password."""
        location_id = self.location.currentData()
        password = self.password.take()
        if location_id is None:
            self.message.show_error(self.tr("Choose the location."))
            return
        empty = self.entries.first_empty()
        if empty is not None:
            self.message.show_error(self.tr("Enter every container: 1 or 0 for a sealed one, "
                                            "the mL measured for an opened one."))
            empty.setFocus()
            return
        lines: dict[int, str] = self.entries.values()
        kind = InventoryKind(self.kind.currentData())
        business = BusinessTime(self.business_time.currentData())
        taken_on = pydate(self.taken_on.date())
        outcome = self.act(lambda db, actor, clock: take_inventory(
            db, actor, location_id=location_id, kind=kind, taken_on=taken_on,
            business_time=business, lines=lines, password=password, clock=clock),
            self.tr("Inventory recorded and signed."))
        if outcome.ok and outcome.value is not None:
            self.printable(outcome.value)
            self._point_out_differences(lines)
            self.entries.clear()

