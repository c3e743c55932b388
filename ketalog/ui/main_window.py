"""The main window: the day board and the open session, with keyboard shortcuts.

Start-up is in two steps so the log-in page paints as early as possible: the
window first holds only the log-in (or first-run) page; the workspace (board
page, toolbar, lock page, idle watcher, documents, shortcuts and timers) is
built by :meth:`MainWindow.prewarm` right after the log-in page is painted,
while the user types. The prewarm reads no patient data: the board is first
read after sign-in.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSizePolicy,
    QStackedWidget,
    QStatusBar,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import DEFAULT_IDLE_LOCK_MINUTES
from ketalog.domain.clinic_time import clock_text
from ketalog.domain.roles import Role
from ketalog.services.access import Permission, may
from ketalog.services.accounts import (
    needs_first_administrator,
    record_logout,
    record_screen_lock,
)
from ketalog.services.alerts import alerts_waiting
from ketalog.services.chair_status import running_infusion_chairs
from ketalog.services.clinic_clock import MEASURE_EVERY, ServerClock, database_now
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.presence import HEARTBEAT, announce_presence, leave_session
from ketalog.services.settings import idle_lock_minutes, is_demo_clinic, read_clinic_settings
from ketalog.services.users import UserSummary
from ketalog.store.engine import DatabaseConfigError, default_database_path, describe_url
from ketalog.ui.core.context import DraftStore, UiContext
from ketalog.ui.core.link import DatabaseLink
from ketalog.ui.core.style import ALERT_MARK
from ketalog.ui.start.login import FirstAdministratorPage, LoginPage
from ketalog.ui.widgets import Button
from ketalog.ui.widgets.windows import place_window

if TYPE_CHECKING:
    # built by MainWindow.prewarm, after the log-in page is painted
    from ketalog.ui.board.board_page import BoardPage
    from ketalog.ui.core.documents import DocumentButtons
    from ketalog.ui.core.live import ChangeWatcher
    from ketalog.ui.start.idle_lock import IdleWatcher, LockPage

TITLE = "ketalog"
DEMO_FILENAME = "demo.sqlite3"
DEMO_TITLE = "ketalog — DEMO clinic, not for patient care"
CLOCK_STYLE = ("QLabel#clockBanner { background: #8a5a00; color: white; font-weight: bold; "
               "padding: 8px 12px; }")
LINK_STYLE = {
    "lost": "QFrame#linkBanner { background: #b00000; } QFrame#linkBanner QLabel "
            "{ color: white; font-weight: bold; }",
    "restored": "QFrame#linkBanner { background: #1e6b2e; } QFrame#linkBanner QLabel "
                "{ color: white; font-weight: bold; }",
}
#: How long "connection restored" stays on screen.
RESTORED_NOTICE_MS = 15_000
NOTICE_STYLE = ("QLabel#draftsNotice { background: #fff4d6; color: #4d3800; font-weight: bold; "
                "border-bottom: 1px solid #e0c36b; padding: 8px 12px; }")
#: The actor while nobody is signed in: every service refuses it ("Sign in to ...").
NOBODY = Actor(username="nobody", display_name="nobody signed in", role="none",
               workstation="-")

#: (keys, what they do): the help dialog lists exactly these.
SHORTCUTS = (
    ("Ctrl+N", "Schedule a new session (board)"),
    ("Enter / double click", "Open the selected session (board)"),
    ("Alt+Left / Alt+Right", "Previous / next day (board)"),
    ("Ctrl+T", "Today's board"),
    ("Esc", "Back to the board"),
    ("F2", "Vitals entry line (session); Enter saves the reading"),
    ("Alt+1 ... Alt+8", "Check-in, Dose, Infusion, Scales, Events, Discharge, Notes, Sign-off"),
    ("Ctrl+Shift+W", "Sessions waiting for a physician's signature"),
    ("Ctrl+Shift+C", "The course of the open or selected session: screening, series, outcome"),
    ("Ctrl+Shift+R", "Esketamine REMS monitoring forms: due, overdue, filed"),
    ("Ctrl+Shift+K", "Controlled substances: stock on hand, deliveries, counts, inventories"),
    ("Alt+I", "Check in (Check-in)"),
    ("Alt+K", "Acknowledge a high pre-dose BP: physician (Check-in)"),
    ("Alt+O", "Order the dose; Enter in the diluent field does the same (Dose)"),
    ("Alt+F", "Confirm a dose outside the usual range (Dose)"),
    ("Alt+V", "Scan the vial: the keyboard to the scan field (Dose)"),
    ("Alt+U / Alt+J", "Record the volume drawn / given; Enter in its field does the same "
                      "(Dose)"),
    ("Alt+H", "Return the remainder to stock; Enter in the witness's password wastes it "
              "(Dose)"),
    ("Alt+S / Alt+P / Alt+R", "Start / pause / resume the infusion; Enter in the pause "
                              "reason pauses (Infusion)"),
    ("Alt+T / Alt+E", "Stop at the planned end / stop early (Infusion)"),
    ("Alt+C", "Change the rate; Enter in its reason does the same (Infusion)"),
    ("Alt+S / Alt+D / Alt+Y", "Sedation / dissociation / respiratory depression flag (Events)"),
    ("Alt+B / Alt+L", "Begin recovery / ready to leave now (Discharge)"),
    ("Ctrl+D", "Discharge (the reasons are shown when it is not yet allowed)"),
    ("Alt+N", "Nursing record complete (Sign-off)"),
    ("Alt+G", "Sign: physician, with the password (Sign-off)"),
    ("Ctrl+Enter", "Add the note or addendum being written"),
    ("Alt+X / Alt+W", "Mark the selected reading / score, event or note entered in error, "
                      "with a reason (Up/Down in the reason: another entry)"),
    ("Ctrl+P", "Chart summary (session) / day log (board): preview, save, print"),
    ("Ctrl+Shift+P", "Visit report for the patient (session)"),
    ("F5", "Refresh now"),
    ("Ctrl+L", "Switch user: sign out, the next person signs in"),
    ("Ctrl+Shift+L", "Lock now (your password unlocks)"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit (asks first while an infusion runs or entries are not saved)"),
)
REFRESH_MS = 5000
#: The change listener starts this long after sign-in, once the board is painted.
LISTEN_AFTER_MS = 300
TICK_MS = 1000


class ShortcutHelp(QDialog):
    """Lists every keyboard shortcut."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setTabKeyNavigation(False)  # Tab leaves the list in one step, as every table
        table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        for row, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(self.tr(action)))
        # the keys as wide as they are, the actions the rest, wrapped: no sideways scrolling
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setWordWrap(True)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        self.table = table
        place_window(self, "shortcut help", 640, 600)  # every row visible at 1366x768


