"""The audit trail's chain check, report, CSV export and administrator list.

Each test runs on SQLite and on PostgreSQL (the ``db``/``engine`` fixtures):
the chain must hash identically whatever the database gives back for a time.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.services.audit import append_audit
from ketalog.services.audit_trail import (
    AuditFilters,
    AuditSort,
    AuditSortKey,
    ExportFailed,
    audit_entries,
    audit_report,
    verify_chain,
    verify_chain_for,
    write_audit_csv,
)
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.patients import record_weight, register_patient
from ketalog.store.models import AuditEntry, Setting
from tests.conftest import FakeClock
from tests.staff import ADMIN, NURSE, NURSE2, PHYSICIAN
from tests.tamper import tamper

NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2030, 11, 21, 9, 0, 0, 123456, tzinfo=UTC)  # 04:00 in New York
NOVEMBER = {"date_from": date(2030, 11, 1), "date_to": date(2030, 11, 30), "tz": NEW_YORK}


def _trail(db: Session, clock: FakeClock) -> dict[str, int]:
    """A small trail made by real services: two patients, a weight, a few edits.

    Returns the patients' ids by MRN. Times carry microseconds on purpose and
    lie in 2030, away from the rows a new database starts with (protocols,
    stamped with the wall clock).
    """
    clock.now = START
    a = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                         birth_date=date(1980, 3, 14), mrn="MRN-A", clock=clock)
    clock.advance(7)
    record_weight(db, NURSE, a.id, "80.5", clock=clock)
    clock.advance(60 * 24)  # next day
    b = register_patient(db, NURSE2, family_name="Ångström", given_name="Zoë",
                         birth_date=date(1975, 1, 2), mrn="MRN-B", clock=clock)
    clock.advance(3)
    for field, old, new in (("note", None, "=HYPERLINK(\"x\")"), ("phone", "555-0100", "")):
        append_audit(db, PHYSICIAN, "update", at=clock(), table_name="patients", row_id=b.id,
                     patient_id=b.id, field=field, old=old, new=new)
        clock.advance(1)
    db.commit()
    return {"MRN-A": a.id, "MRN-B": b.id}


def _ids(db: Session) -> list[int]:
    """Every audit row id; ends the read (SQLite's write lock) so raw SQL can follow."""
    ids = list(db.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    db.rollback()
    return ids


# --------------------------------------------------------------------------- verify


def test_intact_chain_after_service_calls(db: Session, clock: FakeClock) -> None:
    start = verify_chain(db)  # a new database holds the protocols' creation
    assert start.ok and start.rows_checked == len(_ids(db))
    _trail(db, clock)
    report = verify_chain(db)
    assert report.ok, report.message
    assert report.rows_checked == len(_ids(db)) >= 5
    assert report.first_break is None
    assert report.message == f"Audit trail intact: {report.rows_checked} rows."


@pytest.mark.parametrize("microsecond", [0, 1, 999999])
def test_stored_time_hashes_as_written(db: Session, microsecond: int) -> None:
    """The instant read back renders (isoformat, microseconds) exactly as when hashed."""
    at = datetime(2026, 3, 29, 0, 59, 59, microsecond, tzinfo=UTC)
    append_audit(db, ADMIN, "view", at=at)
    db.commit()
    stored = db.scalar(select(AuditEntry.occurred_at_utc).order_by(AuditEntry.id.desc()))
    assert stored is not None
    assert stored.isoformat(timespec="microseconds") == at.isoformat(timespec="microseconds")
    assert verify_chain(db).ok


@pytest.mark.parametrize(("column", "sql_value"), [
    ("old_value", "'555-0101'"),
    ("username", "'nora'"),
    ("workstation", "'elsewhere'"),
    ("patient_id", "NULL"),
])
def test_edited_field_names_the_row(engine: Engine, db: Session, clock: FakeClock,
                                    column: str, sql_value: str) -> None:
    _trail(db, clock)
    victim = _ids(db)[-1]  # the phone change by ada, old value 555-0100
    tamper(engine, f"UPDATE audit_log SET {column} = {sql_value} WHERE id = :id", id=victim)
    report = verify_chain(db)
    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.row_id == victim
    assert report.first_break.action == "update"
    assert report.first_break.message == (
        f"row {victim}: its content does not match its hash (edited)")
    assert report.rows_checked == len(_ids(db))


def test_time_moved_by_one_microsecond_is_found(engine: Engine, db: Session,
                                                clock: FakeClock) -> None:
    _trail(db, clock)
    victim = _ids(db)[1]
    with engine.connect() as conn:
        stored = conn.execute(select(AuditEntry.occurred_at_utc)
                              .where(AuditEntry.id == victim)).scalar_one()
    moved = stored + timedelta(microseconds=1)
    if engine.dialect.name == "sqlite":
        tamper(engine, "UPDATE audit_log SET occurred_at_utc = :t WHERE id = :id",
               t=moved.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
               id=victim)
    else:
        tamper(engine, "UPDATE audit_log SET occurred_at_utc = :t WHERE id = :id",
               t=moved, id=victim)
    db.expire_all()
    assert db.scalar(select(AuditEntry.occurred_at_utc).where(AuditEntry.id == victim)) == moved
    report = verify_chain(db)
    assert report.first_break is not None and report.first_break.row_id == victim
    assert "does not match its hash (edited)" in report.first_break.problem


def test_deleted_middle_row_is_found(engine: Engine, db: Session, clock: FakeClock) -> None:
    _trail(db, clock)
    ids = _ids(db)
    before, gone, after = ids[1], ids[2], ids[3]
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=gone)
    report = verify_chain(db)
    assert not report.ok and report.first_break is not None
    assert report.first_break.row_id == after
    assert report.first_break.message == (
        f"row {after}: it does not follow row {before} (a row before it was deleted, "
        "or rows were reordered)")
    assert report.rows_checked == 3


def test_deleted_first_row_is_found(engine: Engine, db: Session, clock: FakeClock) -> None:
    _trail(db, clock)
    ids = _ids(db)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[0])
    report = verify_chain(db)
    assert report.first_break is not None and report.first_break.row_id == ids[1]
    assert "is not the first row" in report.first_break.problem


