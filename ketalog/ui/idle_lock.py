"""Idle lock: notice when nobody has touched the workstation, and the page that hides it all.

The watcher is an application-wide event filter (key press, mouse press, move
and wheel count as someone being there) plus a timer that compares the last
activity with the injected clock, so tests move a fake clock and call
:meth:`IdleWatcher.check` instead of waiting ten minutes.

The filter is installed only while armed: it runs Python for every event of
every object, which is a cost worth paying only while someone is signed in.
Arming installs it on the event loop's next turn rather than in the middle of
showing the board; activity before that counts from the arming itself.

While locked, :class:`KeyboardLock` makes the lock page's password field the
only place a key can go: no shortcut of the window or of the hidden session
fires, Tab does not leave the field, and a hidden form that takes the focus
behind the lock (a deferred focus move, a save retried after the connection
came back) gets nothing: its keys are handed to the password field.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QShowEvent, QWindow
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from ketalog.services.accounts import authenticate
from ketalog.services.context import Clock
from ketalog.services.users import UserSummary
from ketalog.ui.context import UiContext
from ketalog.ui.login import StartCard, password_edit, primary_button

#: How often the timer compares the last activity with the clock.
CHECK_MS = 5000
_ACTIVITY = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


class IdleWatcher(QObject):
    """Emits ``idle`` once when no input arrived for the set number of minutes."""

    idle = Signal()

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.limit = timedelta(minutes=10)
        self.armed = False
        self.last_activity: datetime = clock()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self._filtering = False

    def arm(self, minutes: int) -> None:
        """Start watching (after sign-in or unlock), counting from now."""
        self.limit = timedelta(minutes=minutes)
        self.last_activity = self.clock()
        self.armed = True
        self.timer.start()
        QTimer.singleShot(0, self._install_filter)

    def disarm(self) -> None:
        """Stop watching (signed out or already locked)."""
        self.armed = False
        self.timer.stop()
        app = QApplication.instance()
        if self._filtering and app is not None:
            app.removeEventFilter(self)
        self._filtering = False

    def _install_filter(self) -> None:
        app = QApplication.instance()
        if self.armed and not self._filtering and app is not None:
            app.installEventFilter(self)
            self._filtering = True

    def touch(self) -> None:
        """Someone is here: count the idle time from now."""
        self.last_activity = self.clock()

    def check(self) -> bool:
        """Emit ``idle`` (and stop watching) once the limit has passed; True if it did."""
        if not self.armed or self.clock() - self.last_activity < self.limit:
            return False
        self.disarm()
        self.idle.emit()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Any key, click, mouse move or wheel counts as activity; nothing is swallowed."""
        if self.armed and event.type() in _ACTIVITY:
            self.last_activity = self.clock()
        return False


_KEY_EVENTS = frozenset({
    QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
    QEvent.Type.InputMethod, QEvent.Type.FocusIn,
})
_TAB_KEYS = frozenset({Qt.Key.Key_Tab, Qt.Key.Key_Backtab})


