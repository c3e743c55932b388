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
