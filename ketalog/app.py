"""Start the application: open the database, then show the main window."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ketalog.store.engine import DatabaseConfigError, describe_url, resolve_database_url
from ketalog.ui.logs import install_logging
from ketalog.ui.translation import install_translator

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ketalog.ui.main_window import MainWindow

#: For `make bench`: paint the board, optionally open a session, report, exit.
BENCH_EXIT = "KETALOG_BENCH_EXIT_AFTER_BOARD"
BENCH_OPEN_SESSION = "KETALOG_BENCH_OPEN_SESSION"
#: For `make bench`: "username:password" typed into the log-in page once the app is ready.
BENCH_LOGIN = "KETALOG_BENCH_LOGIN"


def peak_rss_kb() -> int:
    """This process's own peak resident memory in KiB.

    Linux keeps ``ru_maxrss`` across ``execve``, so a child of a large process
    would report its parent's peak; ``VmHWM`` belongs to this process image.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _bench_report(window: MainWindow, app: QApplication) -> int:
    """Paint, wait until the app is ready, sign in as a nurse would, print stamps, stop.

    Prints ``perf_counter`` stamps (the system-wide monotonic clock, so the
    parent can compare them with its own): ``login painted`` (the log-in page
    painted), ``ready`` (the workspace built behind it, as it is while a nurse
    types), ``enter pressed`` and ``board painted`` (today's board). The log-in
    goes through the real page, Enter in the password field and the real
    password check (Argon2id by design).
    """
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    # repaint() does nothing until the window system has exposed the window
    while window.windowHandle() is None or not window.windowHandle().isExposed():
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    window.repaint()
    print(f"login painted {time.perf_counter():.6f}", flush=True)
    from PySide6.QtTest import QTest  # the bench's keyboard, not the app's cost
    if not window.prewarmed:
        waiting = QEventLoop()
        window.ready.connect(waiting.quit)
        QTimer.singleShot(60_000, waiting.quit)
        waiting.exec()
    print(f"ready {time.perf_counter():.6f}", flush=True)
    username, _, password = os.environ.get(BENCH_LOGIN, "").partition(":")
    page = window.login_page
    page.username.setText(username)
    page.password.setText(password)
    print(f"enter pressed {time.perf_counter():.6f}", flush=True)
    QTest.keyClick(page.password, Qt.Key.Key_Return)
    if window.user is None:
        print(f"{BENCH_LOGIN}: log-in as {username!r} refused: {page.message.text()}",
              file=sys.stderr, flush=True)
        return 1
    app.processEvents()
    window.repaint()
    print(f"board painted {time.perf_counter():.6f}", flush=True)
    session = os.environ.get(BENCH_OPEN_SESSION)
    if session:
        window.open_session(int(session))
        app.processEvents()
        window.repaint()
        print("session shown", flush=True)
    print(f"peak rss kb {peak_rss_kb()}", flush=True)
    return 0


def _start_daily_backup(url: str) -> None:
    """The first start of the day backs the SQLite file up (one stat when already done).

    Never raises: the outcome waits in ketalog.store.backup.last_daily_result()
    for the status bar. Written off the GUI thread when one is due.
    """
    from datetime import date

    from ketalog.store.backup import start_daily_backup

    start_daily_backup(url, today=date.today())


def _anchor_daily(engine: Engine) -> None:
    """Anchor the audit trail when the newest anchor is older than a day (off the GUI thread)."""
    from ketalog.services.audit_anchors import start_daily_anchor
    from ketalog.services.context import system_clock

    start_daily_anchor(engine, now=system_clock())


def run_gui(database_url: str | None = None) -> int:
    """Open the database, then show the main window at its log-in page.

    A database problem is shown, not raised.
    """
    install_logging()  # the log file, the excepthook and Qt's messages (ketalog/ui/logs.py)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    from ketalog.ui.widgets.windows import APPLICATION, ORGANISATION

    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    install_translator(app)  # the workstation's language, English plurals (ui/translation.py)
    url = ""
    try:
        url = resolve_database_url(database_url)  # a damaged workstation file is refused
        from ketalog.services.database import open_database

        engine = open_database(url)
    except DatabaseConfigError as exc:
        from ketalog.ui.settings_dialog import offer_settings_after_failure

        if offer_settings_after_failure(str(exc), url):
            return run_gui(database_url)  # the settings may have changed: resolve again
        return 1
    from ketalog.ui.main_window import MainWindow

    window = MainWindow(engine, describe_url(url), guard_clock=True)  # one clinic clock
    window.ready.connect(lambda: _start_daily_backup(url))  # once the log-in page is up
    window.ready.connect(lambda: _anchor_daily(engine))
    # a workstation left running for days still anchors the trail daily
    anchor_timer = QTimer(window)
    anchor_timer.setInterval(60 * 60 * 1000)
    anchor_timer.timeout.connect(lambda: _anchor_daily(engine))
    anchor_timer.start()
    window.show()
    code = _bench_report(window, app) if os.environ.get(BENCH_EXIT) else app.exec()
    window.close()  # stops the change listener's thread before the window is destroyed
    engine.dispose()
    return code


def main() -> int:
    """Entry point used by ``main.py``."""
    return run_gui()
