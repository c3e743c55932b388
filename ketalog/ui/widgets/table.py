"""One table model for every list the app shows, with its columns declared as data.

A :class:`RowsModel` holds plain row objects (never queries in ``data()``)
and a tuple of :class:`Column`; each column says its title and how a row
reads in it (text, tooltip, alert colour, bold, alignment). ``set_rows``
matches rows by their id: rows that stayed keep their place (and the
view's selection with them), changed cells are redrawn, new rows are
inserted and gone rows removed, so a refresh never moves the selection to
another patient.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")

#: Where a model keeps each row's id (a session list: the session id).
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: Kept for the session lists' callers.
SESSION_ID_ROLE = ROW_ID_ROLE
#: Whether the row's entry was marked entered in error (struck through).
VOIDED_ROLE = Qt.ItemDataRole.UserRole + 9
#: The text colour of an entry entered in error (with the strike-out, never colour alone).
VOIDED_TEXT = QColor("#555555")


def entered_in_error(row: object) -> bool:
    """A row whose entry carries a void mark (``void``, see services.session_detail.VoidMark)."""
    return getattr(row, "void", None) is not None


def _none(_row: Any) -> None:
    return None


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its title and how a row reads in it.

    ``title`` is English source text, translated when shown (headers are
    declared with ``QT_TRANSLATE_NOOP("Column", ...)`` where they live).
    """

    title: str
    text: Callable[[R], str]
    tooltip: Callable[[R], str | None] = _none
    #: an alert colour for the text (None: the normal one)
    colour: Callable[[R], QColor | None] = _none
    bold: Callable[[R], bool] = lambda _row: False
    align: Qt.AlignmentFlag | None = None
    #: the header's tooltip (units spelled out)
    header_tip: str | None = None


class RowsModel(QAbstractTableModel, Generic[R]):
    """A read-only table over plain rows, matched by ``key`` (their ``id`` by default)."""

    def __init__(self, columns: Sequence[Column[R]] = (), parent: QObject | None = None, *,
                 key: Callable[[R], Hashable] | None = None) -> None:
        super().__init__(parent)
        self._columns: tuple[Column[R], ...] = tuple(columns)
        self._key: Callable[[R], Hashable] = key or (lambda row: row.id)  # type: ignore[attr-defined]
        self._rows: list[R] = []
        self._bold = QFont()
        self._bold.setBold(True)
        # entries entered in error: struck through, greyed, never hidden
        self._struck = QFont()
        self._struck.setStrikeOut(True)
        self._struck_bold = QFont(self._struck)
        self._struck_bold.setBold(True)

    # --- rows -------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column[R], ...]:
        """The columns, in order."""
        return self._columns

    def set_columns(self, columns: Sequence[Column[R]]) -> None:
        """Replace the columns (a reset)."""
        self.beginResetModel()
        self._columns = tuple(columns)
        self.endResetModel()

    def rows(self) -> list[R]:
        """The rows shown, in order."""
        return list(self._rows)

    def row_at(self, row: int) -> R:
        """The object shown in ``row``."""
        return self._rows[row]

    def row_of(self, key: Hashable) -> int | None:
        """The table row of the object with ``key``, or None."""
        for number, row in enumerate(self._rows):
            if self._key(row) == key:
                return number
        return None

    def set_rows(self, rows: Sequence[R]) -> None:
        """Show ``rows`` in this order, keeping the rows that stayed (and the selection)."""
        new = list(rows)
        new_keys = [self._key(r) for r in new]
        if len(set(new_keys)) != len(new_keys):  # no stable identity: start afresh
            self._reset(new)
            return
        wanted = set(new_keys)
        had = len(self._rows)
        for number in range(len(self._rows) - 1, -1, -1):
            if self._key(self._rows[number]) not in wanted:
                self.beginRemoveRows(QModelIndex(), number, number)
                del self._rows[number]
                self.endRemoveRows()
        kept = [self._key(r) for r in self._rows]
        if kept != [k for k in new_keys if k in set(kept)]:
            self._reset(new)  # reordered: the simple path
            return
        changed = had != len(kept) or len(new) != len(kept)
        for number, (key, row) in enumerate(zip(new_keys, new, strict=True)):
            if number < len(self._rows) and self._key(self._rows[number]) == key:
                if self._rows[number] != row:
                    self._rows[number] = row
                    self.dataChanged.emit(self.index(number, 0),
                                          self.index(number, max(self.columnCount() - 1, 0)))
                    changed = True
                continue
            self.beginInsertRows(QModelIndex(), number, number)
            self._rows.insert(number, row)
            self.endInsertRows()
        if changed:
            # columns sized to their contents measure again (Qt's headers do not on
            # inserted rows or changed cells); no index moves, so the selection stays
            self.layoutAboutToBeChanged.emit()
            self.layoutChanged.emit()

    def _reset(self, rows: list[R]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def redraw(self, first_column: int = 0, last_column: int | None = None) -> None:
        """Redraw every row's cells in these columns (a clock moved, not the data)."""
        if self._rows:
            last = self.columnCount() - 1 if last_column is None else last_column
            self.dataChanged.emit(self.index(0, first_column),
                                  self.index(len(self._rows) - 1, last))

    # --- Qt ---------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """One row per object; a table has no children."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """The declared columns."""
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles (translated) and their tooltips."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("Column", column.title)
        if role == Qt.ItemDataRole.ToolTipRole and column.header_tip:
            return QCoreApplication.translate("Column", column.header_tip)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Text, tooltip, alert colour and bold per the column; the row id under ROW_ID_ROLE."""
        if (not index.isValid() or not 0 <= index.row() < len(self._rows)
                or not 0 <= index.column() < len(self._columns)):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == ROW_ID_ROLE:
            return self._key(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = column.tooltip(row)
            return tip if tip is not None else (column.text(row) or None)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = column.colour(row)
            if colour is None and entered_in_error(row):
                colour = VOIDED_TEXT
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.FontRole:
            if entered_in_error(row):
                return self._struck_bold if column.bold(row) else self._struck
            return self._bold if column.bold(row) else None
        if role == VOIDED_ROLE:
            return entered_in_error(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align is not None:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        return None


def make_table(model: QAbstractTableModel, stretch_column: int | None = None) -> QTableView:
    """A compact read-only list view over a model: rows selected whole, text wrapped.

    Tab leaves the table in one step (arrows move between rows), so a form
    after a list is one Tab away, not one per cell.
    """
    table = QTableView()
    table.setTabKeyNavigation(False)
    table.setModel(model)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_column is not None:
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return table


class SessionTable(QTableView):
    """A list of sessions: Enter opens the selected one like a double click.

    The model gives each row's session id under :data:`SESSION_ID_ROLE`; Tab
    leaves the list in one step (arrows move between sessions).
    """

    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabKeyNavigation(False)
        self.doubleClicked.connect(self.open_index)

    def read_only_rows(self, stretch_column: int) -> None:
        """Whole rows, one at a time, read-only; ``stretch_column`` takes the spare width."""
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter/Return opens the current row's session."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_index(self.currentIndex())
            return
        super().keyPressEvent(event)

    def open_index(self, index: QModelIndex) -> None:
        """Ask for the session of ``index``'s row."""
        session_id = index.siblingAtColumn(0).data(SESSION_ID_ROLE)
        if isinstance(session_id, int):
            self.open_requested.emit(session_id)
