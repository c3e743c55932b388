"""Schema 0019: counts, inventories, destruction witnesses and losses; insert-only records."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ketalog.domain.stock_counts import BusinessTime, CountOccasion, LossKind
from ketalog.services.audit_references import check_references
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.guards import check_guards, expected_guards
from ketalog.store.models import (
    Base,
    StockCount,
    StockCountLine,
    StockDiscrepancy,
    StockDiscrepancyResolution,
    StockEntryWitness,
    StockInventoryLine,
    StockLoss,
)
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, NURSE2, PHYSICIAN, seed_staff
from tests.store.stock_books import (
    RECORD_TABLES,
    Books,
    Records,
    write_books,
    write_records,
)
from tests.store.test_migration_0018 import _migrate

FIXTURES = Path(__file__).parent / "fixtures"
AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & set(RECORD_TABLES)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in RECORD_TABLES}


def _assert_records(db: Session, records: Records) -> None:
    count = db.get(StockCount, records.count)
    assert count is not None
    assert (count.occasion, count.counted_by_id, count.second_counter_id) == (
        CountOccasion.DAY_END, NURSE.user_id, NURSE2.user_id)
    line = db.get(StockDiscrepancy, records.discrepancy)
    assert line is not None and (line.expected_ml, line.found_ml) == (Decimal("6.5"),
                                                                     Decimal("6"))
    resolution = db.get(StockDiscrepancyResolution, records.resolution)
    assert resolution is not None and resolution.lost_entry_id == records.lost
    loss = db.get(StockLoss, records.loss)
    assert loss is not None and (loss.kind, loss.police_notified) == (LossKind.LOSS, False)
    sealed = db.get(StockInventoryLine, records.inventory_lines[1])
    assert sealed is not None and (sealed.sealed, sealed.count_of_sealed) == (True, 1)
    witnesses = [db.get(StockEntryWitness, w) for w in records.witnesses]
    assert [(w.position, w.witness_id) for w in witnesses if w] == [
        (1, NURSE2.user_id), (2, PHYSICIAN.user_id)]
    assert check_references(db).ok


def test_upgrade_from_0018_keeps_the_books_and_adds_empty_guarded_records(
        tmp_path: Path) -> None:
    copy = tmp_path / "schema_0018.sqlite3"
    shutil.copy(FIXTURES / "schema_0018.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")  # upgrades, guards checked at start-up
    try:
        assert _counts(engine) == dict.fromkeys(RECORD_TABLES, 0)
        with engine.connect() as conn:
            assert check_guards(conn) == []
            kinds = conn.execute(text("SELECT kind FROM stock_entries ORDER BY id")).scalars()
            assert list(kinds) == ["received", "received", "drawn", "administered", "returned",
                                   "lost", "reversal", "transferred_out", "transferred_in"]
        with make_sessionmaker(engine)() as db:
            books = Books(main=1, satellite=2, product=1, receipt=1, vials=(1, 2), recall=1,
                          draw=3, lost=6, reversal=7, transfer_out=8, transfer_in=9)
            _assert_records(db, write_records(db, AT, books))
    finally:
        engine.dispose()


def test_the_0019_fixture_holds_the_records(tmp_path: Path) -> None:
    stored = create_engine(f"sqlite:///{FIXTURES / 'schema_0019.sqlite3'}")  # read as stored
    try:
        with stored.connect() as conn:
            assert conn.execute(text("SELECT occasion FROM stock_counts")).scalar_one() == (
                "day_end")
            assert conn.execute(text("SELECT business_time FROM stock_inventories")
                                ).scalar_one() == "opening"
    finally:
        stored.dispose()
    copy = tmp_path / "schema_0019.sqlite3"
    shutil.copy(FIXTURES / "schema_0019.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            _assert_records(db, Records(inventory=1, inventory_lines=(1, 2), count=1,
                                        count_line=1, discrepancy=1, loss=1, loss_line=1,
                                        lost=10, resolution=1, destroyed=11,
                                        witnesses=(1, 2)))
    finally:
        engine.dispose()


def test_downgrade_to_0018_and_back_on_both_databases(database_url: str) -> None:
    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(AT)
    try:
        with make_sessionmaker(engine)() as db:
            sid = book(db, clock)
            write_records(db, AT, write_books(db, AT, sid))
        _migrate(engine, "0018", down=True)
        assert _tables(engine) == set()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0018"
            assert conn.execute(text("SELECT count(*) FROM stock_entries")).scalar() == 11
            missing = {p.table for p in check_guards(conn)}
            assert missing and missing <= set(RECORD_TABLES), missing
        _migrate(engine, "head", down=False)
        assert _counts(engine) == dict.fromkeys(RECORD_TABLES, 0)
        with engine.connect() as conn:
            assert check_guards(conn) == []
        with make_sessionmaker(engine)() as db:
            books = Books(main=1, satellite=2, product=1, receipt=1, vials=(1, 2), recall=1,
                          draw=3, lost=6, reversal=7, transfer_out=8, transfer_in=9)
            records = write_records(db, AT, books)
            _assert_records(db, records)
        _assert_refused(engine, records)
    finally:
        engine.dispose()


# --- the guards --------------------------------------------------------------------------


def _assert_refused(engine: Engine, r: Records) -> None:
    """Every UPDATE and DELETE of the records is refused by the database itself."""
    for statement in (
        f"UPDATE stock_counts SET note = 'all fine' WHERE id = {r.count}",
        f"DELETE FROM stock_counts WHERE id = {r.count}",
        f"UPDATE stock_count_lines SET found_ml = 6.5 WHERE id = {r.count_line}",
        f"DELETE FROM stock_count_lines WHERE id = {r.count_line}",
        f"UPDATE stock_discrepancies SET found_ml = 6.5 WHERE id = {r.discrepancy}",
        f"DELETE FROM stock_discrepancies WHERE id = {r.discrepancy}",
        f"UPDATE stock_discrepancy_resolutions SET explanation = 'x' WHERE id = {r.resolution}",
        f"DELETE FROM stock_discrepancy_resolutions WHERE id = {r.resolution}",
        f"UPDATE stock_inventories SET taken_on = '2020-01-01' WHERE id = {r.inventory}",
        f"DELETE FROM stock_inventory_lines WHERE id = {r.inventory_lines[0]}",
        f"UPDATE stock_losses SET circumstances = 'none' WHERE id = {r.loss}",
        f"DELETE FROM stock_loss_lines WHERE id = {r.loss_line}",
        f"UPDATE stock_entry_witnesses SET witness_name = 'x' WHERE id = {r.witnesses[0]}",
        f"DELETE FROM stock_entry_witnesses WHERE id = {r.witnesses[1]}",
        f"UPDATE stock_counts SET audit_id = NULL, audit_sha256 = NULL WHERE id = {r.count}",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        for table in RECORD_TABLES:
            with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
                conn.execute(text(f"TRUNCATE {table} CASCADE"))


def test_the_registry_guards_every_record() -> None:
    for dialect in ("sqlite", "postgresql"):
        guarded = {g.table for g in expected_guards(dialect)
                   if not g.name.endswith("_no_truncate")}
        assert set(RECORD_TABLES) <= guarded, dialect


def test_the_records_refuse_update_and_delete_by_sql(engine: Engine, db: Session,
                                                      clock: FakeClock) -> None:
    records = write_records(db, AT, write_books(db, AT, book(db, clock)))
    db.close()
    _assert_refused(engine, records)
    with make_sessionmaker(engine)() as check:
        _assert_records(check, records)


# --- what the tables themselves check -------------------------------------------------------


def _refused(db: Session, row: Base) -> None:
    db.add(row)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_the_records_check_what_a_row_alone_can_show(engine: Engine, db: Session,
                                                     clock: FakeClock) -> None:
    books = write_books(db, AT, book(db, clock))
    r = write_records(db, AT, books)
    count = db.get(StockCount, r.count)
    assert count is not None
    signer = {"key_id": count.key_id, "signature": count.signature}
    _refused(db, StockCount(  # the second counter is another person
        location_id=books.main, occasion=CountOccasion.SPOT, counted_at_utc=AT,
        counted_by_id=NURSE.user_id, counted_by_name="x", second_counter_id=NURSE.user_id,
        second_counter_name="x", second_counter_key_id=count.key_id,
        second_counter_signature=count.signature, lines_sha256="0" * 64, **signer))
    _refused(db, StockCountLine(count_id=r.count, container_id=books.vials[1],
                                expected_ml=Decimal(10), found_ml=Decimal(-1)))
    _refused(db, StockCountLine(count_id=r.count, container_id=books.vials[0],  # twice
                                expected_ml=Decimal(10), found_ml=Decimal(10)))
    _refused(db, StockDiscrepancy(count_line_id=r.count_line, location_id=books.main,
                                  container_id=books.vials[0], expected_ml=Decimal(1),
                                  found_ml=Decimal(1), opened_at_utc=AT))
    for explanation in ("", "   "):
        _refused(db, StockDiscrepancyResolution(
            discrepancy_id=r.discrepancy, explanation=explanation,
            resolved_by_id=PHYSICIAN.user_id, resolved_by_name="x", resolved_at_utc=AT,
            **signer))
    _refused(db, StockDiscrepancyResolution(  # a discrepancy is resolved once
        discrepancy_id=r.discrepancy, explanation="again", resolved_by_id=PHYSICIAN.user_id,
        resolved_by_name="x", resolved_at_utc=AT, **signer))
    _refused(db, StockInventoryLine(inventory_id=r.inventory, container_id=books.vials[0],
                                    sealed=True, count_of_sealed=1,
                                    measured_volume_ml=Decimal(1)))
    _refused(db, StockInventoryLine(inventory_id=r.inventory, container_id=books.vials[0],
                                    sealed=False))
    _refused(db, StockLoss(location_id=books.main, discovered_on=date(2026, 11, 21),
                           kind=LossKind.THEFT, circumstances="x", police_notified=False,
                           police_reference="PD-1", recorded_by_id=NURSE.user_id,
                           recorded_by_name="x", recorded_at_utc=AT, **signer))
    _refused(db, StockEntryWitness(entry_id=r.destroyed, position=3, witness_id=NURSE.user_id,
                                   witness_name="x", signed_at_utc=AT, **signer))
    _refused(db, StockEntryWitness(entry_id=r.destroyed, position=1,  # position taken
                                   witness_id=NURSE.user_id, witness_name="x",
                                   signed_at_utc=AT, **signer))
    assert BusinessTime.CLOSE.value == "close"
