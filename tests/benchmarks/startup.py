"""Start-up and memory figures: whole processes, timed from spawn to the board painted.

Each run is a fresh interpreter, as a nurse's double click is. The app is
compared with the bare stack measured in the same run: PySide6 plus the
SQLAlchemy ORM running the board query on the same file and showing the rows
in a table, and a bare PySide6 window alone.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.generate import BENCH_PASSWORD, BENCH_USERNAME

BARE_STACK = r"""
import sys
from datetime import UTC, datetime, timedelta
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
window.repaint()
print("board painted", flush=True)
"""

BARE_WINDOW = r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1400, 860)
window.show()
window.repaint()
print("board painted", flush=True)
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def _app_env(**extra: str) -> dict[str, str]:
    """The app signs in as the bench nurse once its log-in page is painted."""
    return _env(KETALOG_BENCH_EXIT_AFTER_BOARD="1",
                KETALOG_BENCH_LOGIN=f"{BENCH_USERNAME}:{BENCH_PASSWORD}", **extra)


def _time_to_line(args: list[str], env: dict[str, str], line: str) -> tuple[float, str]:
    """Seconds from spawn to ``line`` on stdout, and everything printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
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


def app_args(db: Path) -> list[str]:
    """The app as ``ketalog --database-url ...`` starts it."""
    return [sys.executable, "-c", "import sys; from ketalog.cli import main; "
            "sys.exit(main(['--database-url', 'sqlite:///' + sys.argv[1]]))", str(db)]


def measure_startup(db: Path, runs: int = 9) -> dict[str, list[float]]:
    """Milliseconds to the board painted: app, bare stack, bare window (interleaved).

    The app's time runs through its log-in page: painted, then signed in with
    the real password check (``app log-in page`` is the time to that page).
    """
    results: dict[str, list[float]] = {"app": [], "app log-in page": [], "bare stack": [],
                                       "bare window": []}
    for _ in range(runs):
        started = time.perf_counter()
        seconds, out = _time_to_line(app_args(db), _app_env(), "board painted")
        results["app"].append(seconds * 1000)
        results["app log-in page"].append(_stamp_ms(out, "login painted", started))
        for name, args in (("bare stack", [sys.executable, "-c", BARE_STACK, str(db)]),
                           ("bare window", [sys.executable, "-c", BARE_WINDOW])):
            seconds, _ = _time_to_line(args, _env(), "board painted")
            results[name].append(seconds * 1000)
    return results


def _stamp_ms(out: str, line: str, started: float) -> float:
    """When the child printed ``line <perf_counter>``, in ms after ``started``.

    ``perf_counter`` is the system-wide monotonic clock on Linux, so the child's
    stamp and the parent's start time are comparable.
    """
    stamp = next(float(text.split()[-1]) for text in out.splitlines() if text.startswith(line))
    return (stamp - started) * 1000


def measure_memory(db: Path, session_id: int) -> float:
    """Peak RSS (MB) of the app with the database open and a session shown."""
    env = _app_env(KETALOG_BENCH_OPEN_SESSION=str(session_id))
    _, out = _time_to_line(app_args(db), env, "session shown")
    kb = next(int(line.split()[-1]) for line in out.splitlines() if line.startswith("peak rss"))
    return kb / 1024


def measure_bare_memory(db: Path) -> float:
    """Peak RSS (MB) of the bare stack script, for comparison."""
    code = BARE_STACK + ("\nfrom ketalog.app import peak_rss_kb\n"
                         "print('peak rss kb', peak_rss_kb())")
    _, out = _time_to_line([sys.executable, "-c", code, str(db)], _env(), "board painted")
    kb = next(int(line.split()[-1]) for line in out.splitlines() if line.startswith("peak rss"))
    return kb / 1024


if __name__ == "__main__":
    path = Path(sys.argv[1])
    timings = measure_startup(path, runs=5)
    for key, values in timings.items():
        print(f"{key}: median {statistics.median(values):.0f} ms {[round(v) for v in values]}")
