"""One simulated workstation: a nurse at a screen, saving entries on every session.

Run as its own process (``python -m tools.load.worker CONFIG.json``) with its
own engine. It says ``ready`` on stdout, waits for ``go`` on stdin, then until
the deadline repeatedly looks at a session (a short read, like the screen
showing it) and saves one thing on it through the real services: a vital sign
(most often), a score, a note, the escort's name (with the version the form
showed), or a state change. Every call is timed from opening the ORM session
to the commit returning.

Every write carries an identity the parent can find again (``w03-000123`` in a
note's text, a pause's reason, the escort's name; for readings and scores the
microseconds of ``taken_at`` encode the workstation and its counter), so the
parent can prove each acknowledged write is stored exactly once and each
failed one not at all.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, exists, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError
from ketalog.domain.session_state import SessionAction
from ketalog.services.context import Actor
from ketalog.services.database import make_sessionmaker
from ketalog.services.errors import StaleEdit
from ketalog.services.session.entries import (
    add_note,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.session.state import change_state
from ketalog.store.engine import make_engine
from ketalog.store.models import ScaleScore, TreatmentSession

#: Share of each kind of save in the main phase, then in the wrap-up (last part of the run).
MAIN_MIX = {"vitals": 55, "scale": 15, "note": 10, "escort": 8, "state": 12}
WRAP_MIX = {"vitals": 45, "scale": 12, "note": 10, "escort": 5, "state": 28}
#: How long a nurse looks at the escort form before saving it (ms): a window for conflicts.
FORM_THINK_MS = (0, 150)


@dataclass
class Config:
    """What the parent tells one workstation."""

    url: str
    index: int
    workstations: int
    session_ids: list[int]
    user_id: int
    username: str
    display_name: str
    seconds: float
    wrap_up_fraction: float
    pace_ms: tuple[float, float] | None  # None: as fast as possible
    seed: int
    result_path: str


@dataclass
class Recorder:
    """What one workstation saw: acknowledged writes, refusals, errors, latencies."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Screen:
    """The session as the workstation's screen shows it just before the nurse acts."""

    state: str
    version: int
    instructions_given: bool
    has_aldrete: bool


