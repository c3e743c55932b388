"""The demo clinic's controlled-substance books: one safe, one delivery, every dose drawn.

Built through the same services as the chair (issue 19): the clinic's safe is
a registered location; a distributor delivered ketamine for infusions
(10 mg/mL, 20 mL multi-dose vials, two lots), for injections (50 mg/mL, 10 mL)
and esketamine nasal devices (Spravato, 28 mg in 0.2 mL: one device is one
container); each demo session draws its dose from the open vial before the
infusion starts, and once it ends the volume the pump's log delivered is
recorded as given and any remainder wasted before the second nurse, who types
her password and signs with her key. So every mL received is administered,
wasted, or still on the shelf.

The NDCs use the labeler code 99999, which no manufacturer has: the demo's
vials are make-believe, but their GS1 codes scan (GTINs from those NDCs).

Most demo nurses draw exactly the dose; one session in :data:`ROUND_DRAW_EVERY`
draws to the next half-mL mark and wastes the excess before the witness. (A
witness's password check costs about 80 ms: a waste every session would add
some 6 s to the build.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import Substance
from ketalog.domain.protocols import DosingMode, Protocol
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind
from ketalog.domain.vial_barcode import gtin_from_ndc
from ketalog.services.context import Actor, Clock
from ketalog.services.identity import IdentityProof
from ketalog.services.session.common import current_dose_order
from ketalog.services.settings import clinic_today
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    draw_for_session,
    receive_stock,
    record_administered,
    waste_remainder,
)
from ketalog.services.stock_counts import (
    CountResult,
    expected_stock,
    record_count,
    take_inventory,
)
from ketalog.services.stock_view import ML_STEP, draws_with_given
from ketalog.store.models import TreatmentSession

#: The clinic's safe: its DEA registration (check digit valid) and address.
SAFE = ("Clinic safe", "BR1234563", "12 River Road, Springfield")
SUPPLIER = Supplier("Valley Medical Supply", "400 Distribution Way, Columbus, OH 43219",
                    "PS2468139")
#: One session in this many draws to the next half-mL and wastes the excess.
ROUND_DRAW_EVERY = 12
#: How the demo's remainders are wasted.
WASTE_MANNER = "into the drug waste container"
_HALF_ML = Decimal("0.5")
#: How short the demo's count finds the open vial for injections.
SHORT_ML = Decimal("0.1")


@dataclass(frozen=True)
class DemoProduct:
    """A product of the demo's delivery and how many containers of which lots came."""

    key: str
    name: str
    substance: Substance
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    ndc: str
    #: (lot, days from the delivery to expiry, containers)
    lots: tuple[tuple[str, int, int], ...]


PRODUCTS = (
    DemoProduct("iv", "Ketamine HCl 10 mg/mL, 20 mL multi-dose vial", Substance.KETAMINE,
                Decimal(10), Decimal(20), "99999-101-20",
                (("KT25A11", 330, 10), ("KT25B03", 420, 10))),
    DemoProduct("im", "Ketamine HCl 50 mg/mL, 10 mL multi-dose vial", Substance.KETAMINE,
                Decimal(50), Decimal(10), "99999-102-10", (("KM25C20", 390, 2),)),
    DemoProduct("device", "Spravato (esketamine) 28 mg nasal spray device",
                Substance.ESKETAMINE, Decimal(140), Decimal("0.2"), "99999-103-01",
                (("SP25D08", 300, 36),)),
)


def product_key(protocol: Protocol) -> str:
    """Which demo product a protocol's dose is drawn from."""
    if protocol.dosing_mode is DosingMode.DEVICE:
        return "device"
    if protocol.dosing_mode is DosingMode.IM_WEIGHT:
        return "im"
    return "iv"


@dataclass
class Shelved:
    """A container on the demo's shelf and what is left in it."""

    container_id: int
    left_ml: Decimal
    lot_number: str


