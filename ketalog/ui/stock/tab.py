"""The base of every tab of the Controlled substances window.

A :class:`StockTab` receives the clinic's locations and products whenever
they change (:meth:`show_set_up`), keeps its message line, and runs each user
action through :meth:`act`: one service call in its own database session
(``UiContext.run``), for the signed-in user, with the clinic's clock; the
refusal, in the services' own words, goes to the message line and nothing is
changed. After a successful action the window reloads every tab
(:attr:`changed`), so a delivery shows at once in the stock on hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from ketalog.domain.documents import DocumentKind
from ketalog.services.context import Actor, Clock
from ketalog.services.stock_view_window import LocationChoice, ProductChoice, StockSetUp
from ketalog.ui.core.context import Outcome, UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.widgets import (
    ActionButton,
    Button,
    ComboBox,
    DateField,
    PasswordField,
    ScrollingPage,
)

T = TypeVar("T")

#: The record each tab prints, by the DocumentKind value the stock documents are to
#: register (issue 19 item 4, another branch). Until that value is in DocumentKind a
#: tab's Print button stays hidden; once it is, the button asks the window's document
#: preview for the record just made (DocumentButtons.request(kind, record id)).
STOCK_DOCUMENT_KINDS = {
    "count": "stock_count",
    "inventory": "stock_inventory",
    "destruction": "stock_destruction",
    "loss": "stock_loss",
}


def document_available(record: str) -> bool:
    """Whether the document printing ``record`` (a key of STOCK_DOCUMENT_KINDS) exists yet."""
    return STOCK_DOCUMENT_KINDS.get(record) in DocumentKind._value2member_map_


def qdate(day: date) -> QDate:
    """A Python date as Qt's."""
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> date:
    """A Qt date as Python's."""
    return date(value.year(), value.month(), value.day())


def date_field(day: date) -> DateField:
    """A wheel-safe date field showing ``day`` as 2026-12-04, with a calendar."""
    field = DateField()
    field.setCalendarPopup(True)
    field.setDisplayFormat("yyyy-MM-dd")
    field.setDate(qdate(day))
    return field


def fill_locations(combo: ComboBox, locations: tuple[LocationChoice, ...], *,
                   everywhere: str | None = None) -> None:
    """Offer the locations (their ids as item data), keeping the one chosen if it is still there.

    ``everywhere``: a first item meaning "all locations" (its data is None).
    """
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if everywhere is not None:
        combo.addItem(everywhere, None)
    for location in locations:
        combo.addItem(location.name, location.id)
    index = combo.findData(chosen)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)
    if combo.currentData() != chosen:
        combo.currentIndexChanged.emit(combo.currentIndex())


def fill_products(combo: ComboBox, products: tuple[ProductChoice, ...]) -> None:
    """Offer the products (ids as item data), keeping the one chosen if it is still there."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for product in products:
        combo.addItem(product.name, product.id)
    index = combo.findData(chosen)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)


class StockTab(QWidget):
    """One tab of the window (see the module docstring).

    Subclasses lay out their content in :attr:`content` (it scrolls to follow
    the keyboard unless ``scrolling=False``), implement :meth:`show_set_up`
    and :meth:`refresh`, and act through :meth:`act`.
    """

    #: Something was recorded: the window reloads every tab.
    changed = Signal()
    #: Print asked for: (DocumentKind value, record id); the window opens the preview.
    print_requested = Signal(str, int)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None, *,
                 scrolling: bool = True) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.set_up = StockSetUp((), ())
        self.message = MessageLabel()
        self.content = QVBoxLayout()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        if scrolling:
            host = QWidget()
            host.setLayout(self.content)
            self.page: ScrollingPage | None = ScrollingPage(host)
            outer.addWidget(self.page, 1)
        else:
            self.page = None
            outer.addLayout(self.content, 1)
        outer.addWidget(self.message)

    def signing_row(self, form: QFormLayout, *, placeholder: str, button_text: str,
                    tooltip: str, act: Callable[[], None], record: str | None = None,
                    ) -> tuple[PasswordField, ActionButton]:
        """The row where the signed-in person signs the record with their password.

        Enter in the password presses the button; ``record`` adds its Print button.
        """
        password = PasswordField(placeholder)
        button = ActionButton(button_text)
        button.setToolTip(tooltip)
        button.clicked.connect(act)
        button.bind_enter(password)
        row = QHBoxLayout()
        row.addWidget(password, 1)
        row.addWidget(button)
        if record is not None:
            row.addWidget(self.print_button(record))
        form.addRow(self.tr("Your password"), row)
        return password, button

    def print_button(self, record: str) -> Button:
        """A Print button for the last ``record`` made here (hidden until its document exists).

        The subclass calls :meth:`printable` with the id of each record it makes.
        """
        self._record = record
        self._record_id: int | None = None
        self._print = Button(self.tr("Print…"), on_click=self._ask_print)
        self._print.setToolTip(self.tr("Preview, save or print the last record made here"))
        self._print.setVisible(False)
        return self._print

    def printable(self, record_id: int) -> None:
        """A record was made: its Print button offers it (where its document exists)."""
        self._record_id = record_id
        self._print.setVisible(document_available(self._record))

    def _ask_print(self) -> None:
        if self._record_id is not None:
            self.print_requested.emit(STOCK_DOCUMENT_KINDS[self._record], self._record_id)

    def finish(self) -> None:
        """End of a subclass's ``__init__``: a disabled button's key says why here."""
        for button in self.findChildren(ActionButton):
            button.refused.connect(self.message.show_error)

    @staticmethod
    def section(text: str) -> QLabel:
        """A section title inside a tab."""
        label = QLabel(f"<b>{text}</b>")
        return label

    def act(self, action: Callable[[Session, Actor, Clock], T], done: str | None = None
            ) -> Outcome[T]:
        """Run ``action(db, actor, clock)`` as one user action; show the refusal or ``done``."""
        actor = self.ctx.actor()
        clock = self.ctx.clock
        outcome = self.ctx.run(lambda db: action(db, actor, clock))
        if outcome.error:
            self.message.show_error(outcome.error)
        else:
            if done:
                self.message.show_info(done)
            else:
                self.message.clear_message()
            self.changed.emit()
        return outcome

    def read(self, query: Callable[[Session], T]) -> T | None:
        """A read for the screen; a refusal shows on the message line (None then)."""
        outcome = self.ctx.run(query)
        if outcome.error:
            self.message.show_error(outcome.error)
            return None
        return outcome.value

    def show_set_up(self, set_up: StockSetUp) -> None:
        """The clinic's locations and products as stored now (subclasses offer them)."""
        self.set_up = set_up

    def refresh(self) -> None:
        """Show what is stored now; keep what is being typed (subclasses)."""

    def first_field(self) -> QWidget | None:
        """Where the keyboard goes when the tab is brought forward."""
        return None

