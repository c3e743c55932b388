"""Marking an entry "entered in error": one action for every list of a session.

The action works on the row selected in one of its lists (the newest entry
when none is selected). Its button is an :class:`ActionButton`: it never takes
the focus, so a value being typed elsewhere keeps it; pressing it (click or
its key) opens a reason line under the list, with the entry named. Up and Down
in the reason move to another entry, Enter marks it, Esc goes back to where
the cursor was. The service judges who may (the author or a physician, before
signing) and the refusal is shown in its own words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_time import clock_text
from ketalog.ui.widgets.buttons import ActionButton, Button, plain_key
from ketalog.ui.widgets.table import RowsModel


def void_line(mark: Any, tz: ZoneInfo) -> str:
    """"Entered in error by Nora Reyes, RN at 09:20: typed into the wrong session"."""
    when = ""
    at: datetime | None = getattr(mark, "at_utc", None)
    if at is not None:
        when = " at " + clock_text(at, tz)
    who = f" by {mark.by_name}" if getattr(mark, "by_name", "") else ""
    reason = f": {mark.reason}" if getattr(mark, "reason", "") else ""
    corrected = " (corrected below)" if getattr(mark, "replaced_by_id", None) else ""
    return f"Entered in error{who}{when}{reason}{corrected}"


def with_void(text: str, row: Any, tz: ZoneInfo) -> str:
    """A list cell's text, led by its entered-in-error mark when the entry has one."""
    mark = getattr(row, "void", None)
    if mark is None:
        return text
    return void_line(mark, tz) + (f" · {text}" if text else "")


@dataclass(frozen=True)
class CorrectionSource:
    """One list whose entries the action can mark."""

    table: QTableView
    #: how the reason line names an entry ("the reading at 09:14: 182/95, HR 88")
    describe: Callable[[Any], str]
    #: the service call: mark entry ``row_id`` with ``reason``; None when done, else why not
    submit: Callable[[int, str], str | None]
    #: the newest entry is the list's first row (else its last)
    newest_first: bool = True


class EnteredInErrorAction(QWidget):
    """The "Entered in error..." button and the reason line it opens.

    Attributes used by tests: ``button``, ``reason_edit``, ``mark_button``,
    ``cancel_button``, ``prompt``, ``message``.

    Signals:
        marked(int): the id of the entry just marked.
    """

    marked = Signal(int)

    def __init__(self, sources: Sequence[CorrectionSource], *, shortcut: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sources = list(sources)
        self._source: CorrectionSource | None = None
        self._row_id: int | None = None
        self._return_to: QWidget | None = None
        self._last_selected: CorrectionSource | None = None
        self.button = ActionButton(self.tr("Entered in error..."), shortcut=shortcut)
        self.button.setToolTip(self.tr("Mark the selected entry as entered in error, with a "
                                       "reason; it stays in the record, struck through"))
        self.button.clicked.connect(self.open)
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("entered_in_error_reason")
        self.reason_edit.setAccessibleName(self.tr("Why it was entered in error"))
        self.reason_edit.setPlaceholderText(
            self.tr("Why, e.g. typed into the wrong session (Enter marks it; Up/Down: "
                    "another entry; Esc: cancel)"))
        self.reason_edit.installEventFilter(self)
        self.mark_button = ActionButton(self.tr("Mark entered in error"))
        self.mark_button.bind_enter(self.reason_edit)
        self.mark_button.clicked.connect(self.submit)
        self.cancel_button = Button(self.tr("Cancel"), on_click=self.close_line,
                                    focusable=False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("entered_in_error_message")
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.reason_edit, 1)
        line.addWidget(self.mark_button)
        line.addWidget(self.cancel_button)
        self.line = QWidget()
        box = QVBoxLayout(self.line)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.prompt)
        box.addLayout(line)
        self.line.hide()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.message, 1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.line)
        for source in self._sources:
            selection = source.table.selectionModel()
            if selection is not None:
                selection.selectionChanged.connect(
                    lambda *_a, s=source: self._selected_in(s))

    # --- public ---------------------------------------------------------------------------

    def is_open(self) -> bool:
        """The reason line is showing."""
        return not self.line.isHidden()

    def open(self) -> None:
        """Open the reason line for the selected entry (the newest when none is selected)."""
        source, row = self._target()
        if source is None or row is None:
            self.message.setText(self.tr("Nothing to mark: no entry is recorded here yet."))
            return
        focused = QApplication.focusWidget()
        if focused is not self.reason_edit:
            self._return_to = focused
        self._show_target(source, row)
        self.message.setText("")
        self.line.show()
        self.reason_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> bool:
        """Mark the entry named with the reason typed; True when it was marked."""
        source, row_id = self._source, self._row_id
        if source is None or row_id is None or not self.is_open():
            return False
        error = source.submit(row_id, self.reason_edit.text())
        if error:
            self.message.setText(error)
            self.reason_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        self.close_line()
        self.message.setText(self.tr("Marked entered in error; it stays in the record, "
                                     "struck through."))
        self.marked.emit(row_id)
        return True

    def close_line(self) -> None:
        """Close the reason line; the cursor goes back to where it was."""
        self.reason_edit.clear()
        self.line.hide()
        self._source = None
        self._row_id = None
        back, self._return_to = self._return_to, None
        if back is not None and back.isVisible() and back.isEnabled():
            back.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- Qt ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up/Down in the reason choose another entry; Esc cancels."""
        if (watched is self.reason_edit and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and plain_key(event)):
            if event.key() == Qt.Key.Key_Escape:
                self.close_line()
                return True
            if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self._source is not None:
                self._step(-1 if event.key() == Qt.Key.Key_Up else 1)
                return True
        return super().eventFilter(watched, event)

    # --- helpers ----------------------------------------------------------------------

    def _selected_in(self, source: CorrectionSource) -> None:
        if source.table.selectionModel().hasSelection():
            self._last_selected = source

    def _model(self, source: CorrectionSource) -> RowsModel[Any]:
        model = source.table.model()
        assert isinstance(model, RowsModel)
        return model

    def _target(self) -> tuple[CorrectionSource | None, int | None]:
        """The selected entry's list and row; else the newest entry of the first list."""
        ordered = ([self._last_selected] if self._last_selected else []) + self._sources
        for source in ordered:
            rows = source.table.selectionModel().selectedRows()
            if rows:
                return source, rows[0].row()
        for source in self._sources:
            count = self._model(source).rowCount()
            if count:
                return source, 0 if source.newest_first else count - 1
        return None, None

    def _show_target(self, source: CorrectionSource, row: int) -> None:
        model = self._model(source)
        entry = model.row_at(row)
        self._source = source
        self._row_id = int(entry.id)
        source.table.selectRow(row)
        source.table.scrollTo(model.index(row, 0))
        self.prompt.setText(self.tr("Mark %1 as entered in error. Reason:")
                            .replace("%1", source.describe(entry)))

    def _step(self, delta: int) -> None:
        source = self._source
        assert source is not None
        model = self._model(source)
        current = model.row_of(self._row_id) if self._row_id is not None else None
        row = 0 if current is None else max(0, min(model.rowCount() - 1, current + delta))
        if model.rowCount():
            self._show_target(source, row)
