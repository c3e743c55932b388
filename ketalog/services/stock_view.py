"""The controlled-substance books as the chair sees them: what can be drawn, what is open.

Read-only (every write is :mod:`ketalog.services.stock`'s): the containers on
hand to pick from, a scanned vial matched to its container or refused with what
to do, and the session's draws with what is still to account for, the volume
given prefilled from the pump's log once the dose has ended (issue 19, item 2).

Balances are the domain ledger's sums; the database only narrows down which
containers still hold anything, so a clinic's years of entries are never all
loaded to show one chair's pick list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from ketalog.domain.controlled_substances import (
    INTO_CONTAINER,
    OUT_OF_CONTAINER,
    LedgerKind,
    Substance,
    format_ml,
)
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.infusion import PumpEvent, delivered_as_of
from ketalog.domain.values import printed_name
from ketalog.domain.vial_barcode import (
    SCAN_FIELD,
    VialScan,
    check_vial_against,
    gtin_from_ndc,
    parse_vial_scan,
)
from ketalog.services.session.common import current_dose_order
from ketalog.services.settings import clinic_today
from ketalog.services.stock import container_ledgers
from ketalog.store.models import (
    InfusionEvent,
    StockContainer,
    StockEntry,
    StockLocation,
    StockLotRecall,
    StockProduct,
    TreatmentSession,
    User,
)

#: The books measure volumes to 0.01 mL (services.stock refuses finer).
ML_STEP = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class ChairContainer:
    """A container with volume left, as the pick list and a scan show it."""

    container_id: int
    location_id: int
    location_name: str
    product_id: int
    product_name: str
    substance: Substance
    strength_mg_per_ml: Decimal
    gtin: str | None
    lot_number: str
    expiry_date: date
    serial: str | None
    balance_ml: Decimal
    #: why it may not be drawn from (expired, recalled), or None
    unusable: str | None = None


@dataclass(frozen=True)
class ChairDraw:
    """One draw for the session and how much of it is accounted for."""

    draw_id: int
    container_id: int
    product_name: str
    lot_number: str
    serial: str | None
    strength_mg_per_ml: Decimal
    drawn_ml: Decimal
    drawn_at_utc: datetime
    drawn_by: str
    given_ml: Decimal
    wasted_ml: Decimal
    returned_ml: Decimal
    unreconciled_ml: Decimal
    #: mL given as the pump's log (or the injection, the devices) says, once the dose ended
    suggested_given_ml: Decimal | None = None


@dataclass(frozen=True)
class ChairStock:
    """Everything the vial box shows for one session."""

    #: the clinic keeps its controlled-substance books in ketalog (a product is registered)
    keeps_books: bool
    on_hand: tuple[ChairContainer, ...]
    draws: tuple[ChairDraw, ...]
    #: the dose ordered for the session (mg), and at what concentration, if ordered
    ordered_mg: Decimal | None = None
    ordered_mg_per_ml: Decimal | None = None
    #: the dose has been given (infusion ended, injection or devices given)
    dose_given: bool = False

    @property
    def unreconciled_ml(self) -> Decimal:
        """Volume drawn for the session not yet given, wasted or returned."""
        return sum((d.unreconciled_ml for d in self.draws), _ZERO)

    @property
    def open_draws(self) -> tuple[ChairDraw, ...]:
        """The draws with a remainder still to account for, oldest first."""
        return tuple(d for d in self.draws if d.unreconciled_ml > 0)

    def container(self, container_id: int | None) -> ChairContainer | None:
        """The container on hand with this id, if any."""
        return next((c for c in self.on_hand if c.container_id == container_id), None)


def _recalled(db: Session) -> set[tuple[int, str]]:
    return {(p, lot.casefold()) for p, lot in db.execute(
        select(StockLotRecall.product_id, StockLotRecall.lot_number))}


def _unusable(container: StockContainer, recalled: set[tuple[int, str]],
              today: date) -> str | None:
    if (container.product_id, container.lot_number.casefold()) in recalled:
        return f"lot {container.lot_number} is recalled"
    if container.expiry_date < today:
        return f"expired on {container.expiry_date.isoformat()}"
    return None


def containers_on_hand(db: Session, *, today: date, location_id: int | None = None,
                       ) -> list[ChairContainer]:
    """Every container with volume left (by location, product, expiry, lot), usable or not.

    The database sums each container's entries to find those holding anything;
    the exact balance of each is then the domain ledger's.
    """
    undone = aliased(StockEntry)
    change = case(
        (StockEntry.kind.in_(INTO_CONTAINER), 1),
        (StockEntry.kind.in_(OUT_OF_CONTAINER), -1),
        (and_(StockEntry.kind == LedgerKind.REVERSAL, undone.kind.in_(INTO_CONTAINER)), -1),
        (and_(StockEntry.kind == LedgerKind.REVERSAL, undone.kind.in_(OUT_OF_CONTAINER)), 1),
        else_=0)
    # on SQLite the volumes are text summed as floats: good enough to tell "some left"
    # from "none" (balances are multiples of 0.01 mL), never used as the balance itself
    held = (select(StockEntry.container_id)
            .outerjoin(undone, undone.id == StockEntry.reverses_id)
            .group_by(StockEntry.container_id)
            .having(func.sum(change * func.coalesce(StockEntry.volume_ml, 0)) > 0.001))
    rows = db.execute(
        select(StockContainer, StockProduct)
        .join(StockProduct, StockProduct.id == StockContainer.product_id)
        .where(StockContainer.id.in_(held))).all()
    locations = {loc.id: loc.name for loc in db.scalars(select(StockLocation))}
    recalled = _recalled(db)
    ledgers = container_ledgers(db, held)
    found: list[ChairContainer] = []
    for container, product in rows:
        for (_c, where), left in ledgers[container.id].balances().items():
            if left <= 0 or (location_id is not None and where != location_id):
                continue
            found.append(ChairContainer(
                container.id, where, locations[where], product.id, product.name,
                product.substance, Decimal(product.strength_mg_per_ml), _product_gtin(product),
                container.lot_number, container.expiry_date, container.serial, left,
                _unusable(container, recalled, today)))
    return sorted(found, key=lambda c: (c.location_name, c.product_name, c.expiry_date,
                                        c.lot_number, c.balance_ml, c.container_id))


def _product_gtin(product: StockProduct) -> str | None:
    """The product's GTIN as registered, or the one its NDC gives (a US drug's code)."""
    if product.gtin:
        return product.gtin
    if product.ndc:
        try:
            return gtin_from_ndc(product.ndc)
        except ValidationError:
            return None
    return None


# --- a scanned vial -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScannedVial:
    """A scan read and matched: what the code says, and the container it is in the books."""

    scan: VialScan
    container: ChairContainer


def _refuse(message: str) -> ValidationError:
    return ValidationError([Problem(SCAN_FIELD, message)])


def match_scan(db: Session, typed: str, *, now: datetime,
               chosen_container_id: int | None = None) -> ScannedVial:
    """The container a scanned vial is, or a refusal with what to do; nothing is written.

    Refused: an unreadable scan, a product the clinic has not registered, an
    expired vial, a recalled lot, another product or lot than the container
    already chosen (when one is), and a vial the books hold nothing of. With a
    serial number the container is that one; without, a container of the lot
    that is already open (the least left) is taken, and the nurse may pick
    another of the same lot.
    """
    scan = parse_vial_scan(typed)
    today = clinic_today(db, now)
    products = list(db.scalars(select(StockProduct)))
    gtins = {gtin: p for p in products if (gtin := _product_gtin(p)) is not None}
    chosen = None
    if chosen_container_id is not None:
        chosen_row = db.get(StockContainer, chosen_container_id)
        chosen_product = db.get(StockProduct, chosen_row.product_id) if chosen_row else None
        chosen_gtin = _product_gtin(chosen_product) if chosen_product else None
        if chosen_row is not None and chosen_gtin is not None:
            chosen = (chosen_gtin, chosen_row.lot_number)
    check_vial_against(scan, expected_gtin=chosen[0] if chosen else None,
                       expected_lot=chosen[1] if chosen else None, today=today,
                       known_gtins=list(gtins))
    product = gtins[scan.gtin]  # a GTIN-14 either way: check_vial_against knew it
    lot = scan.lot_number.strip().casefold()
    if (product.id, lot) in _recalled(db):
        raise _refuse(f"Lot {scan.lot_number} of {product.name} is recalled: do not use this "
                      "vial. Set it aside, locked up with the stock, for return or destruction.")
    candidates = [c for c in containers_on_hand(db, today=today)
                  if c.product_id == product.id and c.lot_number.strip().casefold() == lot]
    if scan.serial is not None:
        serial = scan.serial.strip()
        by_serial = db.scalar(select(StockContainer).where(
            StockContainer.product_id == product.id, StockContainer.serial == serial))
        if by_serial is not None:
            held = [c for c in candidates if c.container_id == by_serial.id]
            if not held:
                raise _refuse(f"This vial (serial {serial}) is empty in the books: everything "
                              "in it was drawn, returned or destroyed. Check the vial; if it "
                              "still holds some, tell whoever keeps the books.")
            return ScannedVial(scan, held[0])
    if not candidates:
        raise _refuse(f"The books hold no {product.name} of lot {scan.lot_number}: this vial was "
                      "never received here, or is recorded as used up. Record the delivery "
                      "first, or use a vial that is in the books.")
    if chosen_container_id is not None:
        same = [c for c in candidates if c.container_id == chosen_container_id]
        if same:
            return ScannedVial(scan, same[0])
    # the open vial first (the least left), as the nurse would reach for it
    return ScannedVial(scan, min(candidates, key=lambda c: (c.balance_ml, c.container_id)))


# --- the session's draws ------------------------------------------------------------------


def given_from_pump(delivered_mg: Decimal, draws: Sequence[ChairDraw]) -> dict[int, Decimal]:
    """The volume of each open draw the patient received, from the mg the pump's log delivered.

    What was already recorded as given counts first; the rest is spread over
    the open draws oldest first, to 0.01 mL (half up, the way the draw was
    measured, so a whole bag given settles its draw exactly), never more than
    a draw's open remainder.
    """
    left_mg = delivered_mg - sum((d.given_ml * d.strength_mg_per_ml for d in draws), _ZERO)
    suggested: dict[int, Decimal] = {}
    for draw in draws:
        if draw.unreconciled_ml <= 0:
            continue
        ml = (max(_ZERO, left_mg) / draw.strength_mg_per_ml).quantize(
            ML_STEP, rounding=ROUND_HALF_UP)
        ml = min(draw.unreconciled_ml, ml)
        suggested[draw.draw_id] = ml
        left_mg -= ml * draw.strength_mg_per_ml
    return suggested


def _delivered_mg(db: Session, session: TreatmentSession, now: datetime) -> Decimal | None:
    """What the patient received once the dose is over, as the pump's log says; else None."""
    order = current_dose_order(db, session.id)
    if order is None or session.dose_started_at_utc is None:
        return None
    bag = order.bag_volume_ml is not None and order.bag_volume_ml > 0
    if bag and session.dose_ended_at_utc is None:
        return None  # still running: what it will deliver is not known yet
    events = [PumpEvent(e.kind, e.occurred_at_utc, e.rate_ml_per_h) for e in db.scalars(
        select(InfusionEvent).where(InfusionEvent.session_id == session.id))]
    progress = delivered_as_of(events, total_mg=Decimal(order.total_mg),
                               bag_volume_ml=order.bag_volume_ml,
                               planned_rate_ml_per_h=order.rate_ml_per_h, as_of=now)
    return progress.delivered_mg if progress is not None else None


