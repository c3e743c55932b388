"""Two registered locations with ketamine in stock, for the counts and movements tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketalog.services.accounts import prove_identity
from ketalog.services.identity import IdentityProof, ProofPurpose
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    receive_stock,
)
from tests.conftest import FakeClock
from tests.staff import ADMIN, NURSE, password_of

SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")
LOT = "KX2291"


@dataclass(frozen=True)
class Shelves:
    """The ids written: the main safe with three vials, a satellite with none."""

    main: int
    satellite: int
    product: int
    vials: tuple[int, int, int]


def stock_two_locations(db: Session, clock: FakeClock) -> Shelves:
    """Main clinic safe (three 10 mL vials of ketamine 50 mg/mL) and an empty satellite."""
    main = add_stock_location(db, ADMIN, name="Main clinic safe", dea_number="FB7654329",
                              address="12 Elm St, Springfield", clock=clock)
    satellite = add_stock_location(db, ADMIN, name="Satellite clinic", dea_number="FK1234563",
                                   address="9 Mill Road, Shelbyville", clock=clock)
    product = add_stock_product(db, ADMIN, name="Ketamine HCl 50 mg/mL, 10 mL vial",
                                substance="ketamine", strength_mg_per_ml="50",
                                container_volume_ml="10", ndc="67457-108-10",
                                gtin="00367457108100", clock=clock)
    vials = receive_stock(
        db, NURSE, location_id=main, product_id=product, received_on=date(2026, 11, 20),
        supplier=SUPPLIER, order_reference="INV-88123",
        containers=[ReceivedContainer(LOT, date(2027, 6, 30), f"S{n}") for n in (1, 2, 3)],
        clock=clock)
    return Shelves(main, satellite, product, (vials[0], vials[1], vials[2]))


def proof(db: Session, username: str, purpose: ProofPurpose, clock: FakeClock) -> IdentityProof:
    """``username`` types their own password here for ``purpose``."""
    return prove_identity(db, username, password_of(username), purpose=purpose,
                          workstation="t", clock=clock)
