"""Sign-off: the nurse completes the record, the physician signs, addenda afterwards.

What is offered follows the signed-in role (``may``); the services refuse the
rest anyway. The physician's signature needs the password typed again in
:class:`SignDialog`; a wrong one keeps the dialog open with the refusal. The
nurse's attestation and an addendum are signed by their author's key too, so
each has its own password field in the panel: focus lands on the nurse's when
the record may be completed, and Enter there attests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.session_state import SessionState
from ketalog.services.access import Permission, may
from ketalog.services.session_view import AddendumLine, SessionView, SignatureLine
from ketalog.services.signing import (
    PHYSICIAN_MEANING,
    add_addendum,
    complete_nursing_record,
    sign_session,
)
from ketalog.ui.core.context import Outcome, SessionController
from ketalog.ui.core.style import ALERT_MARK, OK_MARK, MessageLabel, big_font
from ketalog.ui.widgets import ActionButton, Button, PasswordField, SessionPanel, button_row
from ketalog.ui.widgets.buttons import ENTER_KEYS


def local_stamp(at_utc: datetime, tz: ZoneInfo) -> str:
    """A stored instant as clinic time with its zone: "21 Nov 2026 14:05 EST"."""
    local = at_utc.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


def _mono(label: QLabel) -> QLabel:
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _wrapping(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SignDialog(QDialog):
    """The physician's signature: meaning, signer, password; Enter signs.

    ``attempt(password)`` runs the signing and returns its outcome; a refusal
    (wrong password, lock-out, nursing record open) is shown here and the
    dialog stays open for another try.
    """

    def __init__(self, signer: str, session_line: str,
                 attempt: Callable[[str], Outcome[object]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign session"))
        self._attempt = attempt
        self.meaning = QLabel(PHYSICIAN_MEANING)
        big_font(self.meaning, 13)
        self.signer = QLabel(signer)
        big_font(self.signer, 13, bold=False)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Your password, to sign"))
        self.message = MessageLabel()
        explain = _wrapping(self.tr(
            "Signing locks the session: after this, changes are made only by addendum, "
            "and any change to the stored record shows as a change after signing."))
        form = QFormLayout()
        form.addRow(self.tr("Session"), QLabel(session_line))
        form.addRow(self.tr("Meaning"), self.meaning)
        form.addRow(self.tr("Signer"), self.signer)
        form.addRow(self.tr("&Password"), self.password)
        # signing is pressed by a click or Enter in the password field, once; Cancel
        # may have the focus
        self.sign_button = ActionButton(self.tr("Sign"))
        self.sign_button.bind_enter(self.password)
        self.sign_button.clicked.connect(self.sign)
        buttons = button_row(Button(self.tr("Cancel"), on_click=self.reject), self.sign_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(explain)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)
        self.password.setFocus()

    def sign(self) -> None:
        """Try the typed password; close on success, else say why and let it be typed again."""
        outcome = self._attempt(self.password.text())
        if outcome.ok:
            self.accept()
            return
        self.message.show_error(outcome.error or "")
        self.password.clear()
        self.password.setFocus()


class SigningPanel(SessionPanel):
    """The session's sign-off state and the actions the signed-in role may take.

    Attributes used by tests: ``status``, ``nursing``, ``complete_button``,
    ``signature``, ``sign_button``, ``verification``, ``addenda_box`` (one
    QLabel per addendum in ``addendum_labels``), ``reason``, ``text``,
    ``add_button``, ``message``, ``sign_dialog`` (the last dialog opened).
    """

    def __init__(self, controller: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(controller, None, parent)
        self._controller = controller
        self.sign_dialog: SignDialog | None = None
        self._signing_session = controller.session_id
        tz = controller.ctx.tz
        self._tz = tz

        self.status = _wrapping()
        big_font(self.status, 14)

        self.nursing = _wrapping()
        self.complete_button = ActionButton(self.tr("Complete nursing record"),
                                            shortcut="Alt+N")
        self.complete_button.setToolTip(self.tr(
            "Attest that the nursing record is complete; the physician signs after"))
        self.complete_button.clicked.connect(self.complete)
        # the attestation is signed with the nurse's key: their password, Enter attests
        self.nurse_password = PasswordField(self.tr("Your password, to attest"))
        self.complete_button.bind_enter(self.nurse_password)
        self.attest_form = QWidget()
        attest_layout = QFormLayout(self.attest_form)
        attest_layout.setContentsMargins(0, 0, 0, 0)
        attest_layout.addRow(self.tr("&Password"), self.nurse_password)
        nursing_box = QGroupBox(self.tr("Nursing record"))
        nursing_layout = QVBoxLayout(nursing_box)
        nursing_layout.addWidget(self.nursing)
        nursing_layout.addWidget(self.attest_form)
        nursing_layout.addWidget(self.complete_button)

        self.signature = _wrapping()
        self.sha = _mono(_wrapping())
        self.sign_button = ActionButton(self.tr("Sign..."), shortcut="Alt+G")
        self.sign_button.clicked.connect(self.start_signing)
        self.verification = _wrapping()
        signature_box = QGroupBox(self.tr("Physician signature"))
        signature_layout = QVBoxLayout(signature_box)
        signature_layout.addWidget(self.signature)
        signature_layout.addWidget(self.sha)
        signature_layout.addWidget(self.verification)
        signature_layout.addWidget(self.sign_button)

        self.addenda_box = QGroupBox(self.tr("Addenda"))
        self._addenda_layout = QVBoxLayout(self.addenda_box)
        self.addendum_labels: list[QLabel] = []

        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr('e.g. "late entry", "correction of BP at 10:05"'))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("The addendum; Ctrl+Enter adds it."))
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(80)
        self.text.setMaximumHeight(160)
        self.text.installEventFilter(self)
        self.add_button = ActionButton(self.tr("Add addendum"), shortcut="Ctrl+Return")
        self.add_button.clicked.connect(self.add)
        # an addendum is signed with its author's key
        self.addendum_password = PasswordField(self.tr("Your password, to sign the addendum"))
        self.add_button.bind_enter(self.addendum_password)
        self.addendum_form = QGroupBox(self.tr("Add an addendum"))
        form = QFormLayout(self.addendum_form)
        form.addRow(self.tr("&Reason"), self.reason)
        form.addRow(self.tr("&Text"), self.text)
        form.addRow(self.tr("Pass&word"), self.addendum_password)
        form.addRow("", self.add_button)

        layout = QVBoxLayout()
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addWidget(nursing_box)
        layout.addWidget(signature_box)
        layout.addWidget(self.addenda_box)
        layout.addWidget(self.addendum_form)
        layout.addStretch(1)
        self.set_content(layout)
        self.follow_session()

    # -- showing ----------------------------------------------------------------------

    def _role(self) -> str:
        return self._controller.ctx.actor().role

    def show_entry_refusal(self, refusal: str | None) -> None:
        """Sign-off has its own states: the entry refusal is not shown here."""

    def show_view(self, view: SessionView) -> None:
        """Show who completed and signed, the addenda, and what this user may do."""
        role = self._role()
        state = view.detail.state
        signing = view.signing
        discharged = state == SessionState.DISCHARGED
        signed = state == SessionState.SIGNED or signing.signed

        if signing.not_valid:
            # the reason in words, in red, instead of "Signed" (see signature_status)
            self.status.setText(f"{ALERT_MARK} {signing.not_valid}")
            self.status.setStyleSheet("color: #b00000; font-weight: bold;")
        elif signed:
            self.status.setText(f"{OK_MARK} " + self.tr("Signed — changes only by addendum"))
            self.status.setStyleSheet("")
        elif discharged and signing.nursing_completed:
            self.status.setText(self.tr("Nursing record complete; awaiting physician signature"))
            self.status.setStyleSheet("")
        elif discharged:
            self.status.setText(self.tr("Discharged; the nursing record is still open"))
            self.status.setStyleSheet("")
        else:
            self.status.setText(self.tr(
                "Sign-off comes after discharge: a nurse completes the nursing record, "
                "then a physician signs."))
            self.status.setStyleSheet("")

        attested = signing.nursing_completed
        if attested is not None:
            self.nursing.setText(f"{OK_MARK} " + self._attested_line(attested))
        else:
            self.nursing.setText(self.tr("Not completed yet."))
        attesting = discharged and may(role, Permission.COMPLETE_NURSING)
        self.complete_button.setVisible(attesting)
        self.attest_form.setVisible(attesting)
        self.complete_button.setText(
            self.tr("Complete nursing record again (after a late entry)") if attested
            else self.tr("Complete nursing record"))

        self._show_signature(signing.signature)
        self.sign_button.setVisible(discharged and may(role, Permission.SIGN))
        self.sign_button.setEnabled(attested is not None)
        self.sign_button.setToolTip("" if attested is not None else self.tr(
            "A nurse completes the nursing record before the physician signs."))
        self._show_verification(view)

        self._show_addenda(signing.addenda)
        self.addendum_form.setVisible(signed and may(role, Permission.ADDENDUM))

    def next_field(self, view: SessionView) -> QWidget | None:
        """The nurse's password while the nursing record may be completed."""
        if view.detail.state == SessionState.DISCHARGED and may(self._role(),
                                                     Permission.COMPLETE_NURSING):
            return self.nurse_password
        return None

    def _attested_line(self, line: SignatureLine) -> str:
        return self.tr("Nursing record complete — %1, %2").replace(
            "%1", line.signer_name).replace("%2", local_stamp(line.signed_at_utc, self._tz))

    def _show_signature(self, line: SignatureLine | None) -> None:
        if line is None:
            self.signature.setText(self.tr("Not signed."))
            self.sha.setText("")
            self.sha.hide()
            return
        self.signature.setText(
            f"<b>{_escape(line.signer_name)}</b><br>{local_stamp(line.signed_at_utc, self._tz)}"
            f"<br>{self.tr('Meaning')}: {_escape(line.meaning)}")
        digest = line.content_sha256
        self.sha.setText(f"SHA-256 {digest[:32]}\n        {digest[32:]}")
        self.sha.setToolTip(digest)
        self.sha.show()

    def _show_verification(self, view: SessionView) -> None:
        check = view.signing.verification
        status = view.signing.status
        if status is not None and status.not_valid:
            self.verification.show()
            self.verification.setStyleSheet("color: #b00000; font-weight: bold;")
            lines = "".join(f"<li>{_escape(c)}</li>" for c in status.findings)
            self.verification.setText(f"{ALERT_MARK} {_escape(status.banner)}<ul>{lines}</ul>")
            return
        if check is None or not check.signed:
            self.verification.hide()
            return
        self.verification.show()
        if check.intact:
            self.verification.setStyleSheet("")
            # what the reader of a valid signature should know (not keyed, key after a reset)
            notes = "".join(f"<br>{self.tr('Note')}: {_escape(n)}" for n in check.notes)
            self.verification.setText(f"{OK_MARK} " + self.tr(
                "Verified: the stored record matches what was signed.") + notes)
            return
        self.verification.setStyleSheet("color: #8b0000; font-weight: bold;")
        lines = "".join(f"<li>{_escape(c)}</li>" for c in check.changes)
        self.verification.setText(
            f"{ALERT_MARK} " + self.tr("Changed after signing:") + f"<ul>{lines}</ul>")

    def _show_addenda(self, addenda: tuple[AddendumLine, ...]) -> None:
        for label in self.addendum_labels:
            self._addenda_layout.removeWidget(label)
            label.deleteLater()
        self.addendum_labels = []
        for a in addenda:
            label = _wrapping(
                f"<b>{self.tr('Addendum')} {a.number}</b> — {_escape(a.author_name)}, "
                f"{local_stamp(a.written_at_utc, self._tz)}<br>"
                f"<i>{self.tr('Reason')}: {_escape(a.reason)}</i><br>"
                + _escape(a.text).replace("\n", "<br>"))
            self._addenda_layout.addWidget(label)
            self.addendum_labels.append(label)
        self.addenda_box.setVisible(bool(addenda))

    # -- acting -----------------------------------------------------------------------

    def complete(self) -> None:
        """The nurse attests that the nursing record is complete."""
        if self.view is None:
            return
        session_id = self.view.detail.id
        clock = self._controller.ctx.clock
        password = self.nurse_password.take()
        outcome = self._controller.act(
            lambda db, actor: complete_nursing_record(db, actor, session_id,
                                                      password=password, clock=clock))
        if outcome.error:
            self.message.show_error(outcome.error)
            self.nurse_password.setFocus()
        else:
            self.message.show_info(f"{OK_MARK} " + self.tr("Nursing record completed."))

    def start_signing(self) -> SignDialog | None:
        """Open the signature dialog (non-blocking); it signs when the password is right."""
        if self.view is None:
            return None
        d = self.view.detail
        ctx = self._controller.ctx
        actor = ctx.actor()
        session_id = d.id
        when = local_stamp(d.scheduled_at_utc, self._tz)
        dialog = SignDialog(actor.display_name, f"{d.patient_name}  {d.mrn}  {when}",
                            self._sign_with, self)
        dialog.accepted.connect(self._signed)
        self.sign_dialog = dialog
        self._signing_session = session_id
        dialog.open()
        return dialog

    def _sign_with(self, password: str) -> Outcome[object]:
        ctx = self._controller.ctx
        actor = ctx.actor()
        session_id = self._signing_session
        clock = ctx.clock
        outcome: Outcome[object] = ctx.run(
            lambda db: sign_session(db, actor, session_id, password=password, clock=clock))
        return outcome

    def _signed(self) -> None:
        self._controller.reload()
        self.message.show_info(f"{OK_MARK} " + self.tr("Signed."))

    def add(self) -> None:
        """Append the addendum as written; reason and text are both required."""
        if self.view is None:
            return
        session_id = self.view.detail.id
        reason, body = self.reason.text(), self.text.toPlainText()
        password = self.addendum_password.take()
        clock = self._controller.ctx.clock
        outcome = self._controller.act(
            lambda db, actor: add_addendum(db, actor, session_id, reason=reason, text=body,
                                           password=password, clock=clock))
        if outcome.error:
            self.message.show_error(outcome.error)
            (self.reason if not reason.strip() else self.text if not body.strip()
             else self.addendum_password).setFocus()
            return
        self.reason.clear()
        self.text.clear()
        self.message.show_info(f"{OK_MARK} " + self.tr("Addendum added."))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Ctrl+Enter in the addendum text adds it; plain Enter is a new line."""
        if (obj is self.text and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.add()
            return True
        return super().eventFilter(obj, event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