def test_deleted_last_row_leaves_an_intact_chain(engine: Engine, db: Session,
                                                 clock: FakeClock) -> None:
    """The documented limit: the chain alone cannot see its tail cut off."""
    _trail(db, clock)
    ids = _ids(db)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[-1])
    report = verify_chain(db)
    assert report.ok and report.rows_checked == len(ids) - 1
    if engine.dialect.name == "postgresql":  # the id sequence still remembers
        assert report.note is not None and f"Ids up to {ids[-1]}" in report.note
    else:
        assert report.note is None


_CONTENT = ("occurred_at_utc", "user_id", "username", "workstation", "patient_id", "action",
            "table_name", "row_id", "field", "old_value", "new_value")


def _swap(engine: Engine, first: int, second: int, columns: tuple[str, ...]) -> None:
    """Exchange ``columns`` between two rows (row_hash is unique: park one row first)."""
    with engine.connect() as conn:
        rows = {r.id: r._mapping for r in conn.execute(
            text(f"SELECT id, {', '.join(columns)} FROM audit_log WHERE id IN (:a, :b)"),
            {"a": first, "b": second})}
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    if "row_hash" in columns:
        tamper(engine, "UPDATE audit_log SET row_hash = 'parked' WHERE id = :id", id=first)
    for target, source in ((second, first), (first, second)):
        values = {c: rows[source][c] for c in columns}
        tamper(engine, f"UPDATE audit_log SET {assignments} WHERE id = :id", id=target,
               **values)


def test_swapped_rows_with_their_hashes_are_found(engine: Engine, db: Session,
                                                  clock: FakeClock) -> None:
    _trail(db, clock)
    ids = _ids(db)
    _swap(engine, ids[1], ids[3], (*_CONTENT, "prev_hash", "row_hash"))
    report = verify_chain(db)
    assert report.first_break is not None
    assert report.first_break.row_id == ids[1]
    assert report.first_break.message.startswith(
        f"row {ids[1]}: it does not follow row {ids[0]}")


def test_swapped_contents_are_found(engine: Engine, db: Session, clock: FakeClock) -> None:
    _trail(db, clock)
    ids = _ids(db)
    _swap(engine, ids[2], ids[4], _CONTENT)
    report = verify_chain(db)
    assert report.first_break is not None and report.first_break.row_id == ids[2]
    assert "edited" in report.first_break.problem


