"""The app started as ``ketalog`` starts it, then driven from outside for the start-up bench.

``python -m tools.benchmarks.app_driver DB --login USER:PASSWORD [--open-session ID]``
parses ``--database-url`` with ketalog's own command line, opens the window
through :func:`ketalog.ui.launch.open_window` (what ``ketalog`` runs), paints,
waits until the app is ready, signs in as a nurse would, prints stamps and exits.
The product carries none of this.

Prints ``perf_counter`` stamps (the system-wide monotonic clock, so the
parent can compare them with its own): ``login painted`` (the log-in page
painted), ``ready`` (the workspace built behind it, as it is while a nurse
types), ``enter pressed`` and ``board painted`` (today's board). The log-in
goes through the real page, Enter in the password field and the real
password check (Argon2id by design).
"""

from __future__ import annotations

import argparse
import sys
import time


def drive(database: str, login: str, open_session: int | None) -> int:
    """Start the app on ``database``, sign in with ``login`` (user:password); exit code."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from ketalog.cli.main import build_parser
    from ketalog.ui.launch import open_window

    # the command line's own cost, as `ketalog --database-url ...` pays it
    args = build_parser().parse_args(["--database-url", f"sqlite:///{database}"])
    opened = open_window(args.database_url)
    if opened is None:
        print("the app did not open the database", file=sys.stderr, flush=True)
        return 1
    app, window = opened.app, opened.window
    try:
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
        username, _, password = login.partition(":")
        page = window.login_page
        page.username.setText(username)
        page.password.setText(password)
        print(f"enter pressed {time.perf_counter():.6f}", flush=True)
        QTest.keyClick(page.password, Qt.Key.Key_Return)
        if window.user is None:
            print(f"log-in as {username!r} refused: {page.message.text()}",
                  file=sys.stderr, flush=True)
            return 1
        app.processEvents()
        window.repaint()
        print(f"board painted {time.perf_counter():.6f}", flush=True)
        if open_session is not None:
            window.open_session(open_session)
            app.processEvents()
            window.repaint()
            print("session shown", flush=True)
        from tools.benchmarks.rss import peak_rss_kb

        print(f"peak rss kb {peak_rss_kb()}", flush=True)
        return 0
    finally:
        opened.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and drive the app once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a generated database file")
    parser.add_argument("--login", required=True, metavar="USER:PASSWORD")
    parser.add_argument("--open-session", type=int, metavar="ID",
                        help="after the board, open this session and report peak memory")
    args = parser.parse_args(argv)
    return drive(args.database, args.login, args.open_session)


if __name__ == "__main__":
    raise SystemExit(main())
