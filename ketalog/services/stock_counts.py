"""Counts, discrepancies and inventories of controlled substances, and the records they print.

Issue 19, items 3 and 4. A count is taken by two people at a shift or day end:
the screen shows what the books expect in each container at the location
(:func:`expected_stock`), the counters enter what they find, both sign with
their own keys, and every mismatch opens a discrepancy. Only a signed
resolution closes a discrepancy: an explanation, and for a real shortfall a LOST
entry that writes the missing volume off; a surplus can only be explained.
An inventory (initial, then at least every two years, 21 CFR 1304.11) lists
every container on hand, sealed ones counted and opened ones measured, signed
by who took it.

A dose drawn and not yet accounted for does not stop a count: the books already
took it out of its container when it was drawn, so the container is expected to
hold its balance without it; :attr:`ExpectedContainer.in_syringe_ml` shows it
beside the container so the counters know where it is.

The readers at the end hand the reports plain frozen dataclasses, each with the
reasons its signatures do not hold (empty: they all do).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import Ledger, LedgerEntry, LedgerKind
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.stock_counts import (
    MAX_RECORD_TEXT,
    BusinessTime,
    CountOccasion,
    InventoryKind,
    Mismatch,
    biennial_due_on,
    check_explanation,
    count_mismatches,
    inventory_entries,
    write_off_ml,
)
from ketalog.domain.values import parse_decimal
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.authentication import unlock_own_key
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.identity import IdentityProof, ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import (
    KEY_COLUMNS,
    MANIFEST_FIELDS,
    STOCK_COUNT,
    STOCK_DESTRUCTION_WITNESS,
    STOCK_INVENTORY,
    STOCK_LOSS,
    STOCK_RESOLUTION,
    STOCK_SECOND_COUNT,
    KeyedRow,
    UnlockedKey,
    canonical_json,
    keyed_row_problems,
    plain_value,
    sha256_text,
    when_text,
)
from ketalog.services.settings import clinic_timezone, clinic_today
from ketalog.services.stock import (
    container_ledger,
    container_ledgers,
    locked_container,
    write_entry,
)
from ketalog.services.stock_movements import (
    location,
    loss_manifest_row,
    name_of,
)
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    StockContainer,
    StockCount,
    StockCountLine,
    StockDiscrepancy,
    StockDiscrepancyResolution,
    StockEntry,
    StockEntryWitness,
    StockInventory,
    StockInventoryLine,
    StockLocation,
    StockLoss,
    StockLossLine,
    StockProduct,
    User,
)

_ZERO = Decimal(0)


# --- what the books expect --------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedContainer:
    """A container the books place at a location, with the volume a count should find in it."""

    container_id: int
    product_name: str
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    lot_number: str
    expiry_date: date
    serial: str | None
    expected_ml: Decimal
    #: never drawn from and full: an inventory counts it instead of measuring it
    sealed: bool
    #: drawn from it here for a session and not yet accounted for (not expected in it)
    in_syringe_ml: Decimal = _ZERO


def _ledgers_at(db: Session, location_id: int) -> dict[int, Ledger]:
    """The whole books of every container that was ever at the location (one query)."""
    return container_ledgers(db, select(StockEntry.container_id)
                             .where(StockEntry.location_id == location_id))


def _sealed(ledger: Ledger, balance: Decimal, size: Decimal) -> bool:
    undone = ledger.reversed_ids()
    drawn = any(e.kind is LedgerKind.DRAWN and e.entry_id not in undone for e in ledger.entries)
    return not drawn and balance == size


def expected_stock(db: Session, location_id: int) -> list[ExpectedContainer]:
    """Every container with volume left at the location, as a count or an inventory lists it."""
    location(db, location_id)
    ledgers = _ledgers_at(db, location_id)
    containers = {c.id: c for c in db.scalars(select(StockContainer).where(
        StockContainer.id.in_(ledgers)))} if ledgers else {}
    products = {p.id: p for p in db.scalars(select(StockProduct))}
    found: list[ExpectedContainer] = []
    for container_id, ledger in ledgers.items():
        left = ledger.balance_ml(container_id, location_id)
        if left <= 0:
            continue
        container = containers[container_id]
        product = products[container.product_id]
        size = Decimal(product.container_volume_ml)
        syringe = sum((ledger.unreconciled_ml(d.entry_id) for d in ledger.open_draws()
                       if d.location_id == location_id), _ZERO)
        found.append(ExpectedContainer(
            container_id, product.name, Decimal(product.strength_mg_per_ml), size,
            container.lot_number, container.expiry_date, container.serial, left,
            _sealed(ledger, left, size), syringe))
    return sorted(found, key=lambda c: (c.product_name, c.expiry_date, c.lot_number,
                                        c.container_id))


# --- counts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountResult:
    """A count written: its id and the discrepancies it opened (empty: it balanced)."""

    count_id: int
    discrepancy_ids: tuple[int, ...]


def _found_volumes(found: Mapping[int, Decimal | str]) -> dict[int, Decimal]:
    volumes: dict[int, Decimal] = {}
    problems: list[Problem] = []
    for container_id, value in found.items():
        try:
            volumes[container_id] = parse_decimal(
                value, f"The volume found in container {container_id}", "found")
        except ValidationError as refused:
            problems += refused.problems
    if problems:
        raise ValidationError(problems)
    return volumes


def _lines_sha256(lines: list[dict[str, object]]) -> str:
    return sha256_text(canonical_json({"lines": [{k: plain_value(v) for k, v in line.items()}
                                                 for line in lines]}))


def _count_lines_facts(lines: list[tuple[int, Decimal, Decimal]]) -> list[dict[str, object]]:
    return [{"container_id": c, "expected_ml": e, "found_ml": f} for c, e, f in sorted(lines)]


def _second_person(db: Session, actor: Actor, proof: object, purpose: ProofPurpose,
                   person: str, permission: Permission, clock: Clock
                   ) -> tuple[User, UnlockedKey]:
    if isinstance(proof, IdentityProof) and proof.user_id == actor.user_id:
        raise ValidationError.single("second_counter", f"You count as the first person; "
                                                       f"{person} must be someone else.")
    user, person_actor, key = accept_keyed_proof(db, proof, purpose, person=person,
                                                 signed_in=actor, clock=clock)
    authorize(db, person_actor, permission)
    return user, key


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_RECORD_TEXT:
        raise ValidationError.single("note", f"The note is {len(text)} characters long; "
                                             f"shorten it to {MAX_RECORD_TEXT} at most.")
    return text


@use_case
def record_count(db: Session, actor: Actor, *, location_id: int, occasion: CountOccasion | str,
                 found: Mapping[int, Decimal | str], second_counter_proof: object,
                 note: str = "", password: str, clock: Clock = system_clock) -> CountResult:
    """Record a count of a location by two people; every mismatch opens a discrepancy.

    Every container the books expect there must be counted (0 for one not
    found); a container found that the books do not place there is a mismatch
    too. Both counters sign the count and its lines with their own keys: the
    signed-in user with their password, the second counter through their proof
    (purpose SECOND_COUNTER).
    """
    authorize(db, actor, Permission.COUNT_STOCK)
    now = clock()
    place = location(db, location_id)
    try:
        when = CountOccasion(occasion)
    except ValueError:
        raise ValidationError.single("occasion", "Choose shift end, day end or a spot count."
                                     ) from None
    volumes = _found_volumes(found)
    expected = {c.container_id: c for c in expected_stock(db, place.id)}
    sizes = {c: e.container_volume_ml for c, e in expected.items()}
    strangers = sorted(set(volumes) - set(expected))
    if strangers:
        known = {c.id: c for c in db.scalars(select(StockContainer).where(
            StockContainer.id.in_(strangers)))}
        unknown = [c for c in strangers if c not in known]
        if unknown:
            raise ValidationError.single("found", "No container " + ", ".join(map(str, unknown))
                                         + " was ever received; check the number.")
        for container_id, container in known.items():
            product = db.get(StockProduct, container.product_id)
            assert product is not None
            sizes[container_id] = Decimal(product.container_volume_ml)
    mismatches = {m.container_id: m for m in count_mismatches(
        {c: e.expected_ml for c, e in expected.items()}, volumes, container_volume_ml=sizes)}
    text = _note(note)
    user, key = unlock_own_key(db, actor, password, purpose="count_stock", what="sign the count",
                        clock=clock)
    second, second_key = _second_person(db, actor, second_counter_proof,
                                        ProofPurpose.SECOND_COUNTER, "the second counter",
                                        Permission.COUNT_STOCK, clock)
    lines = [(c, expected[c].expected_ml if c in expected else _ZERO, v)
             for c, v in volumes.items()]
    count = StockCount(location_id=place.id, occasion=when, counted_at_utc=now,
                       counted_by_id=user.id, counted_by_name=name_of(user),
                       second_counter_id=second.id, second_counter_name=name_of(second),
                       note=text, lines_sha256=_lines_sha256(_count_lines_facts(lines)),
                       key_id=key.key_id, second_counter_key_id=second_key.key_id)
    facts = {c: getattr(count, c) for c in MANIFEST_FIELDS[STOCK_COUNT]}
    count.signature = key.sign_row(STOCK_COUNT, facts)
    count.second_counter_signature = second_key.sign_row(STOCK_SECOND_COUNT, facts)
    db.add(count)
    db.flush()
    append_audit(db, actor, "stock_counted", at=now, table_name="stock_counts", row_id=count.id,
                 new={"location": place.name, "occasion": when.value,
                      "second_counter": count.second_counter_name, "note": text,
                      "containers": len(lines), "mismatches": len(mismatches)})
    opened: list[int] = []
    for container_id, expected_ml, found_ml in sorted(lines):
        line = StockCountLine(count_id=count.id, container_id=container_id,
                              expected_ml=expected_ml, found_ml=found_ml)
        db.add(line)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="stock_count_lines",
                     row_id=line.id, new={"container_id": container_id,
                                          "expected_ml": str(expected_ml),
                                          "found_ml": str(found_ml)})
        if container_id in mismatches:
            discrepancy = StockDiscrepancy(count_line_id=line.id, location_id=place.id,
                                           container_id=container_id, expected_ml=expected_ml,
                                           found_ml=found_ml, opened_at_utc=now)
            db.add(discrepancy)
            db.flush()
            append_audit(db, actor, "stock_discrepancy_opened", at=now,
                         table_name="stock_discrepancies", row_id=discrepancy.id,
                         new={"container_id": container_id, "expected_ml": str(expected_ml),
                              "found_ml": str(found_ml)})
            opened.append(discrepancy.id)
    return CountResult(count.id, tuple(opened))


# --- discrepancies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscrepancyView:
    """An open (or resolved) discrepancy as the screen lists it."""

    discrepancy_id: int
    count_id: int
    location_id: int
    location_name: str
    container_id: int
    product_name: str
    lot_number: str
    serial: str | None
    expected_ml: Decimal
    found_ml: Decimal
    opened_at_utc: datetime
    occasion: CountOccasion
    counted_by_name: str
    second_counter_name: str

    @property
    def difference_ml(self) -> Decimal:
        """Found minus expected: negative for a shortfall."""
        return self.found_ml - self.expected_ml


def _resolved() -> object:
    return exists().where(StockDiscrepancyResolution.discrepancy_id == StockDiscrepancy.id)


def open_discrepancies(db: Session, location_id: int | None = None) -> list[DiscrepancyView]:
    """The discrepancies no signed resolution has closed yet, oldest first."""
    query = (select(StockDiscrepancy, StockCountLine, StockCount, StockLocation,
                    StockContainer, StockProduct)
             .join(StockCountLine, StockCountLine.id == StockDiscrepancy.count_line_id)
             .join(StockCount, StockCount.id == StockCountLine.count_id)
             .join(StockLocation, StockLocation.id == StockDiscrepancy.location_id)
             .join(StockContainer, StockContainer.id == StockDiscrepancy.container_id)
             .join(StockProduct, StockProduct.id == StockContainer.product_id)
             .where(~_resolved())  # type: ignore[operator]
             .order_by(StockDiscrepancy.id))
    if location_id is not None:
        query = query.where(StockDiscrepancy.location_id == location_id)
    return [DiscrepancyView(d.id, count.id, place.id, place.name, container.id, product.name,
                            container.lot_number, container.serial, Decimal(d.expected_ml),
                            Decimal(d.found_ml), d.opened_at_utc, count.occasion,
                            count.counted_by_name, count.second_counter_name)
            for d, _line, count, place, container, product in db.execute(query).all()]


@use_case
def resolve_discrepancy(db: Session, actor: Actor, *, discrepancy_id: int, explanation: str,
                        write_off_as_lost: bool, password: str, loss_id: int | None = None,
                        clock: Clock = system_clock) -> int:
    """Close a discrepancy with a signed explanation; the resolution's id.

    The one way a discrepancy closes. ``write_off_as_lost``: the shortfall is
    really missing, and a LOST entry with the explanation as its reason takes it
    out of the books (a surplus can only be explained). ``loss_id``: a loss or
    theft record (:func:`ketalog.services.stock_movements.report_loss`) that
    already wrote this container's shortfall off, named instead. Signed with the
    resolver's own key, unlocked by their password.
    """
    authorize(db, actor, Permission.RESOLVE_DISCREPANCY)
    now = clock()
    # locked until commit: a second resolver waits, then finds it resolved (PostgreSQL;
    # SQLite's writes are serial already)
    discrepancy = db.scalar(select(StockDiscrepancy).where(StockDiscrepancy.id == discrepancy_id)
                            .with_for_update())
    if discrepancy is None:
        raise NotFound(f"There is no discrepancy {discrepancy_id}.")
    done = db.scalar(select(StockDiscrepancyResolution).where(
        StockDiscrepancyResolution.discrepancy_id == discrepancy_id))
    if done is not None:
        raise ValidationError.single("discrepancy", f"Discrepancy {discrepancy_id} was resolved "
                                                    f"already by {done.resolved_by_name}.")
    text = check_explanation(explanation)
    mismatch = Mismatch(discrepancy.container_id, Decimal(discrepancy.expected_ml),
                        Decimal(discrepancy.found_ml))
    lost_ml = write_off_ml(mismatch, write_off_as_lost)
    if loss_id is not None:
        _check_loss_names(db, loss_id, discrepancy, write_off_as_lost)
    ledger: Ledger | None = None
    entry: LedgerEntry | None = None
    if lost_ml:
        locked_container(db, discrepancy.container_id)
        ledger = container_ledger(db, discrepancy.container_id)
        entry = LedgerEntry(0, discrepancy.container_id, discrepancy.location_id,
                            LedgerKind.LOST, lost_ml, recorded_by_id=actor.user_id or 0,
                            reason=f"count discrepancy {discrepancy_id}: {text}"[:500])
        ledger.check(entry)  # before the password: a refusal costs no attempt
    user, key = unlock_own_key(db, actor, password, purpose="resolve_discrepancy",
                        what="sign the resolution", clock=clock)
    lost_entry_id = None
    if ledger is not None and entry is not None:
        lost_entry_id = write_entry(db, actor, ledger, entry, now=now).id
    resolution = StockDiscrepancyResolution(
        discrepancy_id=discrepancy_id, explanation=text, resolved_by_id=user.id,
        resolved_by_name=name_of(user), key_id=key.key_id, resolved_at_utc=now,
        lost_entry_id=lost_entry_id, loss_id=loss_id)
    resolution.signature = key.sign_row(STOCK_RESOLUTION, {
        c: getattr(resolution, c) for c in MANIFEST_FIELDS[STOCK_RESOLUTION]})
    db.add(resolution)
    db.flush()
    append_audit(db, actor, "stock_discrepancy_resolved", at=now,
                 table_name="stock_discrepancy_resolutions", row_id=resolution.id,
                 new={"discrepancy_id": discrepancy_id, "explanation": text,
                      "written_off_ml": str(lost_ml) if lost_ml else None,
                      "lost_entry_id": lost_entry_id, "loss_id": loss_id})
    return resolution.id


def _check_loss_names(db: Session, loss_id: int, discrepancy: StockDiscrepancy,
                      write_off_as_lost: bool) -> None:
    """Refuse a loss record that did not write off this discrepancy's container here."""
    loss = db.get(StockLoss, loss_id)
    if loss is None:
        raise NotFound(f"There is no loss record {loss_id}.")
    if write_off_as_lost:
        raise ValidationError.single(
            "write_off_as_lost", f"Loss record {loss_id} already wrote the volume off; name "
                                 "it without writing it off a second time.")
    wrote = db.scalar(select(exists().where(
        StockLossLine.loss_id == loss_id, StockLossLine.entry_id == StockEntry.id,
        StockEntry.container_id == discrepancy.container_id,
        StockEntry.location_id == discrepancy.location_id)))
    if loss.location_id != discrepancy.location_id or not wrote:
        raise ValidationError.single(
            "loss_id", f"Loss record {loss_id} wrote nothing off from container "
                       f"{discrepancy.container_id} here.")


