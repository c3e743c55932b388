"""Counts, discrepancies and inventories through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind, LossKind
from ketalog.services.audit_references import check_references
from ketalog.services.authentication import LoginRefused
from ketalog.services.errors import PermissionDenied
from ketalog.services.identity import ProofPurpose
from ketalog.services.keys import sign_text, signing_key
from ketalog.services.session.state import change_state
from ketalog.services.stock import draw_for_session, record_administered, stock_on_hand
from ketalog.services.stock_counts import (
    CountResult,
    count_record,
    counts_at,
    destruction_entries,
    expected_stock,
    inventories_at,
    inventory_due_on,
    inventory_record,
    last_inventory,
    loss_record,
    losses_at,
    open_discrepancies,
    record_count,
    resolve_discrepancy,
    take_inventory,
)
from ketalog.services.stock_movements import destroy_containers, report_loss
from ketalog.store.models import (
    AuditEntry,
    StockDiscrepancyResolution,
    StockEntry,
    User,
)
from tests.conftest import FakeClock
from tests.play import book
from tests.services.stock_fixtures import LOT, Shelves, proof, stock_two_locations
from tests.staff import NURSE, NURSE2, PHYSICIAN, password_of

SECOND = ProofPurpose.SECOND_COUNTER
D = Decimal


@pytest.fixture
def shelves(db: Session, clock: FakeClock) -> Shelves:
    return stock_two_locations(db, clock)


def _count(db: Session, shelves: Shelves, clock: FakeClock, found: dict[int, object],
           **changes: object) -> CountResult:
    facts: dict[str, object] = {
        "location_id": shelves.main, "occasion": CountOccasion.DAY_END, "found": found,
        "second_counter_proof": proof(db, "sam", SECOND, clock), "note": "end of day",
        "password": password_of("nora"), "clock": clock, **changes}
    return record_count(db, NURSE, **facts)  # type: ignore[arg-type]


def _full(shelves: Shelves) -> dict[int, object]:
    return dict.fromkeys(shelves.vials, "10")


def _balance(db: Session, container_id: int) -> Decimal:
    return next((b.balance_ml for b in stock_on_hand(db) if b.container_id == container_id),
                D(0))


# --- what the books expect ----------------------------------------------------------------------


def test_the_count_sheet_lists_every_container_here_with_what_is_expected(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    first = shelves.vials[0]
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=first, volume_ml="2",
                            clock=clock)
    sheet = {c.container_id: c for c in expected_stock(db, shelves.main)}
    assert set(sheet) == set(shelves.vials)
    assert (sheet[first].expected_ml, sheet[first].sealed, sheet[first].in_syringe_ml) == (
        D(8), False, D(2))
    other = sheet[shelves.vials[1]]
    assert (other.expected_ml, other.sealed, other.in_syringe_ml, other.lot_number,
            other.strength_mg_per_ml, other.container_volume_ml) == (D(10), True, D(0), LOT,
                                                                     D(50), D(10))
    assert expected_stock(db, shelves.satellite) == []
    # a dose in a syringe does not stop the count: the vial is expected to hold 8 mL
    result = _count(db, shelves, clock, {**_full(shelves), first: "8"})
    assert result.discrepancy_ids == ()
    record_administered(db, NURSE, draw_id=draw, volume_ml="2", clock=clock)
    assert expected_stock(db, shelves.main)[0].in_syringe_ml == 0


# --- counts --------------------------------------------------------------------------------------


def test_a_count_that_balances_is_signed_by_both_counters(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    result = _count(db, shelves, clock, _full(shelves))
    assert result.discrepancy_ids == ()
    record = count_record(db, result.count_id)
    assert (record.occasion, record.counted_by_name, record.second_counter_name,
            record.note) == (CountOccasion.DAY_END, "Nora Reyes, RN", "Sam Okafor, RN",
                             "end of day")
    assert [(line.container.container_id, line.expected_ml, line.found_ml,
             line.discrepancy_id) for line in record.lines] == [
        (v, D(10), D(10), None) for v in shelves.vials]
    assert record.signature_problems == ()
    assert record.location.dea_number == "FB7654329"
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name.in_(["stock_counts", "stock_count_lines"]))).all()
    assert sorted(actions) == ["create"] * 3 + ["stock_counted"]


def test_a_count_is_refused_with_a_clear_reason_and_writes_nothing(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, third = shelves.vials
    with pytest.raises(ValidationError, match=f"not counted: container {third}"):
        _count(db, shelves, clock, {first: "10", second: "10"})
    with pytest.raises(ValidationError, match="holds 10 mL; 12 mL cannot be in it"):
        _count(db, shelves, clock, {**_full(shelves), first: "12"})
    with pytest.raises(ValidationError, match="volume found in container"):
        _count(db, shelves, clock, {**_full(shelves), first: "ten"})
    with pytest.raises(ValidationError, match="No container 999 was ever received"):
        _count(db, shelves, clock, {**_full(shelves), 999: "1"})
    with pytest.raises(ValidationError, match="the second counter must be someone else"):
        _count(db, shelves, clock, _full(shelves),
               second_counter_proof=proof(db, "nora", SECOND, clock))
    with pytest.raises(PermissionDenied, match="entered to witness the destruction"):
        _count(db, shelves, clock, _full(shelves),
               second_counter_proof=proof(db, "sam", ProofPurpose.WITNESS_DESTRUCTION, clock))
    with pytest.raises(PermissionDenied, match="the second counter must enter"):
        _count(db, shelves, clock, _full(shelves), second_counter_proof=None)
    with pytest.raises(LoginRefused):
        _count(db, shelves, clock, _full(shelves), password="wrong")
    assert open_discrepancies(db) == []
    assert not db.scalars(select(AuditEntry).where(
        AuditEntry.table_name == "stock_counts")).all()


def test_a_mismatch_is_closed_only_by_a_signed_explanation(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first = shelves.vials[0]
    result = _count(db, shelves, clock, {**_full(shelves), first: "9.5"})
    [opened] = result.discrepancy_ids
    [view] = open_discrepancies(db, shelves.main)
    assert (view.discrepancy_id, view.container_id, view.expected_ml, view.found_ml,
            view.difference_ml, view.counted_by_name) == (opened, first, D(10), D("9.5"),
                                                          D("-0.5"), "Nora Reyes, RN")
    assert open_discrepancies(db, shelves.satellite) == []
    # a later count that balances does not close it
    _count(db, shelves, clock, {**_full(shelves), first: "10"})
    assert [d.discrepancy_id for d in open_discrepancies(db)] == [opened]

    def resolve(explanation: str, *, password: str = password_of("ada"),
                write_off: bool = False) -> int:
        return resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened,
                                   explanation=explanation, write_off_as_lost=write_off,
                                   password=password, clock=clock)

    with pytest.raises(ValidationError, match="at least 3 words"):
        resolve("ok")
    with pytest.raises(ValidationError, match="Type your password"):
        resolve("miscounted at first count", password="")
    with pytest.raises(LoginRefused):
        resolve("miscounted at first count", password="wrong")
    with pytest.raises(PermissionDenied):
        resolve_discrepancy(db, NURSE, discrepancy_id=opened, explanation="miscounted it, sorry",
                            write_off_as_lost=False, password=password_of("nora"), clock=clock)
    assert [d.discrepancy_id for d in open_discrepancies(db)] == [opened]
    resolution = resolve("meniscus misread at the first count; recounted full")
    assert open_discrepancies(db) == []
    assert _balance(db, first) == 10  # explained: nothing written off
    with pytest.raises(ValidationError, match="resolved already by Ada Lindqvist, MD"):
        resolve("a second explanation for it")
    assert [(c.count_id, c.containers, c.discrepancies, c.open_discrepancies)
            for c in counts_at(db, shelves.main)] == [(2, 3, 0, 0), (1, 3, 1, 0)]
    record = count_record(db, result.count_id)
    line = next(x for x in record.lines if x.discrepancy_id == opened)
    assert line.resolution is not None and (line.resolution.resolution_id,
                                            line.resolution.resolved_by_name,
                                            line.resolution.written_off_ml) == (
        resolution, "Ada Lindqvist, MD", None)
    assert record.signature_problems == ()


def test_a_shortfall_written_off_writes_a_lost_entry(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first = shelves.vials[0]
    [opened] = _count(db, shelves, clock, {**_full(shelves), first: "9.5"}).discrepancy_ids
    resolution_id = resolve_discrepancy(
        db, PHYSICIAN, discrepancy_id=opened, explanation="vial cracked, leaked in the safe",
        write_off_as_lost=True, password=password_of("ada"), clock=clock)
    resolution = db.get(StockDiscrepancyResolution, resolution_id)
    assert resolution is not None and resolution.lost_entry_id is not None
    lost = db.get(StockEntry, resolution.lost_entry_id)
    assert lost is not None and (lost.kind, lost.container_id, lost.volume_ml) == (
        LedgerKind.LOST, first, D("0.5"))
    assert lost.reason == f"count discrepancy {opened}: vial cracked, leaked in the safe"
    assert _balance(db, first) == D("9.5")
    # the next count expects what was found
    assert _count(db, shelves, clock, {**_full(shelves), first: "9.5"}).discrepancy_ids == ()
    [line] = [x for x in count_record(db, 1).lines if x.discrepancy_id == opened]
    assert line.resolution is not None and line.resolution.written_off_ml == D("0.5")


def test_a_surplus_can_only_be_explained(db: Session, shelves: Shelves,
                                         clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    first = shelves.vials[0]
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=first, volume_ml="1",
                            clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="1", clock=clock)
    [opened] = _count(db, shelves, clock, {**_full(shelves), first: "9.8"}).discrepancy_ids
    with pytest.raises(ValidationError, match="surplus can only be explained"):
        resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened,
                            explanation="overfill from the manufacturer", write_off_as_lost=True,
                            password=password_of("ada"), clock=clock)
    resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened,
                        explanation="manufacturer overfill in the vial", write_off_as_lost=False,
                        password=password_of("ada"), clock=clock)
    assert open_discrepancies(db) == [] and _balance(db, first) == 9


def test_a_resolution_not_signed_by_its_resolver_is_shown_as_such(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    """Rows written around the services (with the guards' blessing: inserts) do not verify."""
    [opened] = _count(db, shelves, clock, {**_full(shelves), shelves.vials[0]: "9"}
                      ).discrepancy_ids
    user = db.get(User, NURSE2.user_id)
    assert user is not None
    key, private = signing_key(db, NURSE2, user, password_of("sam"), now=clock())
    db.add(StockDiscrepancyResolution(
        discrepancy_id=opened, explanation="it was fine all along", resolved_by_id=3,
        resolved_by_name="Ada Lindqvist, MD", key_id=key.id,
        signature=sign_text(private, "anything"), resolved_at_utc=clock()))
    db.commit()
    problems = count_record(db, 1).signature_problems
    assert any("resolution of discrepancy" in p and "another person" in p for p in problems)


# --- inventories ---------------------------------------------------------------------------------


def _inventory(db: Session, shelves: Shelves, clock: FakeClock, lines: dict[int, object],
               **changes: object) -> int:
    facts: dict[str, object] = {
        "location_id": shelves.main, "kind": InventoryKind.INITIAL,
        "taken_on": date(2026, 11, 21), "business_time": BusinessTime.OPENING, "lines": lines,
        "password": password_of("nora"), "clock": clock, **changes}
    return take_inventory(db, NURSE, **facts)  # type: ignore[arg-type]


def test_the_initial_inventory_counts_sealed_and_measures_opened_containers(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    first, second, third = shelves.vials
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=first, volume_ml="3.5",
                            clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="3.5", clock=clock)
    assert last_inventory(db, shelves.main) is None
    assert inventory_due_on(db, shelves.main) is None
    with pytest.raises(ValidationError, match="take the initial inventory first"):
        _inventory(db, shelves, clock, {}, kind=InventoryKind.BIENNIAL)
    with pytest.raises(ValidationError, match="missing: " + str(third)):
        _inventory(db, shelves, clock, {first: "6.5", second: "1"})
    with pytest.raises(ValidationError, match="is sealed: count it as 1"):
        _inventory(db, shelves, clock, {first: "6.5", second: "10", third: "1"})
    inventory_id = _inventory(db, shelves, clock, {first: "6.4", second: "1", third: 1})
    record = inventory_record(db, inventory_id)
    assert (record.kind, record.taken_on, record.business_time, record.taken_by_name) == (
        InventoryKind.INITIAL, date(2026, 11, 21), BusinessTime.OPENING, "Nora Reyes, RN")
    assert [(x.container.container_id, x.sealed, x.count_of_sealed, x.measured_volume_ml)
            for x in record.lines] == [(first, False, None, D("6.4")), (second, True, 1, None),
                                       (third, True, 1, None)]
    assert record.signature_problems == ()
    last = last_inventory(db, shelves.main)
    assert last is not None and last.inventory_id == inventory_id
    assert inventory_due_on(db, shelves.main) == date(2028, 11, 21)
    with pytest.raises(ValidationError, match=r"initial inventory .* was taken on 2026-11-21"):
        _inventory(db, shelves, clock, {first: "6.4", second: "1", third: "1"})
    later = _inventory(db, shelves, clock, {first: "6.4", second: "1", third: "1"},
                       kind=InventoryKind.BIENNIAL, business_time="close")
    assert inventory_record(db, later).business_time is BusinessTime.CLOSE
    assert [i.inventory_id for i in inventories_at(db, shelves.main)] == [later, inventory_id]
    with pytest.raises(ValidationError, match="in the future"):
        _inventory(db, shelves, clock, {}, kind=InventoryKind.OTHER,
                   taken_on=date(2027, 1, 1))
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "stock_inventory_taken")) == 2


