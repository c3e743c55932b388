"""Start-up and memory figures: whole processes, from spawn to the board painted.

Each run is a fresh interpreter, as a nurse's double click is. The app starts
at its log-in page, so its start is measured in the two parts that are the
app's own cost, and the time a nurse spends typing is left out:

``start to log-in page``
    process spawned -> the log-in page painted.
``sign-in to board``
    Enter pressed in the password field -> today's board painted: the Argon2id
    password check, the audit row's commit, the board query and the paint.
    The bench presses Enter only once the app says it is ready (the workspace
    built behind the log-in page, ``MainWindow.ready``), as a nurse who types
    for a second or two would.
``start to board``
    the sum of the two, compared with the bare stack (target <= 1.2x).
``log-in page to ready``
    log-in page painted -> ready: the work done while the nurse types,
    reported so that nothing is hidden; it is not part of the sum.

The bare stack is measured in the same run: PySide6 plus the SQLAlchemy ORM
running the board query on the same file and showing the rows in a table,
and a bare PySide6 window alone.

"Painted" means painted: every script, the app included, waits until the
window system has exposed the window before its synchronous ``repaint()``
(until then ``repaint()`` paints nothing, and the stamp would come before the
first paint).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools.benchmarks.generate import BENCH_PASSWORD, BENCH_USERNAME

BARE_STACK = r"""
import sys
from datetime import UTC, datetime, timedelta
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QMainWindow, QTableWidget, QTableWidgetItem
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from ketalog.store.models import Patient, TreatmentSession
app = QApplication(sys.argv)
engine = create_engine("sqlite:///" + sys.argv[1])
start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
with Session(engine) as db:
    rows = db.execute(
        select(TreatmentSession.chair, TreatmentSession.scheduled_at_utc, TreatmentSession.state,
               Patient.family_name, Patient.given_name, Patient.mrn)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.scheduled_at_utc >= start,
               TreatmentSession.scheduled_at_utc < start + timedelta(days=1))
    ).all()
window = QMainWindow()
table = QTableWidget(len(rows), 6)
for r, row in enumerate(rows):
    for c, value in enumerate(row):
        table.setItem(r, c, QTableWidgetItem(str(value)))
window.setCentralWidget(table)
window.resize(1400, 860)
window.show()
while window.windowHandle() is None or not window.windowHandle().isExposed():
    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
window.repaint()
print("board painted", flush=True)
"""

BARE_WINDOW = r"""
import sys
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1400, 860)
window.show()
while window.windowHandle() is None or not window.windowHandle().isExposed():
    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
window.repaint()
print("board painted", flush=True)
"""


#: The checkout: the children import ``tools.benchmarks`` from it.
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def _time_to_line(args: list[str], env: dict[str, str], line: str) -> tuple[float, str]:
    """Seconds from spawn to ``line`` on stdout, and everything printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    assert proc.stdout is not None
    seen = ""
    elapsed = None
    for out in proc.stdout:
        seen += out
        if elapsed is None and out.startswith(line):
            elapsed = time.perf_counter() - started
    proc.wait(timeout=120)
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed ({proc.returncode}): {proc.stderr.read()[-800:]}")
    return elapsed, seen


def app_args(db: Path, *, open_session: int | None = None) -> list[str]:
    """The app as ``ketalog --database-url ...`` starts it, signed in as the bench nurse
    once its log-in page is painted (:mod:`tools.benchmarks.app_driver`)."""
    args = [sys.executable, "-m", "tools.benchmarks.app_driver", str(db.resolve()),
            "--login", f"{BENCH_USERNAME}:{BENCH_PASSWORD}"]
    if open_session is not None:
        args += ["--open-session", str(open_session)]
    return args


#: The app's rows of :func:`measure_startup`; ``start to board`` is the sum of the next two.
APP_ROWS = ("start to board", "start to log-in page", "sign-in to board", "log-in page to ready")


def measure_startup(db: Path, runs: int = 9) -> dict[str, list[float]]:
    """Milliseconds per run: the app's rows (:data:`APP_ROWS`), bare stack, bare window.

    The app and the two bare scripts are interleaved, so drift hits them alike.
    """
    results: dict[str, list[float]] = {name: [] for name in
                                       (*APP_ROWS, "bare stack", "bare window")}
    for _ in range(runs):
        started = time.perf_counter()
        _, out = _time_to_line(app_args(db), _env(), "board painted")
        login = _stamp_ms(out, "login painted", started)
        ready = _stamp_ms(out, "ready", started)
        sign_in = _stamp_ms(out, "board painted", started) - _stamp_ms(out, "enter pressed",
                                                                      started)
        results["start to log-in page"].append(login)
        results["sign-in to board"].append(sign_in)
        results["start to board"].append(login + sign_in)
        results["log-in page to ready"].append(ready - login)
        for name, args in (("bare stack", [sys.executable, "-c", BARE_STACK, str(db.resolve())]),
                           ("bare window", [sys.executable, "-c", BARE_WINDOW])):
            seconds, _ = _time_to_line(args, _env(), "board painted")
            results[name].append(seconds * 1000)
    return results


def _stamp_ms(out: str, line: str, started: float) -> float:
    """When the child printed ``line <perf_counter>``, in ms after ``started``.

    ``perf_counter`` is the system-wide monotonic clock on Linux, so the child's
    stamp and the parent's start time are comparable.
    """
    stamp = next(float(text.split()[-1]) for text in out.splitlines()
                 if text.startswith(line + " "))
    return (stamp - started) * 1000


def measure_memory(db: Path, session_id: int) -> float:
    """Peak RSS (MB) of the app with the database open and a session shown."""
    _, out = _time_to_line(app_args(db, open_session=session_id), _env(), "session shown")
    kb = next(int(line.split()[-1]) for line in out.splitlines() if line.startswith("peak rss"))
    return kb / 1024


def measure_bare_memory(db: Path) -> float:
    """Peak RSS (MB) of the bare stack script, for comparison."""
    code = BARE_STACK + ("\nfrom tools.benchmarks.rss import peak_rss_kb\n"
                         "print('peak rss kb', peak_rss_kb())")
    _, out = _time_to_line([sys.executable, "-c", code, str(db.resolve())], _env(), "board painted")
    kb = next(int(line.split()[-1]) for line in out.splitlines() if line.startswith("peak rss"))
    return kb / 1024


def main(argv: list[str] | None = None) -> int:
    """Print the start-up figures for one generated database (no files written)."""
    parser = argparse.ArgumentParser(
        description="Start-up figures of the app against the bare stack, on a generated "
        "database (python -m tools.benchmarks.generate or make bench makes one).")
    parser.add_argument("database", type=Path, help="a generated database file")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--memory-session", type=int, metavar="ID",
                        help="also report peak RSS with this session shown")
    args = parser.parse_args(argv)
    timings = measure_startup(args.database, runs=args.runs)
    for key, values in timings.items():
        print(f"{key}: median {statistics.median(values):.0f} ms {[round(v) for v in values]}")
    ratio = statistics.median(timings["start to board"]) / statistics.median(
        timings["bare stack"])
    print(f"start to board / bare stack: {ratio:.2f}x (target <= 1.2x)")
    if args.memory_session is not None:
        print(f"peak RSS, session shown: {measure_memory(args.database, args.memory_session):.1f}"
              f" MB (bare stack {measure_bare_memory(args.database):.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
