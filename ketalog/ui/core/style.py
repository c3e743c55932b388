"""Arm's-length readability: big type for numbers, and alerts never shown by colour alone."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QLabel, QWidget

#: Text marks that carry the meaning colour also carries (for colour-blind
#: readers and black-and-white printouts).
ALERT_MARK = "⚠"
OK_MARK = "✓"
ALERT_BACKGROUND = QColor("#ffd7d7")
OVERDUE_TEXT = QColor("#b00000")
DISABLED_HINT = QColor("#555555")
#: A word-wrapped label breaks only between words; a longer run without spaces
#: (a reason typed as "BP186/112,HR131,...") gets a break chance this often.
BREAK_EVERY = 20
_LONG_RUN = re.compile(rf"\S{{{BREAK_EVERY + 1},}}")
ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """``text`` with invisible break chances inside runs longer than :data:`BREAK_EVERY`.

    For word-wrapped labels showing what someone typed: a run of characters
    without a space would otherwise widen the label past its column (and the
    panels' pages do not scroll sideways), cutting the words off.
    """
    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        return ZERO_WIDTH_SPACE.join(run[i:i + BREAK_EVERY]
                                     for i in range(0, len(run), BREAK_EVERY))

    return _LONG_RUN.sub(split, text)


def elided(widget: QWidget, text: str, width_px: int) -> str:
    """``text`` cut with "…" to fit ``width_px`` in ``widget``'s font (whole if it fits)."""
    return QFontMetrics(widget.font()).elidedText(text, Qt.TextElideMode.ElideRight, width_px)


def wrapping_tooltip(text: str) -> str:
    """A tooltip that wraps (Qt wraps rich text only) instead of running off the screen."""
    return f"<p>{html.escape(text)}</p>" if text else ""


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
