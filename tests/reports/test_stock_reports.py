"""The controlled-substance documents print every fact they are given, with totals that add up."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.retention import retention_statement
from ketalog.reports.base import Clinic
from ketalog.reports.stock_balance import build_balance
from ketalog.reports.stock_count import build_count
from ketalog.reports.stock_csv import (
    BALANCE_HEADER,
    LOG_HEADER,
    StockCsvError,
    balance_records,
    dispensing_log_records,
    write_stock_csv,
)
from ketalog.reports.stock_destruction import build_destruction, build_destructions
from ketalog.reports.stock_dispensing_log import build_dispensing_log
from ketalog.reports.stock_inputs import (
    BalanceLine,
    BalanceSheet,
    BusinessTime,
    CountOccasion,
    CountResolution,
    CountSheet,
    CountSheetLine,
    DestructionRecord,
    DestructionRecords,
    DispensingLog,
    DispensingLogLine,
    DisposedContainer,
    Inventory,
    InventoryKind,
    InventoryLine,
    LossKind,
    LossRecord,
    StockRegistrant,
    StockSignature,
    format_mg,
)
from ketalog.reports.stock_inventory import build_inventory
from ketalog.reports.stock_loss import build_loss

CLINIC = Clinic("Riverside Ketamine Clinic", "12 River St, Springfield", "555-0100")
TZ = ZoneInfo("America/New_York")
REGISTRANT = StockRegistrant("Main clinic safe", "FB7654329", "12 River St, Springfield",
                             "Riverside Ketamine Clinic")
RETENTION = retention_statement(5)
PRODUCT = "Ketamine HCl 50 mg/mL, 10 mL vial"
FIFTY = Decimal(50)
BASE = {"clinic": CLINIC, "tz": TZ, "registrant": REGISTRANT, "retention": RETENTION}


def text_of(pdf: bytes) -> str:
    """Every page's text, whitespace as single spaces."""
    pages = [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]
    return re.sub(r"\s+", " ", " ".join(pages))


def at(hour: int, minute: int = 0, day: int = 21) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _line(entry_id: int, kind: LedgerKind, volume: str, when: datetime, **more: object,
          ) -> DispensingLogLine:
    values: dict[str, object] = {
        "entry_id": entry_id, "recorded_at_utc": when, "kind": kind, "product_name": PRODUCT,
        "strength_mg_per_ml": FIFTY, "lot_number": "KX2291", "container_id": 7,
        "volume_ml": Decimal(volume), "recorded_by": "Nora Reyes, RN"} | more
    return DispensingLogLine(**values)  # type: ignore[arg-type]


PATIENT = {"patient_name": "Ñúñez, José", "mrn": "K0000001", "session_id": 12}
LOG = DispensingLog(**BASE, start=date(2026, 11, 1), end=date(2026, 11, 30), lines=(  # type: ignore[arg-type]
    _line(1, LedgerKind.RECEIVED, "10", at(14), detail="Henry Schein, INV-88123",
          container_serial="S1"),
    _line(2, LedgerKind.DRAWN, "0.8", at(15), **PATIENT),
    _line(3, LedgerKind.ADMINISTERED, "0.7", at(16), **PATIENT),
    _line(4, LedgerKind.WASTED, "0.1", at(16, 5), witness="Sam Okafor, RN",
          detail="into the drug waste container", **PATIENT),
    _line(5, LedgerKind.DRAWN, "1", at(17), **PATIENT),
    _line(6, LedgerKind.REVERSAL, "1", at(17, 10), reverses_id=5,
          reverses_kind=LedgerKind.DRAWN, detail="drawn from the wrong vial"),
))


