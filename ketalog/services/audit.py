"""Writing the audit trail: one hash-chained row per event (reading it: services.audit_trail).

Each row's hash covers its content and the previous row's hash, so an edit,
deletion or reordering breaks the chain at that row. Appends are serialised:
on PostgreSQL with a transaction-scoped advisory lock, on SQLite by the write
lock every transaction takes at BEGIN IMMEDIATE (see store.engine).

Every clinical row names the audit row written with it (``audit_id``,
``audit_sha256``, schema 0013), so audit rows cut off at the end of the trail,
or deleted and the chain recomputed, leave references ``audit verify``
reports. Rows the session inserts are collected at each flush; the next audit
row of the transaction becomes theirs when it is appended (the row it names
is always among them), and any row inserted after the last one gets that last
one at commit. A transaction that writes clinical rows but no audit row leaves
them without a reference, which ``audit verify`` reports too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ketalog.services.clinic_clock import CHECK_CLOCK, check_against_trail
from ketalog.services.context import Actor
from ketalog.store.models import AuditEntry, AuditReferenced

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x6B6574616C6F67  # "ketalog"


def json_default(value: object) -> str:
    """Encode times as ISO text and decimals exactly, for audit values and hashes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_audit_text(value: object) -> str | None:
    """Render a value for the old/new columns: plain text, JSON for structures."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=json_default, ensure_ascii=False)
    return json_default(value) if isinstance(value, datetime | date | Decimal) else str(value)


@dataclass(frozen=True)
class AuditContent:
    """The hashed fields of one audit row, in a fixed canonical form."""

    occurred_at_utc: datetime
    user_id: int | None
    username: str
    workstation: str
    patient_id: int | None
    action: str
    table_name: str | None
    row_id: int | None
    field: str | None
    old_value: str | None
    new_value: str | None

    def canonical(self) -> bytes:
        """Serialise deterministically (sorted keys, ISO UTC time) for hashing."""
        data: dict[str, Any] = {
            "occurred_at_utc": self.occurred_at_utc.isoformat(timespec="microseconds"),
            "user_id": self.user_id,
            "username": self.username,
            "workstation": self.workstation,
            "patient_id": self.patient_id,
            "action": self.action,
            "table_name": self.table_name,
            "row_id": self.row_id,
            "field": self.field,
            "old_value": self.old_value,
            "new_value": self.new_value,
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, content: AuditContent) -> str:
    """The row hash: SHA-256 over the previous hash and the canonical content."""
    return hashlib.sha256(prev_hash.encode("ascii") + content.canonical()).hexdigest()


#: ``Session.info`` keys: rows inserted without a reference yet; the last audit row written.
_UNREFERENCED = "ketalog_unreferenced_rows"
_LAST_ENTRY = "ketalog_last_audit_entry"


@event.listens_for(Session, "after_flush")
def _collect_inserted(db: Session, _context: object) -> None:
    inserted = [obj for obj in db.new if isinstance(obj, AuditReferenced)
                and obj.audit_id is None]
    if inserted:
        db.info.setdefault(_UNREFERENCED, []).extend(inserted)


def _reference(db: Session, entry: AuditEntry) -> None:
    """Give every row inserted so far in this transaction without a reference ``entry``.

    Written with plain UPDATEs of the two columns: an ORM update would bump the
    row's version (a nurse's open edit would turn stale) and ``updated_at_utc``.
    The write-once tables' guards allow exactly this change (empty -> value).
    """
    rows: list[AuditReferenced] = db.info.pop(_UNREFERENCED, [])
    by_table: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        if row.audit_id is not None:
            continue
        table = row.__tablename__  # type: ignore[attr-defined]
        by_table.setdefault(table, []).append(
            {"row": row.id, "audit_id": entry.id,  # type: ignore[attr-defined]
             "sha": entry.row_hash})
        set_committed_value(row, "audit_id", entry.id)
        set_committed_value(row, "audit_sha256", entry.row_hash)
    for table, params in by_table.items():
        db.execute(text(f"UPDATE {table} SET audit_id = :audit_id, audit_sha256 = :sha "
                        "WHERE id = :row AND audit_id IS NULL"), params)


@event.listens_for(Session, "before_commit")
def _reference_late_rows(db: Session) -> None:
    last = db.info.get(_LAST_ENTRY)
    if last is None:
        return
    db.flush()
    if db.info.get(_UNREFERENCED):
        _reference(db, last)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(db: Session, *_args: object) -> None:
    db.info.pop(_UNREFERENCED, None)
    db.info.pop(_LAST_ENTRY, None)


def _last_row(db: Session) -> tuple[str, datetime | None]:
    """The last audit row's hash (the chain's genesis when empty) and when it was written."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    last = db.execute(select(AuditEntry.row_hash, AuditEntry.occurred_at_utc)
                      .order_by(AuditEntry.id.desc()).limit(1)).first()
    return (last.row_hash, last.occurred_at_utc) if last else (GENESIS_HASH, None)


def append_audit(
    db: Session,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    table_name: str | None = None,
    row_id: int | None = None,
    patient_id: int | None = None,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> AuditEntry:
    """Add one audit row to the caller's transaction (the caller commits)."""
    content = AuditContent(
        # hashed as the database will hand it back: in UTC, whatever zone the caller used
        occurred_at_utc=at.astimezone(UTC),
        user_id=actor.user_id,
        username=actor.username,
        workstation=actor.workstation,
        patient_id=patient_id,
        action=action,
        table_name=table_name,
        row_id=row_id,
        field=field,
        old_value=to_audit_text(old),
        new_value=to_audit_text(new),
    )
    prev, last_at = _last_row(db)
    if db.info.get(CHECK_CLOCK) and db.get_bind().dialect.name == "sqlite":
        # one workstation, no server to ask: a clock that went back shows against the trail
        check_against_trail(last_at, content.occurred_at_utc)
    entry = AuditEntry(
        occurred_at_utc=content.occurred_at_utc,
        user_id=content.user_id,
        username=content.username,
        workstation=content.workstation,
        patient_id=content.patient_id,
        action=content.action,
        table_name=content.table_name,
        row_id=content.row_id,
        field=content.field,
        old_value=content.old_value,
        new_value=content.new_value,
        prev_hash=prev,
        row_hash=chain_hash(prev, content),
    )
    db.add(entry)
    db.flush()
    _reference(db, entry)
    db.info[_LAST_ENTRY] = entry
    return entry


def append_field_changes(db: Session, actor: Actor, changes: Mapping[str, tuple[object, object]],
                         *, at: datetime, table_name: str, row_id: int,
                         patient_id: int | None) -> None:
    """One "update" audit row per changed field, ``changes`` mapping field to (old, new)."""
    for field, (old, new) in changes.items():
        append_audit(db, actor, "update", at=at, table_name=table_name, row_id=row_id,
                     patient_id=patient_id, field=field, old=old, new=new)
