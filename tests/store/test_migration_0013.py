"""Schema 0013: clinical rows name their audit row; older rows get the earliest naming them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from ketalog.services.audit_references import check_references
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.signing import verify_session
from ketalog.store.guards import check_guards
from ketalog.store.migrate import alembic_config
from ketalog.store.models import audit_referenced_tables
from tests.conftest import FakeClock
from tests.play import discharged_session, sign
from tests.staff import NURSE, seed_staff
from tests.store.stock_books import RECORD_TABLES

FIXTURES = Path(__file__).parent / "fixtures"


def _earliest_audit_rows(conn: Connection, table: str) -> dict[int, tuple[int, str]]:
    return {int(r.row_id): (int(r.id), str(r.row_hash)) for r in conn.execute(text(
            "SELECT a.row_id, a.id, a.row_hash FROM audit_log a WHERE a.table_name = :t "
            "AND a.id = (SELECT min(b.id) FROM audit_log b WHERE b.table_name = :t "
        "AND b.row_id = a.row_id)"), {"t": table})}


#: Audit-referenced tables created by a later revision (physicians' orders, 0016; the
#: controlled-substance books, 0018, and their counts, inventories and losses, 0019).
AFTER_0013 = frozenset({"physician_orders", "stock_locations", "stock_products",
                        "stock_receipts", "stock_containers", "stock_lot_recalls",
                        "stock_entries", *RECORD_TABLES})


def _assert_backfilled(engine: Engine) -> None:
    """Every row has its earliest audit row where one names it, none otherwise."""
    backfilled = 0
    with engine.connect() as conn:
        starts = dict(conn.execute(text(
            "SELECT table_name, first_row_id FROM audit_reference_starts")).all())
        for table in audit_referenced_tables():
            expected = _earliest_audit_rows(conn, table)
            rows = conn.execute(text(f"SELECT id, audit_id, audit_sha256 FROM {table}")).all()
            for row_id, audit_id, digest in rows:
                want = expected.get(row_id)
                assert (audit_id, digest) == (want or (None, None)), (table, row_id)
                backfilled += want is not None
            top = conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0
            if table in AFTER_0013:  # created since: references from their first row on
                assert table not in starts and top == 0
                continue
            assert starts[table] == top + 1
        assert check_guards(conn) == []
    assert backfilled > 5
    with make_sessionmaker(engine)() as db:
        assert check_references(db).ok


def test_upgrade_from_0011_backfills_references(tmp_path: Path) -> None:
    copy = tmp_path / "ketalog.sqlite3"
    shutil.copy(FIXTURES / "schema_0011.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    _assert_backfilled(engine)
    with make_sessionmaker(engine)() as db:
        signed = db.execute(text("SELECT session_id FROM signatures "
                                 "WHERE kind = 'physician_signature'")).scalar_one()
        assert verify_session(db, signed).intact  # the new columns are not in the record
        # a reading written now names its audit row (once the fixture clinic has its zone,
        # which clinical entry now requires)
        from ketalog.services.context import SYSTEM
        from ketalog.services.session.entries import record_vitals
        from ketalog.services.settings import set_clinic_timezone

        set_clinic_timezone(db, SYSTEM, "UTC")

        other = db.execute(text("SELECT id FROM treatment_sessions WHERE id != :s"),
                           {"s": signed}).scalar_one()
        vital = record_vitals(db, NURSE, other, {"systolic_mmhg": 120, "diastolic_mmhg": 80},
                              clock=FakeClock(datetime(2026, 11, 21, 10, tzinfo=UTC)))
        row = db.execute(text("SELECT audit_id FROM vital_signs WHERE id = :v"),
                         {"v": vital.vital_id}).scalar_one()
        assert row is not None
        assert check_references(db).ok
    engine.dispose()


def test_downgrade_to_0011_and_back_backfills_on_both_databases(database_url: str) -> None:
    """Rows written at 0013 lose their references going down; coming back fills them in."""
    from alembic import command

    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    with make_sessionmaker(engine)() as db:
        # dosed without a physician's order: going below 0016 drops the order link a
        # signature would cover, and this test is about audit references
        sid = discharged_session(db, clock, ordered=False)
        sign(db, sid, clock)
    config = alembic_config()
    with engine.connect() as conn:
        # as migrate.upgrade runs migrations: SQLite rebuilds (0014's downgrade) need the
        # references unchecked until the end, then checked whole
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
            if sqlite:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    _assert_backfilled(engine)
    with make_sessionmaker(engine)() as db:
        # going below 0015 drops the second nurse's figures (there is nowhere to keep
        # them): the record says so, and nothing else changed
        check = verify_session(db, sid)
        assert set(check.changes) == {
            'Dose check 1: verifier_total_mg was "40", now (empty)',
            'Dose check 1: verifier_rate_ml_per_h was "150", now (empty)'}
    engine.dispose()