def test_the_dispensing_log_prints_every_entry_with_patient_witness_and_totals() -> None:
    text = text_of(build_dispensing_log(LOG))
    for fact in ("Controlled-substance dispensing log", "Period: 2026-11-01 to 2026-11-30",
                 "Main clinic safe", "DEA FB7654329", "Riverside Ketamine Clinic",
                 "Henry Schein, INV-88123", "serial S1", "Ñúñez, José", "MRN K0000001",
                 "session 12", "witness Sam Okafor, RN", "into the drug waste container",
                 "Reversal of #5 (drawn)", "drawn from the wrong vial", "2026-11-21 09:00",
                 "0.8 mL 40 mg", "0.7 mL 35 mg", "0.1 mL 5 mg", "\u22121 mL \u221250 mg",
                 "Kept at least 5 years"):
        assert fact in text, fact
    totals = {(t.kind, t.volume_ml, t.mg) for t in LOG.totals()}
    # the reversed draw counts nothing: drawn 0.8 mL = administered 0.7 + wasted 0.1
    assert totals == {(LedgerKind.RECEIVED, Decimal(10), Decimal(500)),
                      (LedgerKind.DRAWN, Decimal("0.8"), Decimal(40)),
                      (LedgerKind.ADMINISTERED, Decimal("0.7"), Decimal(35)),
                      (LedgerKind.WASTED, Decimal("0.1"), Decimal(5))}
    assert "Totals per product and lot" in text and "Drawn 3 0.8 mL 40 mg" in text


def test_an_empty_period_says_so() -> None:
    text = text_of(build_dispensing_log(DispensingLog(
        **BASE, start=date(2026, 12, 1), end=date(2026, 12, 1))))  # type: ignore[arg-type]
    assert "No entries in the books of this location in this period." in text
    assert "Period: 2026-12-01 " in text


BALANCE = BalanceSheet(**BASE, on=date(2026, 11, 30), lines=(  # type: ignore[arg-type]
    BalanceLine(PRODUCT, FIFTY, "KX2291", opening_ml=Decimal(10), received_ml=Decimal(20),
                administered_ml=Decimal("0.7"), wasted_ml=Decimal("0.1"),
                destroyed_ml=Decimal(10), lost_ml=Decimal("0.5"),
                drawn_open_ml=Decimal("0.4")),
    BalanceLine(PRODUCT, FIFTY, "KX3000", received_ml=Decimal(10),
                transferred_out_ml=Decimal(10)),
    BalanceLine("Esketamine 28 mg device", Decimal(140), "SP1", received_ml=Decimal("0.6"),
                administered_ml=Decimal("0.4")),
))


def test_the_balance_closes_what_opened_plus_in_less_out_in_ml_and_mg() -> None:
    first = BALANCE.lines[0]
    assert first.closing_ml == Decimal("18.7") and first.in_containers_ml == Decimal("18.3")
    text = text_of(build_balance(BALANCE))
    for fact in ("Controlled-substance perpetual balance",
                 "Balance from the first entry to the close of 2026-11-30",
                 "lot KX2291 10 mL 500 mg 20 mL 1000 mg", "18.7 mL 935 mg",
                 "all lots", "0.4 mL was drawn for a patient",
                 "18.3 mL is in the containers", "Kept at least 5 years"):
        assert fact in text, fact
    # the product's two lots add up on its total line: closing 18.7 + 0 = 18.7 mL
    assert "all lots 10 mL 500 mg 30 mL 1500 mg" in text
    # 50 mg/mL and 140 mg/mL millilitres add up to nothing: no grand total across them
    assert "All products" not in text


def test_the_inventory_lists_sealed_and_measured_containers_and_who_took_it() -> None:
    taken = StockSignature("Nora Reyes, RN", at(22), "1a2b3c4d5e6f7a8b9c0d")
    inventory = Inventory(**BASE, kind=InventoryKind.BIENNIAL,  # type: ignore[arg-type]
                          taken_on=date(2026, 11, 21), taken_at=BusinessTime.CLOSE, lines=(
        InventoryLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 7, sealed=True, ndc="67457-108-10",
                      expiry_date=date(2027, 6, 30), serial="S2"),
        InventoryLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 8, sealed=False,
                      measured_ml=Decimal("9.2")),
    ), taken_by=taken, second_counter=StockSignature("Sam Okafor, RN"))
    text = text_of(build_inventory(inventory))
    for fact in ("Biennial inventory, 2026-11-21, close of business", "NDC 67457-108-10",
                 "sealed (counted)", "open, measured 9.2 mL", "serial S2",
                 "expires 2027-06-30", "10 mL 500 mg", "9.2 mL 460 mg",
                 "2 (1 sealed, 1 open)", "2 containers, 19.2 mL = 960 mg",
                 "Nora Reyes, RN, signed 2026-11-21 17:00 with key 1a2b3c4d5e6f7a8b",
                 "Counted with", "Sam Okafor, RN (not signed in ketalog)",
                 "Kept at least 5 years"):
        assert fact in text, fact


