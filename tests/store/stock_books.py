"""A small set of controlled-substance books written straight through the models (schema 0018).

The ledger's services arrive later (issue 19); until then the schema fixture and
the migration tests write the rows as a service would: each row with its "create"
audit row, so every row names its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind, Substance
from ketalog.services.audit import append_audit
from ketalog.store.models import (
    Base,
    StockContainer,
    StockEntry,
    StockLocation,
    StockLotRecall,
    StockProduct,
    StockReceipt,
)
from tests.staff import NURSE, NURSE2

#: The six tables of 0018, in the order rows are written.
STOCK_TABLES = ("stock_locations", "stock_products", "stock_receipts", "stock_containers",
                "stock_lot_recalls", "stock_entries")
#: The four that are only ever inserted into (the guards refuse UPDATE and DELETE).
STOCK_BOOKS = ("stock_receipts", "stock_containers", "stock_lot_recalls", "stock_entries")


@dataclass(frozen=True)
class Books:
    """The ids of what :func:`write_books` wrote."""

    main: int
    satellite: int
    product: int
    receipt: int
    vials: tuple[int, int]
    recall: int
    draw: int
    lost: int
    reversal: int
    transfer_out: int
    transfer_in: int


def _add(db: Session, row: Base, at: datetime) -> int:
    db.add(row)
    db.flush()  # the next row may name this one (the ledger's own references)
    row_id: int = row.id  # type: ignore[attr-defined]
    append_audit(db, NURSE, "create", at=at, table_name=row.__tablename__, row_id=row_id)
    return row_id


def write_books(db: Session, at: datetime, session_id: int) -> Books:
    """Two locations, a product, a receipt of two vials (one serialised), a recall, and a
    ledger: both received, a draw at ``session_id`` administered and the remainder
    returned, a loss entered in error and reversed, the second vial transferred."""
    main = _add(db, StockLocation(name="Main clinic", dea_number="FK1234563",
                                  address="1 Harbour Street, Portland, ME 04101"), at)
    satellite = _add(db, StockLocation(name="Satellite", dea_number="FK7654329",
                                       address="9 Mill Road, Bangor, ME 04401"), at)
    product = _add(db, StockProduct(name="Ketamine HCl injection 50 mg/mL, 10 mL vial",
                                    substance=Substance.KETAMINE,
                                    strength_mg_per_ml=Decimal("50"),
                                    container_volume_ml=Decimal("10"), ndc="42023-113-10",
                                    gtin="00342023113108"), at)
    receipt = _add(db, StockReceipt(location_id=main, received_on=date(2026, 11, 20),
                                    supplier_name="Northeast Medical Supply",
                                    supplier_address="200 Depot Road, Albany, NY 12205",
                                    supplier_dea_number="RN0123454",
                                    order_reference="222-000123",
                                    received_by_id=NURSE.user_id, recorded_at_utc=at), at)
    first = _add(db, StockContainer(product_id=product, receipt_id=receipt,
                                    lot_number="KT2611A", expiry_date=date(2028, 5, 31),
                                    serial="SN0001"), at)
    second = _add(db, StockContainer(product_id=product, receipt_id=receipt,
                                     lot_number="KT2611A", expiry_date=date(2028, 5, 31)), at)
    recall = _add(db, StockLotRecall(product_id=product, lot_number="KT2502Z",
                                     reason="Manufacturer recall: particulate matter",
                                     recorded_by_id=NURSE.user_id, recorded_at_utc=at), at)

    def entry(kind: LedgerKind, container: int, volume: str, **more: object) -> int:
        more.setdefault("location_id", main)
        return _add(db, StockEntry(container_id=container, kind=kind,
                                   volume_ml=Decimal(volume), recorded_by_id=NURSE.user_id,
                                   recorded_at_utc=at, **more), at)

    entry(LedgerKind.RECEIVED, first, "10")
    entry(LedgerKind.RECEIVED, second, "10")
    draw = entry(LedgerKind.DRAWN, first, "4", session_id=session_id)
    entry(LedgerKind.ADMINISTERED, first, "3.5", session_id=session_id, draw_id=draw)
    entry(LedgerKind.RETURNED, first, "0.5", session_id=session_id, draw_id=draw)
    lost = entry(LedgerKind.LOST, second, "1", reason="vial dropped")
    reversal = entry(LedgerKind.REVERSAL, second, "1", reverses_id=lost,
                     reason="entered against the wrong vial: nothing was lost")
    out = entry(LedgerKind.TRANSFERRED_OUT, second, "10")
    into = entry(LedgerKind.TRANSFERRED_IN, second, "10", location_id=satellite,
                 counterpart_id=out)
    db.commit()
    return Books(main=main, satellite=satellite, product=product, receipt=receipt,
                 vials=(first, second), recall=recall, draw=draw, lost=lost,
                 reversal=reversal, transfer_out=out, transfer_in=into)


def witnessed_waste(db: Session, at: datetime, books: Books, session_id: int, *,
                    key_id: int | None = None, signature: str | None = None) -> int:
    """A waste of the draw's remainder witnessed by the second nurse, keyed when given a key."""
    row = StockEntry(container_id=books.vials[0], location_id=books.main,
                     kind=LedgerKind.WASTED, volume_ml=Decimal("0.25"), session_id=session_id,
                     draw_id=books.draw, waste_manner="into the drug waste container",
                     recorded_by_id=NURSE.user_id, witness_id=NURSE2.user_id,
                     witness_name=NURSE2.display_name, witness_key_id=key_id,
                     witness_signature=signature, recorded_at_utc=at)
    waste = _add(db, row, at)
    db.commit()
    return waste


# --- schema 0019: counts, inventories, destruction witnesses and losses --------------------

