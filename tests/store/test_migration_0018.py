"""Schema 0018: the controlled-substance books; what was there stays, the books refuse edits."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind, Substance
from ketalog.services.audit_references import check_references
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.keys import sign_text, signature_holds, signing_key
from ketalog.services.signing import verify_session
from ketalog.store.guards import check_guards, expected_guards
from ketalog.store.migrate import alembic_config
from ketalog.store.models import (
    Base,
    StockContainer,
    StockEntry,
    StockLocation,
    StockProduct,
    User,
)
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, NURSE2, password_of, seed_staff
from tests.store.stock_books import (
    RECORD_TABLES,
    STOCK_BOOKS,
    STOCK_TABLES,
    Books,
    witnessed_waste,
    write_books,
)

FIXTURES = Path(__file__).parent / "fixtures"
AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _migrate(engine: Engine, target: str, *, down: bool) -> None:
    """Run Alembic as ``migrate.upgrade`` does: on SQLite with foreign keys off, then checked."""
    from alembic import command

    config = alembic_config()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        with conn.begin():
            config.attributes["connection"] = conn
            if down:
                command.downgrade(config, target)
            else:
                command.upgrade(config, target)
            if sqlite:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & set(STOCK_TABLES)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in STOCK_TABLES}


def _balances(db: Session) -> dict[tuple[int, int], Decimal]:
    """mL per (container, location) as the domain docstring defines them (test-side sum)."""
    sign = {LedgerKind.RECEIVED: 1, LedgerKind.TRANSFERRED_IN: 1, LedgerKind.RETURNED: 1,
            LedgerKind.DRAWN: -1, LedgerKind.TRANSFERRED_OUT: -1, LedgerKind.DESTROYED: -1,
            LedgerKind.LOST: -1}
    entries = {e.id: e for e in db.scalars(select(StockEntry))}
    totals: dict[tuple[int, int], Decimal] = {}
    for entry in entries.values():
        if entry.kind is LedgerKind.REVERSAL:
            assert entry.reverses_id is not None
            undone = entries[entry.reverses_id]
            direction = -sign.get(undone.kind, 0)
        else:
            direction = sign.get(entry.kind, 0)
        key = (entry.container_id, entry.location_id)
        totals[key] = totals.get(key, Decimal(0)) + direction * entry.volume_ml
    return totals


def _assert_books(db: Session, books: Books) -> None:
    first, second = books.vials
    assert _balances(db) == {(first, books.main): Decimal("6.5"),
                             (second, books.main): Decimal("0"),
                             (second, books.satellite): Decimal("10")}
    product = db.get(StockProduct, books.product)
    assert product is not None
    assert (product.substance, product.strength_mg_per_ml, product.container_volume_ml,
            product.schedule, product.active) == (Substance.KETAMINE, Decimal(50),
                                                  Decimal(10), "CIII", True)
    vial = db.get(StockContainer, first)
    assert vial is not None and (vial.lot_number, vial.expiry_date, vial.serial) == (
        "KT2611A", date(2028, 5, 31), "SN0001")
    into = db.get(StockEntry, books.transfer_in)
    assert into is not None and into.counterpart_id == books.transfer_out
    assert check_references(db).ok


# --- upgrading ---------------------------------------------------------------------------


def test_upgrade_from_0017_keeps_the_record_and_adds_empty_guarded_books(tmp_path: Path) -> None:
    copy = tmp_path / "schema_0017.sqlite3"
    shutil.copy(FIXTURES / "schema_0017.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")  # upgrades, guards checked at start-up
    try:
        assert _counts(engine) == dict.fromkeys(STOCK_TABLES, 0)
        with engine.connect() as conn:
            assert check_guards(conn) == []
        with make_sessionmaker(engine)() as db:
            check = verify_session(db, 2)  # the fixture's signed session
            assert check.intact and not check.invalid_reasons, check.invalid_reasons
            books = write_books(db, AT, 1)  # a draw at the fixture's open session
            _assert_books(db, books)
    finally:
        engine.dispose()


def test_the_0018_fixture_holds_the_books(tmp_path: Path) -> None:
    stored = create_engine(f"sqlite:///{FIXTURES / 'schema_0018.sqlite3'}")  # read as stored
    try:
        with stored.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM stock_entries ORDER BY id")).scalars()
            assert list(kinds) == ["received", "received", "drawn", "administered", "returned",
                                   "lost", "reversal", "transferred_out", "transferred_in"]
            assert conn.execute(text("SELECT volume_ml FROM stock_entries WHERE id = 4")
                                ).scalar_one() == "3.5"  # exact text on SQLite
    finally:
        stored.dispose()
    copy = tmp_path / "schema_0018.sqlite3"
    shutil.copy(FIXTURES / "schema_0018.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            _assert_books(db, Books(main=1, satellite=2, product=1, receipt=1, vials=(1, 2),
                                    recall=1, draw=3, lost=6, reversal=7, transfer_out=8,
                                    transfer_in=9))
    finally:
        engine.dispose()


def test_downgrade_to_0017_and_back_on_both_databases(database_url: str) -> None:
    """Going down drops the books (and their guards) and nothing else; coming back, they
    are empty, guarded and take entries again."""
    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(AT)
    try:
        with make_sessionmaker(engine)() as db:
            sid = book(db, clock)
            write_books(db, AT, sid)
        _migrate(engine, "0017", down=True)
        assert _tables(engine) == set()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0017"
            assert conn.execute(text("SELECT count(*) FROM treatment_sessions")).scalar() == 1
            # at 0017 the only guards missing are those of the tables 0018 creates
            missing = {p.table for p in check_guards(conn)}  # 0019's tables are gone too
            assert missing and missing <= set(STOCK_TABLES) | set(RECORD_TABLES), missing
        _migrate(engine, "head", down=False)
        assert _counts(engine) == dict.fromkeys(STOCK_TABLES, 0)
        with engine.connect() as conn:
            assert check_guards(conn) == []
        with make_sessionmaker(engine)() as db:
            books = write_books(db, AT, sid)
            _assert_books(db, books)
        _assert_refused(engine, books)
    finally:
        engine.dispose()


# --- the guards --------------------------------------------------------------------------


def _assert_refused(engine: Engine, books: Books) -> None:
    """Every UPDATE and DELETE of the books is refused by the database itself."""
    for statement in (
        f"UPDATE stock_entries SET volume_ml = 9 WHERE id = {books.draw}",
        f"UPDATE stock_entries SET kind = 'administered' WHERE id = {books.lost}",
        f"UPDATE stock_entries SET audit_id = NULL, audit_sha256 = NULL WHERE id = {books.draw}",
        f"DELETE FROM stock_entries WHERE id = {books.reversal}",
        f"UPDATE stock_receipts SET supplier_dea_number = 'XX0000000' WHERE id = {books.receipt}",
        f"DELETE FROM stock_receipts WHERE id = {books.receipt}",
        f"UPDATE stock_containers SET lot_number = 'OTHER' WHERE id = {books.vials[0]}",
        f"DELETE FROM stock_containers WHERE id = {books.vials[1]}",
        f"UPDATE stock_lot_recalls SET reason = 'never mind' WHERE id = {books.recall}",
        f"DELETE FROM stock_lot_recalls WHERE id = {books.recall}",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        for table in STOCK_TABLES:
            with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
                conn.execute(text(f"TRUNCATE {table} CASCADE"))


def test_the_registry_guards_the_books_and_leaves_the_set_up_editable() -> None:
    for dialect in ("sqlite", "postgresql"):
        guarded = {g.table for g in expected_guards(dialect)
                   if not g.name.endswith("_no_truncate")}  # PostgreSQL: every table's
        assert guarded & set(STOCK_TABLES) == set(STOCK_BOOKS), dialect


def test_the_books_refuse_update_and_delete_by_sql(engine: Engine, db: Session,
                                                    clock: FakeClock) -> None:
    books = write_books(db, AT, book(db, clock))
    db.close()
    _assert_refused(engine, books)
    with make_sessionmaker(engine)() as check:
        _assert_books(check, books)  # nothing changed


def test_a_row_without_its_audit_reference_gets_it_once(engine: Engine, db: Session,
                                                        clock: FakeClock) -> None:
    books = write_books(db, AT, book(db, clock))
    planted = StockEntry(container_id=books.vials[0], location_id=books.main,
                         kind=LedgerKind.DRAWN, volume_ml=Decimal("1"),
                         recorded_by_id=NURSE.user_id, recorded_at_utc=AT)
    db.add(planted)
    db.commit()  # no audit row in this transaction: no reference
    row = planted.id
    db.close()
    with engine.begin() as conn:
        assert conn.execute(text(f"SELECT audit_id FROM stock_entries WHERE id = {row}")
                            ).scalar() is None
        conn.execute(text("UPDATE stock_entries SET audit_id = 1, audit_sha256 = 'x' "
                          f"WHERE id = {row}"))
    with engine.connect() as conn, pytest.raises(DBAPIError, match="never changed"):
        conn.execute(text(f"UPDATE stock_entries SET audit_id = 2 WHERE id = {row}"))


def test_locations_and_products_stay_editable(engine: Engine, db: Session,
                                              clock: FakeClock) -> None:
    """The clinic's set-up: the services edit it (audited), so no guard refuses an UPDATE."""
    books = write_books(db, AT, book(db, clock))
    db.close()
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE stock_locations SET active = false, address = 'moved' "
                          f"WHERE id = {books.satellite}"))
        conn.execute(text(f"UPDATE stock_products SET active = false WHERE id = {books.product}"))
    with make_sessionmaker(engine)() as check:
        satellite = check.get(StockLocation, books.satellite)
        assert satellite is not None and (satellite.active, satellite.address) == (False, "moved")


