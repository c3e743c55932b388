"""Every clinical row names the audit row written with it (issue 14, item 4a).

The chain alone said "intact" after audit rows were cut off its end, or after
one was deleted and the chain recomputed from there. The clinical rows now
keep the id and hash of their audit row, so ``ketalog audit verify`` names the
rows that lost theirs, even with no anchor taken yet. Attacks are run as an
attacker would (guards dropped, raw SQL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.cli import main
from ketalog.domain.session_state import SessionAction
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind
from ketalog.services.alerts import acknowledge_alert
from ketalog.services.audit import AuditContent, chain_hash
from ketalog.services.audit_references import check_references
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.interventions import record_adverse_event, record_intervention
from ketalog.services.session.entries import add_note, flag_event, record_scale, resolve_event
from ketalog.services.session.state import change_state
from ketalog.services.signing import add_addendum, verify_session
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    recall_lot,
    receive_stock,
    record_administered,
    waste_remainder,
)
from ketalog.services.stock_counts import record_count, resolve_discrepancy, take_inventory
from ketalog.services.stock_movements import destroy_containers, report_loss
from ketalog.store.guards import repair_guards
from ketalog.store.models import AuditEntry, Base, audit_referenced_tables
from tests.conftest import FakeClock
from tests.play import book, discharge, sign, start_infusion
from tests.staff import ADMIN, NURSE, PHYSICIAN, password_of, prove, seed_staff
from tests.tamper import disable_guards, tamper

#: Tables the scenario below writes rows to (every referencing table but the REMS filing).
WRITTEN = frozenset(audit_referenced_tables()) - {"rems_filings"}


@pytest.fixture
def clinic(database_url: str, seeded_database: None) -> str:
    """One session played through every kind of record, signed, with an addendum."""
    engine = open_database(database_url)
    seed_staff(engine)
    clock = FakeClock(datetime(2030, 11, 21, 9, 0, tzinfo=UTC))
    with make_sessionmaker(engine)() as db:
        sid = book(db, clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        _dose_from_the_books(db, sid, clock)
        start_infusion(db, sid, clock)
        clock.advance(10)
        score = record_scale(db, NURSE, sid, "moaas", [3], clock=clock)
        acknowledge_alert(db, PHYSICIAN, sid, source="scale_scores", source_id=score,
                          code="moaas_low", comment="seen, airway fine", clock=clock,
                          physician=prove(db, "ada", "acknowledge_alert", clock))
        flag = flag_event(db, NURSE, sid, "sedation", clock=clock)
        record_intervention(db, NURSE, sid, drug="ondansetron", dose="4", dose_unit="mg",
                            route="IV", clock=clock)
        record_adverse_event(db, NURSE, sid, kind="nausea/vomiting", clock=clock)
        add_note(db, NURSE, sid, "observation", "Calm, eyes closed.", clock=clock)
        resolve_event(db, NURSE, flag, clock=clock)
        discharge(db, sid, clock)
        sign(db, sid, clock)
        clock.advance(60)
        add_addendum(db, NURSE, sid, reason="late entry", text="Home safely.",
                     password=password_of(NURSE.username), clock=clock)
    engine.dispose()
    return database_url


def _dose_from_the_books(db: Session, sid: int, clock: FakeClock) -> None:
    """A vial received, a dose drawn from it, given and the rest wasted before a witness."""
    location = add_stock_location(db, ADMIN, name="Safe", dea_number="FB7654329",
                                  address="12 Elm St", clock=clock)
    product = add_stock_product(db, ADMIN, name="Ketamine 50 mg/mL, 10 mL",
                                substance="ketamine", strength_mg_per_ml="50",
                                container_volume_ml="10", clock=clock)
    [vial, _other] = receive_stock(
        db, NURSE, location_id=location, product_id=product, received_on=clock().date(),
        supplier=Supplier("Supplier", "1 Road", "AB1234563"), order_reference="INV-1",
        containers=[ReceivedContainer("L1", date(2031, 1, 31)),
                    ReceivedContainer("L2", date(2031, 1, 31))], clock=clock)
    recall_lot(db, ADMIN, product_id=product, lot_number="L2", reason="recall", clock=clock)
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=vial, volume_ml="0.8",
                            clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="0.7", clock=clock)
    waste_remainder(db, NURSE, draw_id=draw, volume_ml="0.1", manner="waste container",
                    witness_proof=prove(db, "sam", "witness_waste", clock), clock=clock)
    # the inventory, a count short by 0.2 mL written off, a loss and a destruction (0019)
    take_inventory(db, NURSE, location_id=location, kind=InventoryKind.INITIAL,
                   taken_on=clock().date(), business_time=BusinessTime.OPENING,
                   lines={vial: "9.2", _other: "1"}, password=password_of("nora"), clock=clock)
    [short] = record_count(db, NURSE, location_id=location, occasion=CountOccasion.SPOT,
                           found={vial: "9", _other: "10"},
                           second_counter_proof=prove(db, "sam", "second_counter", clock),
                           password=password_of("nora"), clock=clock).discrepancy_ids
    resolve_discrepancy(db, PHYSICIAN, discrepancy_id=short, explanation="spilt while drawing "
                        "the dose", write_off_as_lost=True, password=password_of("ada"),
                        clock=clock)
    report_loss(db, NURSE, location_id=location, discovered_on=clock().date(), kind="loss",
                circumstances="stopper cracked, some leaked", losses={_other: "1"},
                police_notified=False, password=password_of("nora"), clock=clock)
    destroy_containers(db, NURSE, location_id=location, container_ids=[_other],
                       manner="Rx Destroyer", clock=clock,
                       witness_proofs=[prove(db, "sam", "witness_destruction", clock),
                                       prove(db, "ada", "witness_destruction", clock)])


def _verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--database-url", url, "audit", "verify"])
    return code, capsys.readouterr().out


def _references(engine: Engine, table: str) -> list[tuple[int, int | None, str | None]]:
    with engine.connect() as conn:
        return [(r.id, r.audit_id, r.audit_sha256) for r in conn.execute(
            text(f"SELECT id, audit_id, audit_sha256 FROM {table} ORDER BY id"))]


def _audit_row(engine: Engine, table: str, row_id: int | None = None) -> int:
    """The audit id a row of ``table`` names (the first row's, unless ``row_id``)."""
    refs = _references(engine, table)
    audit_id = next(a for r, a, _ in refs if row_id is None or r == row_id)
    assert audit_id is not None
    return audit_id


def test_fresh_records_all_name_their_audit_row(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(clinic)
    with engine.connect() as conn:
        hashes = dict(conn.execute(select(AuditEntry.id, AuditEntry.row_hash)).all())
        named = {(t, r): i for i, t, r in conn.execute(
            select(AuditEntry.id, AuditEntry.table_name, AuditEntry.row_id))}
    for table in sorted(WRITTEN):
        refs = _references(engine, table)
        assert refs, f"the scenario wrote no {table} row"
        for row_id, audit_id, digest in refs:
            assert audit_id is not None and hashes[audit_id] == digest, (table, row_id)
            if (table, row_id) in named:  # the audit row naming it, where one does
                assert audit_id <= named[(table, row_id)], (table, row_id)
    with make_sessionmaker(engine)() as db:
        report = check_references(db)
        assert report.ok and report.lines() == []
        assert verify_session(db, 1).intact  # the references are not part of the signed record
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 0, out


def test_deleted_audit_row_in_the_middle_names_the_rows_that_lost_it(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(clinic)
    vital = _references(engine, "vital_signs")[0][0]
    audit_id = _audit_row(engine, "vital_signs", vital)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=audit_id)
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1
    assert f"vital_signs {vital}: its audit row {audit_id} is missing" in out


def test_deleted_tail_is_named_without_any_anchor(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The chain of what is left is intact, and there is no anchor: the references tell."""
    engine = open_database(clinic)
    addendum, audit_id, _ = _references(engine, "addenda")[0]
    signature = _references(engine, "signatures")[-1]
    assert audit_id is not None and signature[1] is not None
    tamper(engine, "DELETE FROM audit_log WHERE id >= :id", id=signature[1])
    with make_sessionmaker(engine)() as db:
        assert check_references(db).counts == {"addenda": 1, "signatures": 1}
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1
    assert "Audit trail NOT intact" in out
    assert f"addenda {addendum}: its audit row {audit_id} is missing" in out
    assert f"signatures {signature[0]}: its audit row {signature[1]} is missing" in out


def test_emptied_trail_names_every_row(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(clinic)
    tamper(engine, "DELETE FROM audit_log")
    with make_sessionmaker(engine)() as db:
        counts = check_references(db).counts
    engine.dispose()
    assert set(counts) == WRITTEN
    code, out = _verify(clinic, capsys)
    assert code == 1
    assert all(f"- {table} " in out for table in WRITTEN), out


def test_rewritten_audit_row_is_a_hash_mismatch(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An audit row edited and the chain recomputed from it: the chain holds, the hash does not."""
    engine = open_database(clinic)
    note = _references(engine, "notes")[0][0]
    audit_id = _audit_row(engine, "notes", note)
    disable_guards(engine)
    with engine.begin() as conn:
        prev = None
        for row in conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).all():
            if row.id < audit_id:
                prev = row.row_hash
                continue
            at = row.occurred_at_utc
            content = AuditContent(
                occurred_at_utc=at.replace(tzinfo=UTC) if at.tzinfo is None else at,
                user_id=row.user_id, username=row.username, workstation=row.workstation,
                patient_id=row.patient_id, action=row.action, table_name=row.table_name,
                row_id=row.row_id, field=row.field, old_value=row.old_value,
                new_value="nothing to see" if row.id == audit_id else row.new_value)
            assert prev is not None
            digest = chain_hash(prev, content)
            conn.execute(text("UPDATE audit_log SET new_value = :v, prev_hash = :p, "
                              "row_hash = :h WHERE id = :id"),
                         {"v": content.new_value, "p": prev, "h": digest, "id": row.id})
            prev = digest
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1
    assert "the rows form an unbroken chain" in out  # the chain alone holds
    assert (f"notes {note}: its audit row {audit_id} has another hash than when it was "
            "written") in out


def test_row_inserted_behind_the_app_names_no_audit_row(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(clinic)
    with engine.begin() as conn:
        session_id = conn.execute(text("SELECT id FROM treatment_sessions")).scalar_one()
    tamper(engine, "INSERT INTO vital_signs (session_id, taken_at_utc, systolic_mmhg, "
           "alert_codes, version, created_at_utc) VALUES (:s, :t, 120, '', 1, :t)",
           s=session_id, t=datetime(2030, 11, 21, 10, 0))
    with engine.connect() as conn:
        forged = conn.execute(text("SELECT max(id) FROM vital_signs")).scalar_one()
    engine.dispose()
    code, out = _verify(clinic, capsys)
    assert code == 1
    assert f"vital_signs {forged}: it names no audit row" in out


def test_a_reference_is_set_once(clinic: str) -> None:
    """The write-once tables take their reference once; it never changes afterwards."""
    engine = open_database(clinic)
    for table in ("signatures", "addenda", "scale_alerts", "alert_acknowledgments"):
        row_id, audit_id, _ = _references(engine, table)[0]
        for sql in (f"UPDATE {table} SET audit_id = audit_id + 1 WHERE id = :id",
                    f"UPDATE {table} SET audit_id = NULL, audit_sha256 = NULL WHERE id = :id"):
            with pytest.raises(DBAPIError, match="never changed"), engine.begin() as conn:
                conn.execute(text(sql), {"id": row_id})
        assert _references(engine, table)[0][1] == audit_id
    engine.dispose()


def test_a_missing_reference_cannot_carry_another_change(clinic: str) -> None:
    """Empty -> value is the only change; an edit riding along with it is refused."""
    engine = open_database(clinic)
    tamper(engine, "UPDATE addenda SET audit_id = NULL, audit_sha256 = NULL")
    engine.dispose()
    engine = open_database(clinic, check_guards=False)
    with engine.begin() as conn:  # the guards back, as 'ketalog db repair-guards' puts them
        assert repair_guards(conn)
    with pytest.raises(DBAPIError, match="never changed"), engine.begin() as conn:
        conn.execute(text("UPDATE addenda SET audit_id = 1, audit_sha256 = 'x', "
                          "text = 'rewritten'"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE addenda SET audit_id = 1, audit_sha256 = 'x'"))
    engine.dispose()


def test_the_listed_columns_of_write_once_tables_are_all_their_columns() -> None:
    from ketalog.store.guards import REFERENCE_ONCE

    for table, columns in REFERENCE_ONCE.items():
        names = {c.name for c in Base.metadata.tables[table].c} - {"audit_id", "audit_sha256"}
        assert set(columns) == names, (
            f"add the new columns of {table} to guards.REFERENCE_ONCE and re-create its "
            "update guard in the migration that adds them")