class Workstation:
    """One nurse's workstation and the saves it makes."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.engine = make_engine(cfg.url)
        self.factory = make_sessionmaker(self.engine)
        self.actor = Actor(username=cfg.username, display_name=cfg.display_name, role="nurse",
                           user_id=cfg.user_id, workstation=f"load-ws{cfg.index:02d}")
        self.rng = random.Random(cfg.seed)
        self.counter = 0
        self.rec = Recorder()
        self.span = 1_000_000 // max(cfg.workstations, 1)
        self.lock_wait_ms = 0.0
        self._watch_audit_lock()

    def _watch_audit_lock(self) -> None:
        """Time the wait for the audit chain's advisory lock inside each save (a diagnosis)."""
        def before(conn: Any, _cur: Any, statement: str, *_: Any) -> None:
            if "pg_advisory_xact_lock" in statement:
                conn.info["lock_t0"] = time.perf_counter()

        def after(conn: Any, *_: Any) -> None:
            t0 = conn.info.pop("lock_t0", None)
            if t0 is not None:
                self.lock_wait_ms += (time.perf_counter() - t0) * 1000.0

        event.listen(self.engine, "before_cursor_execute", before)
        event.listen(self.engine, "after_cursor_execute", after)

    # --- identities ------------------------------------------------------------

    def next_tag(self) -> str:
        """A new identity for one write: workstation and counter."""
        self.counter += 1
        return f"w{self.cfg.index:02d}-{self.counter:06d}"

    def stamped_now(self) -> datetime:
        """Now (to the second) with microseconds naming this workstation and its counter."""
        now = datetime.now(UTC).replace(microsecond=0)
        return now.replace(microsecond=(self.cfg.index - 1) * self.span + self.counter % self.span)

    # --- one timed save ---------------------------------------------------------

    def save(self, kind: str, sid: int, identity: dict[str, Any],
             call: Callable[[Session], object]) -> object:
        """Run one user action in its own ORM session, as the app does; record the outcome."""
        self.lock_wait_ms = 0.0
        started = time.perf_counter()
        outcome: str
        value: object = None
        detail = ""
        with self.factory() as db:
            try:
                value = call(db)
                outcome = "ok"
            except StaleEdit as exc:
                db.rollback()
                outcome, detail = "stale_edit", str(exc)
            except DomainError as exc:
                db.rollback()
                outcome, detail = f"refused:{type(exc).__name__}", str(exc)
            except Exception as exc:  # anything else would reach the user as a failure
                db.rollback()
                orig = exc.orig if isinstance(exc, DBAPIError) else None
                outcome = f"error:{type(orig or exc).__name__}"
                detail = str(orig or exc).splitlines()[0] if str(orig or exc) else ""
        ms = (time.perf_counter() - started) * 1000.0
        entry = {"kind": kind, "session_id": sid, "ms": round(ms, 3),
                 "lock_ms": round(self.lock_wait_ms, 3), **identity}
        if outcome == "ok":
            self.rec.acks.append({**entry, "value": _plain(value)})
        elif outcome.startswith("error:"):
            self.rec.errors.append({**entry, "type": outcome[6:], "detail": detail})
        else:
            self.rec.refusals.append({**entry, "type": outcome, "detail": detail[:200]})
        return value if outcome == "ok" else None

    def look(self, sid: int) -> Screen:
        """Read the session as the screen shows it (not timed: not a save)."""
        with self.factory() as db:
            row = db.execute(
                select(TreatmentSession.state, TreatmentSession.version,
                       TreatmentSession.instructions_given,
                       exists().where(ScaleScore.session_id == sid, ScaleScore.scale == "aldrete",
                                      ScaleScore.voided_at_utc.is_(None)))
                .where(TreatmentSession.id == sid)
            ).one()
            return Screen(row[0], row[1], row[2], row[3])

    # --- the saves -----------------------------------------------------------------

    def vitals(self, sid: int) -> None:
        """The bulk of the load: one set of vital signs."""
        r = self.rng
        tag = self.next_tag()
        taken = self.stamped_now()
        values = {"systolic_mmhg": r.randint(100, 140), "diastolic_mmhg": r.randint(60, 88),
                  "heart_rate_bpm": r.randint(58, 98), "spo2_percent": r.randint(95, 100),
                  "resp_rate_per_min": r.randint(12, 18)}
        self.save("vitals", sid, {"tag": tag, "taken_at": taken.isoformat()},
                  lambda db: record_vitals(db, self.actor, sid, values, taken_at=taken))

    def scale(self, sid: int, code: str | None = None) -> None:
        """A MOAA/S, CADSS-6 or a 0-10 rating (or the Aldrete score in recovery)."""
        r = self.rng
        code = code or r.choice(("moaas", "moaas", "cadss6", "nausea", "anxiety"))
        items: list[int] = {
            "moaas": lambda: [r.randint(3, 5)],
            "cadss6": lambda: [r.randint(0, 4) for _ in range(6)],
            "nausea": lambda: [r.randint(0, 10)],
            "anxiety": lambda: [r.randint(0, 10)],
            "aldrete": lambda: [2, 2, 2, 2, 2],
        }[code]()
        tag = self.next_tag()
        taken = self.stamped_now()
        self.save("scale", sid, {"tag": tag, "taken_at": taken.isoformat(), "scale": code},
                  lambda db: record_scale(db, self.actor, sid, code, items, taken_at=taken))

    def note(self, sid: int) -> None:
        """A nursing or observation note; its text carries the identity."""
        tag = self.next_tag()
        text = f"Resting comfortably, talking with escort [{tag}]"
        kind = self.rng.choice(("nursing", "observation"))
        self.save("note", sid, {"tag": tag, "text": text},
                  lambda db: add_note(db, self.actor, sid, kind, text))

    def escort(self, sid: int) -> None:
        """Edit the escort's name on a form loaded a moment ago (optimistic locking)."""
        shown = self.look(sid)
        self.think(*FORM_THINK_MS)
        tag = self.next_tag()
        name = f"Escort {tag}"
        self.save("escort", sid, {"tag": tag, "text": name, "expected_version": shown.version},
                  lambda db: update_discharge_details(
                      db, self.actor, sid, expected_version=shown.version, escort_name=name))

    def state(self, sid: int, wrap_up: bool) -> None:
        """Pause or resume; in the wrap-up, stop, get ready for discharge and discharge."""
        shown = self.look(sid)
        if shown.state in ("infusing", "paused") and not wrap_up:
            action = SessionAction.PAUSE if shown.state == "infusing" else SessionAction.RESUME
        elif shown.state in ("infusing", "paused"):
            action = SessionAction.STOP_INFUSION
        elif shown.state == "recovering" and not shown.instructions_given:
            tag = self.next_tag()
            self.save("instructions", sid, {"tag": tag, "expected_version": shown.version},
                      lambda db: update_discharge_details(
                          db, self.actor, sid, expected_version=shown.version,
                          instructions_given=True))
            return
        elif shown.state == "recovering" and not shown.has_aldrete:
            self.scale(sid, "aldrete")
            return
        elif shown.state == "recovering":
            action = SessionAction.DISCHARGE
        else:  # discharged: nothing left to move; chart a reading instead
            self.vitals(sid)
            return
        tag = self.next_tag()
        reason = f"load {tag}"
        self.save("state", sid, {"tag": tag, "action": action.value, "from": shown.state,
                                 "reason": reason},
                  lambda db: change_state(db, self.actor, sid, action, reason=reason))

    # --- the rhythm ----------------------------------------------------------------

    def think(self, low_ms: float, high_ms: float) -> None:
        """Wait like a person between two clicks."""
        time.sleep(self.rng.uniform(low_ms, high_ms) / 1000.0)

    def run(self) -> None:
        """Save things on random sessions until the deadline."""
        cfg = self.cfg
        started = time.monotonic()
        deadline = started + cfg.seconds
        wrap_at = started + cfg.seconds * (1.0 - cfg.wrap_up_fraction)
        while (now := time.monotonic()) < deadline:
            wrap_up = now >= wrap_at
            mix = WRAP_MIX if wrap_up else MAIN_MIX
            kind = self.rng.choices(list(mix), weights=list(mix.values()))[0]
            sid = self.rng.choice(cfg.session_ids)
            if kind == "vitals":
                self.vitals(sid)
            elif kind == "scale":
                self.scale(sid)
            elif kind == "note":
                self.note(sid)
            elif kind == "escort":
                self.escort(sid)
            else:
                self.state(sid, wrap_up)
            if cfg.pace_ms is not None:
                self.think(*cfg.pace_ms)