# --- inventories --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryView:
    """An inventory as a screen lists it."""

    inventory_id: int
    location_id: int
    kind: InventoryKind
    taken_on: date
    business_time: BusinessTime
    taken_by_name: str
    recorded_at_utc: datetime


def _inventory_lines_facts(entries: list[tuple[int, bool, int | None, Decimal | None]]
                           ) -> list[dict[str, object]]:
    return [{"container_id": c, "sealed": s, "count_of_sealed": n, "measured_volume_ml": v}
            for c, s, n, v in sorted(entries)]


@use_case
def take_inventory(db: Session, actor: Actor, *, location_id: int, kind: InventoryKind | str,
                   taken_on: date, business_time: BusinessTime | str,
                   lines: Mapping[int, Decimal | str], password: str,
                   clock: Clock = system_clock) -> int:
    """Record an inventory of a location (21 CFR 1304.11), signed by who took it; its id.

    ``lines``: container id -> 1 or 0 for a sealed container (counted), the mL
    measured for an opened one. Every container on hand must appear. A location
    has one initial inventory; a biennial one follows an earlier inventory.
    """
    authorize(db, actor, Permission.TAKE_INVENTORY)
    now = clock()
    place = location(db, location_id)
    problems: list[Problem] = []
    try:
        what = InventoryKind(kind)
    except ValueError:
        what = InventoryKind.OTHER
        problems.append(Problem("kind", "Choose initial, biennial or other."))
    try:
        when = BusinessTime(business_time)
    except ValueError:
        when = BusinessTime.OPENING
        problems.append(Problem("business_time", "Choose opening or close of business."))
    if taken_on > clinic_today(db, now):
        problems.append(Problem("taken_on", f"The date {taken_on.isoformat()} is in the "
                                            "future."))
    last = last_inventory(db, place.id)
    if what is InventoryKind.INITIAL and last is not None:
        problems.append(Problem("kind", f'The initial inventory of "{place.name}" was taken '
                                        f"on {last.taken_on.isoformat()}; choose biennial or "
                                        "other."))
    if what is InventoryKind.BIENNIAL and last is None:
        problems.append(Problem("kind", f'"{place.name}" has no inventory yet: take the '
                                        "initial inventory first."))
    if problems:
        raise ValidationError(problems)
    on_hand = {c.container_id: (c.sealed, c.container_volume_ml)
               for c in expected_stock(db, place.id)}
    entries = inventory_entries(on_hand, _found_volumes(lines))
    user, key = unlock_own_key(db, actor, password, purpose="take_inventory",
                        what="sign the inventory", clock=clock)
    facts = _inventory_lines_facts([(e.container_id, e.sealed, e.count_of_sealed,
                                     e.measured_volume_ml) for e in entries])
    inventory = StockInventory(location_id=place.id, kind=what, taken_on=taken_on,
                               business_time=when, taken_by_id=user.id,
                               taken_by_name=name_of(user), key_id=key.key_id,
                               lines_sha256=_lines_sha256(facts), recorded_at_utc=now)
    inventory.signature = key.sign_row(STOCK_INVENTORY, {
        c: getattr(inventory, c) for c in MANIFEST_FIELDS[STOCK_INVENTORY]})
    db.add(inventory)
    db.flush()
    append_audit(db, actor, "stock_inventory_taken", at=now, table_name="stock_inventories",
                 row_id=inventory.id, new={"location": place.name, "kind": what.value,
                                           "taken_on": taken_on.isoformat(),
                                           "business_time": when.value,
                                           "containers": len(entries)})
    for e in entries:
        line = StockInventoryLine(inventory_id=inventory.id, container_id=e.container_id,
                                  sealed=e.sealed, count_of_sealed=e.count_of_sealed,
                                  measured_volume_ml=e.measured_volume_ml)
        db.add(line)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="stock_inventory_lines",
                     row_id=line.id, new={"container_id": e.container_id, "sealed": e.sealed,
                                          "count_of_sealed": e.count_of_sealed,
                                          "measured_volume_ml": e.measured_volume_ml})
    return inventory.id