#: The nine tables of 0019, in the order rows are written; all only ever inserted into.
RECORD_TABLES = ("stock_inventories", "stock_inventory_lines", "stock_counts",
                 "stock_count_lines", "stock_discrepancies", "stock_losses", "stock_loss_lines",
                 "stock_discrepancy_resolutions", "stock_entry_witnesses")


@dataclass(frozen=True)
class Records:
    """The ids of what :func:`write_records` wrote."""

    inventory: int
    inventory_lines: tuple[int, int]
    count: int
    count_line: int
    discrepancy: int
    loss: int
    loss_line: int
    lost: int
    resolution: int
    destroyed: int
    witnesses: tuple[int, int]


def write_records(db: Session, at: datetime, books: Books) -> Records:
    """Over :func:`write_books`: an inventory of the main clinic (the opened vial measured,
    a sealed one counted), a count by two nurses that found 0.5 mL short, a loss record
    writing that 0.5 mL off, the resolution naming it, and a destruction of the satellite's
    vial before two witnesses; every signature a real key's (over a short text)."""
    from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind, LossKind
    from ketalog.services.keys import sign_text, signing_key
    from ketalog.store.models import (
        StockCount,
        StockCountLine,
        StockDiscrepancy,
        StockDiscrepancyResolution,
        StockEntryWitness,
        StockInventory,
        StockInventoryLine,
        StockLoss,
        StockLossLine,
        User,
    )
    from tests.staff import PHYSICIAN, password_of

    keys = {}
    for person in (NURSE, NURSE2, PHYSICIAN):
        user = db.get(User, person.user_id)
        assert user is not None
        keys[person.user_id] = signing_key(db, person, user, password_of(person.username),
                                           now=at)

    def signed(person_id: int, facts: str) -> dict[str, object]:
        key, private = keys[person_id]
        return {"key_id": key.id, "signature": sign_text(private, facts)}

    first, second = books.vials
    inventory = _add(db, StockInventory(
        location_id=books.main, kind=InventoryKind.INITIAL, taken_on=date(2026, 11, 21),
        business_time=BusinessTime.OPENING, taken_by_id=NURSE.user_id,
        taken_by_name=NURSE.display_name, lines_sha256="0" * 64, recorded_at_utc=at,
        **signed(NURSE.user_id, "inventory")), at)
    opened = _add(db, StockInventoryLine(inventory_id=inventory, container_id=first,
                                         sealed=False, measured_volume_ml=Decimal("6.5")), at)
    sealed = _add(db, StockInventoryLine(inventory_id=inventory, container_id=second,
                                         sealed=True, count_of_sealed=1), at)
    nurse2 = signed(NURSE2.user_id, "count")
    count = _add(db, StockCount(
        location_id=books.main, occasion=CountOccasion.DAY_END, counted_at_utc=at,
        counted_by_id=NURSE.user_id, counted_by_name=NURSE.display_name,
        second_counter_id=NURSE2.user_id, second_counter_name=NURSE2.display_name,
        second_counter_key_id=nurse2["key_id"], second_counter_signature=nurse2["signature"],
        note="end of day", lines_sha256="0" * 64, **signed(NURSE.user_id, "count")), at)
    line = _add(db, StockCountLine(count_id=count, container_id=first,
                                   expected_ml=Decimal("6.5"), found_ml=Decimal("6")), at)
    discrepancy = _add(db, StockDiscrepancy(count_line_id=line, location_id=books.main,
                                            container_id=first, expected_ml=Decimal("6.5"),
                                            found_ml=Decimal("6"), opened_at_utc=at), at)
    loss = _add(db, StockLoss(
        location_id=books.main, discovered_on=date(2026, 11, 21), kind=LossKind.LOSS,
        circumstances="0.5 mL short at the day-end count", police_notified=False,
        recorded_by_id=PHYSICIAN.user_id, recorded_by_name=PHYSICIAN.display_name,
        recorded_at_utc=at, **signed(PHYSICIAN.user_id, "loss")), at)
    lost = _add(db, StockEntry(container_id=first, location_id=books.main,
                               kind=LedgerKind.LOST, volume_ml=Decimal("0.5"),
                               reason="short at the day-end count",
                               recorded_by_id=PHYSICIAN.user_id, recorded_at_utc=at), at)
    loss_line = _add(db, StockLossLine(loss_id=loss, entry_id=lost), at)
    resolution = _add(db, StockDiscrepancyResolution(
        discrepancy_id=discrepancy, explanation="not found after a search of the safe",
        resolved_by_id=PHYSICIAN.user_id, resolved_by_name=PHYSICIAN.display_name,
        resolved_at_utc=at, lost_entry_id=lost, loss_id=loss,
        **signed(PHYSICIAN.user_id, "resolution")), at)
    destroyed = _add(db, StockEntry(container_id=second, location_id=books.satellite,
                                    kind=LedgerKind.DESTROYED, volume_ml=Decimal("10"),
                                    waste_manner="reverse distributor's incinerator",
                                    recorded_by_id=NURSE.user_id, recorded_at_utc=at), at)
    witnesses = tuple(
        _add(db, StockEntryWitness(entry_id=destroyed, position=position,
                                   witness_id=person.user_id, witness_name=person.display_name,
                                   signed_at_utc=at, **signed(person.user_id, "destroyed")), at)
        for position, person in ((1, NURSE2), (2, PHYSICIAN)))
    db.commit()
    return Records(inventory=inventory, inventory_lines=(opened, sealed), count=count,
                   count_line=line, discrepancy=discrepancy, loss=loss, loss_line=loss_line,
                   lost=lost, resolution=resolution, destroyed=destroyed,
                   witnesses=(witnesses[0], witnesses[1]))
