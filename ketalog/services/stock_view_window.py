"""What the Controlled substances window shows: the stock on hand and the set-up (issue 19).

Read only. The window lists every container with volume left, with what a
nurse counting the safe needs beside the volume: the milligrams it holds,
whether it was ever drawn from (sealed or opened), and whether its lot was
recalled or it has expired (both still count until returned or destroyed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind, Substance
from ketalog.services.access import Permission, authorize
from ketalog.services.context import Actor
from ketalog.services.settings import clinic_today
from ketalog.services.stock import stock_on_hand
from ketalog.store.models import (
    StockContainer,
    StockEntry,
    StockLocation,
    StockLotRecall,
    StockProduct,
)


@dataclass(frozen=True)
class LocationChoice:
    """A registered location, as the window's lists offer it."""

    id: int
    name: str
    dea_number: str
    address: str


@dataclass(frozen=True)
class ProductChoice:
    """A product in use, as the window's lists offer it."""

    id: int
    name: str
    substance: Substance
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    ndc: str | None
    gtin: str | None


@dataclass(frozen=True)
class StockSetUp:
    """The locations and products in use (inactive ones are not offered)."""

    locations: tuple[LocationChoice, ...]
    products: tuple[ProductChoice, ...]


@dataclass(frozen=True)
class OnHandRow:
    """One container with volume left at a location."""

    container_id: int
    location_id: int
    location_name: str
    product_name: str
    lot_number: str
    expiry_date: date
    serial: str | None
    left_ml: Decimal
    left_mg: Decimal
    #: never drawn from (a draw later reversed as an error does not open it)
    sealed: bool
    recalled: bool
    expired: bool

    @property
    def id(self) -> int:
        """The container's id (the table keeps rows by it)."""
        return self.container_id


def stock_set_up(db: Session) -> StockSetUp:
    """The locations and products in use, by name."""
    locations = db.scalars(select(StockLocation).where(StockLocation.active)
                           .order_by(StockLocation.name))
    products = db.scalars(select(StockProduct).where(StockProduct.active)
                          .order_by(StockProduct.name))
    return StockSetUp(
        tuple(LocationChoice(loc.id, loc.name, loc.dea_number, loc.address) for loc in locations),
        tuple(ProductChoice(p.id, p.name, p.substance, Decimal(p.strength_mg_per_ml),
                            Decimal(p.container_volume_ml), p.ndc, p.gtin) for p in products))


def on_hand_rows(db: Session, actor: Actor, now: datetime,
                 location_id: int | None = None) -> list[OnHandRow]:
    """Every container with volume left (at one location, or all), marked as described above."""
    authorize(db, actor, Permission.VIEW_STOCK_RECORDS)
    balances = stock_on_hand(db, location_id)
    if not balances:
        return []
    ids = [b.container_id for b in balances]
    containers = {c.id: c for c in db.scalars(select(StockContainer).where(
        StockContainer.id.in_(ids)))}
    products = {p.id: p for p in db.scalars(select(StockProduct))}
    reversed_ids = set(db.scalars(select(StockEntry.reverses_id).where(
        StockEntry.container_id.in_(ids), StockEntry.reverses_id.is_not(None))))
    opened = {container_id for entry_id, container_id in db.execute(
        select(StockEntry.id, StockEntry.container_id).where(
            StockEntry.container_id.in_(ids), StockEntry.kind == LedgerKind.DRAWN))
        if entry_id not in reversed_ids}
    recalled = {(product_id, lot) for product_id, lot in db.execute(
        select(StockLotRecall.product_id, StockLotRecall.lot_number))}
    today = clinic_today(db, now)
    rows = []
    for balance in balances:
        container = containers[balance.container_id]
        product = products[container.product_id]
        rows.append(OnHandRow(
            balance.container_id, balance.location_id, balance.location_name,
            balance.product_name, balance.lot_number, balance.expiry_date, balance.serial,
            balance.balance_ml, balance.balance_ml * Decimal(product.strength_mg_per_ml),
            balance.container_id not in opened,
            (container.product_id, container.lot_number) in recalled,
            balance.expiry_date < today))
    return rows
