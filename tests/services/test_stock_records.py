"""The signed stock records print their facts, and a signature that does not hold never reads
as signed (SQLite and PostgreSQL).

One day at the main safe: a dose drawn and given, a day-end count that finds a
vial short, the shortfall written off by a signed explanation, the initial
inventory, a destruction before two witnesses and a theft; each record's PDF
text holds what an inspector asks of it. Then rows are changed by raw SQL with
the append-only guards dropped (as tests/tamper.py does) and the documents say
"SIGNATURE NOT VALID" with the reason where they said "signed".
"""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.documents import DocumentKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.stock_counts import LossKind
from ketalog.services.context import Actor
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.pdf import produce_pdf
from ketalog.services.stock import reverse_stock_entry
from ketalog.services.stock_reports import (
    StockRecord,
    count_input,
    destruction_act_input,
    destruction_input,
    inventory_input,
    loss_input,
    save_stock_record,
)
from ketalog.store.models import AuditEntry, StockEntry
from tests.conftest import FakeClock
from tests.services.stock_records_day import Day, one_day_of_records
from tests.staff import NURSE
from tests.tamper import tamper

NOT_VALID = "SIGNATURE NOT VALID"


@pytest.fixture
def day(db: Session, clock: FakeClock) -> Day:
    return one_day_of_records(db, clock)


def _text(path: Path) -> str:
    pages = [page.extract_text() for page in PdfReader(BytesIO(path.read_bytes())).pages]
    return re.sub(r"\s+", " ", " ".join(pages))


def _save(db: Session, tmp_path: Path, clock: FakeClock, record: StockRecord,
          **which: object) -> str:
    path = save_stock_record(db, NURSE, record=record, path=tmp_path / f"{record.value}.pdf",
                             clock=clock, **which)  # type: ignore[arg-type]
    return _text(path)


def _facts(text: str, *facts: str) -> None:
    for fact in facts:
        assert fact in text, fact


def test_the_inventory_prints_every_container_counted_or_measured_and_who_signed(
        db: Session, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    first, second, third = day.shelves.vials
    text = _save(db, tmp_path, clock, StockRecord.INVENTORY, location_id=day.shelves.main)
    _facts(text, f"Initial inventory, {day.day.isoformat()}, close of business",
           "Main clinic safe", "DEA FB7654329", "12 Elm St, Springfield",
           f"container {first}", "open, measured 6 mL", "6 mL 300 mg",
           f"container {second}", f"container {third}", "sealed (counted)", "10 mL 500 mg",
           "3 (2 sealed, 1 open)", "3 containers, 26 mL = 1300 mg", "lot KX2291",
           "NDC 67457-108-10", "serial S2", "expires 2027-06-30", "Taken by",
           "Nora Reyes, RN, signed", "Kept at least")
    assert NOT_VALID not in text
    by_id = _save(db, tmp_path, clock, StockRecord.INVENTORY, location_id=day.shelves.main,
                  record_id=day.inventory_id)
    assert by_id == text
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "stock_inventory_saved")
                       ).all()
    assert [(a.table_name, a.row_id) for a in audit] == [("stock_inventories",
                                                           day.inventory_id)] * 2
    with pytest.raises(ValidationError, match="is of \"Main clinic safe\", not of"):
        inventory_input(db, NURSE, location_id=day.shelves.satellite,
                        inventory_id=day.inventory_id)
    with pytest.raises(NotFound, match="has no inventory yet"):
        inventory_input(db, NURSE, location_id=day.shelves.satellite)


