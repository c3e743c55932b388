"""What the app's list tables share: a model over plain row objects, and a session list.

The day board and the waiting-for-signature list both show one session per
row and open it on Enter or a double click; the audit window shows audit rows.
Each model keeps its rows as plain objects (no queries in ``data()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QTableView

Index = QModelIndex | QPersistentModelIndex

#: Where a session list's model keeps each row's session id.
SESSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class RowsTableModel(QAbstractTableModel):
    """A flat table of ``self._rows`` with the fixed column titles in ``HEADERS``."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace the rows, in the order given (lists are small; a reset is cheapest)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        """The object shown in ``row``."""
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """One row per object; a table has no children."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        """The fixed columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None


class SessionTable(QTableView):
    """A list of sessions: Enter opens the selected one like a double click.

    The model gives each row's session id under :data:`SESSION_ID_ROLE`.
    """

    open_requested = Signal(int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.doubleClicked.connect(self.open_index)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt signature
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