def last_inventory(db: Session, location_id: int) -> InventoryView | None:
    """The location's latest inventory (by date taken), or None before the initial one."""
    row = db.scalar(select(StockInventory).where(StockInventory.location_id == location_id)
                    .order_by(StockInventory.taken_on.desc(), StockInventory.id.desc()).limit(1))
    if row is None:
        return None
    return InventoryView(row.id, row.location_id, row.kind, row.taken_on, row.business_time,
                         row.taken_by_name, row.recorded_at_utc)


def inventory_due_on(db: Session, location_id: int) -> date | None:
    """When the next biennial inventory is due; None before the initial one (then that is due)."""
    last = last_inventory(db, location_id)
    return biennial_due_on(last.taken_on) if last is not None else None


# --- the records the reports print ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordLocation:
    """The registered location a record belongs to, as its header prints it."""

    location_id: int
    name: str
    dea_number: str
    address: str


@dataclass(frozen=True)
class ContainerFacts:
    """One container as a record prints it: the finished form, its lot and serial."""

    container_id: int
    product_name: str
    substance: str
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    ndc: str | None
    schedule: str
    lot_number: str
    expiry_date: date
    serial: str | None


@dataclass(frozen=True)
class InventoryRecordLine:
    """One container of an inventory: sealed and counted, or opened and measured."""

    container: ContainerFacts
    sealed: bool
    count_of_sealed: int | None
    measured_volume_ml: Decimal | None