CONTAINERS = (
    DisposedContainer(PRODUCT, FIFTY, "KX2291", 7, Decimal(10), ndc="67457-108-10",
                      container_volume_ml=Decimal(10), serial="S1"),
    DisposedContainer(PRODUCT, FIFTY, "KX2291", 8, Decimal("3.5")),
)


def test_the_destruction_record_has_the_form_41_facts_and_two_witnesses() -> None:
    record = DestructionRecord(
        **BASE, destroyed_at_utc=at(20), place="Main clinic, medication room",  # type: ignore[arg-type]
        manner="Rx Destroyer (chemical digestion), non-retrievable", reason="expired",
        containers=CONTAINERS, recorded_by=StockSignature("Nora Reyes, RN", at(20)),
        witnesses=(StockSignature("Sam Okafor, RN", at(20), "aa11"),
                   StockSignature("Ada Lindqvist, MD", at(20), "bb22")))
    text = text_of(build_destruction(record))
    for fact in ("The facts of DEA Form 41", "2026-11-21 15:00",
                 "Main clinic, medication room", "Rx Destroyer (chemical digestion)",
                 "expired", "NDC 67457-108-10", "lot KX2291", "container 7", "serial S1",
                 "10 mL 500 mg", "3.5 mL 175 mg", "13.5 mL = 675 mg", "Total: 675 mg",
                 "Witness 1", "Sam Okafor, RN, signed", "Witness 2", "Ada Lindqvist, MD",
                 "Signature: ____", "Kept at least 5 years"):
        assert fact in text, fact


def test_the_loss_record_has_the_form_106_facts() -> None:
    record = LossRecord(**BASE, discovered_on=date(2026, 11, 22),  # type: ignore[arg-type]
                        kind=LossKind.THEFT, circumstances="Safe found open at opening",
                        police_notified=True, police_reference="SPD 2026-4471",
                        containers=CONTAINERS[1:], measures_taken="Lock replaced",
                        recorded_by=StockSignature("Ada Lindqvist, MD", at(14, day=22)))
    text = text_of(build_loss(record))
    for fact in ("The facts of DEA Form 106", "Date of discovery 2026-11-22", "Kind Theft",
                 "Safe found open at opening", "Yes, reference SPD 2026-4471",
                 "Lock replaced", "3.5 mL 175 mg", "Total: 175 mg", "within 45 days",
                 "theft discovered 2026-11-22", "Kept at least 5 years"):
        assert fact in text, fact
    unreported = LossRecord(**BASE, discovered_on=date(2026, 11, 22),  # type: ignore[arg-type]
                            kind=LossKind.IN_TRANSIT, circumstances="Box arrived short")
    assert "Police notified No" in text_of(build_loss(unreported))


def test_the_same_data_gives_the_same_bytes() -> None:
    assert build_dispensing_log(LOG) == build_dispensing_log(LOG)
    assert build_balance(BALANCE) == build_balance(BALANCE)