def _plain(value: object) -> object:
    """A service's return value as JSON (ids, versions, states)."""
    if value is None or isinstance(value, int | str | float):
        return value
    vital_id = getattr(value, "vital_id", None)
    if vital_id is not None:
        return vital_id
    return str(value)


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def _process_cpu_s(pid: int) -> float | None:
    """CPU seconds a process on this machine has used (our PostgreSQL backend, on loopback)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # another machine, or not Linux: no figure rather than a wrong one
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    """Read the config, say ready, wait for go, work, write the results."""
    raw = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    raw["pace_ms"] = tuple(raw["pace_ms"]) if raw["pace_ms"] is not None else None
    cfg = Config(**raw)
    station = Workstation(cfg)
    station.look(cfg.session_ids[0])  # connect and warm up before the clock starts
    with station.engine.connect() as conn:  # the pool keeps this one connection
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2
    began, cpu_before, server_before = time.time(), _own_cpu_s(), _process_cpu_s(backend)
    try:
        station.run()
        cpu, server_after = _own_cpu_s() - cpu_before, _process_cpu_s(backend)
    finally:
        station.engine.dispose()
    server = (server_after - server_before
              if server_before is not None and server_after is not None else None)
    result = {"index": cfg.index, "workstation": station.actor.workstation,
              "began": began, "ended": time.time(), "acks": station.rec.acks,
              "refusals": station.rec.refusals, "errors": station.rec.errors,
              "client_cpu_s": round(cpu, 2),
              "server_cpu_s": None if server is None else round(server, 2)}
    Path(cfg.result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
