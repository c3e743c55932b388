"""Protocols edited as new versions: a dosed session keeps the definition it was given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.errors import PermissionDenied
from ketalog.services.protocols import (
    list_protocols,
    protocol_by_id,
    protocol_id_by_code,
    protocol_rows,
    save_protocol,
)
from ketalog.services.session.common import protocol_for_session
from ketalog.services.session.state import change_state
from ketalog.store.models import AuditEntry, ProtocolRecord
from tests.conftest import FakeClock
from tests.play import book, start_infusion
from tests.staff import ADMIN, NURSE, seed_staff

CODE = "iv-depression-0.5"


def _definition(db: Session) -> dict[str, object]:
    return protocol_by_id(db, protocol_id_by_code(db, CODE)).to_dict()


def _counts(db: Session) -> tuple[int, int]:
    return (db.scalar(select(func.count()).select_from(ProtocolRecord)) or 0,
            db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_an_edit_is_a_new_version_and_the_dosed_session_keeps_the_old(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    first_id = protocol_id_by_code(db, CODE)
    changed = dict(_definition(db), default_duration_min=45,
                   name="IV ketamine for depression, 0.5 mg/kg over 45 min")
    row = save_protocol(db, ADMIN, changed, clock=clock)
    assert (row.code, row.version, row.is_active) == (CODE, 2, True)
    assert protocol_id_by_code(db, CODE) == row.id != first_id
    assert protocol_for_session(db, sid).default_duration_min == 40  # as it was dosed
    assert protocol_by_id(db, row.id).default_duration_min == 45
    offered = [p.id for p in list_protocols(db) if p.code.startswith(CODE)]
    assert offered == [row.id]  # the old version is retired from the pickers
    versions = [(r.version, r.is_active) for r in protocol_rows(db, ADMIN) if r.code == CODE]
    assert sorted(versions) == [(1, False), (2, True)]


def test_an_unsound_definition_is_refused_whole_and_nothing_is_stored(
        db: Session, clock: FakeClock) -> None:
    before = _counts(db)
    limits = {"warn_min": "0.1", "warn_max": "1.0", "hard_max": "0.4"}  # below the dose
    with pytest.raises(ValidationError) as refused:
        save_protocol(db, ADMIN, dict(_definition(db), limits=limits), clock=clock)
    assert refused.value.problems
    with pytest.raises(ValidationError, match=r"not valid JSON: .* line 1"):
        save_protocol(db, ADMIN, '{"code": "x",', clock=clock)
    with pytest.raises(ValidationError, match="Nothing changed"):
        save_protocol(db, ADMIN, json.dumps(_definition(db)), clock=clock)
    db.rollback()
    assert _counts(db) == before


def test_a_copy_with_a_new_code_is_a_new_protocol(db: Session, clock: FakeClock) -> None:
    copy = dict(_definition(db), code="iv-depression-0.75",
                name="IV ketamine for depression, 0.75 mg/kg over 40 min", default_dose="0.75")
    row = save_protocol(db, ADMIN, copy, clock=clock)
    assert (row.code, row.version) == ("iv-depression-0.75", 1)
    assert {p.code for p in list_protocols(db)} >= {CODE, "iv-depression-0.75"}


def test_only_administrators_edit_protocols(db: Session, clock: FakeClock) -> None:
    with pytest.raises(PermissionDenied):
        save_protocol(db, NURSE, _definition(db), clock=clock)



def test_two_databases_in_one_process_each_get_their_own_definition(
        db: Session, clock: FakeClock, tmp_path: Path) -> None:
    """Parsed protocols were cached by (id, version): a second database (the demo opened
    beside the clinic's) was given the first one's definition of the same id."""
    from ketalog.services.database import make_sessionmaker, open_database

    here = save_protocol(db, ADMIN, dict(_definition(db), default_duration_min=45), clock=clock)
    assert protocol_by_id(db, here.id).default_duration_min == 45
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        seed_staff(other)
        with make_sessionmaker(other)() as second:
            there = save_protocol(second, ADMIN, dict(_definition(second),
                                                      default_duration_min=50), clock=clock)
            assert there.id == here.id  # the same id, another definition
            assert protocol_by_id(second, there.id).default_duration_min == 50
    finally:
        other.dispose()