def test_mg_is_printed_exactly() -> None:
    assert format_mg(Decimal("0.1") * FIFTY) == "5 mg"
    assert format_mg(Decimal("0.33") * FIFTY) == "16.5 mg"
    assert format_mg(Decimal(0)) == "0 mg"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_log_and_the_balance_round_trip_through_csv(tmp_path: Path) -> None:
    log_file = write_stock_csv(dispensing_log_records(LOG), tmp_path / "log.csv")
    rows = _read(log_file)
    assert list(rows[0]) == list(LOG_HEADER) and len(rows) == len(LOG.lines)
    assert [(r["entry_id"], r["kind"], r["volume_ml"], r["mg"]) for r in rows[:4]] == [
        ("1", "Received", "10", "500"), ("2", "Drawn", "0.8", "40"),
        ("3", "Administered", "0.7", "35"), ("4", "Wasted", "0.1", "5")]
    assert rows[3]["witness"] == "Sam Okafor, RN" and rows[3]["patient"] == "Ñúñez, José"
    assert rows[5]["reverses_entry"] == "5" and rows[0]["local_time"] == "09:00 EST"
    for row in rows:
        assert Decimal(row["mg"]) == Decimal(row["volume_ml"]) * Decimal(
            row["strength_mg_per_ml"])
    balance_file = write_stock_csv(balance_records(BALANCE), tmp_path / "balance.csv")
    lines = _read(balance_file)
    assert list(lines[0]) == list(BALANCE_HEADER)
    first = lines[0]
    assert (first["lot_number"], first["closing_ml"], first["closing_mg"]) == (
        "KX2291", "18.7", "935")
    for row in lines:  # closing = opening + in - out, in every row read back
        d = {k: Decimal(v) for k, v in row.items() if k.endswith("_ml")}
        assert d["closing_ml"] == (d["opening_ml"] + d["received_ml"] + d["transferred_in_ml"]
                                   - d["transferred_out_ml"] - d["administered_ml"]
                                   - d["wasted_ml"] - d["destroyed_ml"] - d["lost_ml"])


def test_a_formula_in_free_text_stays_text(tmp_path: Path) -> None:
    log = DispensingLog(**BASE, start=date(2026, 11, 1), end=date(2026, 11, 1),  # type: ignore[arg-type]
                        lines=(_line(1, LedgerKind.RECEIVED, "10", at(14),
                                     detail="=HYPERLINK(\"x\")"),))
    rows = _read(write_stock_csv(dispensing_log_records(log), tmp_path / "log.csv"))
    assert rows[0]["detail"] == "'=HYPERLINK(\"x\")"


def test_a_csv_is_never_written_over_a_folder_or_a_link(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(StockCsvError, match="not a plain file"):
        write_stock_csv([["a"]], tmp_path / "folder")
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "link.csv").symlink_to(target)
    with pytest.raises(StockCsvError, match="not a plain file"):
        write_stock_csv([["a"]], tmp_path / "link.csv")
    assert target.read_text() == "keep me"
    with pytest.raises(StockCsvError, match="does not exist; nothing was written"):
        write_stock_csv([["a"]], tmp_path / "missing" / "log.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "link.csv",
                                                          "precious.txt"]


