"""Value widgets that change only while the nurse is working in them.

A wheel turn over a combo box, spin box, date field or slider that does not
have the keyboard focus scrolls the page instead of changing the value (Qt's
own widgets change the value under the pointer whether focused or not). A
click still focuses them; they never take focus from the wheel alone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QSlider,
    QSpinBox,
    QTimeEdit,
    QWidget,
)


def _steady(widget: QWidget) -> None:
    """Tab and click focus, never wheel focus."""
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def _wheel_changes(widget: QWidget, event: QWheelEvent) -> bool:
    """True when the wheel may change the value; otherwise the event goes to the page."""
    if widget.hasFocus():
        return True
    event.ignore()  # Qt passes an ignored wheel event on to the parent: the page scrolls
    return False


class ComboBox(QComboBox):
    """A combo box the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class SpinBox(QSpinBox):
    """A whole-number spin box the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class DecimalSpinBox(QDoubleSpinBox):
    """A decimal spin box the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class DateField(QDateEdit):
    """A date field the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class DateTimeField(QDateTimeEdit):
    """A date-and-time field the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class TimeField(QTimeEdit):
    """A time field the wheel changes only while it has the focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


class Slider(QSlider):
    """A slider the wheel changes only while it has the focus."""

    def __init__(self, orientation: Qt.Orientation = Qt.Orientation.Horizontal,
                 parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        _steady(self)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):
            super().wheelEvent(event)


#: The value widgets of the kit; a test walks every screen and finds no other kind.
VALUE_WIDGETS: tuple[type[QWidget], ...] = (ComboBox, SpinBox, DecimalSpinBox, DateField,
                                            DateTimeField, TimeField, Slider)
#: Qt's own value widgets, which the kit replaces everywhere.
QT_VALUE_WIDGETS: tuple[type[QWidget], ...] = (QComboBox, QAbstractSpinBox, QSlider)
