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
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.chair_status import Urgency
from ketalog.domain.clinic_time import clock_text
from ketalog.services.accounts import WRONG_CREDENTIALS, authenticate
from ketalog.services.chair_status import ChairStatus, chair_status
from ketalog.services.context import Clock
from ketalog.services.users import UserSummary
from ketalog.store.workstation import (
    DEFAULT_LOCK_ATTENTION,
    LockAttention,
    WorkstationConfigError,
    load_workstation_config,
)
from ketalog.ui.core.alert_sound import ALERT_SOUND
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import ALERT_MARK, big_font
from ketalog.ui.start.login import PAGE_STYLE, StartCard, password_edit, primary_button
from ketalog.ui.widgets import Button

#: How often the timer compares the last activity with the clock.
CHECK_MS = 5000
#: How often the lock page re-reads the chairs.
STATUS_MS = 5000
#: The status frame's flash: one half-period.
FLASH_MS = 700
#: While a chair still needs someone, the beep is repeated this often.
REMIND_S = 60
STATUS_WIDTH = 680
#: Dark, with a banner: never mistaken for the (light) session screens behind it.
LOCK_STYLE = """
QWidget#lockPage { background: #27313a; }
QLabel#lockBanner { color: #ffffff; font-size: 22pt; font-weight: bold; letter-spacing: 2px; }
QLabel#typingHint { background: #fff4d6; color: #4d3800; font-weight: bold;
                    border: 1px solid #e0c36b; border-radius: 4px; padding: 6px; }
"""
STATUS_STYLE = """
QFrame#chairStatus { background: #ffffff; border: 3px solid #8fa3b3; border-radius: 10px; }
QFrame#chairStatus QLabel { background: transparent; color: #26323a; }
QFrame#chairStatus QLabel#statusHeading { color: #4a5560; font-weight: bold; }
QFrame#chairStatus QLabel[urgency="now"] { color: #a00000; }
QFrame#chairStatus QLabel[urgency="soon"] { color: #6b4a00; }
QFrame#chairStatus QLabel[urgency="routine"] { color: #4a5560; font-weight: normal; }
"""
STATUS_FLASH_STYLE = """
QFrame#chairStatus { background: #b00000; border: 3px solid #ffd7d7; border-radius: 10px; }
QFrame#chairStatus QLabel { background: transparent; color: #ffffff; }
QFrame#chairStatus QLabel#statusHeading { font-weight: bold; }
QFrame#chairStatus QLabel[urgency="routine"] { font-weight: normal; }
"""
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any key, click, mouse move or wheel counts as activity; nothing is swallowed."""
        if self.armed and event.type() in _ACTIVITY:
            self.last_activity = self.clock()
        return False


_KEY_EVENTS = frozenset({
    QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
    QEvent.Type.InputMethod, QEvent.Type.FocusIn,
})
_TAB_KEYS = frozenset({Qt.Key.Key_Tab, Qt.Key.Key_Backtab})
_ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


def _session_habit(event: QKeyEvent) -> bool:
    """A key meant as a command (Alt+3 for a panel, Ctrl+Enter for a note), not a character.

    Alt without Ctrl never types a password character (AltGr arrives as Ctrl+Alt
    or as its own character); Ctrl or Alt with Enter is a command, not a submit.
    """
    mods = event.modifiers()
    ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
    alt = bool(mods & Qt.KeyboardModifier.AltModifier)
    return (alt and not ctrl) or ((ctrl or alt) and event.key() in _ENTER_KEYS)


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
      ("128 Tab 84 Tab ...") never walks to a button; so are a session's
      command keys (Alt+3, Ctrl+Enter): they type no character and submit
      nothing.

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
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
        keep_out = isinstance(event, QKeyEvent) and (event.key() in _TAB_KEYS
                                                     or _session_habit(event))
        if watched is field:
            if kind == QEvent.Type.KeyPress:
                self._note_typed()
            return keep_out  # typed into the field: only Tab and command keys are stopped
        if isinstance(watched, QWidget) and watched.isAncestorOf(field):
            return keep_out  # a key the field left, travelling up to the page and the window
        # any other widget of the window: a hidden form, a button
        self._refocus()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            self._note_typed()
            if not keep_out:
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


class _FittedFrame(QFrame):
    """A frame never shorter than its wrapped lines (the start card's fix, see login._Card)."""

    def event(self, event: QEvent) -> bool:
        """Re-fit after every layout change (lines added, longer text)."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self.setMinimumHeight(self.sizeHint().height())
        return handled


class LockPage(StartCard):
    """Shown in place of everything while locked: the user's name and each chair's needs.

    No patient data: the chair lines come from
    :func:`ketalog.services.chair_status.chair_status`, which holds no name,
    MRN or birth date. They are re-read every :data:`STATUS_MS` and on every
    other workstation's change (:meth:`refresh_status`) while the page is
    shown, without unlocking or refreshing anything behind it. When a chair
    needs someone now, the page calls for help as this workstation's settings
    say: with ``lock_attention`` flash the status frame flashes and the window
    asks the desktop for attention; with an ``alert_sound`` the workstation
    plays it (at each new need, then every :data:`REMIND_S` seconds while one
    remains).

    The keyboard belongs to the password field alone (:class:`KeyboardLock`);
    the buttons are for the mouse. The first key typed shows, in the card,
    that this is the lock page and that nothing typed here reaches a chart.
    """

    unlocked = Signal(object)  # UserSummary
    switch_requested = Signal()

    def __init__(self, ctx: UiContext, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent)
        self.setObjectName("lockPage")
        self.setStyleSheet(PAGE_STYLE + LOCK_STYLE)
        self.ctx = ctx
        self.workstation = workstation
        self.user: UserSummary | None = None
        #: shown for a user and not yet unlocked (the keyboard is held while visible)
        self.holding = False
        self.attention = DEFAULT_LOCK_ATTENTION
        self.status: ChairStatus | None = None
        self._announced: frozenset[str] = frozenset()
        self._beeped_at: datetime | None = None
        self._flash_on = False
        self.title.setText(self.tr("Locked"))
        self.typing_hint = QLabel(self.tr(
            "This screen is locked. What you type goes only into the password field below "
            "and is never recorded in a chart."))
        self.typing_hint.setObjectName("typingHint")
        self.typing_hint.setWordWrap(True)
        self.typing_hint.hide()
        self.form.addWidget(self.typing_hint, 0, 0)
        self.password = self.add_field(self.tr("&Password"), password_edit())
        # neither button takes the focus: a typed space never presses them; Enter in
        # the password field presses Unlock once
        self.unlock_button = primary_button(self.tr("Unlock"), self.password)
        self.switch_button = Button(self.tr("Sign in as someone else"), focusable=False)
        self.switch_button.setObjectName("quiet")
        for button in (self.unlock_button, self.switch_button):
            self.buttons.addWidget(button)
        self.keyboard = KeyboardLock(self.password, self)
        self.keyboard.typed.connect(self._typed)
        self.unlock_button.clicked.connect(self.submit)
        self.switch_button.clicked.connect(self._switch)
        self._build_status()
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_MS)
        self.status_timer.timeout.connect(self.refresh_status)
        self.flash_timer = QTimer(self)
        self.flash_timer.setInterval(FLASH_MS)
        self.flash_timer.timeout.connect(self._flash)
        if ctx.link is not None:  # the connection is back: the chairs at once, not in 5 s
            ctx.link.restored.connect(self.refresh_status)

    def _build_status(self) -> None:
        """The banner and the chair status frame, above the card."""
        self.banner = QLabel(self.tr("LOCKED"))
        self.banner.setObjectName("lockBanner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_frame = _FittedFrame()
        self.status_frame.setObjectName("chairStatus")
        self.status_frame.setFixedWidth(STATUS_WIDTH)
        column = QVBoxLayout(self.status_frame)
        column.setContentsMargins(18, 12, 18, 14)
        column.setSpacing(4)
        self.status_heading = QLabel()
        self.status_heading.setObjectName("statusHeading")
        self.status_heading.setWordWrap(True)
        column.addWidget(self.status_heading)
        self.status_lines = QVBoxLayout()
        self.status_lines.setSpacing(4)
        column.addLayout(self.status_lines)
        self.status_labels: list[QLabel] = []
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertWidget(1, self.banner)
        outer.insertSpacing(2, 10)
        outer.insertWidget(3, self.status_frame, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.insertSpacing(4, 14)
        self._style_status()

    # --- showing and hiding ---------------------------------------------------------------

    def show_for(self, user: UserSummary, display_name: str) -> None:
        """Lock for ``user``: name them, empty the field, take the keyboard, show the chairs."""
        self.user = user
        self.holding = True
        self.title.setText(self.tr("Locked — %1").replace("%1", display_name))
        self.subtitle.setText(self.tr(
            "This workstation locked itself; patient data is hidden and nothing typed is "
            "lost. Enter your password to continue."))
        self.password.clear()
        self.message.clear_message()
        self.typing_hint.hide()
        self.attention = _attention_setting()
        self._announced = frozenset()
        self._beeped_at = None
        if self.isVisible():
            self._hold()
        self.password.setFocus()

    def _hold(self) -> None:
        self.keyboard.engage()
        self.status_timer.start()
        self.refresh_status()

    def _let_go(self) -> None:
        self.keyboard.release()
        self.status_timer.stop()
        self._stop_flashing()

    def showEvent(self, event: QShowEvent) -> None:
        """Hold the keyboard and keep the chairs current whenever shown for a locked user."""
        super().showEvent(event)
        if self.holding:
            self._hold()

    def hideEvent(self, event: QHideEvent) -> None:
        """Whatever took the page away (unlock, sign-out), the keyboard is free again."""
        self._let_go()
        super().hideEvent(event)

    # --- the chairs -----------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Re-read what each chair needs (timer, other workstations' changes); only while locked."""
        if not self.holding:
            return
        outcome = self.ctx.run(lambda db: chair_status(db, tz=self.ctx.tz, now=self.ctx.clock()))
        if outcome.ok and outcome.value is not None:
            self.status = outcome.value
            self._show_status(outcome.value)
        else:
            why = (self.tr("the database cannot be reached") if outcome.offline
                   else (outcome.error or "").rstrip("."))
            shown = (self.tr("the lines below are as of %1").replace(
                "%1", clock_text(self.status.read_at_utc, self.ctx.tz))
                if self.status is not None else self.tr("nothing could be read"))
            self.status_heading.setText(f"{ALERT_MARK} " + self.tr(
                "The chairs cannot be read now (%1): %2; check the chairs yourself.")
                .replace("%1", why).replace("%2", shown))
        self._call_for_help()

    def chair_lines(self) -> list[str]:
        """The chair lines on screen now, top to bottom."""
        return [label.text() for label in self.status_labels if not label.isHidden()]

    def _show_status(self, status: ChairStatus) -> None:
        read_at = clock_text(status.read_at_utc, self.ctx.tz)
        if not status.lines:
            self.status_heading.setText(self.tr("No patient in a chair is being monitored "
                                                "(as of %1).").replace("%1", read_at))
        elif status.needs_someone:
            self.status_heading.setText(f"{ALERT_MARK} " + self.tr(
                "A chair needs someone now (as of %1):").replace("%1", read_at))
        else:
            self.status_heading.setText(self.tr("The chairs now (as of %1):").replace(
                "%1", read_at))
        while len(self.status_labels) < len(status.lines):
            label = QLabel()
            label.setWordWrap(True)
            big_font(label, 14)
            self.status_lines.addWidget(label)
            self.status_labels.append(label)
        for label, line in zip(self.status_labels, status.lines, strict=False):
            urgent = line.urgency is Urgency.NOW
            label.setText(f"{ALERT_MARK} {line.text}" if urgent else line.text)
            label.setProperty("urgency", line.urgency.name.lower())
            label.show()
        for label in self.status_labels[len(status.lines):]:
            label.hide()
        self._style_status()

    def _call_for_help(self) -> None:
        """Flash and/or sound per the settings while a chair needs someone; quiet otherwise."""
        status = self.status
        urgent = status.urgent_texts if status is not None else frozenset()
        if not urgent:
            self._announced = frozenset()
            self._stop_flashing()
            return
        new = bool(urgent - self._announced)
        self._announced = urgent
        attention = self.attention
        if attention.flashes:
            if not self.flash_timer.isActive():
                self.flash_timer.start()
            if new:
                QApplication.alert(self.window(), 0)
        now = self.ctx.clock()
        if ((new or self._beeped_at is None
             or now - self._beeped_at >= timedelta(seconds=REMIND_S))
                and ALERT_SOUND.play()):  # the workstation's alert sound, if it has one
            self._beeped_at = now

    @property
    def flashing(self) -> bool:
        """Whether the status frame is flashing."""
        return self.flash_timer.isActive()

    def _flash(self) -> None:
        self._flash_on = not self._flash_on
        self._style_status()

    def _stop_flashing(self) -> None:
        self.flash_timer.stop()
        if self._flash_on:
            self._flash_on = False
            self._style_status()

    def _style_status(self) -> None:
        """Set the frame's sheet again: it also re-reads each line's urgency property."""
        self.status_frame.setStyleSheet(STATUS_FLASH_STYLE if self._flash_on else STATUS_STYLE)

    # --- the password -----------------------------------------------------------------------

    def _typed(self) -> None:
        self.typing_hint.show()

    def _switch(self) -> None:
        self.holding = False
        self._let_go()
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
            error = outcome.error or ""
            if error == WRONG_CREDENTIALS:  # the user name is not in question here
                error = self.tr("That is not %1's password.").replace("%1", user.full_name)
            self.message.show_error(error + " " + self.tr(
                "The screen is still locked: nothing typed here was recorded in a chart."))
            self.password.setFocus()
            return None
        self.message.clear_message()
        self.holding = False
        self._let_go()
        self.unlocked.emit(outcome.value)
        return outcome.value


def _attention_setting() -> LockAttention:
    """This workstation's ``lock_attention``; a damaged settings file means the default."""
    try:
        return load_workstation_config().lock_attention
    except WorkstationConfigError:
        return DEFAULT_LOCK_ATTENTION