def session_draws(db: Session, session_id: int) -> list[ChairDraw]:
    """The session's draws (reversed ones left out), oldest first."""
    rows = list(db.scalars(select(StockEntry).where(
        StockEntry.session_id == session_id, StockEntry.kind == LedgerKind.DRAWN)
        .order_by(StockEntry.id)))
    names = {u.id: printed_name(u.full_name, u.credentials) for u in db.scalars(
        select(User).where(User.id.in_({r.recorded_by_id for r in rows})))} if rows else {}
    ledgers = container_ledgers(db, select(StockEntry.container_id).where(
        StockEntry.session_id == session_id)) if rows else {}
    draws: list[ChairDraw] = []
    for row in rows:
        ledger = ledgers[row.container_id]
        gone = ledger.reversed_ids()
        if row.id in gone:
            continue
        container = db.get(StockContainer, row.container_id)
        assert container is not None
        product = db.get(StockProduct, container.product_id)
        assert product is not None
        settled = {kind: sum((e.volume_ml for e in ledger.entries
                              if e.draw_id == row.id and e.kind is kind
                              and e.entry_id not in gone), _ZERO)
                   for kind in (LedgerKind.ADMINISTERED, LedgerKind.WASTED, LedgerKind.RETURNED)}
        draws.append(ChairDraw(
            row.id, container.id, product.name, container.lot_number, container.serial,
            Decimal(product.strength_mg_per_ml), Decimal(row.volume_ml), row.recorded_at_utc,
            names.get(row.recorded_by_id, ""), settled[LedgerKind.ADMINISTERED],
            settled[LedgerKind.WASTED], settled[LedgerKind.RETURNED],
            ledger.unreconciled_ml(row.id)))
    return draws


