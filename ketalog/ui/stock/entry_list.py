"""One field per container, down a list: what a counter types as they go through the safe.

Each row names the container as its label reads (product, lot, expiry,
serial) and what the books expect of it where the screen may say so; the
field takes what was found. Enter moves to the next container, so a count
is typed without the mouse; after the last, :attr:`ContainerEntries.done`
is emitted (the form moves on to the second counter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget


@dataclass(frozen=True)
class EntryLine:
    """One container's row: who it is, what the books say (may be empty), the field's hint."""

    container_id: int
    label: str
    expected: str
    placeholder: str


class ContainerEntries(QWidget):
    """The rows of :class:`EntryLine`, each with its own field (see the module docstring)."""

    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(0, 1)
        self.fields: dict[int, QLineEdit] = {}
        self._lines: list[EntryLine] = []
        self.empty = QLabel()
        self.empty.setWordWrap(True)

    def set_lines(self, lines: Sequence[EntryLine], empty_text: str) -> None:
        """Show these containers; what was typed for a container still listed stays."""
        if [line.container_id for line in lines] == [line.container_id for line in self._lines]:
            self._lines = list(lines)
            return
        typed = {cid: field.text() for cid, field in self.fields.items()}
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not self.empty:
                widget.deleteLater()
        self.fields = {}
        self._lines = list(lines)
        if not lines:
            self.empty.setText(empty_text)
            self.grid.addWidget(self.empty, 0, 0, 1, 3)
            self.empty.show()
            return
        self.empty.hide()
        previous: QLineEdit | None = None
        for row, line in enumerate(lines):
            label = QLabel(line.label)
            label.setWordWrap(True)
            expected = QLabel(line.expected)
            field = QLineEdit(typed.get(line.container_id, ""))
            field.setObjectName(f"container_{line.container_id}")
            field.setPlaceholderText(line.placeholder)
            field.setMaximumWidth(160)
            field.returnPressed.connect(lambda r=row: self._next(r))
            label.setBuddy(field)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(expected, row, 1)
            self.grid.addWidget(field, row, 2)
            if previous is not None:
                QWidget.setTabOrder(previous, field)
            previous = field
            self.fields[line.container_id] = field

    def _next(self, row: int) -> None:
        if row + 1 < len(self._lines):
            self.fields[self._lines[row + 1].container_id].setFocus()
        else:
            self.done.emit()

    def values(self) -> dict[int, str]:
        """What was typed per container id (empty text for a field left empty)."""
        return {cid: field.text().strip() for cid, field in self.fields.items()}

    def first(self) -> QLineEdit | None:
        """The first container's field."""
        return self.fields[self._lines[0].container_id] if self._lines else None

    def first_empty(self) -> QLineEdit | None:
        """The first field nothing was typed in."""
        return next((f for f in self.fields.values() if not f.text().strip()), None)

    def clear(self) -> None:
        """Empty every field (after the count was recorded)."""
        for field in self.fields.values():
            field.clear()
