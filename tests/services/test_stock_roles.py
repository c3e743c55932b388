"""Who may do what with the controlled-substance books is the clinic's registrant's call."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import STOCK_ACT_DEFAULT_ROLES
from ketalog.services.access import CLINIC_DECIDES, ROLES_FOR
from ketalog.services.clinic_settings import change_clinic_setting
from ketalog.services.context import Actor
from ketalog.services.errors import PermissionDenied
from ketalog.services.stock import (
    ReceivedContainer,
    Supplier,
    add_stock_location,
    add_stock_product,
    receive_stock,
)
from tests.conftest import FakeClock
from tests.staff import ADMIN, NURSE

SUPPLIER = Supplier("Henry Schein", "135 Duryea Road, Melville, NY 11747", "AB1234563")


def _receive(db: Session, clock: FakeClock, who: Actor, serial: str) -> list[int]:
    location = add_stock_location(db, ADMIN, name=f"Safe {serial}", dea_number="FB7654329",
                                  address="12 Elm St, Springfield", clock=clock)
    product = add_stock_product(db, ADMIN, name=f"Ketamine {serial}", substance="ketamine",
                                strength_mg_per_ml="50", container_volume_ml="10",
                                ndc="67457-108-10", clock=clock)
    return receive_stock(db, who, location_id=location, product_id=product,
                         received_on=date(2026, 11, 20), supplier=SUPPLIER,
                         order_reference="INV-1",
                         containers=[ReceivedContainer("L1", date(2027, 6, 30), serial)],
                         clock=clock)


def test_the_defaults_are_the_rules_a_clinic_gets_without_saying() -> None:
    for permission, act in CLINIC_DECIDES.items():
        assert ROLES_FOR[permission] == STOCK_ACT_DEFAULT_ROLES[act]


def test_a_clinic_that_lets_only_administrators_receive(db: Session, clock: FakeClock) -> None:
    assert _receive(db, clock, NURSE, "S1")  # anyone receives by default
    change_clinic_setting(db, ADMIN, "stock_receive_roles", "administrator", clock=clock)
    with pytest.raises(PermissionDenied, match="Only an administrator can record a delivery"):
        _receive(db, clock, NURSE, "S2")
    db.rollback()
    assert _receive(db, clock, ADMIN, "S3")
