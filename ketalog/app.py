"""Start the application: open the database, then show the main window."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtWidgets import QApplication, QMessageBox

from ketalog.store.engine import DatabaseConfigError, describe_url, resolve_database_url

#: For `make bench`: paint the board, optionally open a session, report, exit.
BENCH_EXIT = "KETALOG_BENCH_EXIT_AFTER_BOARD"
BENCH_OPEN_SESSION = "KETALOG_BENCH_OPEN_SESSION"


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


def _bench_report(window: object, app: QApplication) -> int:
    """Paint synchronously, print the timings and peak memory, and stop."""
    window.repaint()  # type: ignore[attr-defined]
    print(f"board painted {time.perf_counter():.6f}", flush=True)
    session = os.environ.get(BENCH_OPEN_SESSION)
    if session:
        window.open_session(int(session))  # type: ignore[attr-defined]
        app.processEvents()
        window.repaint()  # type: ignore[attr-defined]
        print("session shown", flush=True)
    print(f"peak rss kb {peak_rss_kb()}", flush=True)
    return 0


def run_gui(database_url: str | None = None) -> int:
    """Open the database, then show the main window; a database problem is shown, not raised."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("ketalog")
    url = resolve_database_url(database_url)
    try:
        from ketalog.services.database import open_database

        engine = open_database(url)
    except DatabaseConfigError as exc:
        QMessageBox.critical(None, "ketalog: database problem", str(exc))
        return 1
    from ketalog.ui.main_window import MainWindow

    window = MainWindow(engine, describe_url(url))
    window.show()
    code = _bench_report(window, app) if os.environ.get(BENCH_EXIT) else app.exec()
    engine.dispose()
    return code


def main() -> int:
    """Entry point used by ``main.py``."""
    return run_gui()