@dataclass(frozen=True)
class InventoryRecord:
    """An inventory as printed (21 CFR 1304.11): when, opening or close, by whom, every line."""

    inventory_id: int
    location: RecordLocation
    kind: InventoryKind
    taken_on: date
    business_time: BusinessTime
    taken_by_name: str
    recorded_at_utc: datetime
    lines: tuple[InventoryRecordLine, ...]
    #: why a signature does not hold (empty: the record is signed as shown)
    signature_problems: tuple[str, ...]


@dataclass(frozen=True)
class ResolutionFacts:
    """How a discrepancy was closed."""

    resolution_id: int
    explanation: str
    resolved_by_name: str
    resolved_at_utc: datetime
    written_off_ml: Decimal | None
    lost_entry_id: int | None


@dataclass(frozen=True)
class CountRecordLine:
    """One container of a count, with its discrepancy and resolution where it had one."""

    container: ContainerFacts
    expected_ml: Decimal
    found_ml: Decimal
    discrepancy_id: int | None
    resolution: ResolutionFacts | None


@dataclass(frozen=True)
class CountRecord:
    """A count as printed: who counted, when, every line, and how each mismatch was closed."""

    count_id: int
    location: RecordLocation
    occasion: CountOccasion
    counted_at_utc: datetime
    counted_by_name: str
    second_counter_name: str
    note: str
    lines: tuple[CountRecordLine, ...]
    signature_problems: tuple[str, ...]


