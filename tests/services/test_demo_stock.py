"""The demo clinic keeps its controlled-substance books: every mL received is accounted for.

Issue 19's "done when": on the demo clinic, every milligram from receipt to the
patient or to waste is accounted for per location and lot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind, dea_number_problem
from ketalog.domain.session_state import SessionState
from ketalog.domain.stock_counts import InventoryKind
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.demo_stock import SHORT_ML
from ketalog.services.session.common import current_dose_order
from ketalog.services.stock import open_draws, stock_on_hand, unreconciled_ml_for_session
from ketalog.services.stock_counts import (
    count_record,
    counts_at,
    inventory_due_on,
    inventory_record,
    last_inventory,
    open_discrepancies,
)
from ketalog.services.stock_view import match_scan
from ketalog.store.models import (
    StockContainer,
    StockEntry,
    StockLocation,
    StockProduct,
    StockReceipt,
    TreatmentSession,
)
from tests.helpers.databases import copy_demo_clinic

#: Sessions whose dose is over: what was drawn for them is all accounted for.
FINISHED = {SessionState.RECOVERING, SessionState.STOPPED_EARLY, SessionState.DISCHARGED,
            SessionState.SIGNED}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The run's demo clinic, read only (one copy for the module)."""
    path: Path = tmp_path_factory.mktemp("demo_stock") / "demo.sqlite3"
    engine = open_database(copy_demo_clinic(path))
    with make_sessionmaker(engine)() as db:
        yield db
    engine.dispose()


def test_every_ml_received_is_given_wasted_on_hand_or_still_in_the_chair(demo: Session) -> None:
    received: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    gone: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    lots = {c.id: c.lot_number for c in demo.scalars(select(StockContainer))}
    reversed_ids = set(demo.scalars(select(StockEntry.reverses_id).where(
        StockEntry.reverses_id.is_not(None))))
    for entry in demo.scalars(select(StockEntry)):
        key = (entry.location_id, lots[entry.container_id])
        if entry.id in reversed_ids or entry.kind is LedgerKind.REVERSAL:
            continue
        if entry.kind is LedgerKind.RECEIVED:
            received[key] += entry.volume_ml
        elif entry.kind in (LedgerKind.ADMINISTERED, LedgerKind.WASTED):
            gone[key] += entry.volume_ml
    for balance in stock_on_hand(demo):
        gone[(balance.location_id, balance.lot_number)] += balance.balance_ml
    in_the_chair = {SessionState.INFUSING, SessionState.PAUSED}
    for session in demo.scalars(select(TreatmentSession)):
        for draw in open_draws(demo, session.id):
            assert session.state in in_the_chair, (session.id, session.state)
            location = demo.get(StockEntry, draw.draw_id).location_id  # type: ignore[union-attr]
            gone[(location, draw.lot_number)] += draw.unreconciled_ml
    assert received and dict(received) == dict(gone)
    assert {loc for loc, _lot in received} == set(demo.scalars(select(StockLocation.id)))


def test_every_finished_dose_was_drawn_and_its_draw_reconciled(demo: Session) -> None:
    kinds = defaultdict(set)
    for entry in demo.scalars(select(StockEntry)):
        kinds[entry.kind].add(entry.session_id)
    finished = list(demo.scalars(select(TreatmentSession).where(
        TreatmentSession.state.in_(FINISHED))))
    assert len(finished) > 50
    for session in finished:
        assert unreconciled_ml_for_session(demo, session.id) == 0, session.id
        assert session.id in kinds[LedgerKind.DRAWN], session.id
        order = current_dose_order(demo, session.id)
        assert order is not None
        drawn = [e for e in demo.scalars(select(StockEntry).where(
            StockEntry.session_id == session.id, StockEntry.kind == LedgerKind.DRAWN))]
        # the dose order names the lot the dose was drawn from
        lots = {demo.get(StockContainer, e.container_id).lot_number  # type: ignore[union-attr]
                for e in drawn}
        assert order.lot_number in lots, session.id
    # some remainders were wasted before the second nurse, who signed with her key
    wasted = list(demo.scalars(select(StockEntry).where(StockEntry.kind == LedgerKind.WASTED)))
    assert wasted
    assert all(w.witness_name == "Sam Okafor, RN" and w.witness_signature for w in wasted)


def test_the_safe_and_the_supplier_are_registered_and_the_vials_scan(demo: Session) -> None:
    safe = demo.scalars(select(StockLocation)).one()
    assert dea_number_problem(safe.dea_number) is None
    receipt = demo.scalars(select(StockReceipt)).first()
    assert receipt is not None and dea_number_problem(receipt.supplier_dea_number) is None
    products = {p.name: p for p in demo.scalars(select(StockProduct))}
    assert {p.substance.value for p in products.values()} == {"ketamine", "esketamine"}
    on_hand = stock_on_hand(demo)
    vial = on_hand[0]
    container = demo.get(StockContainer, vial.container_id)
    assert container is not None
    product = demo.get(StockProduct, container.product_id)
    assert product is not None and product.gtin is not None
    code = (f"]d201{product.gtin}17{container.expiry_date:%y%m%d}10{container.lot_number}"
            f"\x1d21{container.serial}")
    found = match_scan(demo, code, now=receipt.recorded_at_utc)
    assert found.container.container_id == vial.container_id


def test_the_safe_has_its_initial_inventory_and_this_mornings_count(demo: Session) -> None:
    """The demo shows the books' records: an inventory, a count, a discrepancy to resolve."""
    [location] = demo.scalars(select(StockLocation)).all()
    inventory = last_inventory(demo, location.id)
    assert inventory is not None and inventory.kind is InventoryKind.INITIAL
    due = inventory_due_on(demo, location.id)
    assert due is not None and (due - inventory.taken_on).days in (730, 731)  # biennial
    record = inventory_record(demo, inventory.inventory_id)
    assert record.signature_problems == ()
    [count] = counts_at(demo, location.id)
    assert count_record(demo, count.count_id).signature_problems == ()
    [short] = open_discrepancies(demo, location.id)
    assert short.expected_ml - short.found_ml == SHORT_ML
