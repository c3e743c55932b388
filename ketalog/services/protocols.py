"""Protocols as data: the shipped defaults seeded on first run, edited as new versions.

A protocol is never changed in place: a course and every session dosed under
it keep the definition they were given. An administrator's edit is stored as
a new version (a new row, ``code~N``) and the old one is retired from the
pickers; a copy starts a new protocol. Each definition is checked whole by
:class:`ketalog.domain.protocols.Protocol` before it is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.protocols import Protocol, load_default_protocols
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.context import SYSTEM, Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.store.models import ProtocolRecord

#: Parsed definitions by their stored text: the same text is the same protocol, whatever
#: database it came from (a process may hold two: the clinic's and the demo's).
_parsed: dict[str, Protocol] = {}


@dataclass(frozen=True)
class ProtocolChoice:
    """A protocol as a picker lists it."""

    id: int
    code: str
    name: str


def protocol_from_record(record: ProtocolRecord) -> Protocol:
    """Parse the stored definition, cached by its text (an edit is a new text)."""
    key = record.definition_json
    protocol = _parsed.get(key)
    if protocol is None:
        protocol = Protocol.from_dict(json.loads(key))
        _parsed[key] = protocol
    return protocol


def protocol_by_id(db: Session, protocol_id: int) -> Protocol:
    """Load and parse one protocol, or raise NotFound."""
    record = db.get(ProtocolRecord, protocol_id)
    if record is None:
        raise NotFound(f"No protocol with id {protocol_id}.")
    return protocol_from_record(record)


#: Separates a protocol's code from its version in the stored (unique) code.
VERSION_MARK = "~"


def family_code(stored_code: str) -> str:
    """The protocol's own code, without the version ("iv-depression-0.5~2" -> "iv-...")."""
    return stored_code.split(VERSION_MARK, 1)[0]


def version_of(stored_code: str) -> int:
    """The version number of a stored code (1 for the first)."""
    _family, _mark, number = stored_code.partition(VERSION_MARK)
    return int(number) if number.isascii() and number.isdigit() else 1


def _versions(db: Session, code: str) -> list[ProtocolRecord]:
    family = family_code(code)
    rows = db.scalars(select(ProtocolRecord).where(
        (ProtocolRecord.code == family)
        | ProtocolRecord.code.startswith(family + VERSION_MARK, autoescape=True))).all()
    return sorted((r for r in rows if family_code(r.code) == family),
                  key=lambda r: version_of(r.code))


def protocol_id_by_code(db: Session, code: str) -> int:
    """The id of the protocol's version in use (the newest active one), or raise NotFound."""
    versions = _versions(db, code)
    if not versions:
        raise NotFound(f"No protocol with code '{code}'.")
    active = [r for r in versions if r.is_active]
    return (active or versions)[-1].id


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


@dataclass(frozen=True)
class ProtocolRow:
    """One stored protocol version, as the administrator's list shows it."""

    id: int
    code: str
    version: int
    name: str
    is_active: bool
    definition: dict[str, object]


def protocol_rows(db: Session, actor: Actor) -> list[ProtocolRow]:
    """Every protocol version, in use first, then by name and version (administrators)."""
    authorize_admin_work(db, actor, Permission.MANAGE_SETTINGS)
    rows = [ProtocolRow(r.id, family_code(r.code), version_of(r.code), r.name, r.is_active,
                        json.loads(r.definition_json))
            for r in db.scalars(select(ProtocolRecord))]
    db.rollback()
    return sorted(rows, key=lambda r: (not r.is_active, r.name.casefold(), r.version))


def _definition(text_or_dict: str | dict[str, object]) -> Protocol:
    if isinstance(text_or_dict, str):
        try:
            data = json.loads(text_or_dict, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ValidationError.single(
                "definition", f"The definition is not valid JSON: {exc.msg} at line "
                f"{exc.lineno}, column {exc.colno}.") from None
    else:
        data = text_or_dict
    return Protocol.from_dict(data)  # every problem at once, nothing stored


def save_protocol(db: Session, actor: Actor, definition: str | dict[str, object], *,
                  clock: Clock = system_clock) -> ProtocolRow:
    """Store a definition: a new version of the protocol with its code, or a new protocol.

    The version it replaces is retired from the pickers but kept, with every
    course and session that used it. Refused, with every problem, when the
    definition is not a sound protocol or equals the version in use.
    """
    authorize_admin_work(db, actor, Permission.MANAGE_SETTINGS)
    protocol = _definition(definition)
    if VERSION_MARK in protocol.code:
        raise ValidationError.single("code", f"A protocol code cannot contain "
                                             f"'{VERSION_MARK}'.")
    now = clock()
    versions = _versions(db, protocol.code)
    text = json.dumps(protocol.to_dict(), sort_keys=True)
    current = [r for r in versions if r.is_active]
    if current and current[-1].definition_json == text:
        raise ValidationError.single("definition", "Nothing changed: this is the version in "
                                                   "use already.")
    number = version_of(versions[-1].code) + 1 if versions else 1
    stored_code = protocol.code if number == 1 else f"{protocol.code}{VERSION_MARK}{number}"
    for old in current:
        old.is_active = False
        append_audit(db, actor, "update", at=now, table_name="protocols", row_id=old.id,
                     field="is_active", old=True, new=False)
    record = ProtocolRecord(code=stored_code, name=protocol.name, drug=protocol.drug,
                            route=str(protocol.route), dosing_mode=str(protocol.dosing_mode),
                            definition_json=text, created_at_utc=now)
    db.add(record)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="protocols", row_id=record.id,
                 new={"code": protocol.code, "version": number, "name": protocol.name,
                      "definition": protocol.to_dict()})
    db.commit()
    return ProtocolRow(record.id, protocol.code, number, record.name, True,
                       json.loads(text))
