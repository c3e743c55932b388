"""After the load: is every acknowledged write stored exactly once, and nothing else?

The workstations report what they saved and what failed; this module reads
the database back and compares. A lost write, a duplicate, a row nobody was
told was saved, a failed save that was stored anyway, an audit row missing,
or two workstations both making the same state move (a lost update) each
count as a failure.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.services.audit_trail import verify_chain
from ketalog.store.models import AuditEntry, InfusionEvent, Note, ScaleScore, VitalSign

#: The tables whose new rows the workstations write, with the row id column.
APPEND_TABLES = {"vitals": VitalSign, "scale": ScaleScore, "note": Note}


@dataclass(frozen=True)
class Baseline:
    """The highest ids before the load started: rows above them are the load's."""

    vitals: int
    scale: int
    note: int
    audit: int
    infusion: int


def baseline(db: Session) -> Baseline:
    """Read the highest ids now."""
    def top(column: Any) -> int:
        return int(db.scalar(select(func.coalesce(func.max(column), 0))) or 0)
    return Baseline(top(VitalSign.id), top(ScaleScore.id), top(Note.id), top(AuditEntry.id),
                    top(InfusionEvent.id))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(values: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p95, p99 and max of some latencies (ms)."""
    return {"n": len(values), "p50": round(percentile(values, 50), 2),
            "p95": round(percentile(values, 95), 2), "p99": round(percentile(values, 99), 2),
            "max": round(max(values), 2) if values else 0.0}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def check_rows(  # noqa: C901 - one check per table, each reported
        db: Session, base: Baseline, acks: list[dict[str, Any]],
        errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare the workstations' acknowledged and failed writes with the stored rows."""
    problems: dict[str, list[str]] = defaultdict(list)
    audit = db.execute(
        select(AuditEntry.id, AuditEntry.workstation, AuditEntry.table_name, AuditEntry.row_id,
               AuditEntry.action, AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value)
        .where(AuditEntry.id > base.audit).order_by(AuditEntry.id)
    ).all()
    creates = Counter((a.table_name, a.row_id) for a in audit if a.action == "create")

    # appends: readings, scores, notes, by id and by identity
    rows: dict[str, dict[int, Any]] = {}
    identity_count: dict[str, Counter[tuple[Any, ...]]] = {}
    for kind, model in APPEND_TABLES.items():
        floor = getattr(base, kind)
        if kind == "note":
            found = db.execute(select(Note.id, Note.session_id, Note.text)
                               .where(Note.id > floor)).all()
            rows[kind] = {r.id: (r.session_id, r.text) for r in found}
        else:
            found = db.execute(select(model.id, model.session_id, model.taken_at_utc)
                               .where(model.id > floor)).all()
            rows[kind] = {r.id: (r.session_id, r.taken_at_utc) for r in found}
        identity_count[kind] = Counter(rows[kind].values())

    def identity(ack: dict[str, Any]) -> tuple[Any, ...]:
        if ack["kind"] == "note":
            return (ack["session_id"], ack["text"])
        return (ack["session_id"], _when(ack["taken_at"]))

    acked_ids: dict[str, Counter[int]] = {k: Counter() for k in APPEND_TABLES}
    for ack in acks:
        kind = ack["kind"]
        if kind not in APPEND_TABLES:
            continue
        row_id = int(ack["value"])
        acked_ids[kind][row_id] += 1
        stored = rows[kind].get(row_id)
        if stored is None:
            problems["lost"].append(f"{kind} {ack['tag']} (id {row_id}) not stored")
        elif stored != identity(ack):
            problems["lost"].append(f"{kind} {ack['tag']}: id {row_id} holds another entry")
        if identity_count[kind][identity(ack)] > 1:
            problems["duplicated"].append(
                f"{kind} {ack['tag']} stored {identity_count[kind][identity(ack)]} times")
        table = APPEND_TABLES[kind].__tablename__
        if creates[(table, row_id)] != 1:
            problems["audit_rows_missing"].append(
                f"{kind} {ack['tag']}: {creates[(table, row_id)]} audit rows")
    for kind, counts in acked_ids.items():
        problems["duplicated"] += [f"{kind} id {i} acknowledged {n} times"
                                   for i, n in counts.items() if n > 1]
        problems["unacknowledged_rows"] += [f"{kind} id {i} stored, never acknowledged"
                                            for i in rows[kind] if i not in counts]

    # edits of the session row: escort's name and instructions (optimistic locking)
    field_news = Counter((a.row_id, a.field, a.new_value) for a in audit
                         if a.table_name == "treatment_sessions")
    versions = Counter((a["session_id"], a["value"]) for a in acks
                       if a["kind"] in ("escort", "instructions"))
    problems["session_version_reused"] += [
        f"session {sid} version {v} returned to {n} saves (one overwrote another)"
        for (sid, v), n in versions.items() if n > 1]
    for ack in acks:
        if ack["kind"] == "escort":
            n = field_news[(ack["session_id"], "escort_name", ack["text"])]
            if n != 1:
                problems["lost" if n == 0 else "duplicated"].append(
                    f"escort {ack['tag']}: {n} audit rows")

    # state changes: one audit row (and infusion event) each, and an unbroken chain of moves
    events = Counter(r.reason for r in db.execute(
        select(InfusionEvent.reason).where(InfusionEvent.id > base.infusion)).all())
    state_rows = [a for a in audit if a.table_name == "treatment_sessions" and a.field == "state"]
    state_news = Counter(a.new_value for a in state_rows)
    for ack in acks:
        if ack["kind"] != "state":
            continue
        n = sum(c for v, c in state_news.items() if v and v.endswith(f"({ack['reason']})"))
        if n != 1:
            problems["lost" if n == 0 else "duplicated"].append(
                f"state {ack['tag']} ({ack['action']}): {n} audit rows")
        if ack["action"] in ("pause", "resume", "stop_infusion") and events[ack["reason"]] != 1:
            problems["lost" if events[ack["reason"]] == 0 else "duplicated"].append(
                f"state {ack['tag']}: {events[ack['reason']]} infusion events")
    last_state: dict[int, str] = {}
    for a in state_rows:
        before = last_state.get(a.row_id or 0)
        if before is not None and a.old_value != before:
            problems["state_chain_breaks"].append(
                f"session {a.row_id}: audit row {a.id} moves from {a.old_value}, "
                f"but the state was {before}")
        last_state[a.row_id or 0] = (a.new_value or "").split(" (", 1)[0]

    # every acknowledged save wrote exactly one audit row, at its own workstation
    per_station = Counter(a.workstation for a in audit)
    acked_station = Counter(_station(a["tag"]) for a in acks)
    for station in set(per_station) | set(acked_station):
        if per_station[station] != acked_station[station]:
            problems["audit_rows_mismatch"].append(
                f"{station}: {acked_station[station]} saves acknowledged, "
                f"{per_station[station]} audit rows")

    # a save that failed must have left nothing behind
    for err in errors:
        kind, present = err["kind"], False
        if kind in APPEND_TABLES:
            present = identity_count[kind][identity(err)] > 0
        elif kind == "escort":
            present = field_news[(err["session_id"], "escort_name", err["text"])] > 0
        elif kind == "state":
            present = any(v and v.endswith(f"({err['reason']})") for v in state_news)
        if present:
            problems["failed_but_present"].append(f"{kind} {err['tag']} failed but was stored")
    keys = ("lost", "duplicated", "unacknowledged_rows", "failed_but_present",
            "audit_rows_missing", "audit_rows_mismatch", "state_chain_breaks",
            "session_version_reused")
    return {"counts": {k: len(problems[k]) for k in keys},
            "examples": {k: problems[k][:5] for k in keys if problems[k]},
            "rows_written": {k: len(v) for k, v in rows.items()},
            "audit_rows_written": len(audit)}


def _station(tag: str) -> str:
    return f"load-ws{tag[1:3]}"


def check_chain(db: Session) -> dict[str, Any]:
    """``ketalog audit verify`` on the whole trail."""
    report = verify_chain(db)
    return {"ok": report.ok, "rows_checked": report.rows_checked, "message": report.message,
            "note": report.note}


def flatten(results: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """All workstations' entries of one list (acks, refusals or errors)."""
    return [entry for r in results for entry in r[key]]