class AttributedDrafts(DraftStore):
    """Drafts that remember who typed them, so the next user is told before saving them.

    Re-storing the same values (a panel restoring its draft after a reload)
    keeps the original typist; only a change makes the current user its author.
    """

    def __init__(self, typist: Callable[[], str]) -> None:
        super().__init__()
        self._typist = typist
        self._typed_by: dict[tuple[int, str], str] = {}

    def put(self, session_id: int, form: str, values: dict[str, str]) -> None:
        """Keep the draft; a changed draft now belongs to whoever is signed in."""
        before = self.get(session_id, form)
        super().put(session_id, form, values)
        key = (session_id, form)
        if not self.get(session_id, form):
            self._typed_by.pop(key, None)
        elif before != values or key not in self._typed_by:
            self._typed_by[key] = self._typist()

    def clear(self, session_id: int, form: str) -> None:
        """Forget the draft and who typed it."""
        super().clear(session_id, form)
        self._typed_by.pop((session_id, form), None)

    def typed_by_others(self, session_id: int, name: str) -> list[str]:
        """Who else left unsaved entries in this session's forms (each name once)."""
        return sorted({typist for (sid, _form), typist in self._typed_by.items()
                       if sid == session_id and typist != name})


class MainWindow(QMainWindow):
    """The start screens, then the board and session pages for the signed-in user.

    Everything with patient data lives in one ``workspace`` page of an outer
    stack; the log-in, first-run and lock pages replace it without destroying
    it, so what was half typed survives a lock or a change of user.

    Constructed without ``user``, the window holds just the start page and
    builds the workspace once that page is painted (:meth:`prewarm`), then
    emits ``ready``. Constructed with ``user``, or signed in before the
    prewarm ran, it builds the workspace at once.
    """

    #: The workspace is built (nothing was read): signing in now costs only the
    #: password check, the audit row, the board query and the paint.
    ready = Signal()

    #: Built by :meth:`prewarm`; asked for earlier, they are built on the spot.
    _WORKSPACE_PARTS = frozenset({
        "board", "documents", "stack", "notice", "workspace", "lock_page", "idle",
        "refresh_timer", "tick_timer", "user_toolbar", "signed_in_label", "switch_action",
        "lock_action", "audit_action", "clinic_action", "accounts_action", "password_action",
        "waiting_action", "watcher",
        "presence_timer",
        "link_banner", "link_text", "link_retry", "clock_banner",
    })

    board: BoardPage
    documents: DocumentButtons
    stack: QStackedWidget
    notice: QLabel
    workspace: QWidget
    lock_page: LockPage
    idle: IdleWatcher
    refresh_timer: QTimer
    tick_timer: QTimer
    user_toolbar: QToolBar
    signed_in_label: QLabel
    switch_action: QAction
    lock_action: QAction
    audit_action: QAction
    clinic_action: QAction
    accounts_action: QAction
    password_action: QAction
    waiting_action: QAction
    watcher: ChangeWatcher
    presence_timer: QTimer
    link_banner: QFrame
    link_text: QLabel
    link_retry: Button

    def __init__(self, engine: Engine, database_label: str, *,
                 clock: Clock = system_clock, user: UserSummary | None = None,
                 guard_clock: bool = False,
                 server_now: Callable[[Session], datetime | None] = database_now) -> None:
        """The main window on ``engine``.

        ``guard_clock``: the app at the chair (not a test of one screen) keeps one
        clinic clock: the server's time on PostgreSQL, and on SQLite an entry from
        a clock that went back is refused (:mod:`ketalog.services.clinic_clock`).
        """
        super().__init__()
        self.guard_clock = guard_clock
        self.server_clock: ServerClock | None = None
        if guard_clock and engine.dialect.name == "postgresql":
            self.server_clock = ServerClock(clock, server_now)
            clock = self.server_clock
        factory = make_sessionmaker(engine, check_clock=guard_clock)
        with factory() as db:
            clinic = read_clinic_settings(db)
            tz = clinic.zone
            #: the title bar says DEMO on the demo clinic, whatever page is shown
            self.title = DEMO_TITLE if clinic.demo else TITLE
        self.setWindowTitle(self.title)
        self.workstation = socket.gethostname() or "unknown"
        self.database_label = database_label
        self.user: UserSummary | None = None
        self.locked = False
        self.prewarmed = False
        self._previous_user: UserSummary | None = None
        self._focus_before_lock: QWidget | None = None
        #: the Controlled substances window, while open; hidden by an idle lock for the
        #: user id kept here (see _hide_patient_windows)
        self.stock_dialog: QDialog | None = None
        self._books_kept_for: int | None = None
        self.engine = engine
        self.ctx = UiContext(factory, tz, self.current_actor, clock)
        if self.server_clock is not None:
            self.clock_timer = QTimer(self)
            self.clock_timer.timeout.connect(self.measure_clock)
            self.clock_timer.start(int(MEASURE_EVERY.total_seconds() * 1000))
            self.measure_clock()
        self._closed = False
        self.link = DatabaseLink(engine, clock, self)
        self.ctx.link = self.link
        self.link.changed.connect(self._show_link)
        self.link.restored.connect(self._link_restored)
        self.drafts = AttributedDrafts(lambda: self.current_actor().display_name)
        self.login_page = LoginPage(self.ctx, self.workstation)
        self.login_page.set_footer(self.tr("Database: %1").replace("%1", database_label))
        self.login_page.signed_in.connect(self.sign_in)
        self.first_run_page: FirstAdministratorPage | None = None
        self.pages = QStackedWidget()
        self.pages.addWidget(self.login_page)
        self.setCentralWidget(self.pages)
        self.session_page: QWidget | None = None
        self.quit_box: QMessageBox | None = None
        #: where "Open the demo clinic" builds and opens it, beside the default database
        self.demo_url = f"sqlite:///{default_database_path().with_name(DEMO_FILENAME)}"
        self.demo_window: MainWindow | None = None
        place_window(self, "main", 1400, 860)
        self._prewarm_queued = False
        self._restored_detail = ""
        if user is not None:
            self.prewarm()
            self.sign_in(user)
        else:
            self._show_start_page()

    def paintEvent(self, event: QPaintEvent) -> None:
        """After the first paint (the start page is on screen), queue the prewarm."""
        super().paintEvent(event)
        if not self._prewarm_queued and not self.prewarmed:
            self._prewarm_queued = True
            QTimer.singleShot(0, self.prewarm)

    def __getattr__(self, name: str) -> Any:
        """A workspace part asked for before the prewarm ran: build the workspace now."""
        if name in MainWindow._WORKSPACE_PARTS and not self.__dict__.get("prewarmed", True):
            self.prewarm()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def prewarm(self) -> None:
        """Build everything behind the start page (once); reads no patient data.

        Imports the board's modules; builds the board page (empty), the
        toolbar, the lock page, the idle watcher, the document buttons, the
        shortcuts and the timers; then emits ``ready``.
        """
        if self.prewarmed:
            return
        self.prewarmed = True
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.board.board_page import BoardPage
        from ketalog.ui.core.documents import DocumentButtons
        from ketalog.ui.start.idle_lock import IdleWatcher, LockPage

        self._build_toolbar()
        self.board = BoardPage(self.ctx)
        self.board.open_session.connect(self.open_session)
        self.documents = DocumentButtons(self.ctx, self)
        self.documents.failed.connect(self._document_failed)
        self.documents.opened.connect(self._document_opened)
        self.board.day_log_requested.connect(lambda day: self.documents.request("day", day))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.board)
        self.notice = QLabel()
        self.notice.setObjectName("draftsNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.hide()
        self.workspace = QWidget()
        work = QVBoxLayout(self.workspace)
        work.setContentsMargins(0, 0, 0, 0)
        self._build_link_banner()
        work.addWidget(self.link_banner)
        self.clock_banner = QLabel()
        self.clock_banner.setObjectName("clockBanner")
        self.clock_banner.setWordWrap(True)
        self.clock_banner.setStyleSheet(CLOCK_STYLE)
        self.clock_banner.hide()
        work.addWidget(self.clock_banner)
        work.addWidget(self.notice)
        work.addWidget(self.stack, 1)
        self.lock_page = LockPage(self.ctx, self.workstation)
        self.lock_page.unlocked.connect(self._unlocked)
        self.lock_page.switch_requested.connect(self.switch_user)
        for page in (self.workspace, self.lock_page):
            self.pages.addWidget(page)
        self._shortcuts()
        self.idle = IdleWatcher(self.ctx.clock, self)
        self.idle.idle.connect(self.lock)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start()
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self._tick)
        self.tick_timer.start()
        # start-up: the change feed (about 10 ms) loads after the log-in page is painted
        from ketalog.ui.core.live import ChangeWatcher

        self.presence_timer = QTimer(self)
        self.presence_timer.setInterval(int(HEARTBEAT.total_seconds() * 1000))
        self.presence_timer.timeout.connect(self._announce_presence)
        self.presence_timer.start()
        self.watcher = ChangeWatcher(self.engine.url, self)
        self.watcher.data_changed.connect(self.refresh)
        self.watcher.data_changed.connect(self.lock_page.refresh_status)  # only while locked
        self.watcher.presence_changed.connect(self._presence_changed)
        self._show_clock()  # measured before the workspace existed
        self.ready.emit()

    def quit_reasons(self) -> list[str]:
        """What quitting now would leave unwatched or unsaved, one sentence each."""
        reasons = []
        outcome = self.ctx.run(running_infusion_chairs)
        chairs = outcome.value or []
        if chairs:
            running = (self.tr("An infusion is running (%1): this workstation stops showing "
                               "their readings due and alerts.") if len(chairs) == 1 else
                       self.tr("%n infusions are running (%1): this workstation stops showing "
                               "their readings due and alerts.", "", len(chairs)))
            reasons.append(running.replace("%1", ", ".join(chairs)))
        elif outcome.error:
            reasons.append(self.tr("Whether infusions are running cannot be read now: %1")
                           .replace("%1", outcome.error))
        drafts = self.drafts.waiting()
        if drafts:
            reasons.append(self.tr("Entries typed in %1 form(s) are not saved yet.")
                           .replace("%1", str(drafts)))
        return reasons

    def confirm_quit(self) -> bool:
        """Ask before quitting while infusions run or entries wait; True to quit."""
        reasons = self.quit_reasons()
        if not reasons:
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Quit ketalog?"),
                          "\n\n".join(reasons), QMessageBox.StandardButton.NoButton, self)
        quit_button = box.addButton(self.tr("&Quit anyway"), QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton(self.tr("&Stay"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)  # Enter or Esc keeps the app open
        box.setEscapeButton(stay)
        self.quit_box = box
        box.exec()
        self.quit_box = None
        return box.clickedButton() is quit_button

    def request_quit(self) -> None:
        """Ctrl+Q: quit, after asking when infusions run or entries wait."""
        if self.confirm_quit():
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask first when the user closes the window; then leave the session, stop listening.

        Only a close from the window system (its close button, Alt+F4) asks
        here; Ctrl+Q has asked already, and a close by the program does not ask.
        """
        if event.spontaneous() and not self.confirm_quit():
            event.ignore()
            return
        if self._closed:  # a second close (never shown, so Qt sends it again) writes nothing
            super().closeEvent(event)
            return
        self._closed = True
        if self.prewarmed:
            self._leave_session()
        # even a window never shown stops: its timers would read the database after close
        self.watcher.stop()
        self.link.stop()
        for timer in (self.presence_timer, self.refresh_timer, self.tick_timer):
            timer.stop()  # nothing reads the database for a closed window
        if self.server_clock is not None:
            self.clock_timer.stop()
        super().closeEvent(event)

    # --- the connection and the other workstations ---------------------------------

    def measure_clock(self) -> None:
        """Measure this workstation's clock against the server's; banner when they differ."""
        server = self.server_clock
        if server is None:
            return
        self.ctx.run(server.measure)  # offline: the last offset stands, the link banner shows
        if self.prewarmed:
            self._show_clock()

    def _show_clock(self) -> None:
        server = self.server_clock
        skewed = server is not None and server.skewed
        self.clock_banner.setVisible(skewed)
        self.clock_banner.setText(server.skew_text() if server is not None and skewed else "")

    def _build_link_banner(self) -> None:
        self.link_banner = QFrame()
        self.link_banner.setObjectName("linkBanner")
        row = QHBoxLayout(self.link_banner)
        row.setContentsMargins(12, 8, 12, 8)
        self.link_text = QLabel()
        self.link_text.setObjectName("linkText")
        self.link_text.setWordWrap(True)
        # harmless (it only tries the connection), and out of the Tab order: a banner
        # appearing must not put a stop between the fields a nurse is typing in
        self.link_retry = Button(self.tr("Retry now"), focusable=False)
        self.link_retry.clicked.connect(self.link.retry_now)
        row.addWidget(self.link_text, 1)
        row.addWidget(self.link_retry)
        self.link_banner.hide()
        self._restored_timer = QTimer(self)
        self._restored_timer.setSingleShot(True)
        self._restored_timer.timeout.connect(self._show_link)

    def _show_link(self) -> None:
        """Redraw the banner from the link's state: lost, trying, or just restored."""
        if not self.prewarmed:
            return
        link = self.link
        tz = self.ctx.tz
        if not link.online:
            since = clock_text(link.lost_at_utc, tz) if link.lost_at_utc else ""
            waiting = link.waiting_entries
            kept = (self.tr("Entries waiting in their forms: %1; they are saved when it is "
                            "back.").replace("%1", str(waiting)) if waiting else
                    self.tr("Nothing typed since then has been saved; entries stay in their "
                            "forms."))
            trying = (self.tr("Trying now…") if link.trying else
                      self.tr("Trying again in %1 s.").replace("%1", str(link.seconds_to_retry)))
            self.link_text.setText(
                f"{ALERT_MARK} " + self.tr("Database unreachable since %1. The screen shows what "
                                           "was stored then.").replace("%1", since)
                + " " + kept + " " + trying)
            self.link_text.setToolTip(link.reason)
            self.link_banner.setStyleSheet(LINK_STYLE["lost"])
            self.link_retry.setVisible(True)
            self.link_retry.setEnabled(not link.trying)
            self.link_banner.show()
        elif self._restored_timer.isActive() and link.restored_at_utc is not None:
            self.link_text.setText(self.tr("Connection restored at %1.").replace(
                "%1", clock_text(link.restored_at_utc, tz)) + " " + (
                self._restored_detail))
            self.link_banner.setStyleSheet(LINK_STYLE["restored"])
            self.link_retry.hide()
            self.link_banner.show()
        else:
            self.link_banner.hide()

    def _link_restored(self) -> None:
        """Save what waited (through each form's own save), then re-read the screen."""
        saved = 0
        page = self.session_page
        if page is not None:
            saved = page.controller.save_waiting()  # type: ignore[attr-defined]
        self._restored_detail = (self.tr("Waiting entries saved: %1.").replace("%1", str(saved))
                                 if saved else self.tr("The screen is up to date again."))
        self._restored_timer.start(RESTORED_NOTICE_MS)
        self._show_link()
        self.refresh()

    def _announce_presence(self) -> None:
        """Heartbeat: this user still has the shown session open on this workstation."""
        if not self.active or self.ctx.offline:
            return
        page = self.session_page
        if page is None or self._on_board():
            return
        actor, sid = self.current_actor(), page.session_id  # type: ignore[attr-defined]
        self.ctx.run(lambda db: announce_presence(db, actor, sid, clock=self.ctx.clock))

    def _leave_session(self) -> None:
        if self.user is None or self.ctx.offline:
            return
        actor = self.current_actor()
        self.ctx.run(lambda db: leave_session(db, actor))

    def _presence_changed(self) -> None:
        if self.active and self.session_page is not None and not self._on_board():
            self.session_page.reload()  # type: ignore[attr-defined]

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("User"))
        toolbar.setObjectName("userToolbar")
        toolbar.setMovable(False)
        self.signed_in_label = QLabel()
        self.signed_in_label.setContentsMargins(6, 0, 12, 0)
        toolbar.addWidget(self.signed_in_label)
        self.switch_action = toolbar.addAction(self.tr("Switch user"))
        self.switch_action.setToolTip(self.tr("Sign out and let someone else sign in (Ctrl+L)"))
        self.switch_action.triggered.connect(self.switch_user)
        self.lock_action = toolbar.addAction(self.tr("Lock"))
        self.lock_action.setToolTip(self.tr("Hide patient data until you enter your password "
                                            "again (Ctrl+Shift+L)"))
        self.lock_action.triggered.connect(self.lock)
        self.waiting_action = toolbar.addAction(self.tr("Waiting for signature…"))
        self.waiting_action.setToolTip(self.tr("Finished sessions no physician has signed yet "
                                               "(Ctrl+Shift+W)"))
        self.waiting_action.triggered.connect(self.show_waiting)
        self.course_action = toolbar.addAction(self.tr("Course…"))
        self.course_action.setToolTip(self.tr("The selected patient's course: screening, series, "
                                              "scores and outcome (Ctrl+Shift+C)"))
        self.course_action.triggered.connect(self.show_course)
        self.rems_action = toolbar.addAction(self.tr("REMS forms…"))
        self.rems_action.setToolTip(self.tr("Esketamine REMS monitoring forms: due, overdue, "
                                            "filed (Ctrl+Shift+R)"))
        self.rems_action.triggered.connect(self.show_rems)
        self.stock_action = toolbar.addAction(self.tr("Controlled substances…"))
        self.stock_action.setToolTip(self.tr("The ketamine books: stock on hand, deliveries, "
                                             "counts and inventories (Ctrl+Shift+K)"))
        self.stock_action.triggered.connect(self.show_stock)
        self.outcomes_action = toolbar.addAction(self.tr("Outcomes…"))
        self.outcomes_action.setToolTip(self.tr("The clinic's response and remission counts "
                                                "(physicians and administrators)"))
        self.outcomes_action.triggered.connect(self.show_outcomes)
        self.audit_action = toolbar.addAction(self.tr("Audit trail…"))
        self.audit_action.setToolTip(self.tr("Who did what, when (administrators)"))
        self.audit_action.triggered.connect(self.show_audit_trail)
        self.clinic_action = toolbar.addAction(self.tr("Clinic…"))
        self.clinic_action.setToolTip(self.tr("The clinic's name, address, logo, time zone, "
                                              "chairs and closed days (administrators)"))
        self.clinic_action.triggered.connect(self.show_clinic_settings)
        self.accounts_action = toolbar.addAction(self.tr("Accounts…"))
        self.accounts_action.setToolTip(self.tr("Add, correct, disable and unlock accounts; "
                                                "reset a password (administrators)"))
        self.accounts_action.triggered.connect(self.show_accounts)
        self.password_action = toolbar.addAction(self.tr("My password…"))
        self.password_action.setToolTip(self.tr("Change your own password"))
        self.password_action.triggered.connect(self.change_my_password)
        self.settings_action = toolbar.addAction(self.tr("Settings…"))
        self.settings_action.setToolTip(self.tr("This workstation's database (test it; "
                                                "administrators change it) and the backups"))
        self.settings_action.triggered.connect(self.show_settings)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        database = QLabel(self.tr("Database: %1").replace("%1", self.database_label))
        database.setContentsMargins(0, 0, 6, 0)
        toolbar.addWidget(database)
        self.addToolBar(toolbar)
        self.user_toolbar = toolbar
        toolbar.hide()

    # kept for the first issue's tests and scripts
    @property
    def board_model(self):  # type: ignore[no-untyped-def]
        """The day board's table model."""
        return self.board.model

    @property
    def heading(self) -> QLabel:
        """The board's heading label."""
        return self.board.heading

    # --- who is signed in ---------------------------------------------------------------

    def current_actor(self) -> Actor:
        """The signed-in user; with nobody signed in an actor every service refuses."""
        if self.user is None:
            return NOBODY
        return self.user.as_actor(self.workstation)

    @property
    def active(self) -> bool:
        """Someone is signed in and the screen is not locked."""
        return self.user is not None and not self.locked

    def _show_start_page(self, message: str = "") -> None:
        """The log-in page, or the first administrator's page on an empty database."""
        first = self.ctx.run(needs_first_administrator)
        if first.ok and first.value:
            if self.first_run_page is None:
                page = FirstAdministratorPage(self.ctx, self.workstation)
                page.set_footer(self.tr("Database: %1").replace("%1", self.database_label))
                page.signed_in.connect(self.sign_in)
                page.demo_requested.connect(self.open_demo_clinic)
                self.pages.addWidget(page)
                self.first_run_page = page
            self._show_page(self.first_run_page)
            self.first_run_page.clinic_name.setFocus()
            return
        self.login_page.reset(message)
        if first.error:
            self.login_page.message.show_error(first.error)
        self._show_page(self.login_page)
        self.login_page.username.setFocus()

    def open_demo_clinic(self) -> MainWindow | None:
        """Open the demo clinic (built on first use) in its own window; this one closes.

        The demo lives in a database of its own (:attr:`demo_url`), so its
        made-up patients never mix with the clinic this database is for.
        """
        # start-up: the demo builder (about 0.3 s) loads only when a demo is built
        from ketalog.services.demo import DEMO_PATIENTS, DemoRefused, build_demo_clinic

        progress = QProgressDialog(self.tr("Building the demo clinic…"), "", 0, DEMO_PATIENTS,
                                   self)
        progress.setCancelButton(None)  # half a demo helps nobody
        progress.setWindowTitle(self.tr("Demo clinic"))
        progress.setMinimumDuration(0)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        done = [0]

        def step(patient: str) -> None:
            done[0] += 1
            progress.setLabelText(self.tr("Building the demo clinic: %1 of %2 patients")
                                  .replace("%1", str(done[0])).replace("%2",
                                                                       str(DEMO_PATIENTS)))
            progress.setValue(done[0])
            QApplication.processEvents()

        try:
            engine = open_database(self.demo_url)
            with make_sessionmaker(engine)() as db:
                if not is_demo_clinic(db):
                    build_demo_clinic(db, progress=step)
        except (DemoRefused, DatabaseConfigError) as exc:
            progress.close()
            if self.first_run_page is not None:
                self.first_run_page.message.show_error(
                    self.tr("The demo clinic cannot be opened: %1").replace("%1", str(exc)))
            return None
        progress.close()
        demo = MainWindow(engine, describe_url(self.demo_url), clock=self.ctx.clock,
                          guard_clock=self.guard_clock)
        demo.show()
        self.demo_window = demo
        self.close()
        return demo

    def _show_page(self, page: QWidget) -> None:
        working = self.prewarmed and page is self.workspace
        self.pages.setCurrentWidget(page)
        if self.prewarmed:
            self.user_toolbar.setVisible(working)
        self.setWindowTitle(self.title if working or not self.locked else
                            self.title + self.tr(" — locked"))

    def sign_in(self, user: UserSummary) -> None:
        """Show the workspace for ``user`` (after the log-in page, or given at start)."""
        self.prewarm()  # already done unless sign-in came before the event loop's first turn
        previous = self._previous_user
        self.user = user
        self.locked = False
        self._previous_user = None
        actor = self.current_actor()
        self.signed_in_label.setText(self.tr("Signed in: %1 (%2)")
                                     .replace("%1", actor.display_name)
                                     .replace("%2", user.role))
        self.audit_action.setVisible(may(user.role, Permission.VIEW_AUDIT))
        self.clinic_action.setVisible(may(user.role, Permission.MANAGE_SETTINGS))
        self.accounts_action.setVisible(may(user.role, Permission.MANAGE_USERS))
        self.outcomes_action.setVisible(may(user.role, Permission.VIEW_OUTCOMES))
        self.stock_action.setVisible(may(user.role, Permission.VIEW_STOCK_RECORDS))
        self.waiting_action.setVisible(may(user.role, Permission.ADDENDUM))  # clinicians
        self._show_page(self.workspace)
        # after the board is painted: nothing here is needed for the first paint
        QTimer.singleShot(LISTEN_AFTER_MS, self._after_first_paint)
        minutes = self.ctx.run(idle_lock_minutes)
        self.idle.arm(minutes.value if minutes.value else DEFAULT_IDLE_LOCK_MINUTES)
        if self.session_page is not None and not self._on_board():
            if previous is not None and previous.id != user.id:
                self._record_view(self.session_page.session_id)  # type: ignore[attr-defined]
            self.session_page.reload()  # type: ignore[attr-defined]
        else:
            self.show_board()
        self._update_notice()

    def switch_user(self) -> None:
        """Sign the current user out (audited) and show the log-in page; nothing is lost."""
        if self.user is None:
            return
        actor = self.current_actor()
        self._leave_session()
        self.ctx.run(lambda db: record_logout(db, actor, clock=self.ctx.clock))
        self._hide_patient_windows()
        self._previous_user = self.user
        self.user = None
        self.locked = False
        self.idle.disarm()
        self._show_start_page(self.tr("%1 signed out. Unsaved entries stay in the forms.")
                              .replace("%1", actor.display_name))

    def lock(self) -> None:
        """Hide everything behind the lock page (idle, or the Lock button); audited."""
        if not self.active or self.user is None:
            return
        actor = self.current_actor()
        self._leave_session()
        self.ctx.run(lambda db: record_screen_lock(db, actor, clock=self.ctx.clock))
        focus = QApplication.focusWidget()
        self._focus_before_lock = (focus if focus is not None and self.workspace.isAncestorOf(
            focus) else None)
        self._hide_patient_windows(keep_the_books=True)
        self.locked = True
        self.idle.disarm()
        self._show_page(self.lock_page)
        self.lock_page.show_for(self.user, actor.display_name)
        self.lock_page.password.setFocus()

    def _unlocked(self, user: UserSummary) -> None:
        self.user = user
        self.locked = False
        self._show_page(self.workspace)
        minutes = self.ctx.run(idle_lock_minutes)
        self.idle.arm(minutes.value if minutes.value else DEFAULT_IDLE_LOCK_MINUTES)
        self.refresh()
        self._announce_presence()
        if self._focus_before_lock is not None:
            self._focus_before_lock.setFocus()
        self._focus_before_lock = None
        kept, self._books_kept_for = self._books_kept_for, None
        if kept is not None and self.stock_dialog is not None:
            if kept == user.id:  # the same person: the count they were typing is back
                self.stock_dialog.show()
            else:
                self.stock_dialog.close()

    def _hide_patient_windows(self, *, keep_the_books: bool = False) -> None:
        """Close every dialog and window this one opened: they may show patient data.

        A modal dialog is rejected (its caller sees a cancel, nothing is saved);
        document previews simply close (the document can be made again).
        ``keep_the_books`` (the idle lock): the Controlled substances window is
        hidden instead, so a count typed vial by vial is there again when the same
        person unlocks (another person, or a sign-out, closes it).
        """
        kept = self._books_kept_for
        self._books_kept_for = None
        if kept is not None and self.stock_dialog is not None:
            self.stock_dialog.close()  # hidden at an earlier lock: nobody came back for it
        for widget in QApplication.topLevelWidgets():
            if widget is self or not widget.isVisible() or not self._owns(widget):
                continue
            if keep_the_books and widget is self.stock_dialog and self.user is not None:
                widget.hide()
                self._books_kept_for = self.user.id
                continue
            if isinstance(widget, QDialog):
                widget.reject()
            widget.close()

    def _owns(self, widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if parent is self:
                return True
            parent = parent.parentWidget()
        return False

    def _document_opened(self, preview: QWidget) -> None:
        """A document finished building after a lock or sign-out: do not show it."""
        if not self.active:
            preview.close()

    def show_settings(self) -> None:
        """The workstation's database and backups; only administrators may save."""
        if not self.active or self.user is None:
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.admin.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.engine.url.render_as_string(hide_password=False),
                                self.user.role == Role.ADMINISTRATOR, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _after_first_paint(self) -> None:
        """Start hearing other workstations' changes; show today's backup status."""
        if not self.isVisible():  # closed meanwhile
            return
        self.watcher.start()
        self._show_backup_status()

    def _show_backup_status(self) -> None:
        """Today's automatic backup, in the status bar: failures must not go unseen."""
        # start-up: the backup module (about 0.1 s) loads after the log-in page is painted
        from ketalog.store.backup import last_daily_result

        result = last_daily_result()
        if result is None:
            return
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)  # the window is sized by the system, never by a grip
        bar.setStyleSheet("QStatusBar { color: #8b0000; font-weight: bold; }" if result.error
                          else "")
        bar.showMessage((f"{ALERT_MARK} " if result.error else "") + result.message)
        self._place_backup_status()

    def _place_backup_status(self) -> None:
        """The backup line shows under the day board, never under a session.

        At 1366x768 on 125 % scaling (1093x614) the session screen has no height to
        spare: a status bar there squeezed the vitals entry fields below their figures.
        The board is where each day starts and where a nurse returns between patients.
        """
        bar = self.findChild(QStatusBar)  # made only once there is a backup line to show
        if bar is not None:
            bar.setVisible(self._on_board())

    def _open_dialog(self, module: str, name: str, permission: Permission | None = None) -> None:
        """A dialog for the signed-in user, if their role may (the service checks it again).

        Imported by name: another part of the UI, loaded only when someone asks.
        """
        if not self.active or self.user is None or (
                permission is not None and not may(self.user.role, permission)):
            return
        getattr(importlib.import_module(f"ketalog.ui.{module}"), name)(self.ctx, self).exec()

    def show_clinic_settings(self) -> None:
        """Administrators: the clinic's own settings."""
        self._open_dialog("admin.clinic_settings_page", "ClinicSettingsDialog",
                          Permission.MANAGE_SETTINGS)

    def show_accounts(self) -> None:
        """Administrators: the clinic's accounts."""
        self._open_dialog("admin.accounts_page", "AccountsDialog", Permission.MANAGE_USERS)

    def change_my_password(self) -> None:
        """Anyone signed in: change their own password."""
        self._open_dialog("admin.accounts_page", "ChangePasswordDialog")

    def show_audit_trail(self) -> None:
        """Administrators: the audit trail."""
        self._open_dialog("admin.audit_page", "AuditDialog", Permission.VIEW_AUDIT)

    def _current_course_id(self) -> int | None:
        """The open session's course, or the course of the session selected on the board."""
        page = self.session_page
        if page is not None and not self._on_board():
            view = page.controller.view  # type: ignore[attr-defined]
            return None if view is None else int(view.detail.course_id)
        row = self.board.selected_row()
        return None if row is None else row.course_id

    def show_course(self) -> None:
        """Ctrl+Shift+C: the course window of the open or selected session."""
        if not self.active:
            return
        course_id = self._current_course_id()
        if course_id is None:
            self.board.message.show_error(self.tr("Select a session on the board first (or open "
                                                  "one): its course is shown."))
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.course.course_actions import add_course_actions
        from ketalog.ui.course.course_page import CourseDialog

        dialog = CourseDialog(self.ctx, course_id, self)
        self.course_buttons = add_course_actions(dialog)

        def open_it(session_id: int) -> None:
            dialog.accept()
            self.open_session(session_id)

        dialog.open_session.connect(open_it)
        dialog.finished.connect(lambda _result: self.refresh())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.course_dialog = dialog
        dialog.refresh()
        dialog.open()

    def show_rems(self) -> None:
        """Ctrl+Shift+R: the esketamine REMS forms, overdue first."""
        if not self.active or self.user is None:
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.course.rems_page import RemsDialog

        dialog = RemsDialog(self.ctx, self)

        def open_it(session_id: int) -> None:
            dialog.accept()
            self.open_session(session_id)

        dialog.open_session.connect(open_it)
        dialog.preview_opened.connect(self._document_opened)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.rems_dialog = dialog
        dialog.open()

    def show_outcomes(self) -> None:
        """Physicians and administrators: response and remission across the clinic."""
        if not self.active or self.user is None or not may(self.user.role,
                                                           Permission.VIEW_OUTCOMES):
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.board.outcomes_page import OutcomesDialog

        dialog = OutcomesDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.outcomes_dialog = dialog
        dialog.open()

    def show_stock(self) -> None:
        """Ctrl+Shift+K: the controlled-substance books."""
        if not self.active or self.user is None or not may(self.user.role,
                                                           Permission.VIEW_STOCK_RECORDS):
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.stock.stock_window import StockDialog

        dialog = StockDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._stock_dialog_gone)
        self.stock_dialog = dialog
        dialog.open()

    def _stock_dialog_gone(self) -> None:
        self.stock_dialog = None
        self._books_kept_for = None

    def show_waiting(self) -> None:
        """Physicians (and nurses): finished sessions waiting for a signature."""
        if not self.active or self.user is None:
            return
        from PySide6.QtWidgets import QDialog, QVBoxLayout

        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.board.waiting_page import WaitingPage

        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Waiting for signature"))
        page = WaitingPage(self.ctx, dialog)
        layout = QVBoxLayout(dialog)
        layout.addWidget(page)

        def open_it(session_id: int) -> None:
            dialog.accept()
            self.open_session(session_id)

        page.open_session.connect(open_it)
        page.refresh()
        # the nursing column names who completed it and when
        place_window(dialog, "waiting for signature", 1150, 520)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.waiting_dialog = page
        dialog.open()

    def _update_notice(self) -> None:
        """Warn when the open session's forms hold entries someone else typed."""
        page = self.session_page
        if page is None or self._on_board() or not self.active:
            self.notice.hide()
            return
        others = self.drafts.typed_by_others(page.session_id,  # type: ignore[attr-defined]
                                             self.current_actor().display_name)
        if not others:
            self.notice.hide()
            return
        self.notice.setText(f"{ALERT_MARK} " + self.tr(
            "Unsaved entries typed by %1 are still in the forms; check them before saving "
            "— what you save is recorded under your name.").replace("%1", " and ".join(others)))
        self.notice.show()

    def _shortcuts(self) -> None:
        def bind(keys: str, action: Callable[[], None]) -> None:
            # nothing that shows or changes patient data while signed out or locked
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda: action() if self.active else None)

        bind("Ctrl+N", self.schedule)
        bind("Ctrl+T", self.show_today)
        bind("Alt+Left", self.previous_day)
        bind("Alt+Right", self.next_day)
        bind("Esc", self.show_board)
        bind("F5", self.refresh)
        bind("Ctrl+L", self.switch_user)
        bind("Ctrl+Shift+L", self.lock)
        bind("Ctrl+Shift+W", self.show_waiting)
        bind("Ctrl+Shift+C", self.show_course)
        bind("Ctrl+Shift+R", self.show_rems)
        bind("Ctrl+Shift+K", self.show_stock)
        shortcut = QShortcut(QKeySequence("F1"), self)  # the list itself is no secret
        shortcut.activated.connect(self.show_help)
        quit_key = QShortcut(QKeySequence("Ctrl+Q"), self)  # asks first when it matters
        quit_key.setContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_key.activated.connect(self.request_quit)
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
        """Show one session (its panels are built fresh; drafts are kept per session).

        Opening a patient's session is itself audited (who looked, when).
        """
        if not self.active:
            return
        if self.ctx.offline:
            target = self.board.message if self._on_board() or self.session_page is None else (
                self.session_page.message)  # type: ignore[attr-defined]
            target.show_error(self.tr("The database is unreachable: a session cannot be opened "
                                      "until the connection is back (see the banner)."))
            return
        # start-up: pages load after the log-in page is painted (0.01-0.3 s each)
        from ketalog.ui.session.session_page import SessionPage

        if self.session_page is not None:
            self.session_page.controller.forget_waiting()  # type: ignore[attr-defined]
            self.stack.removeWidget(self.session_page)
            self.session_page.deleteLater()
        page = SessionPage(self.ctx, session_id, self.drafts)
        page.back_requested.connect(self.show_board)
        page.document_requested.connect(self._session_document)
        self.session_page = page
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)
        self._place_backup_status()
        self._record_view(session_id)
        self._announce_presence()
        page.reload()
        page.focus_vitals()
        self._update_notice()

    def _record_view(self, session_id: int) -> None:
        # start-up: loaded with the first session opened (about 10 ms)
        from ketalog.services.session.entries import record_session_view

        actor = self.current_actor()
        self.ctx.run(lambda db: record_session_view(db, actor, session_id,
                                                    clock=self.ctx.clock))

    def show_board(self) -> None:
        """Back to the day board, refreshed."""
        if not self._on_board():
            self._leave_session()
        self.stack.setCurrentWidget(self.board)
        self._place_backup_status()
        self._update_notice()
        if self.active:
            self.board.refresh()
            self.board.focus_table()

    def _tick(self) -> None:
        if self.active:
            self.board.tick()

    def refresh(self) -> None:
        """Re-read what is on screen (timer every 5 s, or F5); nothing while locked."""
        if not self.active:
            return
        self._update_notice()
        if self._on_board():
            self.board.refresh()
        elif self.session_page is not None:
            self.session_page.reload()  # type: ignore[attr-defined]
        self._show_alert_badge()

    def _show_alert_badge(self) -> None:
        """The waiting list's button counts open alerts, so they are seen from any screen."""
        if not self.waiting_action.isVisible():
            return

        outcome = self.ctx.run(alerts_waiting)
        count = len(outcome.value) if outcome.value is not None else 0
        text = self.tr("Waiting for signature…")
        if count:
            text += f" {ALERT_MARK} " + self.tr("%n alerts", "", count)
        self.waiting_action.setText(text)

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
