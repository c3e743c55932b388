"""The session header's safety strip: allergies, age, sex, cautions, suicide-risk state.

Two wrapping labels, never elided: the identity facts (age, sex, allergies) on
a plain line, and what needs attention (the suicide-risk words, cautions,
overridden contraindications) on a warning-styled line below. Both wrap onto
as many lines as the header's width needs, so at 1366x768 nothing is cut and
no tooltip is needed to read it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ketalog.services.patient_safety import SafetyFacts

WARNING_STYLE = ("QLabel#safety_warnings { background: #fff1e0; color: #8b0000; "
                 "border: 1px solid #d9822b; padding: 2px 6px; font-weight: bold; }")


class SafetyStrip(QWidget):
    """Shows one :class:`SafetyFacts`; call :meth:`show_facts` with each new view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("safety_strip")
        self.identity = QLabel()
        self.identity.setObjectName("safety_identity")
        self.warnings = QLabel()
        self.warnings.setObjectName("safety_warnings")
        self.warnings.setStyleSheet(WARNING_STYLE)
        for label in (self.identity, self.warnings):
            label.setWordWrap(True)  # wraps, never elides: every word stays readable
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            label.setMinimumWidth(160)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.warnings.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.identity)
        layout.addWidget(self.warnings)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def show_facts(self, facts: SafetyFacts) -> None:
        """Show the facts: identity always, the warnings only when there are any."""
        identity = facts.identity_text
        if not facts.suicide_risk:
            identity += f" · {facts.risk_text}"
        self.identity.setText(identity)
        warnings = facts.warnings
        self.warnings.setText("\n".join(warnings))
        self.warnings.setVisible(bool(warnings))
        self.setAccessibleDescription(facts.text)

    def text(self) -> str:
        """Everything the strip shows, as one string (for tests and screen readers)."""
        parts = [self.identity.text()]
        if self.warnings.isVisibleTo(self):
            parts.append(self.warnings.text())
        return "\n".join(parts)