def test_a_long_log_repeats_its_location_and_header_on_every_page_and_totals_add_up() -> None:
    lines = [_line(1, LedgerKind.RECEIVED, "10", at(13), container_id=1)]
    for n in range(60):  # sixty doses of 0.15 mL (7.5 mg) from one vial
        when = at(14 + n // 10, (n % 10) * 5)
        lines.append(_line(2 + 2 * n, LedgerKind.DRAWN, "0.15", when, **PATIENT))
        lines.append(_line(3 + 2 * n, LedgerKind.ADMINISTERED, "0.15", when, **PATIENT))
    log = DispensingLog(**BASE, start=date(2026, 11, 21), end=date(2026, 11, 21),  # type: ignore[arg-type]
                        lines=tuple(lines))
    pages = [page.extract_text() for page in PdfReader(BytesIO(build_dispensing_log(log))).pages]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Main clinic safe · DEA FB7654329 · 2026-11-21" in page
        assert f"Page {number} of {len(pages)}" in page
    assert all("Date, time" in page for page in pages[:-1])  # the table's header repeats
    assert sum(1 for page in pages for _ in re.finditer(r"Administered", page)) >= 60
    totals = {t.kind: t for t in log.totals()}
    given = sum((line.mg for line in lines if line.kind is LedgerKind.ADMINISTERED), Decimal(0))
    assert totals[LedgerKind.ADMINISTERED].mg == given == Decimal(450)
    assert totals[LedgerKind.ADMINISTERED].entries == 60
    assert "Administered 60 9 mL 450 mg" in re.sub(r"\s+", " ", pages[-1])


def test_a_count_shows_an_open_discrepancy_and_a_signature_that_does_not_hold() -> None:
    line = CountSheetLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 7, Decimal("6.5"),
                          Decimal(6), serial="S1", discrepancy_id=4)
    resolved = CountSheetLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 8, Decimal(10),
                              Decimal("10.2"), discrepancy_id=5, resolution=CountResolution(
                                  "manufacturer overfill in the vial",
                                  StockSignature("Ada Lindqvist, MD", at(18))))
    sheet = CountSheet(**BASE, count_id=3, occasion=CountOccasion.SHIFT_END,  # type: ignore[arg-type]
                       counted_at_utc=at(17), note="",
                       counted_by=StockSignature("Nora Reyes, RN", at(17)),
                       second_counter=StockSignature("Sam Okafor, RN", at(17), not_valid=(
                           "the second count by Sam Okafor, RN was not made with his key",)),
                       signature_problems=("the second count by Sam Okafor, RN was not made "
                                           "with his key",),
                       lines=(line, resolved))
    text = text_of(build_count(sheet))
    for fact in ("Shift-end count no. 3", "2026-11-21 12:00", "2 (1 resolved, 1 open)",
                 "\u22120.5 mL", "+0.2 mL", "OPEN: not yet resolved",
                 "manufacturer overfill in the vial", "Nothing: explained, not written off",
                 "Resolved by Ada Lindqvist, MD, signed 2026-11-21 13:00",
                 "Counted by Nora Reyes, RN, signed",
                 "Second counter Sam Okafor, RN: SIGNATURE NOT VALID: the second count by"):
        assert fact in text, fact
    assert "Sam Okafor, RN, signed" not in text
    assert text.count("SIGNATURE NOT VALID") >= 3  # the banner, the line and every page's foot


def test_what_was_reversed_is_shown_and_left_out_of_the_totals() -> None:
    records = DestructionRecords(**BASE, start=date(2026, 11, 1), end=date(2026, 11, 30),  # type: ignore[arg-type]
                                 acts=(DestructionRecord(
                                     **BASE, destroyed_at_utc=at(20), place="safe",  # type: ignore[arg-type]
                                     manner="Rx Destroyer", containers=(
                                         CONTAINERS[0], replace(CONTAINERS[1], reversed=True)),
                                     witnesses=(StockSignature("Sam Okafor, RN", at(20)),
                                                StockSignature("Ada Lindqvist, MD", at(20)))),
                                       DestructionRecord(
                                     **BASE, destroyed_at_utc=at(21, day=25), place="safe",  # type: ignore[arg-type]
                                     manner="Rx Destroyer", containers=CONTAINERS[1:])))
    text = text_of(build_destructions(records))
    for fact in ("clinic days 2026-11-01 to 2026-11-30", "Destructions 2",
                 "Containers destroyed 2", "13.5 mL = 675 mg", "Destruction 1 of 2",
                 "Destruction 2 of 2", "REVERSED: entered in error, not in the totals",
                 "Total: 500 mg", "Total: 175 mg", "Witness 2 \u2014"):
        assert fact in text, fact
    inventory = Inventory(**BASE, kind=InventoryKind.OTHER,  # type: ignore[arg-type]
                          taken_on=date(2026, 11, 21), taken_at=BusinessTime.OPENING, lines=(
        InventoryLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 7, sealed=True, count_of_sealed=0),
        InventoryLine(PRODUCT, FIFTY, Decimal(10), "KX2291", 8, sealed=True)))
    text = text_of(build_inventory(inventory))
    for fact in ("Inventory (neither initial nor biennial), 2026-11-21, opening of business",
                 "sealed: NOT FOUND (counted 0)", "Sealed containers not found 1",
                 "2 containers, 10 mL = 500 mg"):
        assert fact in text, fact