# --- what the tables themselves check -------------------------------------------------------


def _refused(db: Session, row: Base) -> None:
    db.add(row)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_the_books_check_what_a_row_alone_can_show(engine: Engine, db: Session,
                                                   clock: FakeClock) -> None:
    books = write_books(db, AT, book(db, clock))

    def entry(kind: LedgerKind, volume: str = "1", **more: object) -> StockEntry:
        return StockEntry(**{"container_id": books.vials[0], "location_id": books.main,
                             "kind": kind, "volume_ml": Decimal(volume),
                             "recorded_by_id": NURSE.user_id, "recorded_at_utc": AT, **more})

    _refused(db, entry(LedgerKind.DRAWN, "0"))
    _refused(db, entry(LedgerKind.DRAWN, "-0.5"))
    _refused(db, entry(LedgerKind.REVERSAL))  # names no entry
    _refused(db, entry(LedgerKind.LOST, reverses_id=books.draw))  # only a reversal does
    _refused(db, entry(LedgerKind.REVERSAL, reverses_id=books.lost))  # reversed already
    _refused(db, entry(LedgerKind.DRAWN, draw_id=books.draw))  # only dispositions do
    _refused(db, entry(LedgerKind.RECEIVED, counterpart_id=books.transfer_out))
    _refused(db, entry(LedgerKind.TRANSFERRED_IN, counterpart_id=books.transfer_out))  # twice
    _refused(db, entry(LedgerKind.WASTED, draw_id=books.draw, witness_id=NURSE.user_id))
    _refused(db, entry(LedgerKind.WASTED, draw_id=books.draw, witness_id=NURSE2.user_id,
                       witness_signature="ab" * 64))  # a signature with no key
    for gtin in ("0034202311310", "0034202311310X"):  # 13 digits; a letter
        _refused(db, StockProduct(name="x", substance=Substance.KETAMINE, gtin=gtin,
                                  strength_mg_per_ml=Decimal(50), container_volume_ml=Decimal(10)))
    _refused(db, StockProduct(name="x", substance=Substance.ESKETAMINE,
                              strength_mg_per_ml=Decimal(0), container_volume_ml=Decimal(10)))
    _refused(db, StockContainer(product_id=books.product, receipt_id=books.receipt,
                                lot_number="KT2611A", expiry_date=date(2028, 5, 31),
                                serial="SN0001"))  # that vial was received already
    # vials without a serial are told apart by their row alone
    db.add(StockContainer(product_id=books.product, receipt_id=books.receipt,
                          lot_number="KT2611A", expiry_date=date(2028, 5, 31)))
    db.commit()
    assert len(db.scalars(select(StockContainer)).all()) == 3


def test_a_witness_signs_with_their_own_key(engine: Engine, db: Session,
                                            clock: FakeClock) -> None:
    sid = book(db, clock)
    books = write_books(db, AT, sid)
    witness = db.get(User, NURSE2.user_id)
    assert witness is not None
    key, private = signing_key(db, NURSE2, witness, password_of(NURSE2.username), now=AT)
    facts = f"wasted 0.25 mL of container {books.vials[0]}, draw {books.draw}"
    waste = witnessed_waste(db, AT, books, sid, key_id=key.id,
                            signature=sign_text(private, facts))
    db.expunge_all()
    row = db.get(StockEntry, waste)
    assert row is not None and row.witness_key_id == key.id and row.witness_signature
    assert (row.witness_id, row.witness_name) == (NURSE2.user_id, "Sam Okafor, RN")
    assert signature_holds(key.public_key, row.witness_signature, facts)
    assert row.kind is LedgerKind.WASTED and row.volume_ml == Decimal("0.25")
