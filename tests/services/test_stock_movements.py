"""Transfers, destruction before two witnesses and losses, on SQLite and PostgreSQL (issue 19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.domain.stock_counts import LossKind
from ketalog.services.authentication import LoginRefused
from ketalog.services.errors import PermissionDenied
from ketalog.services.identity import ProofPurpose
from ketalog.services.keyed import STOCK_DESTRUCTION_WITNESS, STOCK_LOSS, holds, row_manifest
from ketalog.services.session.state import change_state
from ketalog.services.stock import (
    draw_for_session,
    record_administered,
    reverse_stock_entry,
    stock_on_hand,
)
from ketalog.services.stock_movements import (
    destroy_containers,
    loss_manifest_row,
    report_loss,
    transfer_containers,
)
from ketalog.store.models import (
    AuditEntry,
    StockEntry,
    StockEntryWitness,
    StockLocation,
    StockLoss,
    StockLossLine,
    UserKey,
)
from tests.conftest import FakeClock
from tests.play import book
from tests.services.stock_fixtures import Shelves, proof, stock_two_locations
from tests.staff import NURSE, NURSE2, PHYSICIAN, password_of

WITNESS = ProofPurpose.WITNESS_DESTRUCTION


@pytest.fixture
def shelves(db: Session, clock: FakeClock) -> Shelves:
    return stock_two_locations(db, clock)


def _balances(db: Session) -> dict[tuple[int, int], Decimal]:
    return {(b.container_id, b.location_id): b.balance_ml for b in stock_on_hand(db)}


def _entries(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(StockEntry)) or 0)


# --- transfers ------------------------------------------------------------------------------


def test_a_transfer_moves_whole_containers_and_keeps_every_balance(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, third = shelves.vials
    before = sum(_balances(db).values())
    received = transfer_containers(db, NURSE, from_location_id=shelves.main,
                                   to_location_id=shelves.satellite,
                                   container_ids=[first, third], clock=clock)
    assert _balances(db) == {(first, shelves.satellite): 10, (second, shelves.main): 10,
                             (third, shelves.satellite): 10}
    assert sum(_balances(db).values()) == before
    for entry_id, vial in zip(received, (first, third), strict=True):
        into = db.get(StockEntry, entry_id)
        assert into is not None and into.kind is LedgerKind.TRANSFERRED_IN
        out = db.get(StockEntry, into.counterpart_id)
        assert out is not None and (out.kind, out.container_id, out.location_id,
                                    out.volume_ml) == (LedgerKind.TRANSFERRED_OUT, vial,
                                                       shelves.main, 10)
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.table_name == "stock_entries").order_by(AuditEntry.id.desc()).limit(4)).all()
    assert sorted(actions) == ["stock_transferred_in"] * 2 + ["stock_transferred_out"] * 2


def test_a_partly_used_container_moves_with_what_is_left(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    draw = draw_for_session(db, NURSE, session_id=sid, container_id=shelves.vials[0],
                            volume_ml="2.5", clock=clock)
    with pytest.raises(ValidationError, match=r"2\.5 mL drawn .* not yet accounted for"):
        transfer_containers(db, NURSE, from_location_id=shelves.main,
                            to_location_id=shelves.satellite,
                            container_ids=[shelves.vials[0]], clock=clock)
    record_administered(db, NURSE, draw_id=draw, volume_ml="2.5", clock=clock)
    transfer_containers(db, NURSE, from_location_id=shelves.main,
                        to_location_id=shelves.satellite, container_ids=[shelves.vials[0]],
                        clock=clock)
    assert _balances(db)[(shelves.vials[0], shelves.satellite)] == Decimal("7.5")


def test_a_transfer_is_refused_with_a_reason_and_writes_nothing(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first = shelves.vials[0]
    entries = _entries(db)

    def transfer(source: int, target: int, vials: list[int]) -> None:
        transfer_containers(db, NURSE, from_location_id=source, to_location_id=target,
                            container_ids=vials, clock=clock)

    with pytest.raises(ValidationError, match='not in stock at "Satellite clinic"'):
        transfer(shelves.satellite, shelves.main, [first])
    with pytest.raises(ValidationError, match="Choose another location"):
        transfer(shelves.main, shelves.main, [first])
    with pytest.raises(ValidationError, match="listed twice"):
        transfer(shelves.main, shelves.satellite, [first, first])
    with pytest.raises(ValidationError, match="at least one container"):
        transfer(shelves.main, shelves.satellite, [])
    # the second container is not here: the first is not moved either
    transfer(shelves.main, shelves.satellite, [shelves.vials[1]])
    entries = _entries(db)
    with pytest.raises(ValidationError, match="not in stock"):
        transfer(shelves.main, shelves.satellite, [first, shelves.vials[1]])
    assert _entries(db) == entries
    satellite = db.get(StockLocation, shelves.satellite)
    assert satellite is not None
    satellite.active = False
    db.commit()
    with pytest.raises(ValidationError, match="no longer in use"):
        transfer(shelves.main, shelves.satellite, [first])
    satellite.active = True
    satellite.dea_number = "FB7654329"  # the main safe's registration
    db.commit()
    with pytest.raises(ValidationError, match="share DEA registration FB7654329"):
        transfer(shelves.main, shelves.satellite, [first])
    assert _entries(db) == entries


def test_a_transfer_is_reversed_whole_from_either_side(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, _third = shelves.vials
    [into, back] = transfer_containers(db, NURSE, from_location_id=shelves.main,
                                       to_location_id=shelves.satellite,
                                       container_ids=[first, second], clock=clock)
    row = db.get(StockEntry, into)
    assert row is not None and row.counterpart_id is not None
    # naming the sending side: the receiving side is reversed too, first
    reversal = reverse_stock_entry(db, NURSE, entry_id=row.counterpart_id,
                                   reason="sent to the wrong clinic", clock=clock)
    undone = db.get(StockEntry, reversal)
    assert undone is not None and undone.reverses_id == row.counterpart_id
    assert _balances(db)[(first, shelves.main)] == 10
    assert (first, shelves.satellite) not in _balances(db)
    # naming the receiving side
    reverse_stock_entry(db, NURSE, entry_id=back, reason="sent to the wrong clinic",
                        clock=clock)
    assert _balances(db)[(second, shelves.main)] == 10
    assert sum(_balances(db).values()) == 30
    kinds = db.scalars(select(StockEntry.kind).where(StockEntry.kind == LedgerKind.REVERSAL))
    assert len(list(kinds)) == 4


def test_a_transfer_drawn_from_at_its_new_place_is_not_reversed(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    [into] = transfer_containers(db, NURSE, from_location_id=shelves.main,
                                 to_location_id=shelves.satellite,
                                 container_ids=[shelves.vials[0]], clock=clock)
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    draw_for_session(db, NURSE, session_id=sid, container_id=shelves.vials[0], volume_ml="1",
                     clock=clock)
    entries = _entries(db)
    with pytest.raises(ValidationError, match="holds 9 mL here; 10 mL cannot come out"):
        reverse_stock_entry(db, NURSE, entry_id=into, reason="wrong clinic", clock=clock)
    assert _entries(db) == entries


# --- destruction ----------------------------------------------------------------------------


def test_a_destruction_takes_what_is_left_before_two_witnesses_who_sign(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    first, second, _third = shelves.vials
    destroyed = destroy_containers(
        db, NURSE, location_id=shelves.main, container_ids=[first, second],
        manner="rendered non-retrievable in a Rx Destroyer container",
        witness_proofs=[proof(db, "sam", WITNESS, clock), proof(db, "ada", WITNESS, clock)],
        clock=clock)
    assert [c for c, _where in _balances(db)] == [shelves.vials[2]]
    for entry_id in destroyed:
        entry = db.get(StockEntry, entry_id)
        assert entry is not None and (entry.kind, entry.volume_ml, entry.witness_id) == (
            LedgerKind.DESTROYED, 10, None)
        witnesses = db.scalars(select(StockEntryWitness).where(
            StockEntryWitness.entry_id == entry_id).order_by(StockEntryWitness.position)).all()
        assert [(w.position, w.witness_id, w.witness_name) for w in witnesses] == [
            (1, NURSE2.user_id, "Sam Okafor, RN"), (2, PHYSICIAN.user_id, "Ada Lindqvist, MD")]
        for w in witnesses:
            key = db.get(UserKey, w.key_id)
            assert key is not None and key.user_id == w.witness_id
            facts = {**{c: getattr(entry, c) for c in (
                "container_id", "location_id", "kind", "volume_ml", "waste_manner",
                "recorded_by_id", "recorded_at_utc")}, "entry_id": entry.id,
                "position": w.position, "witness_id": w.witness_id,
                "witness_name": w.witness_name, "signed_at_utc": w.signed_at_utc}
            assert holds(key.public_key, w.signature,
                         row_manifest(STOCK_DESTRUCTION_WITNESS, facts, key.id))
            assert not holds(key.public_key, w.signature, row_manifest(
                STOCK_DESTRUCTION_WITNESS, {**facts, "volume_ml": Decimal(9)}, key.id))


def test_two_witnesses_who_are_the_same_person_are_refused(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    entries = _entries(db)

    def destroy(*witnesses: object) -> None:
        destroy_containers(db, NURSE, location_id=shelves.main, container_ids=[shelves.vials[0]],
                           manner="Rx Destroyer", witness_proofs=list(witnesses), clock=clock)

    with pytest.raises(ValidationError, match="same person cannot witness twice"):
        destroy(proof(db, "sam", WITNESS, clock), proof(db, "sam", WITNESS, clock))
    with pytest.raises(ValidationError, match="must be two other people"):
        destroy(proof(db, "nora", WITNESS, clock), proof(db, "sam", WITNESS, clock))
    with pytest.raises(ValidationError, match="needs 2 witnesses"):
        destroy(proof(db, "sam", WITNESS, clock))
    with pytest.raises(PermissionDenied, match="the second witness must enter"):
        destroy(proof(db, "sam", WITNESS, clock), None)
    with pytest.raises(PermissionDenied, match="entered to witness the waste"):
        destroy(proof(db, "sam", WITNESS, clock),
                proof(db, "ada", ProofPurpose.WITNESS_WASTE, clock))
    with pytest.raises(PermissionDenied, match="witness"):
        destroy(proof(db, "sam", WITNESS, clock), proof(db, "admin", WITNESS, clock))
    assert _entries(db) == entries
    assert db.scalar(select(func.count()).select_from(StockEntryWitness)) == 0


def test_a_destruction_reversed_puts_the_volume_back(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    [gone] = destroy_containers(
        db, NURSE, location_id=shelves.main, container_ids=[shelves.vials[0]],
        manner="Rx Destroyer", clock=clock,
        witness_proofs=[proof(db, "sam", WITNESS, clock), proof(db, "ada", WITNESS, clock)])
    reverse_stock_entry(db, NURSE, entry_id=gone, reason="wrong vial picked; not destroyed",
                        clock=clock)
    assert _balances(db)[(shelves.vials[0], shelves.main)] == 10


# --- losses ---------------------------------------------------------------------------------


def _report(db: Session, shelves: Shelves, clock: FakeClock, **changes: object) -> int:
    facts: dict[str, object] = {
        "location_id": shelves.main, "discovered_on": date(2026, 11, 21),
        "kind": LossKind.THEFT, "circumstances": "vial missing from the locked safe at "
                                                 "opening; lock intact",
        "losses": {shelves.vials[0]: "10", shelves.vials[1]: Decimal("2.5")},
        "police_notified": True, "police_reference": "SPD-2026-1182",
        "password": password_of("nora"), "clock": clock, **changes}
    return report_loss(db, NURSE, **facts)  # type: ignore[arg-type]


def test_a_loss_writes_off_what_is_missing_under_a_signed_record(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    loss_id = _report(db, shelves, clock)
    first, second, third = shelves.vials
    assert _balances(db) == {(second, shelves.main): Decimal("7.5"), (third, shelves.main): 10}
    loss = db.get(StockLoss, loss_id)
    assert loss is not None
    assert (loss.kind, loss.police_notified, loss.police_reference, loss.recorded_by_name) == (
        LossKind.THEFT, True, "SPD-2026-1182", "Nora Reyes, RN")
    entries = [db.get(StockEntry, e) for e in db.scalars(
        select(StockLossLine.entry_id).where(StockLossLine.loss_id == loss_id)
        .order_by(StockLossLine.id))]
    assert [(e.kind, e.container_id, e.volume_ml) for e in entries if e] == [
        (LedgerKind.LOST, first, 10), (LedgerKind.LOST, second, Decimal("2.5"))]
    assert all(e is not None and e.reason and e.reason.startswith("theft: vial missing")
               for e in entries)
    key = db.get(UserKey, loss.key_id)
    assert key is not None and key.user_id == NURSE.user_id
    lost = {first: Decimal(10), second: Decimal("2.5")}
    assert holds(key.public_key, loss.signature,
                 row_manifest(STOCK_LOSS, loss_manifest_row(loss, lost), key.id))
    assert not holds(key.public_key, loss.signature, row_manifest(
        STOCK_LOSS, loss_manifest_row(loss, {first: Decimal(10)}), key.id))


def test_a_loss_record_is_refused_with_every_reason_and_writes_nothing(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    entries = _entries(db)
    with pytest.raises(ValidationError) as refused:
        _report(db, shelves, clock, circumstances="gone", police_notified=False,
                discovered_on=date(2027, 1, 1), losses={})
    assert {p.field for p in refused.value.problems} == {
        "circumstances", "police_reference", "discovered_on", "losses"}
    with pytest.raises(ValidationError, match="holds 10 mL here"):
        _report(db, shelves, clock, losses={shelves.vials[0]: "10.5"})
    with pytest.raises(LoginRefused):
        _report(db, shelves, clock, password="not-my-password")
    with pytest.raises(ValidationError, match="Type your password"):
        _report(db, shelves, clock, password="")
    assert _entries(db) == entries
    assert db.scalar(select(func.count()).select_from(StockLoss)) == 0


def test_a_lost_entry_reversed_puts_the_volume_back(
        db: Session, shelves: Shelves, clock: FakeClock) -> None:
    loss_id = _report(db, shelves, clock, losses={shelves.vials[2]: "1"})
    [entry] = db.scalars(select(StockLossLine.entry_id).where(StockLossLine.loss_id == loss_id))
    reverse_stock_entry(db, NURSE, entry_id=entry, reason="found behind the drawer: not lost",
                        clock=clock)
    assert _balances(db)[(shelves.vials[2], shelves.main)] == 10


# --- any sequence ---------------------------------------------------------------------------


def _sum_of_entries(db: Session) -> dict[tuple[int, int], Decimal]:
    """mL per (container, location) summed from the rows, apart from the domain's ledger."""
    sign = {LedgerKind.RECEIVED: 1, LedgerKind.TRANSFERRED_IN: 1, LedgerKind.RETURNED: 1,
            LedgerKind.DRAWN: -1, LedgerKind.TRANSFERRED_OUT: -1, LedgerKind.DESTROYED: -1,
            LedgerKind.LOST: -1}
    rows = {e.id: e for e in db.scalars(select(StockEntry))}
    totals: dict[tuple[int, int], Decimal] = {}
    for e in rows.values():
        undone = rows[e.reverses_id] if e.reverses_id is not None else None
        direction = -sign.get(undone.kind, 0) if undone is not None else sign.get(e.kind, 0)
        key = (e.container_id, e.location_id)
        totals[key] = totals.get(key, Decimal(0)) + direction * e.volume_ml
    return {k: v for k, v in totals.items() if v != 0}