# --- the other records ---------------------------------------------------------------------------


def test_the_loss_and_destruction_records_read_back_signed(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, third = shelves.vials
    loss_id = report_loss(db, NURSE, location_id=shelves.main, discovered_on=date(2026, 11, 21),
                          kind=LossKind.LOSS, circumstances="vial dropped and shattered on "
                          "the floor while restocking", losses={first: "10"},
                          police_notified=False, password=password_of("nora"), clock=clock)
    record = loss_record(db, loss_id)
    assert losses_at(db, shelves.main) == [record] and losses_at(db, shelves.satellite) == []
    assert (record.kind, record.recorded_by_name, record.signature_problems) == (
        "loss", "Nora Reyes, RN", ())
    assert [(x.container.container_id, x.volume_ml, x.reversed) for x in record.lines] == [
        (first, D(10), False)]
    witnesses = [proof(db, "sam", ProofPurpose.WITNESS_DESTRUCTION, clock),
                 proof(db, "ada", ProofPurpose.WITNESS_DESTRUCTION, clock)]
    destroy_containers(db, NURSE, location_id=shelves.main, container_ids=[second, third],
                       manner="Rx Destroyer", witness_proofs=witnesses, clock=clock)
    today = clock().date()
    destroyed = destruction_entries(db, shelves.main, today, today)
    assert [(d.container.container_id, d.volume_ml, d.manner, d.recorded_by_name,
             [w.name for w in d.witnesses], d.reversed, d.signature_problems)
            for d in destroyed] == [
        (v, D(10), "Rx Destroyer", "Nora Reyes, RN", ["Sam Okafor, RN", "Ada Lindqvist, MD"],
         False, ()) for v in (second, third)]
    assert destruction_entries(db, shelves.main, date(2026, 1, 1), date(2026, 1, 2)) == []


def test_every_record_written_names_its_audit_row(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    """One audit row per row written, each row carrying its reference (schema 0013)."""
    first, second, third = shelves.vials
    _inventory(db, shelves, clock, dict.fromkeys(shelves.vials, "1"))
    [opened] = _count(db, shelves, clock, {**_full(shelves), first: "9"}).discrepancy_ids
    resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened, explanation="leaked from a "
                        "cracked stopper", write_off_as_lost=True, password=password_of("ada"),
                        clock=clock)
    report_loss(db, NURSE, location_id=shelves.main, discovered_on=date(2026, 11, 21),
                kind="theft", circumstances="vial missing from the locked safe", losses={
                    second: "10"}, police_notified=True, police_reference="SPD-1",
                password=password_of("nora"), clock=clock)
    destroy_containers(db, NURSE, location_id=shelves.main, container_ids=[third],
                       manner="Rx Destroyer", clock=clock, witness_proofs=[
                           proof(db, "sam", ProofPurpose.WITNESS_DESTRUCTION, clock),
                           proof(db, "ada", ProofPurpose.WITNESS_DESTRUCTION, clock)])
    db.close()
    report = check_references(db)
    assert report.ok, report.lines()
    for table in ("stock_inventories", "stock_inventory_lines", "stock_counts",
                  "stock_count_lines", "stock_discrepancies", "stock_discrepancy_resolutions",
                  "stock_losses", "stock_loss_lines", "stock_entry_witnesses"):
        rows = db.execute(text(f"SELECT count(*), count(audit_id) FROM {table}")).one()
        assert rows[0] > 0 and rows[0] == rows[1], table


def test_a_discrepancy_can_name_the_loss_record_that_wrote_it_off(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, _third = shelves.vials
    [opened] = _count(db, shelves, clock, {**_full(shelves), first: "0"}).discrepancy_ids
    loss_id = report_loss(db, NURSE, location_id=shelves.main, discovered_on=date(2026, 11, 21),
                          kind="theft", circumstances="vial missing at the day-end count",
                          losses={first: "10"}, police_notified=True,
                          password=password_of("nora"), clock=clock)
    other = report_loss(db, NURSE, location_id=shelves.main, discovered_on=date(2026, 11, 21),
                        kind="loss", circumstances="second vial dropped and broken",
                        losses={second: "1"}, police_notified=False,
                        password=password_of("nora"), clock=clock)

    def resolve(loss: int, write_off: bool = False) -> int:
        return resolve_discrepancy(db, PHYSICIAN, discrepancy_id=opened,
                                   explanation="stolen: see the loss record", loss_id=loss,
                                   write_off_as_lost=write_off, password=password_of("ada"),
                                   clock=clock)

    with pytest.raises(ValidationError, match=f"wrote nothing off from container {first}"):
        resolve(other)
    with pytest.raises(ValidationError, match="already wrote the volume off"):
        resolve(loss_id, write_off=True)
    resolution = db.get(StockDiscrepancyResolution, resolve(loss_id))
    assert resolution is not None and (resolution.loss_id, resolution.lost_entry_id) == (
        loss_id, None)
    assert _balance(db, first) == 0 and open_discrepancies(db) == []
    assert count_record(db, 1).signature_problems == ()
