"""Buttons of the chair-side screens: the rule "a stray key never changes state" lives here.

Two kinds, and no third:

* :class:`ActionButton` changes clinical state (start, pause, order, verify,
  discharge, sign, record...). It never takes keyboard focus, by Tab, by a
  click or by a panel opening, so a key typed into what looks like the active
  area can never press it. It is pressed by a click, by its own shortcut, or
  by Enter in the field that belongs to it (:meth:`ActionButton.bind_enter`),
  once per Enter.
* :class:`Button` does something harmless (open a preview, go back, show a
  form again). It may take focus; Enter and Space both press it, as on every
  focusable button of the app.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTabBar,
    QWidget,
)

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def plain_key(event: QKeyEvent) -> bool:
    """No modifier held (the keypad flag aside)."""
    return not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier


class ActionButton(QPushButton):
    """A state-changing button that never has the keyboard focus.

    ``shortcut`` (e.g. "Alt+P") presses it while it is on screen; pressed
    while the button is disabled, the shortcut says why instead
    (:attr:`refused` carries the button's tooltip, the rules' own words).
    The key is shown on the button and in its tooltip.
    """

    #: The shortcut or an owning field's Enter was used while the button could not act.
    refused = Signal(str)

    def __init__(self, text: str = "", *, shortcut: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAutoDefault(False)
        self.shortcut_keys = QKeySequence(shortcut) if shortcut else None
        self._label = ""
        self._tip = ""
        #: fields whose Enter presses this button (read by the keystroke tests)
        self.owner_fields: list[QWidget] = []
        self._shortcut: QShortcut | None = None
        self._attach_shortcut()
        self.setText(text)

    def event(self, event: QEvent) -> bool:
        """Re-attach the shortcut whenever the button moves into another container."""
        handled = super().event(event)
        if event.type() == QEvent.Type.ParentChange and hasattr(self, "_shortcut"):
            self._attach_shortcut()
        return handled

    def _attach_shortcut(self) -> None:
        """Put the shortcut on the button's container.

        The container stays enabled while the button is disabled, so a key
        pressed then is explained rather than lost; the shortcut is active
        only while that container is visible in the active window.
        """
        if self.shortcut_keys is None:
            return
        container = self.parentWidget()
        if self._shortcut is not None:
            if self._shortcut.parent() is container:
                return
            self._shortcut.setEnabled(False)
            self._shortcut.deleteLater()
            self._shortcut = None
        if container is None:
            return
        self._shortcut = QShortcut(self.shortcut_keys, container)
        self._shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self._shortcut.setAutoRepeat(False)
        self._shortcut.activated.connect(self.press)

    def setText(self, text: str) -> None:
        """The label, with the shortcut after it ("Pause   Alt+P")."""
        self._label = text
        keys = self.key_text()
        super().setText(f"{text}   {keys}" if keys and text else text)

    def label(self) -> str:
        """The button's words without the shortcut."""
        return self._label

    def key_text(self) -> str:
        """The shortcut as the keyboard shows it ("Alt+P"), or ""."""
        if self.shortcut_keys is None:
            return ""
        return self.shortcut_keys.toString(QKeySequence.SequenceFormat.NativeText)

    def setToolTip(self, text: str) -> None:
        """The reason it cannot act (or what it does), and its key."""
        self._tip = text
        keys = self.key_text()
        super().setToolTip(f"{text}\n({keys})".strip() if keys else text)

    def reason(self) -> str:
        """Why the button cannot act now, as its tooltip says."""
        return self._tip

    def press(self) -> bool:
        """Act as a click would, once; refuse in words when disabled or not on screen."""
        if not (self.isVisible() and self.isEnabled()):
            self.refused.emit(self._tip or self.tr("%1 is not possible now.")
                              .replace("%1", self._label))
            return False
        self.click()
        return True

    def bind_enter(self, *fields: QWidget) -> None:
        """Enter (or Return) in each of ``fields`` presses this button once."""
        for field in fields:
            self.owner_fields.append(field)
            if isinstance(field, QLineEdit):
                field.returnPressed.connect(self.press)
            else:
                field.installEventFilter(_EnterPresses(self, field))


class _EnterPresses(QObject):
    """Enter in a field that is not a line edit (a list, a text box) presses the button."""

    def __init__(self, button: ActionButton, field: QWidget) -> None:
        super().__init__(field)
        self._button = button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Plain Enter presses; everything else goes on to the field."""
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in ENTER_KEYS and plain_key(event)
                and not event.isAutoRepeat()):
            self._button.press()
            return True
        return False


class Button(QPushButton):
    """A harmless button that may have the focus; Enter presses it as Space does.

    ``focusable=False`` keeps it out of the Tab order (a screen's header, where
    Tab should stay among the fields); it is then reached by its own key.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 on_click: Callable[[], object] | None = None, *,
                 focusable: bool = True) -> None:
        super().__init__(text, parent)
        self.setAutoDefault(False)
        if not focusable:
            self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if on_click is not None:
            self.clicked.connect(lambda _checked=False: on_click())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter or Return: press, as Space does."""
        if event.key() in ENTER_KEYS and plain_key(event):
            if not event.isAutoRepeat():
                self.click()
            return
        super().keyPressEvent(event)


def button_row(*buttons: QAbstractButton) -> QHBoxLayout:
    """A dialog's buttons, right-aligned, in the order given.

    Used instead of ``QDialogButtonBox``, which makes its first accepting
    button the dialog's default: Enter in any field would then press a
    state-changing button as well as the field's own Enter.
    """
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


def is_safe_button(button: QAbstractButton) -> bool:
    """Whether a button follows the kit's rule (used by tests over every screen).

    Tick boxes and radio buttons are values, not actions: they may have the
    focus (Space ticks), as any field may. Qt's own parts (a tab bar's
    scroll arrows) are left to Qt.
    """
    if isinstance(button, QCheckBox | QRadioButton) or isinstance(
            button.parentWidget(), QTabBar):
        return True
    return isinstance(button, Button) or button.focusPolicy() == Qt.FocusPolicy.NoFocus