def test_verify_walks_past_batch_boundaries(engine: Engine, db: Session, clock: FakeClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import ketalog.services.audit_trail as trail

    monkeypatch.setattr(trail, "BATCH_ROWS", 2)
    monkeypatch.setattr(trail, "FETCH_ROWS", 1)
    _trail(db, clock)
    ids = _ids(db)
    assert verify_chain(db).rows_checked == len(ids)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[3])  # across a boundary
    report = verify_chain(db)
    assert report.first_break is not None and report.first_break.row_id == ids[4]
    assert f"does not follow row {ids[2]}" in report.first_break.problem


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET old_value = 'changed' WHERE id = :id",
    "UPDATE audit_log SET row_hash = row_hash WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
])
def test_database_refuses_update_and_delete(engine: Engine, db: Session, clock: FakeClock,
                                            sql: str) -> None:
    _trail(db, clock)
    victim = _ids(db)[2]
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(sql), {"id": victim})
    assert verify_chain(db).ok
    assert victim in _ids(db)


def test_verify_for_is_for_administrators(db: Session, clock: FakeClock) -> None:
    _trail(db, clock)
    assert verify_chain_for(db, ADMIN).ok
    with pytest.raises(PermissionDenied, match="Only an administrator can view the audit"):
        verify_chain_for(db, NURSE)


# --------------------------------------------------------------------------- report


def _set_zone(db: Session, name: str) -> None:
    db.merge(Setting(key="clinic_timezone", value_json=json.dumps(name),  # over the seed's UTC
                     updated_at_utc=datetime(2026, 1, 1, tzinfo=UTC)))
    db.commit()


def test_report_days_are_clinic_local(db: Session) -> None:
    # 02:30 UTC on the 21st is 21:30 on the 20th in New York (UTC-5 in November)
    late_evening = datetime(2030, 11, 21, 2, 30, tzinfo=UTC)
    next_morning = datetime(2030, 11, 21, 14, 0, tzinfo=UTC)
    for at in (late_evening, next_morning):
        append_audit(db, NURSE, "view", at=at, table_name="treatment_sessions", row_id=1)
    db.commit()
    day20 = audit_report(db, date_from=date(2030, 11, 20), date_to=date(2030, 11, 20),
                         tz=NEW_YORK)
    day21 = audit_report(db, date_from=date(2030, 11, 21), date_to=date(2030, 11, 21),
                         tz=NEW_YORK)
    both = audit_report(db, date_from=date(2030, 11, 20), date_to=date(2030, 11, 21),
                        tz=NEW_YORK)
    assert [r.occurred_at_utc for r in day20] == [late_evening]
    assert [r.occurred_at_utc for r in day21] == [next_morning]
    assert len(both) == 2
    utc21 = audit_report(db, date_from=date(2030, 11, 21), date_to=date(2030, 11, 21),
                         tz=ZoneInfo("UTC"))
    assert len(utc21) == 2


def test_report_by_user_and_patient(db: Session, clock: FakeClock) -> None:
    ids = _trail(db, clock)
    days = NOVEMBER
    everything = audit_report(db, **days)  # type: ignore[arg-type]
    assert len(everything) == 5  # registrations, a weight, two edits
    assert {r.username for r in everything} == {"nora", "sam", "ada"}
    assert [r.id for r in everything] == sorted(r.id for r in everything)

    ada = audit_report(db, username="ada", **days)  # type: ignore[arg-type]
    assert [(r.action, r.field) for r in ada] == [("update", "note"), ("update", "phone")]
    assert {r.user_full_name for r in ada} == {"Ada Lindqvist"}
    assert ada[1].change == "555-0100 -> "

    patient_b = audit_report(db, patient_mrn="MRN-B", **days)  # type: ignore[arg-type]
    assert {r.patient_id for r in patient_b} == {ids["MRN-B"]}
    assert {r.patient_mrn for r in patient_b} == {"MRN-B"}
    assert {r.patient_name for r in patient_b} == {"Ångström, Zoë"}
    assert len(patient_b) == 3  # registered, two edits

    nora_a = audit_report(db, username="nora", patient_mrn="MRN-A", **days)  # type: ignore[arg-type]
    assert {r.table_name for r in nora_a} == {"patients", "patient_weights"}
    assert audit_report(db, username="sam", patient_mrn="MRN-A", **days) == []  # type: ignore[arg-type]


def test_report_refuses_unknown_user_patient_and_reversed_days(db: Session) -> None:
    days = NOVEMBER
    with pytest.raises(NotFound, match="no user 'bob'"):
        audit_report(db, username="bob", **days)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="No patient has the MRN 'K404'"):
        audit_report(db, patient_mrn="K404", **days)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"ends .* before it starts"):
        audit_report(db, date_from=date(2030, 11, 2), date_to=date(2030, 11, 1), tz=NEW_YORK)
    # a user with no rows in the period is not an error: the answer is "none"
    assert audit_report(db, username="sam", **days) == []  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CSV