def draws_with_given(db: Session, session: TreatmentSession, now: datetime,
                     ) -> tuple[list[ChairDraw], bool]:
    """The session's draws, each open one with the volume given the pump's log says.

    And whether the dose has been given (the infusion ended, the injection or
    the devices given): before that nothing is suggested.
    """
    draws = session_draws(db, session.id)
    delivered = _delivered_mg(db, session, now)
    if delivered is None:
        return draws, False
    suggested = given_from_pump(delivered, draws)
    return [_with_suggestion(d, suggested.get(d.draw_id)) for d in draws], True


def chair_stock(db: Session, session_id: int, now: datetime) -> ChairStock:
    """What the vial box shows: containers to pick from, the session's draws, the dose."""
    session = db.get(TreatmentSession, session_id)
    if session is None:
        return ChairStock(False, (), ())
    keeps_books = db.scalar(select(func.count()).select_from(StockProduct)) or 0
    draws, given = draws_with_given(db, session, now)
    order = current_dose_order(db, session_id)
    return ChairStock(
        keeps_books=bool(keeps_books) or bool(draws),
        on_hand=tuple(containers_on_hand(db, today=clinic_today(db, now))),
        draws=tuple(draws),
        ordered_mg=Decimal(order.total_mg) if order is not None else None,
        ordered_mg_per_ml=(Decimal(order.concentration_mg_per_ml)
                           if order is not None and order.concentration_mg_per_ml is not None
                           else None),
        dose_given=given)


def _with_suggestion(draw: ChairDraw, ml: Decimal | None) -> ChairDraw:
    if ml is None:
        return draw
    return ChairDraw(**{**draw.__dict__, "suggested_given_ml": ml})


def draw_volume_for(stock: ChairStock, container: ChairContainer) -> Decimal | None:
    """The volume of ``container`` holding the dose still to draw (the mg ordered, at its strength).

    Counted in mg, so a vial of another strength than ordered still gives the
    ordered dose; None when nothing is ordered or the dose is drawn already.
    """
    if stock.ordered_mg is None:
        return None
    drawn_mg = sum((d.drawn_ml * d.strength_mg_per_ml for d in stock.draws), _ZERO)
    wanted = (stock.ordered_mg - drawn_mg) / container.strength_mg_per_ml
    if wanted <= 0:
        return None
    return min(wanted.quantize(ML_STEP, rounding=ROUND_HALF_UP), container.balance_ml)


def unreconciled_words(draws: Iterable[ChairDraw]) -> str:
    """The open remainders in words ("0.8 mL of lot KX2291")."""
    return "; ".join(f"{format_ml(d.unreconciled_ml)} of lot {d.lot_number}"
                     for d in draws if d.unreconciled_ml > 0)