@dataclass
class DemoStock:
    """The demo's books as it fills them: the containers left of each product, in order."""

    location_id: int
    #: product key -> its containers with volume left, in the order they are opened
    shelves: dict[str, list[Shelved]] = field(default_factory=dict)
    draws: int = 0
    wastes: int = 0

    def lot_for(self, protocol: Protocol) -> str | None:
        """The lot the next dose of this protocol comes from (the dose order names it)."""
        shelf = self.shelves.get(product_key(protocol), [])
        return shelf[0].lot_number if shelf else None

    def draw(self, db: Session, nurse: Actor, sid: int, protocol: Protocol, clock: Clock) -> None:
        """Draw the ordered dose for session ``sid``, from the open container on."""
        order = current_dose_order(db, sid)
        key = product_key(protocol)
        product = next(p for p in PRODUCTS if p.key == key)
        if order is None:
            return
        need = (Decimal(order.total_mg) / product.strength_mg_per_ml).quantize(
            ML_STEP, rounding=ROUND_HALF_UP)
        if key != "device" and sid % ROUND_DRAW_EVERY == 0:
            need = (need / _HALF_ML).to_integral_value(rounding=ROUND_CEILING) * _HALF_ML
        shelf = self.shelves.get(key, [])
        while need > 0 and shelf:
            vial = shelf[0]
            taken = min(need, vial.left_ml)
            draw_for_session(db, nurse, session_id=sid, container_id=vial.container_id,
                             volume_ml=taken, clock=clock)
            self.draws += 1
            need -= taken
            vial.left_ml -= taken
            if vial.left_ml <= 0:
                shelf.pop(0)

    def may_waste(self, sid: int, *, stopped_early: bool = False) -> bool:
        """Whether session ``sid`` may leave a remainder (a witness should be at hand)."""
        return stopped_early or sid % ROUND_DRAW_EVERY == 0

    def settle(self, db: Session, nurse: Actor, sid: int, clock: Clock,
               witness: IdentityProof | None) -> None:
        """Once the dose has ended: what the pump's log gave, the rest wasted before a witness.

        Raises:
            RuntimeError: a remainder to waste and no witness's proof (see :meth:`may_waste`).
        """
        session = db.get(TreatmentSession, sid)
        assert session is not None
        draws, given = draws_with_given(db, session, clock())
        if not given:
            return
        for draw in draws:
            if draw.unreconciled_ml <= 0:
                continue
            gave = draw.suggested_given_ml or Decimal(0)
            if gave > 0:
                record_administered(db, nurse, draw_id=draw.draw_id, volume_ml=gave, clock=clock)
            rest = draw.unreconciled_ml - gave
            if rest > 0:
                if witness is None:
                    raise RuntimeError(f"demo session {sid} left {rest} mL and no witness")
                waste_remainder(db, nurse, draw_id=draw.draw_id, volume_ml=rest,
                                manner=WASTE_MANNER, witness_proof=witness, clock=clock)
                witness = None  # a proof is good for one waste
                self.wastes += 1


def stock_the_safe(db: Session, admin: Actor, nurse: Actor, received_at: datetime) -> DemoStock:
    """Register the safe and the products, and receive the delivery ``received_at``."""

    def clock() -> datetime:
        return received_at

    location = add_stock_location(db, admin, name=SAFE[0], dea_number=SAFE[1],
                                  address=SAFE[2], clock=clock)
    stock = DemoStock(location)
    received_on = clinic_today(db, received_at)
    for number, product in enumerate(PRODUCTS, start=1):
        product_id = add_stock_product(
            db, admin, name=product.name, substance=product.substance,
            strength_mg_per_ml=product.strength_mg_per_ml,
            container_volume_ml=product.container_volume_ml, ndc=product.ndc,
            gtin=gtin_from_ndc(product.ndc), clock=clock)
        containers = [
            ReceivedContainer(lot, received_on + timedelta(days=days),
                              f"{product.key.upper()}{lot[-3:]}{n:04d}")
            for lot, days, count in product.lots for n in range(1, count + 1)]
        ids = receive_stock(db, nurse, location_id=location, product_id=product_id,
                            received_on=received_on, supplier=SUPPLIER,
                            order_reference=f"INV-{received_on:%Y%m%d}-{number}",
                            containers=containers, clock=clock)
        stock.shelves[product.key] = [
            Shelved(cid, product.container_volume_ml, c.lot_number)
            for cid, c in zip(ids, containers, strict=True)]
    return stock


def take_initial_inventory(db: Session, stock: DemoStock, nurse: Actor, password: str,
                           clock: Clock) -> int:
    """The safe's initial inventory at the close of the delivery's day: every vial sealed.

    21 CFR 1304.11(b): a registrant's first inventory, on the day it first holds
    controlled substances; the biennial one falls due two years on.
    """
    expected = expected_stock(db, stock.location_id)
    lines: dict[int, Decimal | str] = {
        c.container_id: Decimal(1) if c.sealed else c.expected_ml for c in expected}
    return take_inventory(db, nurse, location_id=stock.location_id, kind=InventoryKind.INITIAL,
                          taken_on=clinic_today(db, clock()), business_time=BusinessTime.CLOSE,
                          lines=lines, password=password, clock=clock)


def count_the_safe(db: Session, stock: DemoStock, nurse: Actor, password: str,
                   second_counter: IdentityProof, clock: Clock) -> CountResult:
    """This morning's shift-change count of the safe, by two nurses.

    They find what the books expect, except the open vial for injections, which
    reads 0.1 mL short at its graduations: a discrepancy the physician is to
    resolve with a signed explanation (the demo leaves it open, so the window's
    Discrepancies tab has something to show).
    """
    expected = expected_stock(db, stock.location_id)
    found: dict[int, Decimal | str] = {c.container_id: c.expected_ml for c in expected}
    opened = [c for c in expected if not c.sealed and c.expected_ml > SHORT_ML
              and "50 mg/mL" in c.product_name]
    if opened:
        found[opened[0].container_id] = opened[0].expected_ml - SHORT_ML
    return record_count(db, nurse, location_id=stock.location_id,
                        occasion=CountOccasion.SHIFT_END, found=found,
                        second_counter_proof=second_counter, note="morning shift change",
                        password=password, clock=clock)
