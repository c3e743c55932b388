"""The session's open alerts across the top of the session screen, until someone follows up.

An alert the nurse has written an action note for is not finished: it stays
here (and on the board, the waiting list and the lock page) until a physician
acknowledges it or a later reading of the same measure is back in range. A
physician signed in gets a comment field, a password field and an Acknowledge
button (its own key, Alt+A; Enter in the password field) that acknowledges
the newest open alert: the service takes the physician's password, checked
for this one acknowledgment, never the signed-in name alone (see
services.identity). Anyone else reads that a physician must acknowledge it.
Hidden while nothing is open.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ketalog.domain.alerts import RaisedAlert
from ketalog.domain.clinic_time import clock_text
from ketalog.services.access import Permission, may
from ketalog.services.alerts import acknowledge_alert
from ketalog.services.identity import ProofPurpose
from ketalog.services.session_view import SessionView
from ketalog.ui.core.alert_sound import ALERT_SOUND
from ketalog.ui.core.context import DraftStore, SessionController
from ketalog.ui.core.style import ALERT_MARK
from ketalog.ui.start.credentials import Credentials
from ketalog.ui.widgets import ActionButton, SessionPanel

#: Most alerts listed by line; more are counted ("and 2 more").
SHOWN_ALERTS = 4


class AlertsStrip(SessionPanel):
    """Open alerts, newest first, with the physician's Acknowledge (see the module docstring)."""

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        self.setObjectName("alerts_strip")
        frame = QFrame()
        frame.setObjectName("alerts_frame")
        frame.setStyleSheet("QFrame#alerts_frame { background: #fff0f0; border: 2px solid "
                            "#b00000; } QLabel { color: #6b0000; }")
        self.lines = QLabel()
        self.lines.setObjectName("alerts_lines")
        self.lines.setWordWrap(True)
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText(self.tr("Comment (optional), Enter for the password"))
        self.comment.setAccessibleName(self.tr("Comment on the acknowledgment"))
        self.comment.returnPressed.connect(self._comment_entered)
        self.password = QLineEdit()
        self.password.setObjectName("alerts_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("your password, Enter acknowledges"))
        self.password.setAccessibleName(self.tr("Your password, to acknowledge"))
        self.acknowledge = ActionButton(self.tr("Acknowledge"), shortcut="Alt+A")
        self.acknowledge.setToolTip(self.tr("Acknowledge the newest open alert as the physician"))
        self.acknowledge.clicked.connect(self._acknowledge)
        self.acknowledge.bind_enter(self.password)
        row = QHBoxLayout()
        row.addWidget(self.who, 1)
        row.addWidget(self.comment, 1)
        row.addWidget(self.password)
        row.addWidget(self.acknowledge)
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(8, 4, 8, 4)
        inner.addWidget(self.lines)
        inner.addLayout(row)
        inner.addWidget(self.message)
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        self.set_content(layout, scrolling=False)
        self.hide()
        self.follow_session()

    def _physician(self) -> bool:
        return may(self.ctx.actor().role, Permission.ACKNOWLEDGE_ALERT)

    def _line(self, alert: RaisedAlert) -> str:
        when = clock_text(alert.raised_at_utc, self.ctx.tz)
        note = (alert.action_note or "").strip()
        action = (self.tr("action: %1").replace("%1", note) if note
                  else self.tr("no action note yet"))
        return f"{ALERT_MARK} {when} {alert.message} ({action})"

    def newest(self) -> RaisedAlert | None:
        """The alert the Acknowledge button acts on: the newest open one."""
        alerts = self.view.open_alerts if self.view is not None else ()
        return alerts[-1] if alerts else None

    def session_changed(self, view: SessionView) -> None:
        """Alerts open before the session was shown here were due before: no sound for them."""
        for alert in view.open_alerts:
            ALERT_SOUND.heard(("alert", *alert.key))

    def show_view(self, view: SessionView) -> None:
        """List the open alerts, newest first; hide when there are none.

        A newly raised alert plays the workstation's alert sound (if it has one).
        """
        alerts = list(reversed(view.open_alerts))
        ALERT_SOUND.play_for(("alert", *a.key) for a in alerts)
        if not alerts:
            self.comment.clear()
            self.password.clear()
            self.hide()
            return
        lines = [self._line(a) for a in alerts[:SHOWN_ALERTS]]
        if len(alerts) > SHOWN_ALERTS:
            lines.append(self.tr("and %1 more").replace("%1", str(len(alerts) - SHOWN_ALERTS)))
        title = self.tr("Open alerts: not yet acknowledged by a physician nor back in range")
        self.lines.setText(title + "\n" + "\n".join(lines))
        physician = self._physician()
        self.comment.setVisible(physician)
        self.password.setVisible(physician)
        if not physician:
            self.password.clear()
        self.acknowledge.setVisible(physician)
        self.acknowledge.setEnabled(physician and view.entry_refusal is None)
        self.who.setText(
            self.tr("Acknowledge the newest: %1").replace("%1", alerts[0].words) if physician
            else self.tr("A physician must acknowledge these alerts (or a new reading be back "
                         "in range)."))
        self.show()

    def _comment_entered(self) -> None:
        """Enter in the comment: on to the password, or acknowledge if it is typed."""
        if self.password.text():
            self.acknowledge.press()
        else:
            self.password.setFocus()

    def _acknowledge(self) -> None:
        alert = self.newest()
        if alert is None:
            return
        if not self.password.text():
            self.password.setFocus()
            self.message.show_error(self.tr("Enter your password to acknowledge the alert."))
            return
        comment = self.comment.text()
        credentials = Credentials(self.ctx.actor().username, self.password.text())
        self.password.clear()
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: acknowledge_alert(
            db, actor, sid, source=alert.source, source_id=alert.source_id, code=alert.code,
            comment=comment, clock=clock,
            physician=credentials.proof(db, workstation=actor.workstation,
                                        purpose=ProofPurpose.ACKNOWLEDGE_ALERT, clock=clock)),
            retry=self._acknowledge)
        credentials.password = ""
        if self.report(outcome):
            self.comment.clear()
        else:
            self.password.setFocus()
