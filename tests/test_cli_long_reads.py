"""Reads never block writes (issue 18, item 1): ten nurses save while the auditor reads.

``ketalog audit verify`` and a full ``ketalog audit report --csv`` run as the
command line runs them (their own processes) over a trail large enough that
each takes seconds, while ten workstations (processes, each with its own engine)
save an audit-rowed action every 100-200 ms. No save may fail, and none may take
more than 200 ms (on a loaded machine, see below). Before reads ran in snapshot
transactions, every SQLite transaction began IMMEDIATE: the report held the
write lock for its whole query and the verify for each batch of 20,000 rows, so
saves waited for seconds and failed with "database is locked" (this test failed
so, on a 120,000-row trail: ten saves lost).

On a shared machine a save can take longer than 200 ms with no reader at all
(measured at a load of 9 on 2 cores: up to 2.1 s; the CPU and the disk were the
limit, not a lock), and the two readers want both cores of the test machine. So
the workstations first save for :data:`BASELINE_S` beside two busy processes,
the readers' CPU demand without their reads (the control). While the readers
run, no save may fail, and 99 % of the saves must take no longer than 200 ms or
twice the control's 99th percentile, whichever is more: a few saves delayed by
the machine do not fail the run, the seconds a write lock held by a reader costs
do (before the fix, every save made while the report read waited for it). The
ten-year run (``-m slow``, for a quiet machine such as ``make bench`` wants)
holds every save to the limit: none waits more than 200 ms.

The trail here is 60,000 rows (verify and report take several seconds each on
the shared 2-core machine, and the report longer than the busy timeout before
the fix); the ten-year clinic's 1.59 million rows run under ``-m slow``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from ketalog.services.audit import GENESIS_HASH, AuditContent, chain_hash
from ketalog.services.database import open_database
from ketalog.store.models import AuditEntry
from tests.helpers.paced_writer import PACE_S
from tests.staff import seed_staff

ROOT = Path(__file__).resolve().parent.parent
#: Rows added to the trail before the readers start.
TRAIL_ROWS = 60_000
#: The ten-year bench clinic's trail (tools/benchmarks/generate.py), for ``-m slow``.
TEN_YEAR_ROWS = 1_590_000
#: The longest a save may take while the readers run (the issue's figure), unless the
#: same workstations took longer than half that before the readers started (see _check).
LONGEST_SAVE_S = 0.200
#: The share of saves held to the limit in every run (the ten-year run: all of them).
SHARE_IN_TIME = 0.99
#: How long the workstations save beside two busy processes first (the control).
BASELINE_S = 6.0
#: Workstations saving at once (tests.helpers.paced_writer: one process each).
WRITERS = 10


def add_trail(engine: Engine, rows: int, *, start: datetime) -> None:
    """Append ``rows`` chained audit rows, one a minute from ``start``, in one transaction.

    Written directly (hash chain and all): building them through the services
    would take minutes. ``audit verify`` must find the trail intact.
    """
    with engine.begin() as conn:
        last = conn.execute(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc())
                            .limit(1)).scalar()
        prev = last or GENESIS_HASH
        batch: list[dict[str, object]] = []
        for i in range(rows):
            content = AuditContent(
                occurred_at_utc=start + timedelta(minutes=i), user_id=1, username="nora",
                workstation="chair-3", patient_id=None, action="view",
                table_name="treatment_sessions", row_id=i + 1, field=None,
                old_value=None, new_value=f"note {i} = reading")
            row_hash = chain_hash(prev, content)
            batch.append({**content.__dict__, "prev_hash": prev, "row_hash": row_hash})
            prev = row_hash
            if len(batch) == 10_000:
                conn.execute(insert(AuditEntry), batch)
                batch = []
        if batch:
            conn.execute(insert(AuditEntry), batch)


@dataclass
class Workstation:
    """One writing workstation: how long each save took, and any that failed."""

    name: str
    seconds: list[float] = field(default_factory=list)
    #: when each save began (wall clock, comparable across processes)
    started: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _environment() -> dict[str, str]:
    """This checkout's code first on the path of every process started."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}


