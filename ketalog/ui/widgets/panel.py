"""The base every chair-side panel derives from.

A :class:`SessionPanel` receives the open session through its controller's
``view_changed``, ignores views of another session, tells the subclass when
the session shown changed (restore that session's drafts), shows why clinical
entries are closed (:attr:`entry_message`), keeps its content in a page that
scrolls to follow the keyboard, and runs every user action through
:meth:`act` (one service call, a reload, and a retry when the database comes
back). After each view it puts its focus proxy on :meth:`next_field`, the
field where the next value goes, so Alt+n lands there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from ketalog.services.context import Actor
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, Outcome, SessionController
from ketalog.ui.core.style import DISABLED_HINT, MessageLabel
from ketalog.ui.widgets.buttons import ActionButton
from ketalog.ui.widgets.correction import CorrectionSource, EnteredInErrorAction

T = TypeVar("T")


class ScrollingPage(QScrollArea):
    """A panel's content that scrolls instead of being squeezed in a short tab.

    Keeps the focused field in view, so typing never goes on out of sight;
    text wraps to the column's width instead of running off to the side.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        from PySide6.QtCore import Qt

        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self.widget()
        if new is not None and content is not None and content.isAncestorOf(new):
            self.ensureWidgetVisible(new, 10, 10)


def hint(text: str) -> QLabel:
    """A short how-to line under a section title (wraps; never the only place a rule is)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {DISABLED_HINT.name()};")
    return label


class SessionPanel(QWidget):
    """A chair-side panel of the open session (see the module docstring).

    Subclasses build their widgets, call :meth:`set_content` with their
    layout, then :meth:`follow_session`; they implement :meth:`show_view` and, where
    the keyboard should land on Alt+n, :meth:`next_field`. Attributes every
    panel has: ``controller``, ``drafts``, ``view`` (the last view shown),
    ``session_id`` (the session shown), ``message``, ``entry_message``,
    ``entry_area`` (disabled while entries are refused) and ``page``.
    """

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.drafts = drafts if drafts is not None else DraftStore()
        self.view: SessionView | None = None
        self.session_id: int | None = None
        self.message = MessageLabel()
        self.entry_message = MessageLabel()
        self.entry_area = QWidget()
        self.page: ScrollingPage | None = None
        #: the panel's "Entered in error..." actions (closed with the entry area)
        self.corrections: list[EnteredInErrorAction] = []

    @property
    def ctx(self) -> Any:
        """The UI context (clock, time zone, who acts)."""
        return self.controller.ctx

    def set_content(self, content: QVBoxLayout, *, scrolling: bool = True) -> None:
        """Lay out the panel: the entry refusal always in view, ``content`` scrolling.

        A panel that is mostly one table (vitals) passes ``scrolling=False``
        and shows its refusal itself (:meth:`show_entry_refusal`).
        """
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        if not scrolling:
            outer.addLayout(content)
            return
        host = QWidget()
        host.setLayout(content)
        self.page = ScrollingPage(host)
        outer.addWidget(self.entry_message)
        outer.addWidget(self.page, 1)

    def follow_session(self) -> None:
        """Listen for views of the session and show the current one (end of ``__init__``)."""
        for button in self.findChildren(ActionButton):
            button.refused.connect(self.message.show_error)
        self.controller.view_changed.connect(self._view_changed)
        if self.controller.view is not None:
            self._view_changed(self.controller.view)

    # --- views ------------------------------------------------------------------------

    def _view_changed(self, view: SessionView) -> None:
        if view.detail.id != self.controller.session_id:
            return  # a late view of the session this page showed before
        switching = view.detail.id != self.session_id
        self.view = view
        if switching:
            self.session_id = view.detail.id
            self.message.clear_message()
            self.session_changed(view)
        self.show_entry_refusal(view.entry_refusal)
        self.show_view(view)
        # None clears the proxy (the stubs do not say so)
        self.setFocusProxy(cast(QWidget, self.next_field(view)))

    def show_entry_refusal(self, refusal: str | None) -> None:
        """Close the entry area and say why while clinical entries are refused."""
        self.entry_area.setEnabled(refusal is None)
        self.show_correction_refusal(refusal)
        if refusal is None:
            self.entry_message.clear_message()
        else:
            self.entry_message.show_error(refusal)

    # --- entered in error -----------------------------------------------------------------

    def correction_action(self, sources: list[CorrectionSource], *,
                          shortcut: str | None = "Alt+W") -> EnteredInErrorAction:
        """An "Entered in error..." action over these lists (see ui.widgets.correction)."""
        action = EnteredInErrorAction(sources, shortcut=shortcut)
        self.corrections.append(action)
        return action

    def mark_entry(self, kind: str, row_id: int, reason: str) -> str | None:
        """Mark one entry of the session entered in error; None when done, else why not."""
        # start-up: corrections (about 40 ms) load on the first correction
        from ketalog.services.corrections import mark_entered_in_error

        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, _sid: mark_entered_in_error(
            db, actor, kind, row_id, reason, clock=clock))
        return outcome.error

    def show_correction_refusal(self, refusal: str | None) -> None:
        """The corrections close with the entries (a signed session takes only addenda)."""
        for action in self.corrections:
            action.button.setEnabled(refusal is None)
            action.button.setToolTip(refusal or self.tr(
                "Mark the selected entry as entered in error, with a reason; it stays in "
                "the record, struck through"))
            if refusal is not None and action.is_open():
                action.close_line()

    def session_changed(self, view: SessionView) -> None:
        """Another session is shown now: restore its drafts (subclasses)."""

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed (subclasses)."""

    def next_field(self, view: SessionView) -> QWidget | None:
        """Where the keyboard goes when the panel is brought forward (None: nowhere)."""
        return None

    # --- acting -----------------------------------------------------------------------

    def act(self, call: Callable[[Session, Actor, int], T], *,
            retry: Callable[[], object] | None = None) -> Outcome[T]:
        """Run ``call(db, actor, session_id)`` as one user action, then reload.

        ``retry`` is the form's own save, called again once a lost database
        connection is back (see :meth:`SessionController.act`).
        """
        if self.view is None:
            return Outcome(error=self.tr("No session is open."))
        session_id = self.view.detail.id
        return self.controller.act(lambda db, actor: call(db, actor, session_id), retry=retry)

    def report(self, outcome: Outcome[Any], done: str | None = None,
               target: MessageLabel | None = None) -> bool:
        """Show the refusal (or ``done``) on ``target`` (the panel's message); True when done."""
        label = target or self.message
        if outcome.error:
            label.show_error(outcome.error)
            return False
        if done:
            label.show_info(done)
        else:
            label.clear_message()
        return True
