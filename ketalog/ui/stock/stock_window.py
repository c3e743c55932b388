"""The Controlled substances window: the clinic's books for ketamine and esketamine (issue 19).

Opened from the main window (Ctrl+Shift+K); F5 reads the books again. One tab
per part of the books; each tab acts through one service call per user action
and the window reads everything again after each, so every tab shows the books
as stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.access import Permission, may
from ketalog.services.stock_view_window import stock_set_up
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.stock.counts import CountTab, DiscrepanciesTab, InventoryTab
from ketalog.ui.stock.movements import DestructionTab, LossTab, TransferTab
from ketalog.ui.stock.on_hand import OnHandTab, SetUpTab
from ketalog.ui.stock.receive import ReceiveTab
from ketalog.ui.stock.tab import StockTab
from ketalog.ui.widgets import Button
from ketalog.ui.widgets.windows import place_window

if TYPE_CHECKING:
    from ketalog.ui.core.documents import DocumentButtons


class StockDialog(QDialog):
    """The books' tabs (see the module docstring).

    Attributes used by tests: ``tabs`` and each tab by name (``on_hand``,
    ``receive``, ``count``, ``discrepancies``, ``inventory``, ``transfer``,
    ``destruction``, ``loss``, ``set_up_tab``), ``message``.
    """

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Controlled substances"))
        self.setModal(False)
        self.tabs = QTabWidget()
        self.on_hand = OnHandTab(ctx)
        self.receive = ReceiveTab(ctx)
        self.count = CountTab(ctx)
        self.discrepancies = DiscrepanciesTab(ctx)
        self.inventory = InventoryTab(ctx)
        self.transfer = TransferTab(ctx)
        self.destruction = DestructionTab(ctx)
        self.loss = LossTab(ctx)
        self.set_up_tab = SetUpTab(ctx)
        pages: tuple[tuple[StockTab, str], ...] = (
            (self.on_hand, self.tr("On hand")), (self.receive, self.tr("Receive")),
            (self.count, self.tr("Count")), (self.discrepancies, self.tr("Discrepancies")),
            (self.inventory, self.tr("Inventory")), (self.transfer, self.tr("Transfer")),
            (self.destruction, self.tr("Destruction")), (self.loss, self.tr("Loss")),
            (self.set_up_tab, self.tr("Set-up")))
        for page, title in pages:
            self.tabs.addTab(page, title)
        for tab in self.stock_tabs():
            tab.changed.connect(self.refresh)
            tab.print_requested.connect(self.print_record)
        self._documents: DocumentButtons | None = None
        self.tabs.currentChanged.connect(self._tab_shown)
        self.set_up_tab.allow(ctx.actor().role)
        self.message = MessageLabel()
        close = Button(self.tr("Close"), on_click=self.close)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        refresh = QShortcut(QKeySequence("F5"), self)  # another workstation's entries
        refresh.activated.connect(self.refresh)
        self.refresh()
        place_window(self, "controlled substances", 1200, 720)

    def showEvent(self, event: QShowEvent) -> None:
        """Shown: the lists measure their columns again at the size the window opened at.

        (Filled before the window had its size, a list kept a stray horizontal
        scroll bar with nothing to scroll until the next event.)
        """
        super().showEvent(event)
        for table in self.findChildren(QTableView):
            table.updateGeometries()

    def stock_tabs(self) -> list[StockTab]:
        """Every tab, in order."""
        return [tab for index in range(self.tabs.count())
                if isinstance(tab := self.tabs.widget(index), StockTab)]

    def refresh(self) -> None:
        """Read the locations, products and every tab's list again."""
        outcome = self.ctx.run(stock_set_up)
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        self.message.clear_message()
        for tab in self.stock_tabs():
            tab.show_set_up(outcome.value)
            tab.refresh()

    def print_record(self, kind: str, record_id: int) -> None:
        """A tab's Print: the record's document, built off the GUI thread, in the preview."""
        # start-up: the document machinery loads on the first Print
        from ketalog.ui.core.documents import DocumentButtons

        if self._documents is None:
            self._documents = DocumentButtons(self.ctx, self)
            self._documents.failed.connect(self.message.show_error)
        self._documents.request(kind, record_id)

    def show_tab(self, tab: StockTab) -> None:
        """Bring ``tab`` forward, the keyboard on its first field."""
        self.tabs.setCurrentWidget(tab)
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if isinstance(tab, StockTab):
            field = tab.first_field()
            if field is not None:
                field.setFocus()


def may_open(role: str) -> bool:
    """Whether ``role`` sees the window (everyone on staff reads the books)."""
    return may(role, Permission.VIEW_STOCK_RECORDS)
