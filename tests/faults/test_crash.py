"""Crash and power loss: kill -9 the real app at random moments while a nurse types.

A scripted nurse (tests/faults/nurse_script.py) runs the real main window in a
child process and types readings and notes into the session page; after each
one the screen showed as saved it prints a line. The child is killed with
SIGKILL at a seeded random moment (some runs before their first entry, most
0.5-4 s after it), then the app's own ``open_database`` reopens the file, as
the next start would, and the file must pass ``PRAGMA integrity_check``, hold
every entry shown as saved exactly once, hold no incomplete entry (each row
whole, with its audit row) and keep an intact audit chain. All runs use the
same file, so later runs start from what earlier kills left (a hot WAL among
them): every other run is checked on a copy, leaving the original for the next
child to recover as the app itself does at start.

Power loss: kill -9 loses no data the kernel already accepted, and a power cut
cannot be simulated in-process; what protects against it is ``synchronous=FULL``
in WAL mode (every commit fsynced before the screen says saved), asserted here
on the app's own connections.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ketalog.domain.session_state import SessionAction
from ketalog.services.audit_trail import verify_chain
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.state import change_state
from ketalog.store.models import AuditEntry, Note, VitalSign
from tests.conftest import FakeClock
from tests.faults.nurse_script import PER_RUN, is_note, note_text, vital_values
from tests.play import book
from tests.staff import NURSE, seed_staff

REPO = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("KETALOG_CRASH_SEED", "20261121"))
#: Seconds the child may take to start and show its first entry as saved.
START_TIMEOUT_S = 60.0
VITAL_KEYS = ("sys", "dia", "hr", "spo2", "rr")


@dataclass
class Ledger:
    """What the screens said was saved, over every run, and what may be in flight."""

    vitals: dict[tuple[int, ...], int] = field(default_factory=dict)  # values -> number
    notes: dict[str, int] = field(default_factory=dict)               # text -> number
    in_flight: set[int] = field(default_factory=set)  # typed, maybe committed, not shown
    early_kills: int = 0
    found_in_flight: int = 0


def vital_key(number: int) -> tuple[int, ...]:
    values = vital_values(number)
    return tuple(values[k] for k in VITAL_KEYS)


def prepare(path: Path) -> int:
    """A fresh database: staff, José Ñúñez booked and checked in now; the session id."""
    engine = open_database(f"sqlite:///{path}")
    try:
        seed_staff(engine)
        clock = FakeClock(datetime.now(UTC))
        with make_sessionmaker(engine)() as db:
            sid = book(db, clock)
            change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        return sid
    finally:
        engine.dispose()


class Child:
    """The nurse script in its own process, its stdout read as it comes."""

    def __init__(self, url: str, session_id: int, first: int, stderr_path: Path) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
        self.stderr = stderr_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.nurse_script", url, str(session_id),
             str(first)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=self.stderr)
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append((time.monotonic(), raw.decode("utf-8").rstrip("\n")))

    def first_saved_at(self, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if line.startswith("SAVED"):
                    return at
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise AssertionError(f"the nurse saved nothing: {self.problem()}")

    def kill(self) -> None:
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        assert self.proc.stdout is not None
        self._reader.join(timeout=10)
        self.proc.stdout.close()
        self.stderr.close()
        assert alive, f"the nurse stopped before being killed: {self.problem()}"

    def problem(self) -> str:
        self.stderr.flush()
        text = Path(self.stderr.name).read_text(errors="replace")[-3000:]
        return f"exit code {self.proc.poll()}; stdout {self.lines[-5:]}; stderr:\n{text}"


def read_saved(child: Child, ledger: Ledger, first: int) -> None:
    """Add the run's SAVED lines to the ledger; the entry after the last may be in flight."""
    last = first - 1
    for _at, line in child.lines:
        if line.startswith("PRAGMAS"):
            assert line == "PRAGMAS journal_mode=wal synchronous=2", line
        if not line.startswith("SAVED"):
            continue
        kind, number_part, *rest = line.split(" ", 3)[1:]
        number = int(number_part.removeprefix("n="))
        assert number == last + 1, f"entries out of order: {line}"
        last = number
        if kind == "vital":
            values = dict(part.split("=") for part in rest[0].split())
            key = tuple(int(values[k]) for k in VITAL_KEYS)
            assert key == vital_key(number)
            ledger.vitals[key] = number
        else:
            assert rest[0] == f"text={note_text(number)}"
            ledger.notes[note_text(number)] = number
    if last + 1 < first + PER_RUN:
        ledger.in_flight.add(last + 1)
    if last < first:
        ledger.early_kills += 1


