"""Recovery, nursing and observation notes, with author and time.

The note being written is kept as a draft per session, so answering another
chair and coming back loses nothing; Ctrl+Enter adds it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.session_detail import NoteRow
from ketalog.services.session_view import SessionView
from ketalog.services.sessions import NOTE_KINDS, add_note
from ketalog.ui.context import DraftStore, SessionController
from ketalog.ui.panels.scales_panel import (
    EnterButton,
    RowsTableModel,
    local_hhmm,
    make_table,
    panel_layout,
)
from ketalog.ui.style import OK_MARK, MessageLabel

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
#: States in which a new note is most likely a recovery note.
_RECOVERY_STATES = frozenset({"recovering", "stopped_early", "discharged"})



class NotesTableModel(RowsTableModel):
    """Notes of the session, newest first: time, kind, author, text."""

    TIME, KIND, AUTHOR, TEXT = range(4)

    def headers(self) -> tuple[str, ...]:
        """Column titles."""
        return (self.tr("Time"), self.tr("Kind"), self.tr("Author"), self.tr("Note"))

    def cell(self, row: NoteRow, column: int) -> str:
        """Display text of one cell."""
        if column == self.TIME:
            return local_hhmm(row.at_utc, self._tz)
        if column == self.KIND:
            return row.kind.capitalize()
        if column == self.AUTHOR:
            return row.author_name
        if column == self.TEXT:
            return row.text
        return ""


class NotesPanel(QWidget):
    """Notes of the open session and the box to write the next one.

    Attributes used by tests and the main window: ``text`` (QPlainTextEdit),
    ``kind`` (QComboBox, data = note kind), ``add_button``, ``notes_model``,
    ``notes_table``, ``message``, ``entry_message``, ``entry_area``.
    """

    DRAFT_FORM = "notes"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._drafts = drafts if drafts is not None else DraftStore()
        self._view: SessionView | None = None
        self._session_id: int | None = None
        self._restoring = False
        #: True once the nurse picked a kind herself for the note in progress.
        self._kind_chosen = False

        self.entry_message = MessageLabel()
        self.message = MessageLabel()
        self.entry_area = QWidget()
        self.kind = QComboBox()
        labels = {"recovery": self.tr("Recovery note"), "nursing": self.tr("Nursing note"),
                  "observation": self.tr("Observation (non-ordinary state...)")}
        for kind in NOTE_KINDS:
            self.kind.addItem(labels.get(kind, kind), kind)
        self.kind.activated.connect(self._kind_picked)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("Write the note; Ctrl+Enter adds it."))
        self.text.setTabChangesFocus(True)
        self.text.textChanged.connect(self._keep_draft)
        self.text.installEventFilter(self)
        self.add_button = EnterButton(self.tr("Add note (Ctrl+Enter)"))
        self.add_button.clicked.connect(self.add)
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        line.addWidget(self.kind, 1)
        line.addWidget(self.add_button)
        entry.addWidget(self.text)
        entry.addLayout(line)
        self.setFocusProxy(self.text)

        self.notes_model = NotesTableModel(controller.ctx.tz, self)
        self.notes_table = make_table(self.notes_model, NotesTableModel.TEXT)

        self.notes_table.setMinimumHeight(160)
        layout = QVBoxLayout()
        layout.addWidget(self.entry_area)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(self.tr("Notes (newest first)")))
        layout.addWidget(self.notes_table, 1)
        self.page = panel_layout(self, self.entry_message, layout)

        self.entry_area.setEnabled(False)
        controller.view_changed.connect(self.show_view)
        if controller.view is not None:
            self.show_view(controller.view)

    def show_view(self, view: SessionView) -> None:
        """Show the session's notes; keep the note being written."""
        if view.detail.id != self._session_id:
            self._session_id = view.detail.id
            self.message.clear_message()
            self._restore_draft(view)
        self._view = view
        allowed = view.entry_refusal is None
        self.entry_area.setEnabled(allowed)
        if allowed:
            self.entry_message.clear_message()
        else:
            self.entry_message.show_error(view.entry_refusal or "")
        if not self._kind_chosen and not self.text.toPlainText().strip():
            self._set_kind(self._default_kind(view))
        self.notes_model.set_rows(sorted(view.detail.notes, key=lambda n: (n.at_utc, n.id),
                                         reverse=True))
        self.notes_table.resizeRowsToContents()

    def add(self) -> None:
        """Add the note as written, with the current user as author and now as time."""
        if self._view is None:
            return
        session_id = self._view.detail.id
        kind = str(self.kind.currentData())
        body = self.text.toPlainText()
        clock = self._controller.ctx.clock
        outcome = self._controller.act(
            lambda db, actor: add_note(db, actor, session_id, kind, body, clock=clock),
            retry=self.add)
        if outcome.error:
            self.message.show_error(outcome.error)
            self.text.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._restoring = True
        self.text.clear()
        self._restoring = False
        self._kind_chosen = False
        self._drafts.clear(session_id, self.DRAFT_FORM)
        if self._view is not None:
            self._set_kind(self._default_kind(self._view))
        self.message.show_info(f"{OK_MARK} " + self.tr("Note added at %1.").replace(
            "%1", local_hhmm(clock(), self._controller.ctx.tz)))
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Ctrl+Enter in the text adds the note; plain Enter is a new line."""
        if (obj is self.text and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in _ENTER_KEYS
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.add()
            return True
        return super().eventFilter(obj, event)

    # -- kind and drafts --------------------------------------------------------------

    @staticmethod
    def _default_kind(view: SessionView) -> str:
        return "recovery" if view.detail.state in _RECOVERY_STATES else "nursing"

    def _set_kind(self, kind: str) -> None:
        index = self.kind.findData(kind)
        if index >= 0:
            self.kind.setCurrentIndex(index)

    def _kind_picked(self, _index: int) -> None:
        self._kind_chosen = True
        self._keep_draft()

    def _keep_draft(self) -> None:
        if self._restoring or self._session_id is None:
            return
        text = self.text.toPlainText()
        self._drafts.put(self._session_id, self.DRAFT_FORM, {
            "text": text,
            "kind": str(self.kind.currentData()) if text.strip() or self._kind_chosen else "",
        })

    def _restore_draft(self, view: SessionView) -> None:
        assert self._session_id is not None
        draft = self._drafts.get(self._session_id, self.DRAFT_FORM)
        self._restoring = True
        self.text.setPlainText(draft.get("text", ""))
        self.text.moveCursor(QTextCursor.MoveOperation.End)  # carry on where it stopped
        self._restoring = False
        kind = draft.get("kind", "")
        self._kind_chosen = bool(kind)
        self._set_kind(kind or self._default_kind(view))
