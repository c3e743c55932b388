"""The start screens: sign in, or on an empty database create the first administrator.

Each page makes one service call per click through :meth:`UiContext.run`, so a
refusal (wrong password, throttling, a password rule) comes back as a sentence
for the message line, never as a traceback. Passwords are plain ``str`` from
end to end: any Unicode a keyboard or input method can type works.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import available_timezones

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.accounts import (
    authenticate,
    change_own_password,
    create_first_administrator,
)
from ketalog.services.settings import system_timezone_name
from ketalog.services.users import UserSummary
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel, big_font
from ketalog.ui.widgets import ActionButton

#: A calm page: pale background, one white card in the middle, one blue button.
PAGE_STYLE = """
QWidget#startPage { background: #eef2f5; }
QFrame#card { background: #ffffff; border: 1px solid #d3dae0; border-radius: 10px; }
QFrame#card QLabel { background: transparent; }
QFrame#card QLabel#subtitle { color: #4a5560; }
QFrame#card QLineEdit { padding: 6px; border: 1px solid #b8c2cc; border-radius: 4px;
                        background: #ffffff; }
QFrame#card QLineEdit:focus { border: 1px solid #2f6f8f; }
QPushButton#primary { background: #2f6f8f; color: #ffffff; border: none; border-radius: 4px;
                      padding: 8px 18px; font-weight: bold; }
QPushButton#primary:hover { background: #285f7a; }
QPushButton#primary:disabled { background: #9bb3c0; }
QPushButton#quiet { background: transparent; color: #2f6f8f; border: none; padding: 6px; }
"""
CARD_WIDTH = 440
FIRST_RUN_CARD_WIDTH = 640


class _Card(QFrame):
    """The white card; never shorter than its contents.

    Qt's height-for-width estimate for wrapped labels in a stacked page comes
    out too small (the buttons were squashed), so the card holds its own size
    hint as its minimum height whenever its contents change.
    """

    def event(self, event: QEvent) -> bool:
        """Re-fit after every layout change (a message shown, a name set)."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self.setMinimumHeight(self.sizeHint().height())
        return handled


class StartCard(QWidget):
    """A full-page background with a centred card: the frame of every start screen."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.card = _Card()
        self.card.setObjectName("card")
        self.card.setFixedWidth(CARD_WIDTH)
        self.title = QLabel(title)
        big_font(self.title, 18)
        self.title.setWordWrap(True)
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("subtitle")
        self.subtitle.setWordWrap(True)
        self.form = QGridLayout()
        self.form.setVerticalSpacing(6)
        self.message = MessageLabel()
        self.footer = QLabel()
        self.footer.setObjectName("subtitle")
        self.footer.setWordWrap(True)
        self.footer.hide()
        inner = QVBoxLayout(self.card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addSpacing(6)
        inner.addLayout(self.form)
        inner.addWidget(self.message)
        self.buttons = QVBoxLayout()
        self.buttons.setSpacing(4)
        inner.addLayout(self.buttons)
        inner.addWidget(self.footer)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def add_field(self, label: str, edit: QLineEdit, *, beside: bool = False) -> QLineEdit:
        """A label above its field, in the card's form (``beside`` the previous one)."""
        row = self.form.rowCount() - 2 if beside else self.form.rowCount()
        column = 1 if beside else 0
        caption = QLabel(label)
        caption.setBuddy(edit)
        self.form.addWidget(caption, row, column)
        self.form.addWidget(edit, row + 1, column)
        return edit

    def set_footer(self, text: str) -> None:
        """Small print under the buttons (which database this is)."""
        self.footer.setText(text)
        self.footer.setVisible(bool(text))


def password_edit() -> QLineEdit:
    """A password field: never echoed, never offered to input-method prediction."""
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText
                             | Qt.InputMethodHint.ImhSensitiveData
                             | Qt.InputMethodHint.ImhNoPredictiveText)
    edit.setMaxLength(256)
    return edit


def primary_button(text: str, field: QLineEdit) -> ActionButton:
    """The one button a start screen is for, pressed by a click or Enter in ``field``.

    It never takes the focus: a space typed on the page is a character of a
    field, never a press.
    """
    button = ActionButton(text)
    button.setObjectName("primary")
    button.bind_enter(field)
    return button


