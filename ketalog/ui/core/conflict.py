"""A stale edit: show who changed the field, both values, and let the user choose.

Nothing is overwritten silently. When the field the user edited still holds
the value their form started from, the other workstation changed something
else in the same record: the edit is saved on the stored version without
asking (an independent change, like two nurses' readings). Otherwise the user
sees the stored value beside theirs and keeps one; "save mine" is an
overwrite they chose, audited with the old value like any change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.errors import Conflict
from ketalog.services.locking import shown_value
from ketalog.ui.core.context import Outcome
from ketalog.ui.widgets import ActionButton, Button, button_row


class ConflictDialog(QDialog):
    """Stored value beside the user's; "Keep stored" is the default (Enter, Space, Esc).

    Overwriting the stored value is the one choice that changes the record:
    it takes its own key (Alt+S) or a click, never a stray Space.
    """

    def __init__(self, conflict: Conflict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(self.tr("Changed on another workstation"))
        self.setMinimumWidth(600)
        self.heading = heading = QLabel(self.tr("%1 was changed by %2 at %3 after you opened it. "
                                 "Nothing has been saved yet: choose which value to keep.")
                         .replace("%1", conflict.what[:1].upper() + conflict.what[1:])
                         .replace("%2", conflict.changed_by)
                         .replace("%3", conflict.changed_at))
        heading.setWordWrap(True)
        grid = QGridLayout()
        stored_title = QLabel(self.tr("Stored now (by %1)").replace("%1", conflict.changed_by))
        yours_title = QLabel(self.tr("Yours"))
        self.theirs = QLabel(conflict.theirs)
        self.yours = QLabel(conflict.yours)
        for column, (title, value) in enumerate(((stored_title, self.theirs),
                                                 (yours_title, self.yours))):
            title.setStyleSheet("font-weight: bold;")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setStyleSheet("border: 1px solid #999; padding: 6px; font-size: 14pt;")
            grid.addWidget(title, 0, column)
            grid.addWidget(value, 1, column)
        self.keep_button = Button(self.tr("Keep stored value"))
        self.mine_button = ActionButton(self.tr("Save mine instead"), shortcut="Alt+S")
        buttons = button_row(self.keep_button, self.mine_button)
        self.keep_button.setDefault(True)
        self.keep_button.clicked.connect(self.reject)
        self.mine_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.setSpacing(14)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addLayout(buttons)


def settle_conflict(parent: QWidget | None, outcome: Outcome[Any], base: object,
                    save_on: Callable[[int], Outcome[Any]]) -> Outcome[Any] | None:
    """Resolve a stale edit of one field; returns the new outcome, or None when not one.

    ``base`` is the value the user's form started from; ``save_on(version)``
    saves the user's value again on the stored version. Returns the refused
    outcome itself when the user keeps the stored value.
    """
    conflict = outcome.conflict
    if conflict is None:
        return None
    if conflict.theirs == shown_value(base):
        return save_on(conflict.current_version)  # someone changed another field
    dialog = ConflictDialog(conflict, parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return save_on(conflict.current_version)
    return outcome


class EditStart:
    """The stored value and version a field showed when the user began changing it.

    Live updates reload the screen while someone types; the edit must still be
    judged against what the user started from, not what arrived meanwhile, or
    another workstation's change would be overwritten without anyone seeing it.
    """

    def __init__(self) -> None:
        self._start: tuple[object, int] | None = None
        #: a choice is on screen: the field losing focus to it must not save again
        self.busy = False

    @contextlib.contextmanager
    def settling(self) -> Iterator[None]:
        """While the user chooses between the two values."""
        self.busy = True
        try:
            yield
        finally:
            self.busy = False

    def begin(self, value: object, version: int) -> None:
        """The first keystroke since the last save: remember what was shown."""
        if self._start is None:
            self._start = (value, version)

    def take(self, value: object, version: int) -> tuple[object, int]:
        """What the edit started from (else what is shown now); forgets it."""
        start, self._start = self._start, None
        return start if start is not None else (value, version)
