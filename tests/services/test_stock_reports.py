"""The dispensing log and the balance account for every mL of the books (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.accounts import prove_identity
from ketalog.services.context import SYSTEM, Actor
from ketalog.services.errors import NotFound, PermissionDenied
from ketalog.services.identity import ProofPurpose
from ketalog.services.session.state import change_state
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    receive_stock,
    record_administered,
    return_to_stock,
    reverse_stock_entry,
    stock_on_hand,
    waste_remainder,
)
from ketalog.services.stock_reports import (
    balance_input,
    dispensing_log_input,
    save_stock_document,
)
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import ADMIN, NURSE, password_of

SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")
DAY = date(2026, 11, 21)


@dataclass
class Books:
    location_id: int
    other_location_id: int
    vials: list[int]
    session_id: int


@pytest.fixture
def books(db: Session, clock: FakeClock) -> Books:
    """Two vials received, one dose given with its remainder wasted before a witness,
    another given whole, a third drawn and returned, a mistaken draw reversed."""
    location = add_stock_location(db, ADMIN, name="Main clinic safe", dea_number="FB7654329",
                                  address="12 Elm St, Springfield", clock=clock)
    other = add_stock_location(db, ADMIN, name="Annex safe", dea_number="FB7654329",
                               address="14 Elm St, Springfield", clock=clock)
    product = add_stock_product(db, ADMIN, name="Ketamine HCl 50 mg/mL, 10 mL vial",
                                substance="ketamine", strength_mg_per_ml="50",
                                container_volume_ml="10", ndc="67457-108-10", clock=clock)
    vials = receive_stock(db, NURSE, location_id=location, product_id=product,
                          received_on=date(2026, 11, 20), supplier=SUPPLIER,
                          order_reference="INV-88123",
                          containers=[ReceivedContainer("KX2291", date(2027, 6, 30), "S1"),
                                      ReceivedContainer("KX2291", date(2027, 6, 30), "S2")],
                          clock=clock)
    receive_stock(db, NURSE, location_id=other, product_id=product,
                  received_on=date(2026, 11, 20), supplier=SUPPLIER, order_reference="INV-9",
                  containers=[ReceivedContainer("KX9999", date(2027, 6, 30))], clock=clock)
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    clock.advance(10)
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=vials[0], volume_ml="0.8",
                            clock=clock)
    clock.advance(40)
    record_administered(db, NURSE, draw_id=draw, volume_ml="0.7", clock=clock)
    witness = prove_identity(db, "sam", password_of("sam"), purpose=ProofPurpose.WITNESS_WASTE,
                             workstation="t", clock=clock)
    waste_remainder(db, NURSE, draw_id=draw, volume_ml="0.1", manner="into the waste container",
                    witness_proof=witness, clock=clock)
    second = draw_for_session(db, NURSE, session_id=sid, container_id=vials[1], volume_ml="1",
                              clock=clock)
    record_administered(db, NURSE, draw_id=second, volume_ml="1", clock=clock)
    third = draw_for_session(db, NURSE, session_id=sid, container_id=vials[1], volume_ml="0.5",
                             clock=clock)
    return_to_stock(db, NURSE, draw_id=third, volume_ml="0.5", clock=clock)
    mistake = draw_for_session(db, NURSE, session_id=sid, container_id=vials[1],
                               volume_ml="2", clock=clock)
    reverse_stock_entry(db, NURSE, entry_id=mistake, reason="drawn for the wrong chair",
                        clock=clock)
    return Books(location, other, vials, sid)


def _on_hand_ml(db: Session, location_id: int) -> Decimal:
    return sum((b.balance_ml for b in stock_on_hand(db, location_id)), Decimal(0))


def test_the_log_lists_every_entry_with_its_patient_witness_and_supplier(
        db: Session, books: Books) -> None:
    log = dispensing_log_input(db, NURSE, location_id=books.location_id, start=DAY, end=DAY)
    assert log.registrant.location_name == "Main clinic safe"
    assert log.registrant.dea_number == "FB7654329"
    assert "Kept at least 2 years" in log.retention
    assert [line.kind for line in log.lines] == [
        LedgerKind.RECEIVED, LedgerKind.RECEIVED, LedgerKind.DRAWN, LedgerKind.ADMINISTERED,
        LedgerKind.WASTED, LedgerKind.DRAWN, LedgerKind.ADMINISTERED, LedgerKind.DRAWN,
        LedgerKind.RETURNED, LedgerKind.DRAWN, LedgerKind.REVERSAL]
    received = log.lines[0]
    assert received.detail == "from Henry Schein (DEA AB1234563), order INV-88123"
    assert (received.container_serial, received.lot_number) == ("S1", "KX2291")
    wasted = log.lines[4]
    assert (wasted.patient_name, wasted.witness, wasted.recorded_by, wasted.detail) == (
        "Ñúñez, José", "Sam Okafor, RN", "Nora Reyes, RN", "into the waste container")
    assert wasted.mrn and wasted.session_id == books.session_id and wasted.mg == 5
    reversal = log.lines[-1]
    assert reversal.reverses_kind is LedgerKind.DRAWN
    assert reversal.detail == "drawn for the wrong chair"
    # the other location's delivery is in its own books, not these
    assert all(line.lot_number == "KX2291" for line in log.lines)
    totals = {t.kind: t.volume_ml for t in log.totals()}
    assert totals == {LedgerKind.RECEIVED: 20, LedgerKind.DRAWN: Decimal("2.3"),
                      LedgerKind.ADMINISTERED: Decimal("1.7"),
                      LedgerKind.WASTED: Decimal("0.1"), LedgerKind.RETURNED: Decimal("0.5")}
    # every mL drawn is accounted for: given, wasted or put back
    assert totals[LedgerKind.DRAWN] == (totals[LedgerKind.ADMINISTERED]
                                        + totals[LedgerKind.WASTED] + totals[LedgerKind.RETURNED])
    before = dispensing_log_input(db, NURSE, location_id=books.location_id,
                                  start=date(2026, 11, 1), end=date(2026, 11, 20))
    assert before.lines == ()


def test_received_is_administered_plus_wasted_plus_on_hand(db: Session, books: Books) -> None:
    sheet = balance_input(db, NURSE, location_id=books.location_id, on=DAY)
    assert len(sheet.lines) == 1
    line = sheet.lines[0]
    assert (line.opening_ml, line.received_ml, line.administered_ml, line.wasted_ml) == (
        Decimal(0), Decimal(20), Decimal("1.7"), Decimal("0.1"))
    on_hand = _on_hand_ml(db, books.location_id)
    assert on_hand == Decimal("18.2")
    assert line.received_ml == line.administered_ml + line.wasted_ml + on_hand
    assert line.closing_ml == on_hand and line.drawn_open_ml == 0
    assert line.mg(line.closing_ml) == 910


def test_a_draw_not_yet_accounted_for_is_held_and_shown(db: Session, books: Books,
                                                       clock: FakeClock) -> None:
    draw_for_session(db, NURSE, session_id=books.session_id, container_id=books.vials[0],
                     volume_ml="0.4", clock=clock)
    line = balance_input(db, NURSE, location_id=books.location_id, on=DAY).lines[0]
    assert line.drawn_open_ml == Decimal("0.4")
    assert line.closing_ml == Decimal("18.2")
    assert line.in_containers_ml == _on_hand_ml(db, books.location_id) == Decimal("17.8")


def test_a_later_period_opens_with_what_the_last_one_closed(db: Session, books: Books,
                                                           clock: FakeClock) -> None:
    clock.advance(24 * 60)
    draw = draw_for_session(db, NURSE, session_id=books.session_id,
                            container_id=books.vials[0], volume_ml="0.3", clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="0.3", clock=clock)
    next_day = date(2026, 11, 22)
    line = balance_input(db, NURSE, location_id=books.location_id, on=next_day,
                         since=next_day).lines[0]
    assert (line.opening_ml, line.received_ml, line.administered_ml, line.closing_ml) == (
        Decimal("18.2"), Decimal(0), Decimal("0.3"), Decimal("17.9"))
    assert line.closing_ml == _on_hand_ml(db, books.location_id)
    whole = balance_input(db, NURSE, location_id=books.location_id, on=next_day).lines[0]
    assert (whole.opening_ml, whole.administered_ml, whole.closing_ml) == (
        Decimal(0), Decimal("2.0"), Decimal("17.9"))
    # the day before, the balance closed where the next day opened
    assert balance_input(db, NURSE, location_id=books.location_id,
                         on=DAY).lines[0].closing_ml == Decimal("18.2")


def test_bad_requests_are_refused_with_what_is_wrong(db: Session, books: Books) -> None:
    with pytest.raises(NotFound, match="no stock location 999"):
        dispensing_log_input(db, NURSE, location_id=999, start=DAY, end=DAY)
    with pytest.raises(ValidationError, match=r"ends \(2026-11-20\) before it starts"):
        dispensing_log_input(db, NURSE, location_id=books.location_id, start=DAY,
                             end=date(2026, 11, 20))
    gone = Actor(username="nora", display_name="x", role="nurse", user_id=999)
    with pytest.raises(PermissionDenied, match="disabled or no longer exists"):
        balance_input(db, gone, location_id=books.location_id, on=DAY)


def test_the_books_are_saved_as_csv_and_pdf_with_an_audit_row(
        db: Session, books: Books, tmp_path: Path, clock: FakeClock) -> None:
    log_csv = save_stock_document(db, NURSE, document="log", file_format="csv",
                                  location_id=books.location_id, path=tmp_path / "log.csv",
                                  start=DAY, end=DAY, clock=clock)
    with log_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 11 and rows[4]["witness"] == "Sam Okafor, RN"
    pdf = save_stock_document(db, SYSTEM, document="balance", file_format="pdf",
                              location_id=books.location_id, path=tmp_path / "balance.pdf",
                              end=DAY, clock=clock)
    assert pdf.read_bytes().startswith(b"%PDF")
    actions = db.execute(select(AuditEntry.action, AuditEntry.field, AuditEntry.new_value)
                         .where(AuditEntry.action.like("stock_%_saved"))
                         .order_by(AuditEntry.id)).all()
    assert [(a, f) for a, f, _ in actions] == [("stock_log_saved", "csv"),
                                               ("stock_balance_saved", "pdf")]
    assert str(actions[0][2]).startswith("2026-11-21..2026-11-21 -> ")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ValidationError, match="not a plain file; nothing was written"):
        save_stock_document(db, NURSE, document="log", file_format="csv",
                            location_id=books.location_id, path=tmp_path / "folder.csv",
                            start=DAY, end=DAY, clock=clock)