def test_the_destruction_record_has_the_form_41_facts_and_both_witnesses(
        db: Session, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    first, second, _third = day.shelves.vials
    records = destruction_input(db, NURSE, location_id=day.shelves.main, start=day.day,
                                end=day.day)
    assert len(records.acts) == 1 and len(records.acts[0].containers) == 2
    text = _save(db, tmp_path, clock, StockRecord.DESTRUCTION, location_id=day.shelves.main,
                 start=day.day, end=day.day)
    _facts(text, "The facts of DEA Form 41", "Destruction 1 of 1",
           "Rx Destroyer chemical digestion, non-retrievable", "Main clinic safe",
           f"container {first}", f"container {second}", "6 mL 300 mg", "10 mL 500 mg",
           "16 mL = 800 mg", "Total: 800 mg", "Recorded by Nora Reyes, RN, recorded",
           "while signed in (not signed with their key)",
           "Witness 1 Sam Okafor, RN, signed", "Witness 2 Ada Lindqvist, MD, signed")
    assert NOT_VALID not in text
    entries = db.scalars(select(StockEntry.id).where(StockEntry.kind == LedgerKind.DESTROYED)
                         .order_by(StockEntry.id)).all()
    act = destruction_act_input(db, NURSE, entry_id=entries[-1])
    assert act == records.acts[0]
    with pytest.raises(NotFound, match="is not a destruction"):
        destruction_act_input(db, NURSE, entry_id=1)
    empty = _save(db, tmp_path, clock, StockRecord.DESTRUCTION, location_id=day.shelves.main,
                  start=date(2026, 1, 1), end=date(2026, 1, 31))
    _facts(empty, "Nothing was destroyed at this location in this period.")
    with pytest.raises(ValidationError, match="before it starts"):
        destruction_input(db, NURSE, location_id=day.shelves.main, start=day.day,
                          end=date(2026, 1, 1))


def test_the_loss_record_has_the_form_106_facts(db: Session, day: Day, clock: FakeClock,
                                                tmp_path: Path) -> None:
    third = day.shelves.vials[2]
    text = _save(db, tmp_path, clock, StockRecord.LOSS, record_id=day.loss_id)
    _facts(text, "The facts of DEA Form 106", f"Date of discovery {day.day.isoformat()}",
           "Kind Theft", "vial missing from the locked safe at close of business",
           "Yes, reference SPD-2026-1182", "Reported to the DEA Not yet recorded",
           f"container {third}", "10 mL 500 mg", "Total: 500 mg", "within 45 days",
           "Recorded by Nora Reyes, RN, signed")
    assert NOT_VALID not in text
    assert loss_input(db, NURSE, loss_id=day.loss_id).kind is LossKind.THEFT


def test_the_count_record_shows_the_mismatch_and_its_signed_explanation(
        db: Session, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    first = day.shelves.vials[0]
    text = _save(db, tmp_path, clock, StockRecord.COUNT, record_id=day.count_id)
    _facts(text, "Controlled-substance count record", "Day-end count",
           "Counted by Nora Reyes, RN and Sam Okafor, RN", "end of day",
           "Containers counted 3", "1 (1 resolved, 0 open)", f"container {first}",
           "6.5 mL 6 mL \u22120.5 mL", f"Discrepancy {day.discrepancy_id}",
           "vial cracked at the neck, leaked in the safe", "0.5 mL (ledger entry",
           "Resolved by Ada Lindqvist, MD, signed",
           "Counted by Nora Reyes, RN, signed", "Second counter Sam Okafor, RN, signed")
    assert NOT_VALID not in text
    lines = count_input(db, NURSE, count_id=day.count_id).lines
    assert [line.discrepancy_id is not None for line in lines] == [True, False, False]


def test_a_person_no_longer_at_the_clinic_prints_nothing(db: Session, day: Day, clock: FakeClock,
                                                tmp_path: Path) -> None:
    gone = Actor(username="nora", display_name="x", role="nurse", user_id=999)
    with pytest.raises(PermissionDenied, match="disabled or no longer exists"):
        save_stock_record(db, gone, record=StockRecord.LOSS, record_id=day.loss_id,
                          path=tmp_path / "x.pdf", clock=clock)
    with pytest.raises(NotFound, match="no loss record 99"):
        loss_input(db, NURSE, loss_id=99)
    assert not (tmp_path / "x.pdf").exists()


def test_a_record_changed_behind_the_guards_never_prints_as_signed(
        db: Session, engine: Engine, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    db.commit()
    tamper(engine, "UPDATE stock_inventories SET business_time = 'opening' WHERE id = :id",
           id=day.inventory_id)
    tamper(engine, "UPDATE stock_count_lines SET found_ml = 6.5 WHERE count_id = :id "
                   "AND found_ml = 6", id=day.count_id)
    tamper(engine, "UPDATE stock_entry_witnesses SET signed_at_utc = signed_at_utc "
                   "WHERE position = 1")
    tamper(engine, "UPDATE stock_entry_witnesses SET witness_name = 'Ada Lindqvist, MD, PhD' "
                   "WHERE position = 2")
    tamper(engine, "UPDATE stock_losses SET police_reference = 'SPD-2026-9999' WHERE id = :id",
           id=day.loss_id)
    db.expire_all()
    inventory = _save(db, tmp_path, clock, StockRecord.INVENTORY, location_id=day.shelves.main)
    _facts(inventory, f"{NOT_VALID}: the inventory by Nora Reyes, RN",
           "No signature marked not valid below may be taken as signed",
           f"Taken by Nora Reyes, RN: {NOT_VALID}: the inventory by Nora Reyes, RN",
           "the cryptographic signature does not match the row", "opening of business")
    assert "Nora Reyes, RN, signed" not in inventory
    count = _save(db, tmp_path, clock, StockRecord.COUNT, record_id=day.count_id)
    _facts(count, f"Counted by Nora Reyes, RN: {NOT_VALID}",
           f"Second counter Sam Okafor, RN: {NOT_VALID}",
           "the lines of the count differ from the lines that were signed")
    assert "Nora Reyes, RN, signed" not in count and "Sam Okafor, RN, signed" not in count
    assert "Resolved by Ada Lindqvist, MD, signed" in count  # she signed her resolution only
    destruction = _save(db, tmp_path, clock, StockRecord.DESTRUCTION,
                        location_id=day.shelves.main, start=day.day, end=day.day)
    _facts(destruction, "Witness 1 Sam Okafor, RN, signed",
           f"Witness 2 Ada Lindqvist, MD, PhD: {NOT_VALID}")
    assert "Ada Lindqvist, MD, PhD, signed" not in destruction
    loss = _save(db, tmp_path, clock, StockRecord.LOSS, record_id=day.loss_id)
    _facts(loss, f"Recorded by Nora Reyes, RN: {NOT_VALID}", "SPD-2026-9999")
    assert "Nora Reyes, RN, signed" not in loss
    saved = db.scalars(select(AuditEntry.new_value).where(
        AuditEntry.action.like("stock_%_saved"))).all()
    assert len(saved) == 4 and all(NOT_VALID in (new or "") for new in saved)


def test_a_destruction_entered_in_error_and_reversed_is_marked_and_left_out_of_the_totals(
        db: Session, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    second = day.shelves.vials[1]
    clock.advance(5)
    entry = db.scalar(select(StockEntry.id).where(StockEntry.kind == LedgerKind.DESTROYED,
                                                  StockEntry.container_id == second))
    assert entry is not None
    reverse_stock_entry(db, NURSE, entry_id=entry, reason="wrong vial scanned for destruction",
                        clock=clock)
    text = _save(db, tmp_path, clock, StockRecord.DESTRUCTION, location_id=day.shelves.main,
                 start=day.day, end=day.day)
    _facts(text, "REVERSED: entered in error, not in the totals", "Containers destroyed 1",
           "6 mL = 300 mg", "Total: 300 mg")


def test_a_resolution_changed_behind_the_guards_is_not_signed_by_its_resolver(
        db: Session, engine: Engine, day: Day, clock: FakeClock, tmp_path: Path) -> None:
    db.commit()
    tamper(engine, "UPDATE stock_discrepancy_resolutions SET explanation = 'counted wrong, "
                   "nothing is missing at all' WHERE discrepancy_id = :id",
           id=day.discrepancy_id)
    db.expire_all()
    count = _save(db, tmp_path, clock, StockRecord.COUNT, record_id=day.count_id)
    _facts(count, "counted wrong, nothing is missing at all",
           f"Resolved by Ada Lindqvist, MD: {NOT_VALID}: the resolution of discrepancy "
           f"{day.discrepancy_id} by Ada Lindqvist, MD", "Counted by Nora Reyes, RN, signed",
           "Second counter Sam Okafor, RN, signed")
    assert "Ada Lindqvist, MD, signed" not in count


def test_each_record_prints_through_the_one_document_registry(db: Session, day: Day) -> None:
    """The window's Print and 'ketalog pdf stock_...' build the same record as the CLI's."""
    destroyed = db.scalar(select(StockEntry.id).where(StockEntry.kind == LedgerKind.DESTROYED))
    assert destroyed is not None
    for kind, key, fact in (
            (DocumentKind.STOCK_COUNT, day.count_id, "Controlled-substance count record"),
            (DocumentKind.STOCK_INVENTORY, day.inventory_id, "Controlled-substance inventory"),
            (DocumentKind.STOCK_DESTRUCTION, destroyed, "DEA Form 41"),
            (DocumentKind.STOCK_LOSS, day.loss_id, "Controlled-substance loss or theft record")):
        pdf = produce_pdf(db, kind, key)
        pages = [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]
        assert fact in re.sub(r"\s+", " ", " ".join(pages)), kind
