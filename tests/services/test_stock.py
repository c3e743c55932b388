"""The controlled-substance books through the services, on SQLite and PostgreSQL (issue 19)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.accounts import prove_identity
from ketalog.services.database import make_sessionmaker
from ketalog.services.errors import PermissionDenied
from ketalog.services.identity import ProofPurpose
from ketalog.services.keyed import STOCK_WITNESS, holds, row_manifest
from ketalog.services.session.state import change_state
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    open_draws,
    recall_lot,
    receive_stock,
    record_administered,
    return_to_stock,
    reverse_stock_entry,
    stock_on_hand,
    unreconciled_ml_for_session,
    waste_remainder,
)
from ketalog.store.models import AuditEntry, StockEntry, UserKey
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import ADMIN, NURSE, NURSE2, PHYSICIAN, password_of

SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")
LOT = "KX2291"


@dataclass
class Stock:
    location_id: int
    product_id: int
    containers: list[int]
    session_id: int


@pytest.fixture
def stock(db: Session, clock: FakeClock) -> Stock:
    """One location, ketamine 50 mg/mL in 10 mL vials, two vials received, a patient checked in."""
    location = add_stock_location(db, ADMIN, name="Main clinic safe", dea_number="FB7654329",
                                  address="12 Elm St, Springfield", clock=clock)
    product = add_stock_product(db, ADMIN, name="Ketamine HCl 50 mg/mL, 10 mL vial",
                                substance="ketamine", strength_mg_per_ml="50",
                                container_volume_ml="10", ndc="67457-108-10",
                                gtin="00367457108100", clock=clock)
    containers = receive_stock(
        db, NURSE, location_id=location, product_id=product, received_on=date(2026, 11, 20),
        supplier=SUPPLIER, order_reference="INV-88123",
        containers=[ReceivedContainer(LOT, date(2027, 6, 30), "S1"),
                    ReceivedContainer(LOT, date(2027, 6, 30), "S2")], clock=clock)
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return Stock(location, product, containers, sid)


def _balance(db: Session, container_id: int) -> Decimal:
    return next((b.balance_ml for b in stock_on_hand(db) if b.container_id == container_id),
                Decimal(0))


def _witness(db: Session, username: str, clock: FakeClock) -> object:
    return prove_identity(db, username, password_of(username),
                          purpose=ProofPurpose.WITNESS_WASTE, workstation="t", clock=clock)


def test_a_delivery_puts_each_container_in_stock(db: Session, stock: Stock) -> None:
    on_hand = stock_on_hand(db)
    assert [(b.container_id, b.location_name, b.lot_number, b.serial, b.balance_ml)
            for b in on_hand] == [(stock.containers[0], "Main clinic safe", LOT, "S1", 10),
                                  (stock.containers[1], "Main clinic safe", LOT, "S2", 10)]
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name.like("stock_%")).order_by(AuditEntry.id)).all()
    assert actions == ["create", "create", "create", "create", "stock_received", "create",
                       "stock_received"]


def test_a_dose_is_drawn_given_and_its_remainder_wasted_before_a_witness(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    vial = stock.containers[0]
    draw = draw_for_session(db, NURSE, session_id=stock.session_id, container_id=vial,
                            volume_ml="0.8", clock=clock)  # 40 mg for an 80 kg patient
    assert _balance(db, vial) == Decimal("9.2")
    assert unreconciled_ml_for_session(db, stock.session_id) == Decimal("0.8")
    record_administered(db, NURSE, draw_id=draw, volume_ml="0.7", clock=clock)
    assert [(d.draw_id, d.unreconciled_ml) for d in open_draws(db, stock.session_id)] == [
        (draw, Decimal("0.1"))]
    wasted = waste_remainder(db, NURSE, draw_id=draw, volume_ml="0.1",
                             manner="into the drug waste container",
                             witness_proof=_witness(db, "sam", clock), clock=clock)
    assert unreconciled_ml_for_session(db, stock.session_id) == 0
    row = db.get(StockEntry, wasted)
    assert row is not None and row.witness_id == NURSE2.user_id
    assert row.witness_name == "Sam Okafor, RN"
    # the witness's own key signed exactly what they saw
    key = db.get(UserKey, row.witness_key_id)
    assert key is not None and key.user_id == NURSE2.user_id and row.witness_signature
    facts = {c: getattr(row, c) for c in ("container_id", "location_id", "kind", "volume_ml",
                                          "session_id", "draw_id", "waste_manner",
                                          "recorded_by_id", "witness_id", "witness_name",
                                          "recorded_at_utc")}
    assert holds(key.public_key, row.witness_signature,
                 row_manifest(STOCK_WITNESS, facts, key.id))
    assert not holds(key.public_key, row.witness_signature,
                     row_manifest(STOCK_WITNESS, {**facts, "volume_ml": Decimal("0.2")}, key.id))


def test_the_witness_types_their_own_password_and_is_not_the_nurse(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    draw = draw_for_session(db, NURSE, session_id=stock.session_id,
                            container_id=stock.containers[0], volume_ml="1", clock=clock)
    with pytest.raises(PermissionDenied, match="the witness must enter their own user name"):
        waste_remainder(db, NURSE, draw_id=draw, volume_ml="1", manner="sink",
                        witness_proof=None, clock=clock)
    with pytest.raises(ValidationError, match="the person recording cannot also be the witness"):
        waste_remainder(db, NURSE, draw_id=draw, volume_ml="1", manner="sink",
                        witness_proof=_witness(db, "nora", clock), clock=clock)
    with pytest.raises(PermissionDenied, match="Only a nurse or a physician can witness"):
        waste_remainder(db, NURSE, draw_id=draw, volume_ml="1", manner="sink",
                        witness_proof=_witness(db, "admin", clock), clock=clock)
    assert unreconciled_ml_for_session(db, stock.session_id) == 1
    assert db.scalars(select(StockEntry.kind).where(StockEntry.kind == LedgerKind.WASTED)
                      ).all() == []


def test_a_returned_remainder_is_back_in_its_vial(db: Session, stock: Stock,
                                                  clock: FakeClock) -> None:
    vial = stock.containers[0]
    draw = draw_for_session(db, NURSE, session_id=stock.session_id, container_id=vial,
                            volume_ml="2", clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="1.5", clock=clock)
    return_to_stock(db, NURSE, draw_id=draw, volume_ml="0.5", clock=clock)
    assert _balance(db, vial) == Decimal("8.5")
    assert open_draws(db, stock.session_id) == []


def test_more_than_the_vial_holds_is_refused_and_nothing_is_written(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    before = db.scalar(select(StockEntry.id).order_by(StockEntry.id.desc()).limit(1))
    with pytest.raises(ValidationError, match="holds 10 mL here; 12 mL cannot come out of it"):
        draw_for_session(db, NURSE, session_id=stock.session_id,
                         container_id=stock.containers[0], volume_ml="12", clock=clock)
    db.rollback()
    assert db.scalar(select(StockEntry.id).order_by(StockEntry.id.desc()).limit(1)) == before


def test_an_expired_vial_cannot_be_drawn(db: Session, stock: Stock, clock: FakeClock) -> None:
    [old] = receive_stock(db, NURSE, location_id=stock.location_id, product_id=stock.product_id,
                          received_on=date(2026, 11, 1), supplier=SUPPLIER,
                          order_reference="INV-1", clock=clock,
                          containers=[ReceivedContainer("OLD1", date(2026, 11, 2))])
    with pytest.raises(ValidationError, match="expired on 2026-11-02; do not use it"):
        draw_for_session(db, NURSE, session_id=stock.session_id, container_id=old,
                         volume_ml="1", clock=clock)


def test_a_recalled_lot_cannot_be_drawn_but_stays_in_stock(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match='No container of "Ketamine HCl 50 mg/mL, 10 mL '
                                              'vial" with lot NOPE was ever received'):
        recall_lot(db, ADMIN, product_id=stock.product_id, lot_number="NOPE", reason="x",
                   clock=clock)
    recall_lot(db, ADMIN, product_id=stock.product_id, lot_number=LOT,
               reason="manufacturer's recall notice 2026-11", clock=clock)
    with pytest.raises(ValidationError, match="this lot is recalled"):
        draw_for_session(db, NURSE, session_id=stock.session_id,
                         container_id=stock.containers[0], volume_ml="1", clock=clock)
    assert _balance(db, stock.containers[0]) == 10


def test_a_delivery_is_refused_whole_with_every_problem_named(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    with pytest.raises(ValidationError) as info:
        receive_stock(db, NURSE, location_id=stock.location_id, product_id=stock.product_id,
                      received_on=date(2026, 11, 20), supplier=SUPPLIER,
                      order_reference="INV-2", clock=clock,
                      containers=[ReceivedContainer(" ", date(2027, 1, 1), "X"),
                                  ReceivedContainer("L2", date(2026, 1, 1), "X")])
    assert info.value.messages == [
        "Two containers of the delivery have the same serial number.",
        "Container 1 has no lot number.",
        "Container 2 expired on 2026-01-01, before it was received; refuse it or record it "
        "for return."]
    with pytest.raises(ValidationError, match="The supplier's DEA number: DEA number "
                                              "AB1234567 fails its check digit"):
        receive_stock(db, NURSE, location_id=stock.location_id, product_id=stock.product_id,
                      received_on=date(2026, 11, 20), order_reference="INV-3", clock=clock,
                      supplier=Supplier("X", "Y", "AB1234567"),
                      containers=[ReceivedContainer("L3", date(2027, 1, 1))])


def test_a_mistake_is_reversed_with_a_reason_and_stays_in_the_books(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    vial = stock.containers[0]
    draw = draw_for_session(db, NURSE, session_id=stock.session_id, container_id=vial,
                            volume_ml="8", clock=clock)
    with pytest.raises(ValidationError, match="a reversal entry needs a reason"):
        reverse_stock_entry(db, NURSE, entry_id=draw, reason=" ", clock=clock)
    reverse_stock_entry(db, NURSE, entry_id=draw, reason="typed 8 for 0.8", clock=clock)
    assert _balance(db, vial) == 10
    assert unreconciled_ml_for_session(db, stock.session_id) == 0
    kinds = db.scalars(select(StockEntry.kind).where(StockEntry.container_id == vial)
                       .order_by(StockEntry.id)).all()
    assert kinds == [LedgerKind.RECEIVED, LedgerKind.DRAWN, LedgerKind.REVERSAL]


def test_only_an_administrator_registers_locations_and_a_nurse_dispenses(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    with pytest.raises(PermissionDenied, match="Only an administrator can register stock"):
        add_stock_location(db, NURSE, name="Cart", dea_number="FB7654329", address="x",
                           clock=clock)
    with pytest.raises(PermissionDenied, match="draw or account for a dose"):
        draw_for_session(db, ADMIN, session_id=stock.session_id,
                         container_id=stock.containers[0], volume_ml="1", clock=clock)
    draw_for_session(db, PHYSICIAN, session_id=stock.session_id,
                     container_id=stock.containers[0], volume_ml="1", clock=clock)


def test_the_books_refuse_an_edit_or_a_deletion_by_hand(engine: Engine, db: Session,
                                                        stock: Stock) -> None:
    db.commit()
    for sql in ("UPDATE stock_entries SET volume_ml = '1' WHERE id = 1",
                "DELETE FROM stock_entries WHERE id = 1"):
        with engine.begin() as conn, pytest.raises(DBAPIError, match="never changed or deleted"):
            conn.execute(text(sql))


def test_two_workstations_drawing_the_last_of_a_vial_at_once_cannot_both_succeed(
        engine: Engine, db: Session, stock: Stock, clock: FakeClock) -> None:
    vial = stock.containers[0]
    draw_for_session(db, NURSE, session_id=stock.session_id, container_id=vial,
                     volume_ml="4", clock=clock)
    db.commit()
    factory = make_sessionmaker(engine)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def workstation() -> None:
        with factory() as own:
            start.wait()
            try:
                draw_for_session(own, NURSE, session_id=stock.session_id, container_id=vial,
                                 volume_ml="5", clock=clock)
                outcomes.append("drawn")
            except ValidationError as exc:
                outcomes.append(exc.messages[0])

    threads = [threading.Thread(target=workstation) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["container "
                                f"{vial} holds 1 mL here; 5 mL cannot come out of it", "drawn"]
    db.expire_all()
    assert _balance(db, vial) == 1


def test_a_patient_is_not_discharged_while_a_drawn_dose_is_unaccounted_for(
        db: Session, stock: Stock, clock: FakeClock) -> None:
    from tests.play import discharge, start_infusion

    draw = draw_for_session(db, NURSE, session_id=stock.session_id,
                            container_id=stock.containers[0], volume_ml="0.8", clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="0.75", clock=clock)
    start_infusion(db, stock.session_id, clock)
    with pytest.raises(TransitionRefused) as info:
        discharge(db, stock.session_id, clock)
    assert info.value.reasons == (
        "Drawn and not accounted for: 0.05 mL of lot KX2291; record what the patient "
        "received, and waste the rest before a witness or return it to its vial.",)
    db.rollback()
    waste_remainder(db, NURSE, draw_id=draw, volume_ml="0.05", manner="drug waste container",
                    witness_proof=_witness(db, "ada", clock), clock=clock)
    change_state(db, NURSE, stock.session_id, SessionAction.DISCHARGE, clock=clock)
