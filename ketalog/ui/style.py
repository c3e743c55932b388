"""Arm's-length readability: big type for numbers, and alerts never shown by colour alone."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QFrame, QLabel, QWidget

#: Text marks that carry the meaning colour also carries (for colour-blind
#: readers and black-and-white printouts).
ALERT_MARK = "⚠"
OK_MARK = "✓"
ALERT_BACKGROUND = QColor("#ffd7d7")
OVERDUE_TEXT = QColor("#b00000")
DISABLED_HINT = QColor("#555555")


def big_font(widget: QWidget, points: int = 20, *, bold: bool = True) -> QFont:
    """A large font for vitals and timers, applied to ``widget`` and returned."""
    font = QFont(widget.font())
    font.setPointSize(points)
    font.setBold(bold)
    widget.setFont(font)
    return font


class MessageLabel(QLabel):
    """Inline refusal or hint text under a form: wraps, selectable, high contrast."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(self.textInteractionFlags())
        self.setObjectName("message")
        self.hide()

    def show_error(self, text: str) -> None:
        """Show a refusal (prefixed with the alert mark)."""
        self.setStyleSheet("color: #8b0000; font-weight: bold;")
        self.setText(f"{ALERT_MARK} {text}")
        self.setVisible(bool(text))

    def show_info(self, text: str) -> None:
        """Show a neutral hint or confirmation."""
        self.setStyleSheet("color: #1a1a1a;")
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        """Hide the message."""
        self.setText("")
        self.hide()


def alert_banner(object_name: str) -> tuple[QFrame, QLabel]:
    """A red-bordered banner that stops the eye (pre-dose BP, suicide-risk screen) and its text."""
    frame = QFrame()
    frame.setObjectName(object_name)
    frame.setStyleSheet(f"#{object_name} {{ background: {ALERT_BACKGROUND.name()}; "
                        "border: 2px solid #8b0000; }")
    text = QLabel()
    text.setWordWrap(True)
    big_font(text, 13)
    return frame, text