class LoginPage(StartCard):
    """User name, password, Sign in; Enter submits.

    After an administrator reset a password, the log-in with the temporary
    password goes no further than a second step on this card: a new password,
    typed twice. Only once it is saved does the user get in (the administrator
    knows the temporary one; the new signing key is already marked as issued
    after the reset).
    """

    signed_in = Signal(object)  # UserSummary

    def __init__(self, ctx: UiContext, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__("ketalog", "", parent)
        self.subtitle.setText(self.tr("Sign in with your own account. Everything you record "
                                      "is saved under your name."))
        self.ctx = ctx
        self.workstation = workstation
        self.username = self.add_field(self.tr("&User name"), QLineEdit())
        self.username.setMaxLength(64)
        self.password = self.add_field(self.tr("&Password"), password_edit())
        self.sign_in_button = primary_button(self.tr("Sign in"), self.password)
        self.buttons.addWidget(self.sign_in_button)
        self.sign_in_button.clicked.connect(self.submit)
        self.username.returnPressed.connect(self._username_entered)
        self.new_password = self.add_field(self.tr("&New password"), password_edit())
        self.repeat_password = self.add_field(self.tr("New password &again"), password_edit())
        self.change_button = primary_button(self.tr("Change password"), self.repeat_password)
        self.buttons.addWidget(self.change_button)
        self.change_button.clicked.connect(self.submit_new_password)
        self.new_password.returnPressed.connect(self.repeat_password.setFocus)
        self._pending: tuple[UserSummary, str] | None = None
        self._show_step(changing=False)

    def _show_step(self, *, changing: bool) -> None:
        """The user name and password step, or the new password step after a reset."""
        for edit, shown in ((self.username, not changing), (self.password, not changing),
                            (self.new_password, changing), (self.repeat_password, changing)):
            edit.setVisible(shown)
            for label in self.findChildren(QLabel):
                if label.buddy() is edit:
                    label.setVisible(shown)
        self.sign_in_button.setVisible(not changing)
        self.change_button.setVisible(changing)
        if not changing:
            self._pending = None
            self.new_password.clear()
            self.repeat_password.clear()

    @property
    def changing_password(self) -> bool:
        """Whether the page is asking for a new password after an administrator's reset."""
        return self._pending is not None

    def submit_new_password(self) -> UserSummary | None:
        """Save the new password (typed twice) and sign in; emit ``signed_in`` on success."""
        if self._pending is None:
            return None
        summary, temporary = self._pending
        new, again = self.new_password.text(), self.repeat_password.text()
        if not new:
            self.message.show_error(self.tr("Enter a new password."))
            self.new_password.setFocus()
            return None
        if new != again:
            self.message.show_error(self.tr("The two new passwords differ; type them again."))
            self.new_password.clear()
            self.repeat_password.clear()
            self.new_password.setFocus()
            return None
        actor = summary.as_actor(self.workstation)
        outcome = self.ctx.run(lambda db: change_own_password(
            db, actor, temporary, new, clock=self.ctx.clock))
        self.new_password.clear()
        self.repeat_password.clear()
        if not outcome.ok:
            self.message.show_error(outcome.error or self.tr("The password was not changed."))
            self.new_password.setFocus()
            return None
        done = replace(summary, must_change_password=False)
        self._show_step(changing=False)
        self.message.clear_message()
        self.signed_in.emit(done)
        return done

    def _username_entered(self) -> None:
        if self.password.text():
            self.submit()
        else:
            self.password.setFocus()

    def reset(self, message: str = "") -> None:
        """Empty the form for the next person (with an optional note, e.g. "Signed out")."""
        self._show_step(changing=False)
        self.username.clear()
        self.password.clear()
        if message:
            self.message.show_info(message)
        else:
            self.message.clear_message()
        self.username.setFocus()

    def submit(self) -> UserSummary | None:
        """Check the user name and password; on success emit ``signed_in``."""
        return self.sign_in_as(self.username.text(), self.password.text())

    def sign_in_as(self, username: str, password: str) -> UserSummary | None:
        """Sign in with these credentials (the form's, or the benchmark's)."""
        if not username.strip():
            self.message.show_error(self.tr("Enter your user name."))
            self.username.setFocus()
            return None
        if not password:
            self.message.show_error(self.tr("Enter your password."))
            self.password.setFocus()
            return None
        outcome = self.ctx.run(lambda db: authenticate(
            db, username, password, workstation=self.workstation, purpose="login",
            clock=self.ctx.clock))
        self.password.clear()
        if not outcome.ok or outcome.value is None:
            self.message.show_error(outcome.error or self.tr("Sign-in failed."))
            self.password.setFocus()
            return None
        if outcome.value.must_change_password:
            self._pending = (outcome.value, password)
            self._show_step(changing=True)
            self.message.show_info(self.tr(
                "An administrator reset your password. Choose a new password that only you "
                "know before you continue."))
            self.new_password.setFocus()
            return None
        self.message.clear_message()
        self.username.clear()
        self.signed_in.emit(outcome.value)
        return outcome.value


class FirstAdministratorPage(StartCard):
    """First start on an empty database: create the clinic, or open the demo clinic instead.

    Creating the clinic names it, sets its time zone and makes the first
    administrator (who then adds everyone else's accounts), then signs them in.
    """

    signed_in = Signal(object)  # UserSummary
    #: the newcomer would rather look around the demo clinic (a separate database)
    demo_requested = Signal()

    def __init__(self, ctx: UiContext, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__("", "", parent)
        self.card.setFixedWidth(FIRST_RUN_CARD_WIDTH)
        self.title.setText(self.tr("Welcome to ketalog"))
        self.subtitle.setText(self.tr(
            "This database is empty. Create your clinic: its name, its time zone and the "
            "first administrator, who adds the nurses' and physicians' accounts afterwards. "
            "Or open the demo clinic to look around first (a separate database of made-up "
            "patients)."))
        self.ctx = ctx
        self.workstation = workstation
        self.clinic_name = self.add_field(self.tr("C&linic name"), QLineEdit())
        self.clinic_name.setMaxLength(120)
        self.timezone = self.add_field(self.tr("&Time zone"), QLineEdit(), beside=True)
        self.timezone.setText(system_timezone_name())
        zones = QCompleter(sorted(available_timezones()), self.timezone)
        zones.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        zones.setFilterMode(Qt.MatchFlag.MatchContains)
        self.timezone.setCompleter(zones)
        self.username = self.add_field(self.tr("&User name (e.g. pmorgan)"), QLineEdit())
        self.username.setMaxLength(64)
        self.full_name = self.add_field(self.tr("&Full name"), QLineEdit(), beside=True)
        self.credentials = self.add_field(self.tr("&Credentials (optional, e.g. RN)"),
                                          QLineEdit())
        self.password = self.add_field(self.tr("&Password (at least 8 characters)"),
                                       password_edit())
        self.password_again = self.add_field(self.tr("Password &again"), password_edit(),
                                             beside=True)
        self.create_button = primary_button(self.tr("Create the clinic and sign in"),
                                            self.password_again)
        self.buttons.addWidget(self.create_button)
        self.create_button.clicked.connect(self.submit)
        self.demo_button = ActionButton(self.tr("Open the demo clinic instead"),
                                        shortcut="Alt+D")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        self.buttons.addWidget(self.demo_button)
        for edit, following in ((self.clinic_name, self.timezone),
                                (self.timezone, self.username),
                                (self.username, self.full_name),
                                (self.full_name, self.credentials),
                                (self.credentials, self.password),
                                (self.password, self.password_again)):
            edit.returnPressed.connect(following.setFocus)

    def submit(self) -> UserSummary | None:
        """Create the account (the services judge every rule), then sign in."""
        password = self.password.text()
        if password != self.password_again.text():
            self.password_again.clear()
            self.message.show_error(self.tr("The two passwords differ; type the password "
                                            "again in both fields."))
            self.password.selectAll()
            self.password.setFocus()
            return None
        username = self.username.text()
        created = self.ctx.run(lambda db: create_first_administrator(
            db, username=username, full_name=self.full_name.text(), password=password,
            clinic_name=self.clinic_name.text(), clinic_timezone=self.timezone.text(),
            credentials=self.credentials.text(), workstation=self.workstation,
            clock=self.ctx.clock))
        if not created.ok:
            self.message.show_error(created.error or "")
            return None
        signed = self.ctx.run(lambda db: authenticate(
            db, username, password, workstation=self.workstation, purpose="login",
            clock=self.ctx.clock))
        self.password.clear()
        self.password_again.clear()
        if not signed.ok or signed.value is None:
            self.message.show_error(signed.error or "")
            return None
        self.message.clear_message()
        self.signed_in.emit(signed.value)
        return signed.value
