"""The books as the chair reads them: containers on hand, a scanned vial, the session's draws.

And the two guards at the end of a visit: nothing is discharged, nor its nursing
record completed, while a drawn dose is unaccounted for (issue 19, item 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.domain.vial_barcode import gtin_from_ndc
from ketalog.services.accounts import prove_identity
from ketalog.services.identity import ProofPurpose
from ketalog.services.session.state import change_state
from ketalog.services.signing import complete_nursing_record
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    recall_lot,
    receive_stock,
    record_administered,
    return_to_stock,
    reverse_stock_entry,
    stock_on_hand,
    unreconciled_ml_for_session,
    waste_remainder,
)
from ketalog.services.stock_view import (
    ChairDraw,
    chair_stock,
    containers_on_hand,
    draw_volume_for,
    given_from_pump,
    match_scan,
)
from ketalog.store.models import StockEntry
from tests.conftest import FakeClock
from tests.play import book, discharge, start_infusion
from tests.staff import ADMIN, NURSE, password_of

GTIN = "00367457108100"  # NDC 67457-108-10
OTHER_GTIN = gtin_from_ndc("12345-678-90")  # a product the clinic never registered
GS = "\x1d"
SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")


@dataclass
class Safe:
    product_id: int
    containers: list[int]
    session_id: int


@pytest.fixture
def safe(db: Session, clock: FakeClock) -> Safe:
    """Ketamine 10 mg/mL, 20 mL vials: lot KT24A (S1, S2) and lot KT24B (S3); a patient in."""
    location = add_stock_location(db, ADMIN, name="Clinic safe", dea_number="FB7654329",
                                  address="12 Elm St, Springfield", clock=clock)
    product = add_stock_product(db, ADMIN, name="Ketamine HCl 10 mg/mL, 20 mL vial",
                                substance="ketamine", strength_mg_per_ml="10",
                                container_volume_ml="20", ndc="67457-108-10", clock=clock)
    containers = receive_stock(
        db, NURSE, location_id=location, product_id=product, received_on=date(2026, 11, 20),
        supplier=SUPPLIER, order_reference="INV-1",
        containers=[ReceivedContainer("KT24A", date(2027, 6, 30), "S1"),
                    ReceivedContainer("KT24A", date(2027, 6, 30), "S2"),
                    ReceivedContainer("KT24B", date(2027, 9, 30), "S3")], clock=clock)
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return Safe(product, containers, sid)


def _code(lot: str, expiry: str = "270630", serial: str | None = None, *,
          prefix: str = "]d2", separator: str = GS) -> str:
    text = f"{prefix}01{GTIN}17{expiry}10{lot}"
    return text + (f"{separator}21{serial}" if serial else "")


def test_the_containers_on_hand_agree_with_the_ledger(db: Session, safe: Safe,
                                                      clock: FakeClock) -> None:
    draw = draw_for_session(db, NURSE, session_id=safe.session_id,
                            container_id=safe.containers[0], volume_ml="4", clock=clock)
    wrong = draw_for_session(db, NURSE, session_id=safe.session_id,
                             container_id=safe.containers[2], volume_ml="20", clock=clock)
    reverse_stock_entry(db, NURSE, entry_id=wrong, reason="wrong vial scanned", clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="4", clock=clock)
    on_hand = containers_on_hand(db, today=date(2026, 11, 21))
    assert [(c.container_id, c.balance_ml) for c in on_hand] == [
        (safe.containers[0], Decimal(16)), (safe.containers[1], Decimal(20)),
        (safe.containers[2], Decimal(20))]
    assert {(c.container_id, c.balance_ml) for c in on_hand} == {
        (b.container_id, b.balance_ml) for b in stock_on_hand(db)}
    assert on_hand[0].gtin == GTIN  # from the NDC: the product was registered without one


def test_a_scan_finds_its_container_by_serial(db: Session, safe: Safe, clock: FakeClock) -> None:
    found = match_scan(db, _code("KT24A", serial="S2"), now=clock())
    assert found.container.container_id == safe.containers[1]
    assert (found.scan.lot_number, found.scan.expiry_date, found.scan.serial) == (
        "KT24A", date(2027, 6, 30), "S2")
    # typed by a scanner set to send ~ for the separator, without the symbology identifier
    found = match_scan(db, _code("KT24A", serial="S2", prefix="", separator="~"), now=clock())
    assert found.container.container_id == safe.containers[1]


def test_a_scan_without_serial_takes_the_open_vial_of_its_lot(
        db: Session, safe: Safe, clock: FakeClock) -> None:
    draw_for_session(db, NURSE, session_id=safe.session_id, container_id=safe.containers[1],
                     volume_ml="4", clock=clock)
    found = match_scan(db, _code("KT24A"), now=clock())
    assert found.container.container_id == safe.containers[1]  # 16 mL left: the open one
    chosen = match_scan(db, _code("KT24A"), now=clock(), chosen_container_id=safe.containers[0])
    assert chosen.container.container_id == safe.containers[0]  # the nurse's choice holds


@pytest.mark.parametrize(("typed", "words"), [
    ("hello", "This is not a vial code ketalog can read"),
    (f"]d201{OTHER_GTIN}1727063010KT24A{GS}21S1", "Unknown product"),
    (_code("KT24A", expiry="261101", serial="S1"), "This vial expired on 2026-11-01"),
    (_code("ZZ999", serial="S9"), "The books hold no Ketamine HCl 10 mg/mL, 20 mL vial of lot "
                                  "ZZ999"),
])
def test_a_scan_that_will_not_do_is_refused_with_what_to_do(
        db: Session, safe: Safe, clock: FakeClock, typed: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        match_scan(db, typed, now=clock())
    assert any(words in m for m in refused.value.messages), refused.value.messages
    assert refused.value.problems[0].field == "scan"


def test_another_lot_than_the_chosen_container_is_refused(
        db: Session, safe: Safe, clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match="This vial is lot KT24B, but the chosen container "
                                              "is lot KT24A"):
        match_scan(db, _code("KT24B", "270930", "S3"), now=clock(),
                   chosen_container_id=safe.containers[0])


def test_a_recalled_lot_or_an_empty_vial_is_refused(db: Session, safe: Safe,
                                                    clock: FakeClock) -> None:
    recall_lot(db, ADMIN, product_id=safe.product_id, lot_number="KT24B",
               reason="particulates", clock=clock)
    with pytest.raises(ValidationError, match=r"Lot KT24B of .* is recalled"):
        match_scan(db, _code("KT24B", "270930", "S3"), now=clock())
    draw = draw_for_session(db, NURSE, session_id=safe.session_id,
                            container_id=safe.containers[0], volume_ml="20", clock=clock)
    assert draw
    with pytest.raises(ValidationError, match=r"This vial \(serial S1\) is empty in the books"):
        match_scan(db, _code("KT24A", serial="S1"), now=clock())


def _draw(draw_id: int, unreconciled: str, given: str = "0", strength: str = "10") -> ChairDraw:
    return ChairDraw(draw_id, 1, "k", "L", None, Decimal(strength), Decimal(5),
                     datetime(2026, 1, 1), "n", Decimal(given), Decimal(0), Decimal(0),
                     Decimal(unreconciled))


def test_the_pump_s_delivered_mg_are_spread_over_the_open_draws() -> None:
    # 47.25 mg delivered: 1 mL already recorded given, then 3 mL and 0.725 mL (to 0.73)
    draws = [_draw(1, "0", given="1"), _draw(2, "3"), _draw(3, "2")]
    assert given_from_pump(Decimal("47.25"), draws) == {2: Decimal(3), 3: Decimal("0.73")}
    # a whole bag of 41.85 mg settles a draw of 4.19 mL (4.185 measured half up)
    assert given_from_pump(Decimal("41.85"), [_draw(4, "4.19")]) == {4: Decimal("4.19")}
    assert given_from_pump(Decimal(5), draws) == {2: Decimal(0), 3: Decimal(0)}


def test_the_given_volume_is_prefilled_once_the_infusion_ends(
        db: Session, safe: Safe, clock: FakeClock) -> None:
    start_infusion(db, safe.session_id, clock, start=False)
    stock = chair_stock(db, safe.session_id, clock())
    vial = stock.container(safe.containers[0])
    assert vial is not None and stock.ordered_mg == 40 and draw_volume_for(stock, vial) == 4
    draw = draw_for_session(db, NURSE, session_id=safe.session_id,
                            container_id=safe.containers[0], volume_ml="4.5", clock=clock)
    clock.advance(1)
    change_state(db, NURSE, safe.session_id, SessionAction.START_INFUSION, clock=clock)
    clock.advance(20)
    running = chair_stock(db, safe.session_id, clock())
    assert running.draws[0].suggested_given_ml is None and not running.dose_given
    assert running.unreconciled_ml == Decimal("4.5")
    clock.advance(20)
    change_state(db, NURSE, safe.session_id, SessionAction.STOP_INFUSION, clock=clock)
    ended = chair_stock(db, safe.session_id, clock())
    assert ended.dose_given and ended.draws[0].suggested_given_ml == 4  # the whole bag
    assert ended.draws[0].draw_id == draw


def test_the_nursing_record_is_not_completed_while_a_draw_is_reopened(
        db: Session, safe: Safe, clock: FakeClock) -> None:
    start_infusion(db, safe.session_id, clock)
    draw = draw_for_session(db, NURSE, session_id=safe.session_id,
                            container_id=safe.containers[0], volume_ml="4.2", clock=clock)
    given = record_administered(db, NURSE, draw_id=draw, volume_ml="4.2", clock=clock)
    discharge(db, safe.session_id, clock)
    # after discharge the nurse sees 4.2 mL was recorded given; 4 mL was: reversed
    reverse_stock_entry(db, NURSE, entry_id=given, reason="typed 4.2 for 4.0", clock=clock)
    assert unreconciled_ml_for_session(db, safe.session_id) == Decimal("4.2")
    entries = db.scalar(select(func.count()).select_from(StockEntry))
    with pytest.raises(TransitionRefused, match=r"4\.2 mL drawn for this session is not "
                                                "accounted for"):
        complete_nursing_record(db, NURSE, safe.session_id, password=password_of("nora"),
                                clock=clock)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StockEntry)) == entries
    # the right entries are recorded, still on the discharged session; then it completes
    record_administered(db, NURSE, draw_id=draw, volume_ml="4", clock=clock)
    waste_remainder(db, NURSE, draw_id=draw, volume_ml="0.2", manner="drug waste container",
                    witness_proof=prove_identity(db, "sam", password_of("sam"),
                                                 purpose=ProofPurpose.WITNESS_WASTE,
                                                 workstation="t", clock=clock), clock=clock)
    assert complete_nursing_record(db, NURSE, safe.session_id, password=password_of("nora"),
                                   clock=clock)


def test_a_session_is_not_cancelled_with_a_dose_drawn_for_it(
        db: Session, safe: Safe, clock: FakeClock) -> None:
    draw = draw_for_session(db, NURSE, session_id=safe.session_id,
                            container_id=safe.containers[0], volume_ml="4", clock=clock)
    with pytest.raises(TransitionRefused, match=r"Drawn and not accounted for: 4 mL of lot "
                                                r"KT24A; return it to its vial"):
        change_state(db, NURSE, safe.session_id, SessionAction.CANCEL, reason="unwell",
                     clock=clock)
    db.rollback()
    return_to_stock(db, NURSE, draw_id=draw, volume_ml="4", clock=clock)
    change_state(db, NURSE, safe.session_id, SessionAction.CANCEL, reason="unwell", clock=clock)
    assert containers_on_hand(db, today=date(2026, 11, 21))[0].balance_ml == 20