def test_csv_written_completely(db: Session, clock: FakeClock, tmp_path: Path) -> None:
    _trail(db, clock)
    rows = audit_report(db, **NOVEMBER)  # type: ignore[arg-type]
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "audit.csv"
    write_audit_csv(rows, target, tz=NEW_YORK)
    with target.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.DictReader(f))
    assert len(records) == len(rows)
    first = records[0]
    assert first["id"] == str(rows[0].id)
    assert first["occurred_at_utc"] == "2030-11-21T09:00:00.123456+00:00"
    assert first["occurred_at_local"] == "2030-11-21T04:00:00.123456-05:00"
    assert first["patient_mrn"] == "MRN-A" and first["patient_name"] == "Ñúñez, José"
    note = next(r for r in records if r["field"] == "note")
    assert note["new_value"] == "'=HYPERLINK(\"x\")"  # not run as a formula on opening
    assert [p.name for p in folder.iterdir()] == ["audit.csv"]  # no temporary left


def test_csv_unwritable_path_leaves_nothing(db: Session, clock: FakeClock,
                                            tmp_path: Path) -> None:
    _trail(db, clock)
    rows = audit_report(db, **NOVEMBER)  # type: ignore[arg-type]
    with pytest.raises(ExportFailed, match="does not exist; nothing was written"):
        write_audit_csv(rows, tmp_path / "missing" / "audit.csv")
    with pytest.raises(ExportFailed, match="is a folder"):
        write_audit_csv(rows, tmp_path)
    # the rename fails after the temporary file was written: it must be removed
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(ExportFailed, match=r"Cannot write .*nothing was written"):
        write_audit_csv(rows, folder / ("x" * 300 + ".csv"))
    assert list(folder.iterdir()) == []


def test_csv_under_a_file_instead_of_a_folder_leaves_nothing(
    db: Session, clock: FakeClock, tmp_path: Path
) -> None:
    """A path whose "folder" is a file can't be written, even by root."""
    _trail(db, clock)
    rows = audit_report(db, **NOVEMBER)  # type: ignore[arg-type]
    out = tmp_path / "out"
    out.mkdir()
    not_a_folder = out / "notes.txt"
    not_a_folder.write_text("x")
    with pytest.raises(ExportFailed, match="nothing was written"):
        write_audit_csv(rows, not_a_folder / "audit.csv")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- the list


def test_audit_entries_for_administrators_only(db: Session, clock: FakeClock) -> None:
    _trail(db, clock)
    for actor in (NURSE, PHYSICIAN):
        with pytest.raises(PermissionDenied,
                           match="Only an administrator can view the audit trail"):
            audit_entries(db, actor, AuditFilters())
    assert len(audit_entries(db, ADMIN, AuditFilters())) == len(_ids(db))


def test_audit_entries_filter_sort_and_limit(db: Session, clock: FakeClock) -> None:
    _set_zone(db, "America/New_York")
    _trail(db, clock)
    rows = audit_entries(db, ADMIN, AuditFilters(), sort=AuditSort(AuditSortKey.TIME))
    times = [r.occurred_at_utc for r in rows]
    assert times == sorted(times, reverse=True)

    by_user = audit_entries(db, ADMIN, AuditFilters(),
                            sort=AuditSort(AuditSortKey.USER, descending=False))
    assert [r.username for r in by_user] == sorted(r.username for r in by_user)
    assert by_user[0].username == "ada"

    by_patient = audit_entries(db, ADMIN, AuditFilters(),
                               sort=AuditSort(AuditSortKey.PATIENT, descending=True))
    assert by_patient[0].patient_mrn == "MRN-B"

    # the first day (New York) holds patient A's registration and weight only
    first_day = audit_entries(db, ADMIN, AuditFilters(date_from=date(2030, 11, 21),
                                                      date_to=date(2030, 11, 21)))
    assert len(first_day) == 2
    assert {r.patient_mrn for r in first_day} == {"MRN-A"}
    updates_b = audit_entries(db, ADMIN, AuditFilters(patient_mrn="MRN-B", action="update"))
    assert {r.field for r in updates_b} == {"note", "phone"}
    assert len(audit_entries(db, ADMIN, AuditFilters(), limit=2)) == 2
    with pytest.raises(NotFound):
        audit_entries(db, ADMIN, AuditFilters(username="nobody"))