STEP = st.tuples(st.sampled_from(["transfer", "destroy", "lose", "reverse"]),
                 st.integers(0, 2), st.booleans(), st.sampled_from(["0.5", "2", "10"]))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=6))
def test_any_sequence_of_movements_keeps_every_balance(
        db: Session, shelves: Shelves, clock: FakeClock,
        steps: list[tuple[str, int, bool, str]]) -> None:
    """Transfers, destructions, losses and reversals in any order (each example goes on from
    the last one's books): every balance is the sum of its entries and never below 0, the
    clinic's total moves only by what was destroyed or lost, and a refusal writes nothing."""
    for kind, index, at_main, volume in steps:
        vial = shelves.vials[index]
        here, there = ((shelves.main, shelves.satellite) if at_main
                       else (shelves.satellite, shelves.main))
        before = _entries(db)
        try:
            if kind == "transfer":
                transfer_containers(db, NURSE, from_location_id=here, to_location_id=there,
                                    container_ids=[vial], clock=clock)
            elif kind == "destroy":
                destroy_containers(db, NURSE, location_id=here, container_ids=[vial],
                                   manner="Rx Destroyer", clock=clock, witness_proofs=[
                                       proof(db, "sam", WITNESS, clock),
                                       proof(db, "ada", WITNESS, clock)])
            elif kind == "lose":
                _report(db, shelves, clock, location_id=here, losses={vial: volume})
            else:
                last = db.scalar(select(StockEntry).where(
                    StockEntry.container_id == vial,
                    StockEntry.kind.in_([LedgerKind.TRANSFERRED_IN, LedgerKind.DESTROYED,
                                         LedgerKind.LOST]))
                    .order_by(StockEntry.id.desc()).limit(1))
                if last is not None:
                    reverse_stock_entry(db, NURSE, entry_id=last.id, reason="entered in error",
                                        clock=clock)
        except ValidationError:
            db.rollback()
            assert _entries(db) == before
        on_hand = _balances(db)
        assert on_hand == _sum_of_entries(db)
        assert all(v > 0 for v in on_hand.values())
        gone = _sum_of_entries_of(db, {LedgerKind.DESTROYED, LedgerKind.LOST})
        assert sum(on_hand.values()) == 30 - gone


def _sum_of_entries_of(db: Session, kinds: set[LedgerKind]) -> Decimal:
    """mL of the entries of ``kinds`` that no reversal undid."""
    undone = set(db.scalars(select(StockEntry.reverses_id).where(
        StockEntry.reverses_id.is_not(None))))
    return sum((e.volume_ml for e in db.scalars(select(StockEntry).where(
        StockEntry.kind.in_(kinds))) if e.id not in undone), Decimal(0))
