"""Accounts in the app: administrators manage them, everyone changes their own password.

Administrators add, correct, re-role, disable, unlock and reset. Accounts are
never deleted (what a person charted and signed names them): a person who
leaves is disabled. A reset sets a temporary password that the next log-in
replaces, and retires the person's signing key (services.accounts). Every
change is one service call with its audit row; a refusal is shown in the
message line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.accounts import (
    AccountRow,
    add_user,
    change_own_password,
    change_role,
    edit_account,
    list_accounts,
    reset_password,
    set_active,
    unlock_account,
)
from ketalog.services.users import ROLES
from ketalog.ui.core.context import UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import ActionButton, Button, Column, ComboBox, RowsModel, make_table
from ketalog.ui.widgets.windows import place_window


class AccountsModel(RowsModel[AccountRow]):
    """One row per account, active or not."""

    def __init__(self) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "User name"), lambda a: a.username),
            Column(QT_TRANSLATE_NOOP("Column", "Name"), lambda a: a.full_name),
            Column(QT_TRANSLATE_NOOP("Column", "Credentials"), lambda a: a.credentials),
            Column(QT_TRANSLATE_NOOP("Column", "Role"), lambda a: a.role),
            Column(QT_TRANSLATE_NOOP("Column", "State"), _state),
        ), key=lambda a: a.id)


def _state(account: AccountRow) -> str:
    words = ["active" if account.is_active else "disabled"]
    if account.locked:
        words.append("locked")
    if account.must_change_password:
        words.append("new password due")
    return ", ".join(words)


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class AccountsDialog(QDialog):
    """The clinic's accounts, and the changes an administrator makes to them.

    Attributes used by tests: ``model``, ``table``, the selected account's
    ``full_name``, ``credentials``, ``role``, ``temporary``/``temporary_again``
    and their buttons; the new account's ``new_*`` fields and ``add_button``;
    ``message``.
    """

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Accounts"))
        self.model = AccountsModel()
        self.table = make_table(self.model, stretch_column=1)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self._selected_group())
        layout.addWidget(self._new_group())
        self.message = MessageLabel()
        layout.addWidget(self.message)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(Button(self.tr("Close"), on_click=self.accept))
        layout.addLayout(bar)
        self.refresh()
        place_window(self, "accounts", 900, 700)
        self.table.setFocus()

    # -- layout ----------------------------------------------------------------------------

    def _selected_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Selected account"))
        form = QFormLayout(box)
        self.full_name = QLineEdit()
        self.credentials = QLineEdit()
        self.save_name_button = ActionButton(self.tr("Save name (Enter)"))
        self.save_name_button.clicked.connect(self._save_name)
        self.save_name_button.bind_enter(self.full_name, self.credentials)
        names = QHBoxLayout()
        names.addWidget(self.full_name, 2)
        names.addWidget(self.credentials, 1)
        names.addWidget(self.save_name_button)
        form.addRow(self.tr("Name, credentials"), names)
        self.role = ComboBox()
        self.role.addItems([role.value for role in ROLES])
        self.role_button = ActionButton(self.tr("Change role"))
        self.role_button.clicked.connect(self._change_role)
        self.active_button = ActionButton(self.tr("Disable"))
        self.active_button.clicked.connect(self._toggle_active)
        self.unlock_button = ActionButton(self.tr("Unlock"))
        self.unlock_button.clicked.connect(lambda: self._act(
            lambda db, who: unlock_account(db, self.ctx.actor(), who, clock=self.ctx.clock),
            self.tr("%1 is unlocked.")))
        access = QHBoxLayout()
        access.addWidget(self.role)
        access.addWidget(self.role_button)
        access.addStretch(1)
        access.addWidget(self.active_button)
        access.addWidget(self.unlock_button)
        form.addRow(self.tr("Role, access"), access)
        self.temporary = _password_field()
        self.temporary_again = _password_field()
        self.reset_button = ActionButton(self.tr("Reset password (Enter)"))
        self.reset_button.clicked.connect(self._reset)
        self.reset_button.bind_enter(self.temporary_again)
        reset = QHBoxLayout()
        reset.addWidget(self.temporary)
        reset.addWidget(self.temporary_again)
        reset.addWidget(self.reset_button)
        form.addRow(self.tr("Temporary password, again"), reset)
        return box

    def _new_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("New account"))
        form = QFormLayout(box)
        self.new_username = QLineEdit()
        self.new_username.setPlaceholderText(self.tr("e.g. nreyes"))
        self.new_full_name = QLineEdit()
        self.new_credentials = QLineEdit()
        self.new_credentials.setPlaceholderText(self.tr("e.g. RN"))
        self.new_role = ComboBox()
        self.new_role.addItems([role.value for role in ROLES])
        who = QHBoxLayout()
        who.addWidget(self.new_username)
        who.addWidget(self.new_full_name, 2)
        who.addWidget(self.new_credentials)
        who.addWidget(self.new_role)
        form.addRow(self.tr("User name, name, credentials, role"), who)
        self.new_password = _password_field()
        self.new_password_again = _password_field()
        self.add_button = ActionButton(self.tr("Add account (Enter)"))
        self.add_button.clicked.connect(self._add)
        self.add_button.bind_enter(self.new_username, self.new_full_name, self.new_credentials,
                                   self.new_password_again)
        password = QHBoxLayout()
        password.addWidget(self.new_password)
        password.addWidget(self.new_password_again)
        password.addWidget(self.add_button)
        form.addRow(self.tr("First password, again"), password)
        return box

    # -- reading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the accounts as stored now (keeping the selection)."""
        outcome = self.ctx.run(lambda db: list_accounts(db, self.ctx.actor()))
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            for group in self.findChildren(QGroupBox):
                group.setEnabled(False)
            return
        self.model.set_rows(outcome.value or [])
        if self.table.currentIndex().row() < 0 and self.model.rowCount():
            self.table.selectRow(0)
        self._selected()

    def selected(self) -> AccountRow | None:
        """The account of the current row."""
        row = self.table.currentIndex().row()
        return self.model.row_at(row) if row >= 0 else None

    def _selected(self) -> None:
        account = self.selected()
        if account is None:
            return
        self.full_name.setText(account.full_name)
        self.credentials.setText(account.credentials)
        self.role.setCurrentText(account.role)
        self.active_button.setText(self.tr("Disable") if account.is_active
                                   else self.tr("Enable"))
        self.unlock_button.setEnabled(account.locked)

    # -- changes ---------------------------------------------------------------------------

    def _act(self, action: Callable[..., object], done: str) -> bool:
        account = self.selected()
        if account is None:
            self.message.show_error(self.tr("Choose an account in the list first."))
            return False
        who = account.username
        outcome = self.ctx.run(lambda db: action(db, who))
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            return False
        self.message.show_info(done.replace("%1", who))
        self.refresh()
        return True

    def _save_name(self) -> None:
        full_name, credentials = self.full_name.text(), self.credentials.text()
        self._act(lambda db, who: edit_account(db, self.ctx.actor(), who, full_name=full_name,
                                               credentials=credentials, clock=self.ctx.clock),
                  self.tr("The name of %1 is saved."))

    def _change_role(self) -> None:
        role = self.role.currentText()
        self._act(lambda db, who: change_role(db, self.ctx.actor(), who, role,
                                              clock=self.ctx.clock),
                  self.tr("%1 is now: %2").replace("%2", role))

    def _toggle_active(self) -> None:
        account = self.selected()
        active = account is not None and not account.is_active
        self._act(lambda db, who: set_active(db, self.ctx.actor(), who, active,
                                             clock=self.ctx.clock),
                  self.tr("%1 is enabled.") if active else
                  self.tr("%1 is disabled: they can no longer sign in."))

    def _reset(self) -> None:
        first, again = self.temporary.text(), self.temporary_again.text()
        if first != again:
            self.message.show_error(self.tr("The two passwords differ; nothing was changed."))
            return
        if self._act(lambda db, who: reset_password(db, self.ctx.actor(), who, first,
                                                    clock=self.ctx.clock),
                     self.tr("%1 has a temporary password; their next log-in asks for a new "
                             "one, and their signing key was renewed.")):
            self.temporary.clear()
            self.temporary_again.clear()

    def _add(self) -> None:
        if self.new_password.text() != self.new_password_again.text():
            self.message.show_error(self.tr("The two passwords differ; nothing was created."))
            return
        values = dict(username=self.new_username.text(), full_name=self.new_full_name.text(),
                      credentials=self.new_credentials.text(), role=self.new_role.currentText(),
                      password=self.new_password.text())
        outcome = self.ctx.run(lambda db: add_user(db, self.ctx.actor(), clock=self.ctx.clock,
                                                   **values))
        if not outcome.ok or outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        for field in (self.new_username, self.new_full_name, self.new_credentials,
                      self.new_password, self.new_password_again):
            field.clear()
        self.message.show_info(self.tr("%1 was added.").replace("%1", outcome.value.username))
        self.refresh()


class ChangePasswordDialog(QDialog):
    """Anyone: change their own password (the current one first)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Change my password"))
        form = QFormLayout(self)
        self.current = _password_field()
        self.new = _password_field()
        self.again = _password_field()
        form.addRow(self.tr("Current password"), self.current)
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("New password again"), self.again)
        self.message = MessageLabel()
        form.addRow(self.message)
        self.change_button = ActionButton(self.tr("Change password (Enter)"))
        self.change_button.clicked.connect(self.change)
        self.change_button.bind_enter(self.again)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.change_button)
        bar.addWidget(Button(self.tr("Cancel"), on_click=self.reject))
        form.addRow(bar)
        place_window(self, "change password", 480, 220)
        self.current.setFocus()

    def change(self) -> None:
        """Change it; a refusal (wrong current password, rules) is shown and changes nothing."""
        if self.new.text() != self.again.text():
            self.message.show_error(self.tr("The two new passwords differ."))
            return
        old, new = self.current.text(), self.new.text()
        outcome = self.ctx.run(lambda db: change_own_password(db, self.ctx.actor(), old, new,
                                                              clock=self.ctx.clock))
        if not outcome.ok:
            self.message.show_error(outcome.error or "")
            return
        self.accept()
