"""Start the application: open the database, then show the main window.

``ketalog`` with no command comes here (through :mod:`ketalog.cli`), and so
does the ``ketalog-window`` launcher, which has no console on Windows.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ketalog import __version__
from ketalog.services.context import system_clock
from ketalog.services.database import open_database
from ketalog.store.engine import DatabaseConfigError, describe_url, resolve_database_url
from ketalog.ui.core.logs import install_logging
from ketalog.ui.core.translation import install_translator
from ketalog.ui.widgets.windows import APPLICATION, ORGANISATION

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ketalog.ui.main_window import MainWindow

#: How often a workstation left running for days anchors the audit trail again.
ANCHOR_EVERY_MS = 60 * 60 * 1000


@dataclass(frozen=True)
class OpenWindow:
    """The running application: its window at the log-in page and the database behind it."""

    app: QApplication
    window: MainWindow
    engine: Engine

    def close(self) -> None:
        """Close the window, then let go of the database."""
        self.window.close()  # stops the change listener's thread before the window goes
        self.engine.dispose()


def _start_daily_backup(url: str) -> None:
    """The first start of the day backs the SQLite file up (one stat when already done).

    Never raises: the outcome waits in ketalog.store.backup.last_daily_result()
    for the status bar. Written off the GUI thread when one is due.
    """
    # start-up: a job started once the log-in page is up (about 0.1 s)
    from ketalog.store.backup import start_daily_backup

    start_daily_backup(url, today=date.today())


def _anchor_daily(engine: Engine) -> None:
    """Anchor the audit trail when the newest anchor is older than a day (off the GUI thread)."""
    # start-up: a job started once the log-in page is up (about 0.1 s)
    from ketalog.services.audit_anchors import start_daily_anchor

    start_daily_anchor(engine, now=system_clock())


def open_window(database_url: str | None = None) -> OpenWindow | None:
    """Open the database, then show the main window at its log-in page.

    A database problem is shown, not raised: the user may change the settings
    and retry, or give up, and then this returns None.
    """
    install_logging()  # the log file, the excepthook and Qt's messages (ketalog/ui/core/logs.py)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    install_translator(app)  # the workstation's language, English plurals (ui/core/translation.py)
    url = ""
    try:
        url = resolve_database_url(database_url)  # a damaged workstation file is refused
        engine = open_database(url)
    except DatabaseConfigError as exc:
        # start-up: only when the database cannot be opened (about 80 ms)
        from ketalog.ui.admin.settings_dialog import offer_settings_after_failure

        if offer_settings_after_failure(str(exc), url):
            return open_window(database_url)  # the settings may have changed: resolve again
        return None
    # start-up: the main window (about 0.5 s) loads once the database opened, so a refused
    # database shows its message at once
    from ketalog.ui.main_window import MainWindow

    window = MainWindow(engine, describe_url(url), guard_clock=True)  # one clinic clock
    window.ready.connect(lambda: _start_daily_backup(url))  # once the log-in page is up
    window.ready.connect(lambda: _anchor_daily(engine))
    # a workstation left running for days still anchors the trail daily
    anchor_timer = QTimer(window)
    anchor_timer.setInterval(ANCHOR_EVERY_MS)
    anchor_timer.timeout.connect(lambda: _anchor_daily(engine))
    anchor_timer.start()
    window.show()
    return OpenWindow(app, window, engine)


def run_gui(database_url: str | None = None) -> int:
    """Show the main window and run until it is closed; the process exit code.

    1 when the database could not be opened and the user gave up.
    """
    opened = open_window(database_url)
    if opened is None:
        return 1
    try:
        return opened.app.exec()
    finally:
        opened.close()


def main() -> int:
    """The ``ketalog-window`` launcher: the window alone, on the database this workstation uses."""
    return run_gui()