def _ketalog(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ketalog", "--database-url", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_environment())


def _start_writers(url: str, folder: Path) -> list[subprocess.Popen[str]]:
    """Ten workstations, each a process saving at its pace; returns once all are saving."""
    writers = [subprocess.Popen([sys.executable, "-m", "tests.helpers.paced_writer", url,
                                 str(folder), f"chair-{n}", str(n)],
                                env=_environment(), cwd=ROOT, text=True)
               for n in range(1, WRITERS + 1)]
    deadline = time.monotonic() + 120
    while len(list(folder.glob("*.ready"))) < WRITERS:
        assert all(w.poll() is None for w in writers), "a workstation stopped on its own"
        assert time.monotonic() < deadline, "the workstations did not start saving"
        time.sleep(0.1)
    return writers


def _stop_writers(writers: list[subprocess.Popen[str]], folder: Path) -> list[Workstation]:
    (folder / "stop").touch()
    for writer in writers:
        writer.wait(timeout=60)
    stations = []
    for n in range(1, WRITERS + 1):
        found = json.loads((folder / f"chair-{n}.json").read_text(encoding="utf-8"))
        stations.append(Workstation(f"chair-{n}", found["seconds"], found["started"],
                                    found["failures"]))
    return stations


@dataclass(frozen=True)
class Run:
    """What the readers said, and the saves made before and while they read."""

    results: dict[str, tuple[int, str, str]]
    read_seconds: float
    #: (seconds, which) of every save begun in the control, then while the readers ran
    alone: list[tuple[float, str]]
    beside_readers: list[tuple[float, str]]
    failures: list[str]
    #: saves per workstation while the readers ran
    counts: list[int]


def _run_readers_beside_writers(url: str, tmp_path: Path) -> Run:
    """Saves beside two busy processes (the control), then beside the two readers."""
    folder = tmp_path / "workstations"
    folder.mkdir()
    writers = _start_writers(url, folder)
    results: dict[str, tuple[int, str, str]] = {}
    try:
        # the control: the readers' CPU demand (two busy processes) without their reads
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(2)]
        alone_from = time.time()
        try:
            time.sleep(BASELINE_S)
        finally:
            for process in busy:
                process.kill()
                process.wait()
        readers_from = time.time()
        readers = {
            "verify": _ketalog(url, "audit", "verify"),
            "report": _ketalog(url, "audit", "report", "--from", "2000-01-01", "--to",
                               "2099-12-31", "--csv", str(tmp_path / "trail.csv")),
        }
        for name, reader in readers.items():
            out, err = reader.communicate(timeout=1800)
            results[name] = (reader.returncode, out, err)
    finally:
        readers_to = time.time()
        stations = _stop_writers(writers, folder)
    alone = [(t, s.name) for s in stations for t, at in zip(s.seconds, s.started, strict=True)
             if alone_from <= at < readers_from]
    beside = [(t, f"{s.name} at {at - readers_from:.2f} s")
              for s in stations for t, at in zip(s.seconds, s.started, strict=True)
              if readers_from <= at < readers_to]
    counts = [sum(1 for at in s.started if readers_from <= at < readers_to) for s in stations]
    return Run(results, readers_to - readers_from, sorted(alone), sorted(beside),
               [f"{s.name}: {f}" for s in stations for f in s.failures], counts)


def _percentile(saves: list[tuple[float, str]], share: float) -> float:
    """The save time that ``share`` of ``saves`` (sorted) did not exceed."""
    return saves[min(len(saves) - 1, int(share * len(saves)))][0]


def _check(run: Run, rows: int, tmp_path: Path, *, share: float) -> None:
    """The readers' verdicts, no save lost, and ``share`` of the saves within the limit.

    The limit is 200 ms, or twice what the same share of the control's saves took
    if that is more (a loaded machine); ``share`` 1.0 is every save, the issue's
    "none waits more than 200 ms".
    """
    for name, (code, out, err) in run.results.items():
        assert code == 0, f"{name}: exit {code}\n{out}\n{err}"
    assert run.results["verify"][1].startswith("Audit trail intact: ")
    with (tmp_path / "trail.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert sum(1 for _ in csv.reader(handle)) > rows
    assert run.failures == [], run.failures[:10]
    control = _percentile(run.alone, share)
    limit = max(LONGEST_SAVE_S, 2 * control)
    measured = _percentile(run.beside_readers, share)
    slowest = [f"{name}: {t * 1000:.0f} ms" for t, name in run.beside_readers[-10:]]
    over = sum(1 for t, _name in run.beside_readers if t > limit)
    assert measured <= limit, (
        f"{share:.0%} of {len(run.beside_readers)} saves took up to {measured * 1000:.0f} ms "
        f"while the readers ran ({run.read_seconds:.1f} s), over {limit * 1000:.0f} ms "
        f"({over} saves over it); beside two busy processes: {control * 1000:.0f} ms. "
        f"Slowest: {slowest}")
    # every workstation kept saving while the readers ran (a quarter of its pace at
    # least: on a loaded machine the sleeps between saves overrun too)
    assert min(run.counts) >= run.read_seconds / PACE_S[1] / 4, run.counts


@pytest.fixture
def big_trail(database_url: str, seeded_database: None) -> str:
    """The test clinic with :data:`TRAIL_ROWS` more rows in its audit trail."""
    engine = open_database(database_url)
    seed_staff(engine)
    add_trail(engine, TRAIL_ROWS, start=datetime(2020, 1, 6, 8, 0, tzinfo=UTC))
    engine.dispose()
    return database_url


def test_ten_writers_lose_no_save_and_wait_no_longer_while_the_trail_is_read(
        big_trail: str, tmp_path: Path) -> None:
    _check(_run_readers_beside_writers(big_trail, tmp_path), TRAIL_ROWS, tmp_path,
           share=SHARE_IN_TIME)


@pytest.mark.slow
def test_on_the_ten_year_trail(sqlite_url: str, tmp_path: Path) -> None:
    """The issue's figure: 1.59 million audit rows, as the ten-year bench clinic holds."""
    engine = open_database(sqlite_url)
    seed_staff(engine)
    add_trail(engine, TEN_YEAR_ROWS, start=datetime(2016, 1, 4, 8, 0, tzinfo=UTC))
    engine.dispose()
    _check(_run_readers_beside_writers(sqlite_url, tmp_path), TEN_YEAR_ROWS, tmp_path,
           share=1.0)
