"""Labelled fields side by side that take a second row when the column is narrow.

The vitals entry line is nine big fields in a row: 606 px, more than its
column has on a 1366x768 laptop at 125 % scaling (1093 px of Qt's pixels
across, the panels' tabs beside it). Squeezed, its fields would cut off the
figures typed; a page that scrolls sideways hides the last ones. So the row
folds: as many columns as the width allows, down to half of them, each label
above its field, the tab order unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QLayout, QWidget


class FieldRow(QWidget):
    """``(label, field)`` pairs in one row, or in as few rows as the width allows."""

    def __init__(self, pairs: Sequence[tuple[QLabel, QWidget]], parent: QWidget | None = None,
                 *, spacing: int = 6) -> None:
        super().__init__(parent)
        self._pairs = list(pairs)
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(spacing)
        # the width is this widget's to judge (minimumSizeHint), not the grid's
        self.grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.columns = 0
        self._fewest = max(1, (len(self._pairs) + 1) // 2)
        self._arrange(len(self._pairs))

    def _pair_width(self, index: int) -> int:
        label, field = self._pairs[index]
        return max(label.minimumSizeHint().width(), field.minimumSizeHint().width(),
                   field.minimumWidth())

    def width_for(self, columns: int) -> int:
        """The least width that shows the pairs in ``columns`` columns."""
        widths = [0] * columns
        for index in range(len(self._pairs)):
            widths[index % columns] = max(widths[index % columns], self._pair_width(index))
        margins = self.grid.contentsMargins()
        return (sum(widths) + self.grid.horizontalSpacing() * (columns - 1)
                + margins.left() + margins.right())

    def _arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        for label, field in self._pairs:
            self.grid.removeWidget(label)
            self.grid.removeWidget(field)
        for column in range(len(self._pairs) + 1):
            self.grid.setColumnStretch(column, 0)
        for index, (label, field) in enumerate(self._pairs):
            row, column = divmod(index, columns)
            self.grid.addWidget(label, 2 * row, column)
            self.grid.addWidget(field, 2 * row + 1, column)
        self.grid.setColumnStretch(columns, 1)  # spare width to the right, as one row had it
        self.columns = columns
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        """As narrow as the folded rows; as high as the rows shown now."""
        return QSize(self.width_for(self._fewest), self.grid.minimumSize().height())

    def sizeHint(self) -> QSize:
        """One row, as wide as it needs; as high as the rows shown now."""
        return QSize(self.width_for(len(self._pairs)), self.grid.sizeHint().height())

    def _columns_for(self, width: int) -> int:
        columns = len(self._pairs)
        while columns > self._fewest and self.width_for(columns) > width:
            columns -= 1
        return columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fold or unfold to the new width."""
        self._arrange(self._columns_for(event.size().width()))
        super().resizeEvent(event)
