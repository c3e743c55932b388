"""Idle lock: notice when nobody has touched the workstation, and the page that hides it all.

The watcher is an application-wide event filter (key press, mouse press, move
and wheel count as someone being there) plus a timer that compares the last
activity with the injected clock, so tests move a fake clock and call
:meth:`IdleWatcher.check` instead of waiting ten minutes.

The filter is installed only while armed: it runs Python for every event of
every object, which is a cost worth paying only while someone is signed in.
Arming installs it on the event loop's next turn rather than in the middle of
showing the board; activity before that counts from the arming itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

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


class LockPage(StartCard):
    """Shown in place of everything while locked: only the user's name, no patient data."""

    unlocked = Signal(object)  # UserSummary
    switch_requested = Signal()

    def __init__(self, ctx: UiContext, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent)
        self.ctx = ctx
        self.workstation = workstation
        self.user: UserSummary | None = None
        self.title.setText(self.tr("Locked"))
        self.password = self.add_field(self.tr("&Password"), password_edit())
        self.unlock_button = primary_button(self.tr("Unlock"))
        self.switch_button = QPushButton(self.tr("Sign in as someone else"))
        self.switch_button.setObjectName("quiet")
        self.buttons.addWidget(self.unlock_button)
        self.buttons.addWidget(self.switch_button)
        self.unlock_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        self.switch_button.clicked.connect(self.switch_requested)

    def show_for(self, user: UserSummary, display_name: str) -> None:
        """Lock for ``user``: name them, empty the field, put the keyboard in it."""
        self.user = user
        self.title.setText(self.tr("Locked — %1").replace("%1", display_name))
        self.subtitle.setText(self.tr(
            "This workstation locked itself; patient data is hidden and nothing typed is "
            "lost. Enter your password to continue."))
        self.password.clear()
        self.message.clear_message()
        self.password.setFocus()

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
            self.message.show_error(outcome.error or "")
            self.password.setFocus()
            return None
        self.message.clear_message()
        self.unlocked.emit(outcome.value)
        return outcome.value