@dataclass(frozen=True)
class LossRecordLine:
    """A volume written off by a loss record (``reversed``: a later reversal undid it)."""

    container: ContainerFacts
    entry_id: int
    volume_ml: Decimal
    reversed: bool


@dataclass(frozen=True)
class LossRecord:
    """A loss or theft as printed: the facts DEA Form 106 asks."""

    loss_id: int
    location: RecordLocation
    discovered_on: date
    kind: str
    circumstances: str
    police_notified: bool
    police_reference: str | None
    reported_to_dea_on: date | None
    recorded_by_name: str
    recorded_at_utc: datetime
    lines: tuple[LossRecordLine, ...]
    signature_problems: tuple[str, ...]


@dataclass(frozen=True)
class WitnessFacts:
    """A witness of a destruction."""

    name: str
    signed_at_utc: datetime


@dataclass(frozen=True)
class DestructionRecord:
    """One container destroyed: the facts of DEA Form 41 (``reversed``: entered in error)."""

    entry_id: int
    location: RecordLocation
    container: ContainerFacts
    volume_ml: Decimal
    manner: str
    recorded_by_name: str
    recorded_at_utc: datetime
    witnesses: tuple[WitnessFacts, ...]
    reversed: bool
    signature_problems: tuple[str, ...]


def _place(db: Session, location_id: int) -> RecordLocation:
    row = location(db, location_id)
    return RecordLocation(row.id, row.name, row.dea_number, row.address)


