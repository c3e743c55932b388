"""A second person proves who they are at the chair, without signing the nurse out.

The second nurse checking a dose, the physician overriding a dose maximum and
the physician accepting a high pre-dose blood pressure each type their own
user name and password into a :class:`CredentialsRow`. The password is taken
out of the field the moment the action starts (the field is empty whatever
the outcome), checked by :func:`ketalog.services.accounts.prove_identity`
inside the same user action, which hands back a short-lived proof for that
one purpose (see services.identity); the service accepts nothing less, and
then judges the *stored* account behind it: its role, and for a dose check
that it is not the preparer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget
from sqlalchemy.orm import Session

from ketalog.services.accounts import prove_identity
from ketalog.services.context import Clock
from ketalog.services.identity import IdentityProof, ProofPurpose


@dataclass
class Credentials:
    """What was typed for one attempt; the password is dropped once it was checked."""

    username: str
    password: str = field(repr=False)
    #: Set once the password was accepted: a later refusal is about the account
    #: (wrong role, the preparer's own), not about what was typed.
    accepted: bool = False

    def proof(self, db: Session, *, workstation: str, purpose: ProofPurpose,
              clock: Clock) -> IdentityProof:
        """Check the password (audited as ``purpose``); the proof the service asks for.

        Raises:
            LoginRefused: wrong user name or password, throttled, locked or disabled.
        """
        password, self.password = self.password, ""
        proof = prove_identity(db, self.username, password, workstation=workstation,
                               purpose=purpose, clock=clock)
        self.accepted = True
        return proof


class CredentialsRow(QWidget):
    """User name and password of a second person, side by side.

    Enter in the user name moves to the password; Enter in the password
    submits (:attr:`submitted`). The panel owns the message line and the action.
    """

    submitted = Signal()

    def __init__(self, person: str, name: str, parent: QWidget | None = None) -> None:
        """``person`` is how messages name them ("second nurse"); ``name`` prefixes object names."""
        super().__init__(parent)
        self.person = person
        self.setObjectName(name)
        self.username_edit = QLineEdit()
        self.username_edit.setObjectName(f"{name}_username")
        self.username_edit.setPlaceholderText(self.tr("%1's user name").replace("%1", person))
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName(f"{name}_password")
        self.password_edit.setPlaceholderText(self.tr("password"))
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.username_edit.returnPressed.connect(self._username_entered)
        self.password_edit.returnPressed.connect(self.submitted)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.username_edit, 1)
        layout.addWidget(self.password_edit, 1)
        self.setFocusProxy(self.username_edit)
        QWidget.setTabOrder(self.username_edit, self.password_edit)

    def _username_entered(self) -> None:
        if self.password_edit.text():
            self.submitted.emit()
        else:
            self.password_edit.setFocus()

    def missing(self) -> str | None:
        """What is still to type (and the keyboard goes there), or None when both are there."""
        if not self.username_edit.text().strip():
            self.username_edit.setFocus()
            return self.tr("Enter the %1's user name.").replace("%1", self.person)
        if not self.password_edit.text():
            self.password_edit.setFocus()
            return self.tr("Enter the %1's password.").replace("%1", self.person)
        return None

    def take(self) -> Credentials:
        """The typed user name and password; the password field is emptied at once."""
        credentials = Credentials(self.username_edit.text().strip(), self.password_edit.text())
        self.password_edit.clear()
        return credentials

    def settle(self, credentials: Credentials, ok: bool) -> None:
        """After the action: clear on success, else put the keyboard where the fix goes.

        A refused password is typed again; an account the service refused (a
        nurse overriding, the preparer checking their own dose) means another
        person, so the user name is selected for overtyping.
        """
        credentials.password = ""
        self.password_edit.clear()
        if ok:
            self.username_edit.clear()
        elif credentials.accepted:
            self.username_edit.setFocus()
            self.username_edit.selectAll()
        else:
            self.password_edit.setFocus()

    def clear(self) -> None:
        """Forget both fields (the row is hidden or the dose changed)."""
        self.username_edit.clear()
        self.password_edit.clear()

    def focus(self) -> None:
        """The keyboard to the first empty field."""
        target = self.password_edit if self.username_edit.text().strip() else self.username_edit
        target.setFocus()
