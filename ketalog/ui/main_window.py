"""The main window: the day board and the open session, with keyboard shortcuts."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.database import make_sessionmaker
from ketalog.services.settings import clinic_timezone
from ketalog.ui.board_page import BoardPage
from ketalog.ui.context import DraftStore, UiContext

#: (keys, what they do): the help dialog lists exactly these.
SHORTCUTS = (
    ("Ctrl+N", "Schedule a new session (board)"),
    ("Enter / double click", "Open the selected session (board)"),
    ("Alt+Left / Alt+Right", "Previous / next day (board)"),
    ("Ctrl+T", "Today's board"),
    ("Esc", "Back to the board"),
    ("F2", "Vitals entry line (session); Enter saves the reading"),
    ("Alt+1 ... Alt+7", "Check-in, Dose, Infusion, Scales, Events, Discharge, Notes"),
    ("Ctrl+D", "Discharge (the reasons are shown when it is not yet allowed)"),
    ("Ctrl+Enter", "Add the note being written"),
    ("Ctrl+P", "Chart summary (session) / day log (board): preview, save, print"),
    ("Ctrl+Shift+P", "Visit report for the patient (session)"),
    ("F5", "Refresh now"),
    ("F1", "This list"),
)
REFRESH_MS = 5000
TICK_MS = 1000


class ShortcutHelp(QDialog):
    """Lists every keyboard shortcut."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(self.tr(action)))
        table.resizeColumnsToContents()
        table.verticalHeader().setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        self.table = table
        self.resize(560, 360)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.casefold()).strip(".") or "unknown"


class MainWindow(QMainWindow):
    """Board and session pages; the current user is named in the toolbar until log-in exists."""

    def __init__(self, engine: Engine, database_label: str, *,
                 clock: Clock = system_clock) -> None:
        super().__init__()
        self.setWindowTitle("ketalog")
        factory = make_sessionmaker(engine)
        with factory() as db:
            tz = clinic_timezone(db)
        self.user_name = QLineEdit()
        self.user_name.setPlaceholderText(self.tr("Your name (e.g. Nora Reyes, RN)"))
        self.user_role = QComboBox()
        self.user_role.addItems(["nurse", "physician", "administrator"])
        self.ctx = UiContext(factory, tz, self.current_actor, clock)
        self.drafts = DraftStore()
        toolbar = QToolBar(self.tr("User"))
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(self.tr("On duty: ")))
        toolbar.addWidget(self.user_name)
        toolbar.addWidget(self.user_role)
        toolbar.addWidget(QLabel("   " + self.tr("Database: %1").replace("%1", database_label)))
        self.addToolBar(toolbar)

        self.board = BoardPage(self.ctx)
        self.board.open_session.connect(self.open_session)
        from ketalog.ui.documents import DocumentButtons

        self.documents = DocumentButtons(self.ctx, self)
        self.documents.failed.connect(self._document_failed)
        self.board.day_log_requested.connect(lambda day: self.documents.request("day", day))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.board)
        self.setCentralWidget(self.stack)
        self.session_page: QWidget | None = None
        self.resize(1400, 860)
        self._shortcuts()
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start()
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self.board.tick)
        self.tick_timer.start()
        self.board.refresh()

    # kept for the first issue's tests and scripts
    @property
    def board_model(self):  # type: ignore[no-untyped-def]
        """The day board's table model."""
        return self.board.model

    @property
    def heading(self) -> QLabel:
        """The board's heading label."""
        return self.board.heading

    def current_actor(self) -> Actor:
        """Who is acting: the name and role in the toolbar (log-in replaces this)."""
        name = self.user_name.text().strip() or "Unnamed user"
        return Actor(username=_slug(name), display_name=name, role=self.user_role.currentText())

    def _shortcuts(self) -> None:
        def bind(keys: str, action: Callable[[], None]) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(action)

        bind("Ctrl+N", self.schedule)
        bind("Ctrl+T", self.show_today)
        bind("Alt+Left", self.previous_day)
        bind("Alt+Right", self.next_day)
        bind("Esc", self.show_board)
        bind("F5", self.refresh)
        bind("F1", self.show_help)
        bind("F2", self._focus_vitals)
        bind("Ctrl+P", self.print_current)
        bind("Ctrl+Shift+P", partial(self._session_document, "visit"))
        for number in range(1, 8):
            bind(f"Alt+{number}", partial(self._show_panel, number))

    def show_today(self) -> None:
        """Ctrl+T: today's board."""
        self.show_board()
        self.board.go_today()

    def previous_day(self) -> None:
        """Alt+Left on the board."""
        if self._on_board():
            self.board.shift_day(-1)

    def next_day(self) -> None:
        """Alt+Right on the board."""
        if self._on_board():
            self.board.shift_day(1)

    def _on_board(self) -> bool:
        return self.stack.currentWidget() is self.board

    def schedule(self) -> None:
        """Ctrl+N: schedule a session from the board."""
        self.show_board()
        self.board.schedule()

    def open_session(self, session_id: int) -> None:
        """Show one session (its panels are built fresh; drafts are kept per session)."""
        from ketalog.ui.session_page import SessionPage

        if self.session_page is not None:
            self.stack.removeWidget(self.session_page)
            self.session_page.deleteLater()
        page = SessionPage(self.ctx, session_id, self.drafts)
        page.back_requested.connect(self.show_board)
        page.document_requested.connect(self._session_document)
        self.session_page = page
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        page.reload()
        page.focus_vitals()

    def show_board(self) -> None:
        """Back to the day board, refreshed."""
        self.stack.setCurrentWidget(self.board)
        self.board.refresh()
        self.board.focus_table()

    def refresh(self) -> None:
        """Re-read what is on screen (timer every 5 s, or F5)."""
        if self._on_board():
            self.board.refresh()
        elif self.session_page is not None:
            self.session_page.reload()  # type: ignore[attr-defined]

    def print_current(self) -> None:
        """Ctrl+P: the day log on the board, the chart summary in a session."""
        if self._on_board():
            self.documents.request("day", self.board.selected_day())
        else:
            self._session_document("session")

    def _session_document(self, kind: str) -> None:
        page = self.session_page
        if page is None or self._on_board():
            return
        if kind == "course":
            view = page.controller.view  # type: ignore[attr-defined]
            if view is not None:
                self.documents.request("course", view.detail.course_id)
            return
        self.documents.request(kind, page.session_id)  # type: ignore[attr-defined]

    def _document_failed(self, message: str) -> None:
        target = self.board.message if self._on_board() or self.session_page is None else (
            self.session_page.message)  # type: ignore[attr-defined]
        target.show_error(message)

    def show_help(self) -> None:
        """F1: the shortcut list."""
        ShortcutHelp(self).exec()

    def _focus_vitals(self) -> None:
        if self.session_page is not None and not self._on_board():
            self.session_page.focus_vitals()  # type: ignore[attr-defined]

    def _show_panel(self, number: int) -> None:
        if self.session_page is not None and not self._on_board():
            self.session_page.show_panel(number)  # type: ignore[attr-defined]