def copy_database(path: Path, into: Path) -> Path:
    """The files as the kill left them (database and WAL), in another folder."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir()
    for suffix in ("", "-wal"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            shutil.copyfile(source, into / f"{path.name}{suffix}")
    return into / path.name


def check_after_restart(path: Path, session_id: int, ledger: Ledger) -> None:
    """Reopen as the next start does; everything shown as saved is there, once, and whole."""
    engine = open_database(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        with make_sessionmaker(engine)() as db:
            vitals = [tuple(row) for row in db.execute(select(
                VitalSign.id, VitalSign.systolic_mmhg, VitalSign.diastolic_mmhg,
                VitalSign.heart_rate_bpm, VitalSign.spo2_percent, VitalSign.resp_rate_per_min,
                VitalSign.recorded_by_id, VitalSign.alert_codes,
            ).where(VitalSign.session_id == session_id))]
            notes = [tuple(row) for row in db.execute(select(
                Note.id, Note.text, Note.author_id, Note.kind).where(
                Note.session_id == session_id))]
            audited = Counter((table, row_id) for table, row_id in db.execute(
                select(AuditEntry.table_name, AuditEntry.row_id).where(
                    AuditEntry.action == "create",
                    AuditEntry.table_name.in_(["vital_signs", "notes"]))))
            report = verify_chain(db)
        assert report.ok, report.message

        stored = Counter(tuple(v[1:6]) for v in vitals)
        missing = [key for key in ledger.vitals if stored[key] != 1]
        assert not missing, f"shown as saved but stored {[stored[k] for k in missing]} times: " \
                            f"{missing[:5]}"
        stored_notes = Counter(n[1] for n in notes)
        assert all(stored_notes[text] == 1 for text in ledger.notes), "a saved note is missing"
        in_flight_vitals = {vital_key(n): n for n in ledger.in_flight if not is_note(n)}
        in_flight_notes = {note_text(n): n for n in ledger.in_flight if is_note(n)}
        extra = [k for k in stored if k not in ledger.vitals]
        extra_notes = [t for t in stored_notes if t not in ledger.notes]
        # committed in the instant before the kill, before the screen could say so
        assert all(k in in_flight_vitals and stored[k] == 1 for k in extra), extra
        assert all(t in in_flight_notes and stored_notes[t] == 1 for t in extra_notes)
        ledger.found_in_flight = len(extra) + len(extra_notes)
        for vital_id, *typed, recorded_by, alerts in vitals:
            # whole rows only: every typed field, the nurse, the audit row
            assert None not in typed, vital_id
            assert recorded_by == NURSE.user_id and alerts == ""
            assert audited[("vital_signs", vital_id)] == 1, f"reading {vital_id} has no audit row"
        for note_id, _text, author, kind in notes:
            assert author == NURSE.user_id and kind == "nursing"
            assert audited[("notes", note_id)] == 1, f"note {note_id} has no audit row"
    finally:
        engine.dispose()


def crash_runs(tmp_path: Path, iterations: int, *, latest_kill_s: float) -> Ledger:
    """``iterations`` kills on one file; every check after each."""
    rng = random.Random(SEED)
    path = tmp_path / "crash.sqlite3"
    session_id = prepare(path)
    url = f"sqlite:///{path}"
    ledger = Ledger()
    for run in range(iterations):
        first = run * PER_RUN
        early = run % 5 == 1  # one run in five is killed while the app is starting
        delay_s = rng.uniform(0.05, 1.5) if early else rng.uniform(0.5, latest_kill_s)
        child = Child(url, session_id, first, tmp_path / f"nurse-{run}.stderr")
        try:
            if early:
                time.sleep(delay_s)
            else:
                saved_at = child.first_saved_at(START_TIMEOUT_S)
                time.sleep(max(0.0, saved_at + delay_s - time.monotonic()))
        finally:
            child.kill()
        read_saved(child, ledger, first)
        where = f"run {run} (seed {SEED}, killed after {delay_s:.2f} s)"
        last = run == iterations - 1
        target = path if last or run % 2 == 0 else copy_database(path, tmp_path / "copy")
        try:
            check_after_restart(target, session_id, ledger)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from exc
    return ledger


def test_kill_minus_9_loses_nothing_shown_as_saved(tmp_path: Path) -> None:
    ledger = crash_runs(tmp_path, 5, latest_kill_s=2.0)
    assert ledger.early_kills >= 1
    assert len(ledger.vitals) >= 4 and ledger.notes, "the nurse typed too little to judge"


@pytest.mark.slow
def test_kill_minus_9_two_hundred_times(tmp_path: Path) -> None:
    ledger = crash_runs(tmp_path, 200, latest_kill_s=4.0)
    assert ledger.early_kills >= 20
    print(f"\n200 kills: {len(ledger.vitals)} readings and {len(ledger.notes)} notes shown as "
          f"saved, {ledger.early_kills} kills before the first entry, "
          f"{ledger.found_in_flight} in-flight entries found committed")