def _container_facts(db: Session, container_ids: set[int]) -> dict[int, ContainerFacts]:
    if not container_ids:
        return {}
    rows = db.execute(select(StockContainer, StockProduct)
                      .join(StockProduct, StockProduct.id == StockContainer.product_id)
                      .where(StockContainer.id.in_(sorted(container_ids)))).all()
    return {c.id: ContainerFacts(c.id, p.name, p.substance.value,
                                 Decimal(p.strength_mg_per_ml), Decimal(p.container_volume_ml),
                                 p.ndc, p.schedule, c.lot_number, c.expiry_date, c.serial)
            for c, p in rows}


def _row_facts(row: object, kind: str) -> dict[str, object]:
    return {c: getattr(row, c) for c in MANIFEST_FIELDS[kind] if hasattr(row, c)}


def _keyed(kind: str, table: str, row_id: int, facts: Mapping[str, object], key_id: int,
           signature: str, person_id: int, person_name: str, at: datetime,
           what: str) -> KeyedRow:
    key_column, signature_column = KEY_COLUMNS[kind]
    return KeyedRow(kind, table, row_id, {**facts, key_column: key_id,
                                          signature_column: signature},
                    person_id, person_name, at, f"{what} by {person_name} at {when_text(at)}")


def _lines_problem(stored: str, facts: list[dict[str, object]], what: str) -> list[str]:
    if _lines_sha256(facts) != stored:
        return [f"the lines of the {what} differ from the lines that were signed"]
    return []


def inventory_record(db: Session, inventory_id: int) -> InventoryRecord:
    """An inventory with every line and whether its signature holds."""
    row = db.get(StockInventory, inventory_id)
    if row is None:
        raise NotFound(f"There is no inventory {inventory_id}.")
    lines = db.scalars(select(StockInventoryLine).where(
        StockInventoryLine.inventory_id == inventory_id).order_by(StockInventoryLine.id)).all()
    containers = _container_facts(db, {line.container_id for line in lines})
    problems = keyed_row_problems(db, [_keyed(
        STOCK_INVENTORY, "stock_inventories", row.id, _row_facts(row, STOCK_INVENTORY),
        row.key_id, row.signature, row.taken_by_id, row.taken_by_name, row.recorded_at_utc,
        "the inventory")])
    problems += _lines_problem(row.lines_sha256, _inventory_lines_facts([
        (line.container_id, line.sealed, line.count_of_sealed,
         None if line.measured_volume_ml is None else Decimal(line.measured_volume_ml))
        for line in lines]), "inventory")
    record_lines = tuple(sorted(
        (InventoryRecordLine(containers[line.container_id], line.sealed, line.count_of_sealed,
                             None if line.measured_volume_ml is None
                             else Decimal(line.measured_volume_ml)) for line in lines),
        key=lambda x: (x.container.product_name, x.container.lot_number,
                       x.container.container_id)))
    return InventoryRecord(row.id, _place(db, row.location_id), row.kind, row.taken_on,
                           row.business_time, row.taken_by_name, row.recorded_at_utc,
                           record_lines, tuple(problems))


