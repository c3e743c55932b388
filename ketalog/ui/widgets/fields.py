"""Value widgets that change only while the nurse is working in them.

A wheel turn over a combo box, spin box, date field or slider that does not
have the keyboard focus scrolls the page instead of changing the value (Qt's
own widgets change the value under the pointer whether focused or not). A
click still focuses them; they never take focus from the wheel alone.

:class:`PasswordField` is the password box of a signature made inside a panel
(the nurse's attestation, an addendum): never echoed, never offered to
prediction, and emptied whenever it has been used, right or wrong.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QLineEdit,
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


class _FocusedWheel:
    """Mixin for a Qt value widget: Tab and click focus, and the wheel only while focused.

    Written once so every kit value widget follows the same rule; the mixin
    comes first in the bases so its ``wheelEvent`` is the one Qt calls.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _steady(self)  # type: ignore[arg-type]

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Scroll the page unless focused."""
        if _wheel_changes(self, event):  # type: ignore[arg-type]
            super().wheelEvent(event)  # type: ignore[misc]


class ComboBox(_FocusedWheel, QComboBox):
    """A combo box the wheel changes only while it has the focus."""


class SpinBox(_FocusedWheel, QSpinBox):
    """A whole-number spin box the wheel changes only while it has the focus."""


class DecimalSpinBox(_FocusedWheel, QDoubleSpinBox):
    """A decimal spin box the wheel changes only while it has the focus."""


class DateField(_FocusedWheel, QDateEdit):
    """A date field the wheel changes only while it has the focus."""


class DateTimeField(_FocusedWheel, QDateTimeEdit):
    """A date-and-time field the wheel changes only while it has the focus."""


class TimeField(_FocusedWheel, QTimeEdit):
    """A time field the wheel changes only while it has the focus."""


class Slider(_FocusedWheel, QSlider):
    """A slider the wheel changes only while it has the focus (horizontal unless told)."""

    def __init__(self, orientation: Qt.Orientation = Qt.Orientation.Horizontal,
                 parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)


#: The value widgets of the kit; a test walks every screen and finds no other kind.
VALUE_WIDGETS: tuple[type[QWidget], ...] = (ComboBox, SpinBox, DecimalSpinBox, DateField,
                                            DateTimeField, TimeField, Slider)
#: Qt's own value widgets, which the kit replaces everywhere.
QT_VALUE_WIDGETS: tuple[type[QWidget], ...] = (QComboBox, QAbstractSpinBox, QSlider)


class PasswordField(QLineEdit):
    """The signer's own password for one signature made in a panel; cleared after each try."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText
                                 | Qt.InputMethodHint.ImhSensitiveData
                                 | Qt.InputMethodHint.ImhNoPredictiveText)
        self.setMaxLength(256)
        self.setPlaceholderText(placeholder)

    def take(self) -> str:
        """The typed password, and the field emptied (it is never kept on screen)."""
        typed = self.text()
        self.clear()
        return typed
