"""Stock leaving a location's books: transfers, destruction before two witnesses, losses.

Transfer: whole containers to another registered location (each container's
whole balance goes out here and in there). Destruction: what is left in the
chosen containers, before two witnesses who each type their own user name and
password and sign with their own key (the facts of DEA Form 41). Loss or
theft: the facts DEA Form 106 asks, the volume lost per container, signed by
the recorder's password.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.stock_counts import LossKind
from ketalog.services.context import Actor, Clock
from ketalog.services.identity import ProofPurpose
from ketalog.services.stock_movements import (
    destroy_containers,
    report_loss,
    transfer_containers,
)
from ketalog.services.stock_view_window import OnHandRow, StockSetUp, on_hand_rows
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP, translated
from ketalog.ui.start.credentials import CredentialsRow
from ketalog.ui.stock.entry_list import ContainerEntries, EntryLine
from ketalog.ui.stock.on_hand import OnHandModel
from ketalog.ui.stock.tab import StockTab, date_field, fill_locations, pydate
from ketalog.ui.widgets import ActionButton, ComboBox, hint, make_table

LOSS_WORDS = {
    LossKind.LOSS: QT_TRANSLATE_NOOP("Stock", "Loss"),
    LossKind.THEFT: QT_TRANSLATE_NOOP("Stock", "Theft"),
    LossKind.IN_TRANSIT: QT_TRANSLATE_NOOP("Stock", "Lost in transit"),
    LossKind.OTHER: QT_TRANSLATE_NOOP("Stock", "Other"),
}


def label_of(row: OnHandRow) -> str:
    """A container as its label reads, with what is left in it."""
    serial = translated("Stock", QT_TRANSLATE_NOOP("Stock", ", serial %1")).replace(
        "%1", row.serial) if row.serial else ""
    return (translated("Stock", QT_TRANSLATE_NOOP("Stock", "%1 — lot %2, exp. %3%4"))
            .replace("%1", row.product_name).replace("%2", row.lot_number)
            .replace("%3", row.expiry_date.isoformat()).replace("%4", serial))


class ContainersTab(StockTab):
    """A tab over the containers at one chosen location, several of which may be chosen."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.location = ComboBox()
        self.location.currentIndexChanged.connect(lambda _i: self.refresh())
        self.model = OnHandModel()
        self.rows: list[OnHandRow] = []

    def _picker(self) -> QTableView:
        """The containers, several chosen by click or Space (each toggles)."""
        table = make_table(self.model, stretch_column=1)
        table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        table.setMinimumHeight(150)
        table.hideColumn(0)  # the location is chosen above
        self.table = table
        return table

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer the locations."""
        super().show_set_up(set_up)
        fill_locations(self.location, set_up.locations)

    def refresh(self) -> None:
        """The containers at the location now (the choice is kept for those still there)."""
        location_id = self.location.currentData()
        actor = self.ctx.actor()
        now = self.ctx.clock()
        rows = [] if location_id is None else self.read(
            lambda db: on_hand_rows(db, actor, now, location_id))
        if rows is None:
            return
        self.rows = rows
        self.model.set_rows(rows)

    def chosen(self) -> list[int]:
        """The ids of the containers chosen in the list, in list order."""
        if not hasattr(self, "table"):
            return []
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(r).container_id for r in rows]

    def _none_chosen(self) -> bool:
        if self.chosen():
            return False
        self.message.show_error(self.tr("Choose the containers in the list first (click, or "
                                        "Space on each)."))
        return True


class TransferTab(ContainersTab):
    """Whole containers to another registered location."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.to_location = ComboBox()
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("From")))
        top.addWidget(self.location, 1)
        top.addWidget(QLabel(self.tr("To")))
        top.addWidget(self.to_location, 1)
        self.content.addLayout(top)
        self.content.addWidget(self._picker(), 1)
        self.transfer_button = ActionButton(self.tr("Transfer chosen containers"))
        self.transfer_button.setToolTip(self.tr("Move the whole of each chosen container to "
                                                "the other location's books"))
        self.transfer_button.clicked.connect(self.transfer)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.transfer_button)
        self.content.addLayout(bottom)
        self.content.addWidget(hint(self.tr(
            "A transfer moves stock between two DEA registrations, each with its own books; "
            "a container with a drawn dose not yet accounted for stays where it is.")))
        self.finish()

    def show_set_up(self, set_up: StockSetUp) -> None:
        """Offer the locations on both sides."""
        super().show_set_up(set_up)
        fill_locations(self.to_location, set_up.locations)

    def first_field(self) -> QWidget | None:
        """The container list."""
        return self.table

    def transfer(self) -> None:
        """Transfer the chosen containers in one action."""
        if self._none_chosen():
            return
        ids = self.chosen()
        source, target = self.location.currentData(), self.to_location.currentData()
        self.act(lambda db, actor, clock: transfer_containers(
            db, actor, from_location_id=source, to_location_id=target, container_ids=ids,
            clock=clock), self.tr("%n containers transferred to %1.", "", len(ids))
            .replace("%1", self.to_location.currentText()))


