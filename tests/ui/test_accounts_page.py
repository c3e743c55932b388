"""Accounts in the app: the administrator's changes, each audited; anyone's own password."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ketalog.services.accounts import authenticate
from ketalog.store.models import AuditEntry, User
from ketalog.ui.admin.accounts_page import AccountsDialog, ChangePasswordDialog
from tests.staff import ADMIN, NURSE, password_of
from tests.ui.conftest import Chair, activate


def _dialog(chair: Chair, qtbot: QtBot) -> AccountsDialog:
    chair.actor[0] = ADMIN
    dialog = AccountsDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    return dialog


def _select(dialog: AccountsDialog, username: str) -> None:
    for row in range(dialog.model.rowCount()):
        if dialog.model.row_at(row).username == username:
            dialog.table.selectRow(row)
            return
    raise AssertionError(username)


def _user(chair: Chair, username: str) -> User:
    with chair.db() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
        db.expunge(user)
        return user


def test_add_an_account_from_the_keyboard(chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    for field, text in ((dialog.new_username, "mlopez"), (dialog.new_full_name, "Maya Lopez"),
                        (dialog.new_credentials, "RN"), (dialog.new_password, "a-good-pass-2026"),
                        (dialog.new_password_again, "a-good-pass-2026")):
        qtbot.keyClicks(field, text)
    qtbot.keyClick(dialog.new_password_again, Qt.Key.Key_Return)
    assert "mlopez was added." in dialog.message.text()
    assert _user(chair, "mlopez").full_name == "Maya Lopez"
    assert any(dialog.model.row_at(r).username == "mlopez"
               for r in range(dialog.model.rowCount()))


def test_correct_a_name_disable_and_reset(chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    _select(dialog, "sam")
    dialog.full_name.setFocus()
    dialog.full_name.selectAll()
    qtbot.keyClicks(dialog.full_name, "Samuel Okafor")
    qtbot.keyClick(dialog.full_name, Qt.Key.Key_Return)
    assert _user(chair, "sam").full_name == "Samuel Okafor"

    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert not _user(chair, "sam").is_active
    assert "disabled" in dialog.message.text()

    qtbot.keyClicks(dialog.temporary, "temporary-pass-1")
    qtbot.keyClicks(dialog.temporary_again, "temporary-pass-1")
    qtbot.keyClick(dialog.temporary_again, Qt.Key.Key_Return)
    assert _user(chair, "sam").must_change_password
    with chair.db() as db:
        fields = set(db.scalars(select(AuditEntry.field).where(AuditEntry.row_id == 2,
                                                                AuditEntry.table_name == "users")))
    assert {"full_name", "is_active", "password_hash"} <= fields


def test_an_administrator_cannot_disable_themselves(chair: Chair, qtbot: QtBot) -> None:
    dialog = _dialog(chair, qtbot)
    _select(dialog, "admin")
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert "cannot disable your own account" in dialog.message.text()
    assert _user(chair, "admin").is_active


def test_a_nurse_changes_her_own_password(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = NURSE
    dialog = ChangePasswordDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    assert dialog.current.hasFocus()
    qtbot.keyClicks(dialog.current, password_of("nora"))
    qtbot.keyClicks(dialog.new, "noras-new-pass-2026")
    qtbot.keyClicks(dialog.again, "noras-new-pass-2026")
    qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    with chair.db() as db:
        assert authenticate(db, "nora", "noras-new-pass-2026", workstation="t",
                            clock=chair.clock).username == "nora"


def test_a_wrong_current_password_is_refused(chair: Chair, qtbot: QtBot) -> None:
    chair.actor[0] = NURSE
    dialog = ChangePasswordDialog(chair.ctx)
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.current, "not-my-password")
    qtbot.keyClicks(dialog.new, "noras-new-pass-2026")
    qtbot.keyClicks(dialog.again, "noras-new-pass-2026")
    qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.message.isVisible() and dialog.result() != dialog.DialogCode.Accepted
    assert "password" in dialog.message.text()