class KeyboardLock(QObject):
    """While engaged, every key typed in ``field``'s window goes into ``field`` and nowhere else.

    An application event filter, installed only while locked:

    - a shortcut override is accepted wherever it is asked, so no shortcut or
      mnemonic of the window (or of a hidden panel) fires: the key arrives as
      a plain key press instead;
    - a key press meant for any other widget of the window (a hidden form
      that took the focus, a button) is handed to ``field``, which takes the
      focus back;
    - Tab and Shift+Tab in ``field`` are swallowed, so typing a vitals line
      ("128 Tab 84 Tab ...") never walks to a button.

    ``typed`` is emitted at the first key press after engaging.
    """

    typed = Signal()

    def __init__(self, field: QLineEdit, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.engaged = False
        self._typed = False

    def engage(self) -> None:
        """Start holding the keyboard (the lock page is shown)."""
        app = QApplication.instance()
        if not self.engaged and app is not None:
            app.installEventFilter(self)
            self.engaged = True
        self._typed = False
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def release(self) -> None:
        """Stop (unlocked, signed out, or the page hidden)."""
        app = QApplication.instance()
        if self.engaged and app is not None:
            app.removeEventFilter(self)
        self.engaged = False

    def _ours(self, watched: QObject) -> bool:
        window = self.field.window()
        if isinstance(watched, QWidget):
            return watched.window() is window
        if isinstance(watched, QWindow):
            return watched is window.windowHandle()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Route every key of the locked window into the password field."""
        kind = event.type()
        if not self.engaged or kind not in _KEY_EVENTS or not self._ours(watched):
            return False
        field = self.field
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # "the focused widget wants this key": no shortcut fires
            return True
        if kind == QEvent.Type.FocusIn:
            if watched is not field:
                QTimer.singleShot(0, self._refocus)
            return False
        if watched is field or (isinstance(watched, QWidget) and watched.isAncestorOf(field)):
            # the field itself, or the key travelling up from it: only Tab is stopped
            if (kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                    and watched is field):
                self._note_typed()
                return event.key() in _TAB_KEYS
            return isinstance(event, QKeyEvent) and event.key() in _TAB_KEYS
        # any other widget of the window: a hidden form, a button
        self._refocus()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            self._note_typed()
            if event.key() not in _TAB_KEYS:
                copy = QKeyEvent(QEvent.Type.KeyPress, event.key(), event.modifiers(),
                                 event.text(), event.isAutoRepeat(), event.count())
                QApplication.sendEvent(field, copy)
        return True

    def _refocus(self) -> None:
        if self.engaged and not self.field.hasFocus():
            self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _note_typed(self) -> None:
        if not self._typed:
            self._typed = True
            self.typed.emit()


class LockPage(StartCard):
    """Shown in place of everything while locked: only the user's name, no patient data.

    The keyboard belongs to the password field alone (:class:`KeyboardLock`);
    the buttons are for the mouse. The first key typed shows, in the card,
    that this is the lock page and that nothing typed here reaches a chart.
    """

    unlocked = Signal(object)  # UserSummary
    switch_requested = Signal()

    def __init__(self, ctx: UiContext, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent)
        self.ctx = ctx
        self.workstation = workstation
        self.user: UserSummary | None = None
        #: shown for a user and not yet unlocked (the keyboard is held while visible)
        self.holding = False
        self.title.setText(self.tr("Locked"))
        self.typing_hint = QLabel(self.tr(
            "This screen is locked. What you type goes only into the password field below "
            "and is never recorded in a chart."))
        self.typing_hint.setObjectName("typingHint")
        self.typing_hint.setWordWrap(True)
        self.typing_hint.hide()
        self.form.addWidget(self.typing_hint, 0, 0)
        self.password = self.add_field(self.tr("&Password"), password_edit())
        self.unlock_button = primary_button(self.tr("Unlock"))
        self.switch_button = QPushButton(self.tr("Sign in as someone else"))
        self.switch_button.setObjectName("quiet")
        for button in (self.unlock_button, self.switch_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a typed space never presses them
            self.buttons.addWidget(button)
        self.keyboard = KeyboardLock(self.password, self)
        self.keyboard.typed.connect(self._typed)
        self.unlock_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.switch_button.clicked.connect(self._switch)

    def show_for(self, user: UserSummary, display_name: str) -> None:
        """Lock for ``user``: name them, empty the field, put the keyboard in it."""
        self.user = user
        self.holding = True
        self.title.setText(self.tr("Locked — %1").replace("%1", display_name))
        self.subtitle.setText(self.tr(
            "This workstation locked itself; patient data is hidden and nothing typed is "
            "lost. Enter your password to continue."))
        self.password.clear()
        self.message.clear_message()
        self.typing_hint.hide()
        if self.isVisible():
            self.keyboard.engage()
        self.password.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Hold the keyboard whenever the page is on screen for a locked user."""
        super().showEvent(event)
        if self.holding:
            self.keyboard.engage()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        """Whatever took the page away (unlock, sign-out), the keyboard is free again."""
        self.keyboard.release()
        super().hideEvent(event)

    def _typed(self) -> None:
        self.typing_hint.show()

    def _switch(self) -> None:
        self.holding = False
        self.keyboard.release()
        self.switch_requested.emit()

    def submit(self) -> UserSummary | None:
        """Re-check the locked user's password (audited as an unlock)."""
        user = self.user
        if user is None:
            return None
        password = self.password.text()
        if not password:
            self.message.show_error(self.tr("Enter your password."))
            return None
        outcome = self.ctx.run(lambda db: authenticate(
            db, user.username, password, workstation=self.workstation, purpose="unlock",
            clock=self.ctx.clock))
        self.password.clear()
        if not outcome.ok or outcome.value is None:
            self.message.show_error((outcome.error or "") + " " + self.tr(
                "The screen is still locked: nothing typed here was recorded in a chart."))
            self.password.setFocus()
            return None
        self.message.clear_message()
        self.holding = False
        self.keyboard.release()
        self.unlocked.emit(outcome.value)
        return outcome.value
