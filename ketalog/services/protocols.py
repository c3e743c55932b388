"""Protocols as data: the shipped defaults seeded on first run, parsed once per version."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.protocols import Protocol, load_default_protocols
from ketalog.services.audit import append_audit
from ketalog.services.context import SYSTEM, Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.store.models import ProtocolRecord

_parsed: dict[tuple[int, int], Protocol] = {}


@dataclass(frozen=True)
class ProtocolChoice:
    """A protocol as a picker lists it."""

    id: int
    code: str
    name: str


def protocol_from_record(record: ProtocolRecord) -> Protocol:
    """Parse the stored definition, cached by (id, version) so edits are seen."""
    key = (record.id, record.version)
    protocol = _parsed.get(key)
    if protocol is None:
        protocol = Protocol.from_dict(json.loads(record.definition_json))
        _parsed[key] = protocol
    return protocol


def protocol_by_id(db: Session, protocol_id: int) -> Protocol:
    """Load and parse one protocol, or raise NotFound."""
    record = db.get(ProtocolRecord, protocol_id)
    if record is None:
        raise NotFound(f"No protocol with id {protocol_id}.")
    return protocol_from_record(record)


def protocol_id_by_code(db: Session, code: str) -> int:
    """The id of the protocol with this code, or raise NotFound."""
    found = db.scalar(select(ProtocolRecord.id).where(ProtocolRecord.code == code))
    if found is None:
        raise NotFound(f"No protocol with code '{code}'.")
    return found


def list_protocols(db: Session) -> list[ProtocolChoice]:
    """Active protocols, by name."""
    rows = db.execute(
        select(ProtocolRecord.id, ProtocolRecord.code, ProtocolRecord.name)
        .where(ProtocolRecord.is_active.is_(True))
        .order_by(ProtocolRecord.name)
    ).all()
    return [ProtocolChoice(r.id, r.code, r.name) for r in rows]


def seed_default_protocols(
    db: Session, actor: Actor = SYSTEM, *, clock: Clock = system_clock
) -> int:
    """Load the shipped protocols whose code is not in the database yet; return how many.

    An administrator's edits to an existing protocol are never overwritten.
    """
    existing = set(db.scalars(select(ProtocolRecord.code)))
    now = clock()
    added = 0
    for protocol in load_default_protocols():
        if protocol.code in existing:
            continue
        record = ProtocolRecord(
            code=protocol.code,
            name=protocol.name,
            drug=protocol.drug,
            route=str(protocol.route),
            dosing_mode=str(protocol.dosing_mode),
            definition_json=json.dumps(protocol.to_dict(), sort_keys=True),
            created_at_utc=now,
        )
        db.add(record)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="protocols", row_id=record.id,
                     new=protocol.code)
        added += 1
    db.commit()
    return added