def count_record(db: Session, count_id: int) -> CountRecord:
    """A count with every line, its discrepancies and their resolutions, signatures checked."""
    row = db.get(StockCount, count_id)
    if row is None:
        raise NotFound(f"There is no count {count_id}.")
    lines = db.scalars(select(StockCountLine).where(StockCountLine.count_id == count_id)
                       .order_by(StockCountLine.id)).all()
    containers = _container_facts(db, {line.container_id for line in lines})
    discrepancies = {d.count_line_id: d for d in db.scalars(select(StockDiscrepancy).where(
        StockDiscrepancy.count_line_id.in_([line.id for line in lines])))} if lines else {}
    resolutions = {r.discrepancy_id: r for r in db.scalars(
        select(StockDiscrepancyResolution).where(StockDiscrepancyResolution.discrepancy_id.in_(
            [d.id for d in discrepancies.values()])))} if discrepancies else {}
    facts = _row_facts(row, STOCK_COUNT)
    keyed = [_keyed(STOCK_COUNT, "stock_counts", row.id, facts, row.key_id, row.signature,
                    row.counted_by_id, row.counted_by_name, row.counted_at_utc, "the count"),
             _keyed(STOCK_SECOND_COUNT, "stock_counts", row.id, facts,
                    row.second_counter_key_id, row.second_counter_signature,
                    row.second_counter_id, row.second_counter_name, row.counted_at_utc,
                    "the second count")]
    for r in resolutions.values():
        keyed.append(_keyed(STOCK_RESOLUTION, "stock_discrepancy_resolutions", r.id,
                            _row_facts(r, STOCK_RESOLUTION), r.key_id, r.signature,
                            r.resolved_by_id, r.resolved_by_name, r.resolved_at_utc,
                            f"the resolution of discrepancy {r.discrepancy_id}"))
    problems = keyed_row_problems(db, keyed)
    problems += _lines_problem(row.lines_sha256, _count_lines_facts([
        (line.container_id, Decimal(line.expected_ml), Decimal(line.found_ml))
        for line in lines]), "count")
    lost = {e.id: Decimal(e.volume_ml) for e in db.scalars(select(StockEntry).where(
        StockEntry.id.in_([r.lost_entry_id for r in resolutions.values()
                           if r.lost_entry_id is not None])))}
    record_lines: list[CountRecordLine] = []
    for line in lines:
        d = discrepancies.get(line.id)
        done = resolutions.get(d.id) if d is not None else None
        record_lines.append(CountRecordLine(
            containers[line.container_id], Decimal(line.expected_ml), Decimal(line.found_ml),
            d.id if d is not None else None,
            ResolutionFacts(done.id, done.explanation, done.resolved_by_name,
                            done.resolved_at_utc,
                            lost.get(done.lost_entry_id) if done.lost_entry_id else None,
                            done.lost_entry_id) if done is not None else None))
    return CountRecord(row.id, _place(db, row.location_id), row.occasion, row.counted_at_utc,
                       row.counted_by_name, row.second_counter_name, row.note,
                       tuple(record_lines), tuple(problems))


def _reversed_ids(db: Session, entry_ids: list[int]) -> set[int]:
    if not entry_ids:
        return set()
    return set(db.scalars(select(StockEntry.reverses_id).where(
        StockEntry.reverses_id.in_(entry_ids))))


def loss_record(db: Session, loss_id: int) -> LossRecord:
    """A loss or theft with the volumes it wrote off, its signature checked."""
    row = db.get(StockLoss, loss_id)
    if row is None:
        raise NotFound(f"There is no loss record {loss_id}.")
    entries = db.scalars(select(StockEntry).join(StockLossLine,
                                                 StockLossLine.entry_id == StockEntry.id)
                         .where(StockLossLine.loss_id == loss_id)
                         .order_by(StockEntry.id)).all()
    containers = _container_facts(db, {e.container_id for e in entries})
    undone = _reversed_ids(db, [e.id for e in entries])
    lost = {e.container_id: Decimal(e.volume_ml) for e in entries}
    problems = keyed_row_problems(db, [_keyed(
        STOCK_LOSS, "stock_losses", row.id, loss_manifest_row(row, lost), row.key_id,
        row.signature, row.recorded_by_id, row.recorded_by_name, row.recorded_at_utc,
        "the loss record")])
    return LossRecord(row.id, _place(db, row.location_id), row.discovered_on, row.kind.value,
                      row.circumstances, row.police_notified, row.police_reference,
                      row.reported_to_dea_on, row.recorded_by_name, row.recorded_at_utc,
                      tuple(LossRecordLine(containers[e.container_id], e.id,
                                           Decimal(e.volume_ml), e.id in undone)
                            for e in entries), tuple(problems))


