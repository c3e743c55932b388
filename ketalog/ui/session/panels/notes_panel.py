"""Recovery, nursing and observation notes, with author and time.

The note being written is kept as a draft per session, so answering another
chair and coming back loses nothing; Ctrl+Enter adds it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.session_state import SessionState
from ketalog.services.session.entries import NOTE_KINDS, add_note
from ketalog.services.session_detail import NoteRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, SessionController
from ketalog.ui.core.style import OK_MARK
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.session.panels.scales_panel import local_hhmm
from ketalog.ui.widgets import (
    ActionButton,
    Column,
    ComboBox,
    CorrectionSource,
    RowsModel,
    SessionPanel,
    make_table,
    with_void,
)
from ketalog.ui.widgets.buttons import ENTER_KEYS

#: States in which a new note is most likely a recovery note.
_RECOVERY_STATES = frozenset({SessionState.RECOVERING, SessionState.STOPPED_EARLY,
                              SessionState.DISCHARGED})



class NotesTableModel(RowsModel[NoteRow]):
    """Notes of the session, newest first: time, kind, author, text."""

    TIME, KIND, AUTHOR, TEXT = range(4)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Time"), lambda r: local_hhmm(r.at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Kind"), lambda r: r.kind.capitalize()),
            Column(QT_TRANSLATE_NOOP("Column", "Author"), lambda r: r.author_name),
            Column(QT_TRANSLATE_NOOP("Column", "Note"), lambda r: with_void(r.text, r, tz)),
        ), parent)


class NotesPanel(SessionPanel):
    """Notes of the open session and the box to write the next one.

    Attributes used by tests and the main window: ``text`` (QPlainTextEdit),
    ``kind`` (ComboBox, data = note kind), ``add_button``, ``notes_model``,
    ``notes_table``, ``message``, ``entry_message``, ``entry_area``.
    """

    DRAFT_FORM = "notes"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        self._restoring = False
        #: True once the nurse picked a kind herself for the note in progress.
        self._kind_chosen = False

        self.kind = ComboBox()
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
        self.add_button = ActionButton(self.tr("Add note"), shortcut="Ctrl+Return")
        self.add_button.clicked.connect(self.add)
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        line.addWidget(self.kind, 1)
        line.addWidget(self.add_button)
        entry.addWidget(self.text)
        entry.addLayout(line)

        self.notes_model = NotesTableModel(controller.ctx.tz, self)
        self.notes_table = make_table(self.notes_model, NotesTableModel.TEXT)

        self.notes_table.setMinimumHeight(160)
        self.correction = self.correction_action([CorrectionSource(
            self.notes_table,
            lambda r: self.tr("the note of %1 by %2").replace(
                "%1", local_hhmm(r.at_utc, controller.ctx.tz)).replace("%2", r.author_name),
            lambda row_id, reason: self.mark_entry("notes", row_id, reason))])
        layout = QVBoxLayout()
        layout.addWidget(self.entry_area)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(self.tr("Notes (newest first)")))
        layout.addWidget(self.notes_table, 1)
        layout.addWidget(self.correction)
        self.set_content(layout)
        self.entry_area.setEnabled(False)
        self.follow_session()

    def session_changed(self, view: SessionView) -> None:
        """Another session: the note being written there."""
        self._restore_draft(view)

    def show_view(self, view: SessionView) -> None:
        """Show the session's notes; keep the note being written."""
        if not self._kind_chosen and not self.text.toPlainText().strip():
            self._set_kind(self._default_kind(view))
        self.notes_model.set_rows(sorted(view.detail.notes, key=lambda n: (n.at_utc, n.id),
                                         reverse=True))
        self.notes_table.resizeRowsToContents()

    def next_field(self, view: SessionView) -> QWidget | None:
        """Alt+7: the note being written."""
        return self.text

    def add(self) -> None:
        """Add the note as written, with the current user as author and now as time."""
        if self.view is None:
            return
        session_id = self.view.detail.id
        kind = str(self.kind.currentData())
        body = self.text.toPlainText()
        clock = self.ctx.clock
        outcome = self.act(
            lambda db, actor, _sid: add_note(db, actor, session_id, kind, body, clock=clock),
            retry=self.add)
        if outcome.error:
            self.message.show_error(outcome.error)
            self.text.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._restoring = True
        self.text.clear()
        self._restoring = False
        self._kind_chosen = False
        self.drafts.clear(session_id, self.DRAFT_FORM)
        if self.view is not None:
            self._set_kind(self._default_kind(self.view))
        self.message.show_info(f"{OK_MARK} " + self.tr("Note added at %1.").replace(
            "%1", local_hhmm(clock(), self.ctx.tz)))
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Ctrl+Enter in the text adds the note; plain Enter is a new line."""
        if (obj is self.text and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS
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
        if self._restoring or self.session_id is None:
            return
        text = self.text.toPlainText()
        self.drafts.put(self.session_id, self.DRAFT_FORM, {
            "text": text,
            "kind": str(self.kind.currentData()) if text.strip() or self._kind_chosen else "",
        })

    def _restore_draft(self, view: SessionView) -> None:
        assert self.session_id is not None
        draft = self.drafts.get(self.session_id, self.DRAFT_FORM)
        self._restoring = True
        self.text.setPlainText(draft.get("text", ""))
        self.text.moveCursor(QTextCursor.MoveOperation.End)  # carry on where it stopped
        self._restoring = False
        kind = draft.get("kind", "")
        self._kind_chosen = bool(kind)
        self._set_kind(kind or self._default_kind(view))
