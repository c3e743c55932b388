"""One day of signed stock records at the main safe, for the record documents' tests.

A dose drawn and given, a day-end count that finds a vial 0.5 mL short, the
shortfall written off by a physician's signed explanation, the initial
inventory at close of business, two vials destroyed before two witnesses and
the third reported stolen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind, LossKind
from ketalog.services.identity import ProofPurpose
from ketalog.services.session.state import change_state
from ketalog.services.settings import clinic_today
from ketalog.services.stock import draw_for_session, record_administered
from ketalog.services.stock_counts import record_count, resolve_discrepancy, take_inventory
from ketalog.services.stock_movements import destroy_containers, report_loss
from tests.conftest import FakeClock
from tests.play import book
from tests.services.stock_fixtures import Shelves, proof, stock_two_locations
from tests.staff import NURSE, PHYSICIAN, password_of


@dataclass(frozen=True)
class Day:
    """The ids of one day's records at the main safe."""

    shelves: Shelves
    count_id: int
    discrepancy_id: int
    inventory_id: int
    loss_id: int
    day: date


def one_day_of_records(db: Session, clock: FakeClock) -> Day:
    """The day's records written through the services; their ids."""
    shelves = stock_two_locations(db, clock)
    first, second, third = shelves.vials
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    clock.advance(10)
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=first, volume_ml="3.5",
                            clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="3.5", clock=clock)
    clock.advance(60)
    counted = record_count(db, NURSE, location_id=shelves.main, occasion=CountOccasion.DAY_END,
                           found={first: "6", second: "10", third: "10"},
                           second_counter_proof=proof(db, "sam", ProofPurpose.SECOND_COUNTER,
                                                      clock),
                           note="end of day", password=password_of("nora"), clock=clock)
    [opened] = counted.discrepancy_ids
    clock.advance(5)
    resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened,
                        explanation="vial cracked at the neck, leaked in the safe",
                        write_off_as_lost=True, password=password_of("ada"), clock=clock)
    clock.advance(5)
    today = clinic_today(db, clock())
    inventory = take_inventory(db, NURSE, location_id=shelves.main,
                               kind=InventoryKind.INITIAL, taken_on=today,
                               business_time=BusinessTime.CLOSE,
                               lines={first: "6", second: "1", third: "1"},
                               password=password_of("nora"), clock=clock)
    clock.advance(5)
    witnesses = [proof(db, "sam", ProofPurpose.WITNESS_DESTRUCTION, clock),
                 proof(db, "ada", ProofPurpose.WITNESS_DESTRUCTION, clock)]
    destroy_containers(db, NURSE, location_id=shelves.main, container_ids=[first, second],
                       manner="Rx Destroyer chemical digestion, non-retrievable",
                       witness_proofs=witnesses, clock=clock)
    clock.advance(5)
    loss = report_loss(db, NURSE, location_id=shelves.main, discovered_on=today,
                       kind=LossKind.THEFT, circumstances="vial missing from the locked safe "
                       "at close of business", losses={third: "10"}, police_notified=True,
                       police_reference="SPD-2026-1182", password=password_of("nora"),
                       clock=clock)
    return Day(shelves, counted.count_id, opened, inventory, loss, today)