def clinic_day_bounds_utc(db: Session, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants from the start of clinic day ``start`` to the end of clinic day ``end``."""
    zone = clinic_timezone(db)
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def destruction_entries(db: Session, location_id: int, start: date,
                        end: date) -> list[DestructionRecord]:
    """Every container destroyed at the location on clinic days ``start`` to ``end``."""
    place = _place(db, location_id)
    first, after = clinic_day_bounds_utc(db, start, end)
    entries = db.scalars(select(StockEntry).where(
        StockEntry.location_id == location_id, StockEntry.kind == LedgerKind.DESTROYED,
        StockEntry.recorded_at_utc >= first, StockEntry.recorded_at_utc < after)
        .order_by(StockEntry.recorded_at_utc, StockEntry.id)).all()
    ids = [e.id for e in entries]
    witnesses: dict[int, list[StockEntryWitness]] = {}
    if ids:
        for w in db.scalars(select(StockEntryWitness).where(StockEntryWitness.entry_id.in_(ids))
                            .order_by(StockEntryWitness.entry_id, StockEntryWitness.position)):
            witnesses.setdefault(w.entry_id, []).append(w)
    recorders = {u.id: name_of(u) for u in db.scalars(select(User).where(
        User.id.in_({e.recorded_by_id for e in entries})))} if entries else {}
    containers = _container_facts(db, {e.container_id for e in entries})
    undone = _reversed_ids(db, ids)
    records: list[DestructionRecord] = []
    for e in entries:
        signed = witnesses.get(e.id, [])
        keyed = [_keyed(STOCK_DESTRUCTION_WITNESS, "stock_entry_witnesses", w.id,
                        {**{c: getattr(e, c) for c in ("container_id", "location_id", "kind",
                                                       "volume_ml", "waste_manner",
                                                       "recorded_by_id", "recorded_at_utc")},
                         "entry_id": e.id, "position": w.position, "witness_id": w.witness_id,
                         "witness_name": w.witness_name, "signed_at_utc": w.signed_at_utc},
                        w.key_id, w.signature, w.witness_id, w.witness_name, w.signed_at_utc,
                        f"the destruction of container {e.container_id} witnessed")
                 for w in signed]
        problems = keyed_row_problems(db, keyed)
        if len(signed) < 2:
            problems.append(f"the destruction of container {e.container_id} has "
                            f"{len(signed)} witness signature(s); it needs 2")
        records.append(DestructionRecord(
            e.id, place, containers[e.container_id], Decimal(e.volume_ml), e.waste_manner or "",
            recorders.get(e.recorded_by_id, ""), e.recorded_at_utc,
            tuple(WitnessFacts(w.witness_name, w.signed_at_utc) for w in signed),
            e.id in undone, tuple(problems)))
    return records


# --- lists for the screens ---------------------------------------------------------------------


@dataclass(frozen=True)
class CountSummary:
    """A count as a list shows it: when, by whom, how many containers, how many mismatches."""

    count_id: int
    occasion: CountOccasion
    counted_at_utc: datetime
    counted_by_name: str
    second_counter_name: str
    containers: int
    discrepancies: int
    open_discrepancies: int


def counts_at(db: Session, location_id: int, limit: int = 50) -> list[CountSummary]:
    """The location's latest counts, newest first."""
    counts = db.scalars(select(StockCount).where(StockCount.location_id == location_id)
                        .order_by(StockCount.counted_at_utc.desc(), StockCount.id.desc())
                        .limit(limit)).all()
    if not counts:
        return []
    ids = [c.id for c in counts]
    lines: dict[int, int] = {}
    found: dict[int, int] = {}
    still_open: dict[int, int] = {}
    rows = db.execute(select(StockCountLine.count_id, StockDiscrepancy.id,
                             StockDiscrepancyResolution.id)
                      .outerjoin(StockDiscrepancy,
                                 StockDiscrepancy.count_line_id == StockCountLine.id)
                      .outerjoin(StockDiscrepancyResolution,
                                 StockDiscrepancyResolution.discrepancy_id
                                 == StockDiscrepancy.id)
                      .where(StockCountLine.count_id.in_(ids))).all()
    for count_id, discrepancy_id, resolution_id in rows:
        lines[count_id] = lines.get(count_id, 0) + 1
        if discrepancy_id is not None:
            found[count_id] = found.get(count_id, 0) + 1
            if resolution_id is None:
                still_open[count_id] = still_open.get(count_id, 0) + 1
    return [CountSummary(c.id, c.occasion, c.counted_at_utc, c.counted_by_name,
                         c.second_counter_name, lines.get(c.id, 0), found.get(c.id, 0),
                         still_open.get(c.id, 0)) for c in counts]


def inventories_at(db: Session, location_id: int) -> list[InventoryView]:
    """Every inventory of the location, newest first."""
    return [InventoryView(row.id, row.location_id, row.kind, row.taken_on, row.business_time,
                          row.taken_by_name, row.recorded_at_utc)
            for row in db.scalars(select(StockInventory)
                                  .where(StockInventory.location_id == location_id)
                                  .order_by(StockInventory.taken_on.desc(),
                                            StockInventory.id.desc()))]


def losses_at(db: Session, location_id: int) -> list[LossRecord]:
    """Every loss or theft recorded at the location, newest first."""
    ids = db.scalars(select(StockLoss.id).where(StockLoss.location_id == location_id)
                     .order_by(StockLoss.discovered_on.desc(), StockLoss.id.desc())).all()
    return [loss_record(db, loss_id) for loss_id in ids]