class DestructionTab(ContainersTab):
    """Destroy what is left in the chosen containers, before two witnesses."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Location")))
        top.addWidget(self.location, 1)
        self.content.addLayout(top)
        self.content.addWidget(self._picker(), 1)
        form = QFormLayout()
        self.manner = QLineEdit()
        self.manner.setPlaceholderText(self.tr("e.g. rendered non-retrievable in a "
                                               "pharmaceutical waste kit"))
        form.addRow(self.tr("How destroyed"), self.manner)
        self.first_witness = CredentialsRow(self.tr("first witness"), "first_witness")
        self.second_witness = CredentialsRow(self.tr("second witness"), "second_witness")
        form.addRow(self.tr("First witness"), self.first_witness)
        form.addRow(self.tr("Second witness"), self.second_witness)
        self.destroy_button = ActionButton(self.tr("Destroy chosen containers"))
        self.destroy_button.setToolTip(self.tr("Record the destruction of what is left in "
                                               "each chosen container, signed by both "
                                               "witnesses"))
        self.destroy_button.clicked.connect(self.destroy_chosen)
        destroy_row = QHBoxLayout()
        destroy_row.addWidget(self.destroy_button, 1)
        destroy_row.addWidget(self.print_button("destruction"))
        form.addRow("", destroy_row)
        self.content.addLayout(form)
        self.manner.returnPressed.connect(self.first_witness.focus)
        self.first_witness.submitted.connect(self.second_witness.focus)
        self.second_witness.submitted.connect(self.destroy_button.press)
        self.finish()

    def first_field(self) -> QWidget | None:
        """The container list."""
        return self.table

    def destroy_chosen(self) -> None:
        """Record the destruction in one action: both witnesses' proofs, then the entries."""
        if self._none_chosen():
            return
        for row in (self.first_witness, self.second_witness):
            missing = row.missing()
            if missing is not None:
                self.message.show_error(missing)
                return
        ids = self.chosen()
        location_id = self.location.currentData()
        manner = self.manner.text()
        first, second = self.first_witness.take(), self.second_witness.take()
        workstation = self.ctx.actor().workstation

        def destroy(db: Session, actor: Actor, clock: Clock) -> list[int]:
            proofs = [who.proof(db, workstation=workstation,
                                purpose=ProofPurpose.WITNESS_DESTRUCTION, clock=clock)
                      for who in (first, second)]
            return destroy_containers(db, actor, location_id=location_id, container_ids=ids,
                                      manner=manner, witness_proofs=proofs, clock=clock)

        outcome = self.act(destroy, self.tr("%n containers destroyed before two witnesses.",
                                            "", len(ids)))
        self.first_witness.settle(first, outcome.ok)
        self.second_witness.settle(second, outcome.ok)
        if outcome.ok and outcome.value:
            self.printable(outcome.value[0])  # the record of this destruction, by its first entry
            self.manner.clear()


class LossTab(ContainersTab):
    """A loss or theft: the facts DEA Form 106 asks and the volume lost per container."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        today = ctx.clock().astimezone(ctx.tz).date()
        self.kind = ComboBox()
        for kind, words in LOSS_WORDS.items():
            self.kind.addItem(translated("Stock", words), kind.value)
        self.discovered_on = date_field(today)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Location")))
        top.addWidget(self.location, 1)
        top.addWidget(self.kind)
        top.addWidget(QLabel(self.tr("Found on")))
        top.addWidget(self.discovered_on)
        self.content.addLayout(top)
        self.content.addWidget(hint(self.tr("Type the mL lost from each container concerned; "
                                            "leave the others empty.")))
        self.entries = ContainerEntries()
        self.content.addWidget(self.entries)
        form = QFormLayout()
        self.circumstances = QLineEdit()
        self.circumstances.setPlaceholderText(self.tr("how the loss or theft was found"))
        form.addRow(self.tr("Circumstances"), self.circumstances)
        self.police_notified = QCheckBox(self.tr("Police notified"))
        self.police_reference = QLineEdit()
        self.police_reference.setPlaceholderText(self.tr("police report number"))
        police = QHBoxLayout()
        police.addWidget(self.police_notified)
        police.addWidget(self.police_reference, 1)
        form.addRow(self.tr("Police"), police)
        self.password, self.record_button = self.signing_row(
            form, placeholder=self.tr("your password: you sign the record"),
            button_text=self.tr("Record loss (Enter)"),
            tooltip=self.tr("Record the loss or theft and write the volumes off, signed by "
                            "you"),
            act=self.record, record="loss")
        self.content.addLayout(form)
        self.content.addStretch(1)
        self.entries.done.connect(self.circumstances.setFocus)
        self.finish()

    def refresh(self) -> None:
        """One field per container at the location."""
        super().refresh()
        self.entries.set_lines([EntryLine(r.container_id, label_of(r),
                                          self.tr("%1 left").replace("%1", format_ml(r.left_ml)),
                                          self.tr("mL lost")) for r in self.rows],
                               self.tr("The books hold no container at this location."))

    def first_field(self) -> QWidget | None:
        """The first container."""
        return self.entries.first()

    def record(self) -> None:
        """Record the loss in one action, signed by the password typed."""
        password = self.password.take()
        losses: dict[int, str] = {cid: text for cid, text in self.entries.values().items()
                                  if text}
        location_id = self.location.currentData()
        kind = LossKind(self.kind.currentData())
        found_on = pydate(self.discovered_on.date())
        circumstances = self.circumstances.text()
        notified = self.police_notified.isChecked()
        reference = self.police_reference.text().strip() or None
        outcome = self.act(lambda db, actor, clock: report_loss(
            db, actor, location_id=location_id, discovered_on=found_on, kind=kind,
            circumstances=circumstances, losses=losses, police_notified=notified,
            police_reference=reference, password=password, clock=clock),
            self.tr("Loss recorded and signed; the volumes are written off."))
        if outcome.ok and outcome.value is not None:
            self.printable(outcome.value)
            self.entries.clear()
            self.circumstances.clear()
            self.police_reference.clear()
            self.police_notified.setChecked(False)
