"""The controlled-substance books: locations, products, deliveries and the ledger (issue 19).

Every action is one transaction with its audit rows, and every ledger rule is
the domain's (:class:`ketalog.domain.controlled_substances.Ledger`): a service
loads a container's entries, asks the ledger whether the new entry keeps the
books whole, and only then writes it. Rows are only ever added; a mistake is
undone by :func:`reverse_stock_entry`, with a reason.

Two workstations drawing from one vial at once: on PostgreSQL the container's
row is locked (``SELECT ... FOR UPDATE``) before its entries are read, so the
second draw waits and then sees the first; on SQLite every write transaction
begins IMMEDIATE, which does the same for the whole database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import (
    Ledger,
    LedgerEntry,
    LedgerKind,
    Substance,
    check_container_usable,
    dea_number_problem,
)
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.session_state import SessionState
from ketalog.domain.values import parse_decimal, printed_name, required_text
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.identity import ProofPurpose, accept_keyed_proof
from ketalog.services.keyed import MANIFEST_FIELDS, STOCK_WITNESS, UnlockedKey
from ketalog.services.settings import clinic_today
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    StockContainer,
    StockEntry,
    StockLocation,
    StockLotRecall,
    StockProduct,
    StockReceipt,
    TreatmentSession,
)

SetUp = TypeVar("SetUp", StockLocation, StockProduct)

#: Sessions a dose may be drawn for: the patient is in the chair.
DRAW_STATES = frozenset({SessionState.CHECKED_IN, SessionState.INFUSING, SessionState.PAUSED,
                         SessionState.RECOVERING})
#: Sessions whose draws may still be accounted for. Discharge is refused while a draw is
#: open (:func:`unreconciled_ml_for_session`), so a discharged session has one only after
#: an entry that settled it was reversed as a mistake: the right entry is then recorded
#: before the nursing record can be completed (services.signing asks the same).
SETTLE_STATES = DRAW_STATES | {SessionState.STOPPED_EARLY, SessionState.DISCHARGED}
#: The longest note (supplier address, manner of waste, reason) the books keep.
MAX_TEXT = 500
#: A delivery of more containers than this at once is a typing mistake.
MAX_CONTAINERS_PER_RECEIPT = 500


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerBalance:
    """One container with volume left at a location, as the stock list shows it."""

    container_id: int
    location_id: int
    location_name: str
    product_name: str
    lot_number: str
    expiry_date: date
    serial: str | None
    balance_ml: Decimal


@dataclass(frozen=True)
class OpenDraw:
    """A draw for a session not yet fully administered, wasted or returned."""

    draw_id: int
    container_id: int
    lot_number: str
    drawn_ml: Decimal
    unreconciled_ml: Decimal


def as_ledger_entry(row: StockEntry) -> LedgerEntry:
    """A stored entry as the domain's ledger reads it (the reports and counts read them too)."""
    return LedgerEntry(
        entry_id=row.id, container_id=row.container_id, location_id=row.location_id,
        kind=row.kind, volume_ml=Decimal(row.volume_ml), recorded_by_id=row.recorded_by_id,
        draw_id=row.draw_id, reverses_id=row.reverses_id,
        witness_ids=(row.witness_id,) if row.witness_id is not None else (),
        reason=row.reason)


def container_ledger(db: Session, container_id: int) -> Ledger:
    """Every entry of one container, as the domain's ledger."""
    rows = db.scalars(select(StockEntry).where(StockEntry.container_id == container_id)
                      .order_by(StockEntry.id))
    return Ledger(tuple(as_ledger_entry(r) for r in rows))


def container_ledgers(db: Session, container_ids: Select[int] | None = None,
                      ) -> dict[int, Ledger]:
    """The books of many containers, read in one query: those ``container_ids`` selects, or all.

    What the screens and counts that list stock read, rather than one query per container.
    """
    query = select(StockEntry).order_by(StockEntry.id)
    if container_ids is not None:
        query = query.where(StockEntry.container_id.in_(container_ids))
    entries: dict[int, list[LedgerEntry]] = {}
    for row in db.scalars(query):
        entries.setdefault(row.container_id, []).append(as_ledger_entry(row))
    return {container_id: Ledger(tuple(rows)) for container_id, rows in entries.items()}


def stock_on_hand(db: Session, location_id: int | None = None) -> list[ContainerBalance]:
    """Every container with volume left, by location, product, expiry and lot."""
    ledgers = container_ledgers(db)
    containers = {c.id: c for c in db.scalars(select(StockContainer).where(
        StockContainer.id.in_(ledgers)))} if ledgers else {}
    products = {p.id: p for p in db.scalars(select(StockProduct))}
    locations = {loc.id: loc for loc in db.scalars(select(StockLocation))}
    balances: list[ContainerBalance] = []
    for container_id, ledger in ledgers.items():
        container = containers[container_id]
        for (_c, where), left in ledger.balances().items():
            if left <= 0 or (location_id is not None and where != location_id):
                continue
            balances.append(ContainerBalance(
                container_id, where, locations[where].name,
                products[container.product_id].name, container.lot_number,
                container.expiry_date, container.serial, left))
    return sorted(balances, key=lambda b: (b.location_name, b.product_name, b.expiry_date,
                                           b.lot_number, b.container_id))


def open_draws(db: Session, session_id: int) -> list[OpenDraw]:
    """The session's draws with a remainder still to account for."""
    container_ids = db.scalars(select(StockEntry.container_id).distinct().where(
        StockEntry.session_id == session_id, StockEntry.kind == LedgerKind.DRAWN)).all()
    found: list[OpenDraw] = []
    for container_id in container_ids:
        ledger = container_ledger(db, container_id)
        container = db.get(StockContainer, container_id)
        assert container is not None
        for draw in ledger.open_draws():
            row = db.get(StockEntry, draw.entry_id)
            if row is not None and row.session_id == session_id:
                found.append(OpenDraw(draw.entry_id, container_id, container.lot_number,
                                      draw.volume_ml, ledger.unreconciled_ml(draw.entry_id)))
    return sorted(found, key=lambda d: d.draw_id)


def unreconciled_ml_for_session(db: Session, session_id: int) -> Decimal:
    """How much drawn for the session is not yet accounted for (0: nothing open)."""
    return sum((d.unreconciled_ml for d in open_draws(db, session_id)), Decimal(0))


# --- set-up -------------------------------------------------------------------------------


def checked_text(value: str | None, field: str, label: str, limit: int = MAX_TEXT) -> str:
    """A required note for the books, refused when missing or too long to print."""
    text = required_text(value, field, f"{label} is missing.")
    if len(text) > limit:
        raise ValidationError.single(
            field, f"{label} is {len(text)} characters long; shorten it to {limit} at most.")
    return text


def _dea(value: str | None, field: str, label: str) -> str:
    text = checked_text(value, field, label, 20)
    problem = dea_number_problem(text)
    if problem is not None:
        raise ValidationError.single(field, f"{label}: {problem}.")
    return text.upper()


def _volume(value: object, label: str = "The volume", field: str = "volume_ml") -> Decimal:
    volume = parse_decimal(value, label, field)
    if volume <= 0:
        raise ValidationError.single(field, f"{label} must be more than 0 mL.")
    if volume.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError.single(field, f"{label} is measured to 0.01 mL at most.")
    return volume


@use_case
def add_stock_location(db: Session, actor: Actor, *, name: str, dea_number: str, address: str,
                       clock: Clock = system_clock) -> int:
    """Register a location that keeps its own books (its DEA registration and address)."""
    authorize(db, actor, Permission.MANAGE_STOCK)
    name = checked_text(name, "name", "The location's name", 120)
    if db.scalar(select(exists().where(func.lower(StockLocation.name) == name.lower()))):
        raise ValidationError.single("name", f'A stock location named "{name}" exists already.')
    location = StockLocation(name=name, dea_number=_dea(dea_number, "dea_number",
                                                        "The location's DEA number"),
                             address=checked_text(address, "address", "The location's address"))
    db.add(location)
    db.flush()
    append_audit(db, actor, "create", at=clock(), table_name="stock_locations",
                 row_id=location.id, new={"name": location.name,
                                          "dea_number": location.dea_number,
                                          "address": location.address})
    return location.id


@use_case
def add_stock_product(db: Session, actor: Actor, *, name: str, substance: Substance | str,
                      strength_mg_per_ml: object, container_volume_ml: object,
                      ndc: str | None = None, gtin: str | None = None,
                      clock: Clock = system_clock) -> int:
    """Register a finished form as supplied (e.g. ketamine 50 mg/mL, 10 mL vial)."""
    authorize(db, actor, Permission.MANAGE_STOCK)
    try:
        kind = Substance(substance)
    except ValueError:
        raise ValidationError.single(
            "substance", f'"{substance}" is not a substance ketalog keeps books for; '
            f"choose {' or '.join(s.value for s in Substance)}.") from None
    gtin_text = (gtin or "").strip() or None
    if gtin_text is not None and not (len(gtin_text) == 14 and gtin_text.isascii()
                                      and gtin_text.isdigit()):
        raise ValidationError.single("gtin", f'"{gtin_text}" is not a GTIN: 14 digits, as '
                                             "the vial's code carries after (01).")
    if gtin_text is not None and db.scalar(select(exists().where(StockProduct.gtin == gtin_text))):
        raise ValidationError.single("gtin", f"GTIN {gtin_text} belongs to another product.")
    strength = _volume(strength_mg_per_ml, "The strength", "strength_mg_per_ml")
    product = StockProduct(
        name=checked_text(name, "name", "The product's name", 200), substance=kind,
        strength_mg_per_ml=strength,
        container_volume_ml=_volume(container_volume_ml, "The container's volume",
                                    "container_volume_ml"),
        ndc=(ndc or "").strip() or None, gtin=gtin_text)
    db.add(product)
    db.flush()
    append_audit(db, actor, "create", at=clock(), table_name="stock_products", row_id=product.id,
                 new={"name": product.name, "substance": kind.value,
                      "strength_mg_per_ml": str(strength),
                      "container_volume_ml": str(product.container_volume_ml),
                      "ndc": product.ndc, "gtin": product.gtin})
    return product.id


# --- receiving ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedContainer:
    """One container of a delivery as its label reads."""

    lot_number: str
    expiry_date: date
    serial: str | None = None


@dataclass(frozen=True)
class Supplier:
    """Who the stock came from, as the receipt record needs it (21 CFR 1304.22(c))."""

    name: str
    address: str
    dea_number: str


def _active(db: Session, model: type[SetUp], row_id: int, what: str) -> SetUp:
    row = db.get(model, row_id)
    if row is None:
        raise NotFound(f"There is no {what} {row_id}.")
    if not row.active:
        raise ValidationError.single(what.replace(" ", "_"),
                                     f'The {what} "{row.name}" is no longer in use.')
    return row


@use_case
def receive_stock(db: Session, actor: Actor, *, location_id: int, product_id: int,
                  received_on: date, supplier: Supplier, order_reference: str,
                  containers: Sequence[ReceivedContainer],
                  clock: Clock = system_clock) -> list[int]:
    """Record a delivery: the receipt, each container, and each container's volume in stock.

    Returns the new containers' ids, in the order given.
    """
    authorize(db, actor, Permission.RECEIVE_STOCK)
    now = clock()
    location = _active(db, StockLocation, location_id, "stock location")
    product = _active(db, StockProduct, product_id, "product")
    problems: list[Problem] = []
    if received_on > clinic_today(db, now):
        problems.append(Problem("received_on", f"The delivery date {received_on.isoformat()} "
                                               "is in the future."))
    if not containers:
        problems.append(Problem("containers", "A delivery holds at least one container."))
    if len(containers) > MAX_CONTAINERS_PER_RECEIPT:
        problems.append(Problem("containers", f"{len(containers)} containers in one delivery "
                                              f"is more than {MAX_CONTAINERS_PER_RECEIPT}; "
                                              "check the count."))
    serials = [c.serial.strip() for c in containers if c.serial and c.serial.strip()]
    if len(serials) != len(set(serials)):
        problems.append(Problem("containers", "Two containers of the delivery have the same "
                                              "serial number."))
    for number, container in enumerate(containers, start=1):
        if not container.lot_number.strip():
            problems.append(Problem("lot_number", f"Container {number} has no lot number."))
        if container.expiry_date < received_on:
            problems.append(Problem("expiry_date", f"Container {number} expired on "
                                    f"{container.expiry_date.isoformat()}, before it was "
                                    "received; refuse it or record it for return."))
    if problems:
        raise ValidationError(problems)
    receipt = StockReceipt(
        location_id=location.id, received_on=received_on,
        supplier_name=checked_text(supplier.name, "supplier_name", "The supplier's name", 200),
        supplier_address=checked_text(supplier.address, "supplier_address",
                                      "The supplier's address"),
        supplier_dea_number=_dea(supplier.dea_number, "supplier_dea_number",
                                 "The supplier's DEA number"),
        order_reference=checked_text(order_reference, "order_reference",
                              "The invoice or DEA Form 222 number", 60),
        received_by_id=actor.user_id, recorded_at_utc=now)
    db.add(receipt)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="stock_receipts", row_id=receipt.id,
                 new={"location": location.name, "product": product.name,
                      "received_on": received_on.isoformat(), "supplier": receipt.supplier_name,
                      "supplier_dea_number": receipt.supplier_dea_number,
                      "order_reference": receipt.order_reference, "containers": len(containers)})
    ids: list[int] = []
    for container in containers:
        row = StockContainer(product_id=product.id, receipt_id=receipt.id,
                             lot_number=checked_text(container.lot_number, "lot_number",
                                              "The lot number", 60),
                             expiry_date=container.expiry_date,
                             serial=(container.serial or "").strip() or None)
        db.add(row)
        db.flush()
        append_audit(db, actor, "create", at=now, table_name="stock_containers", row_id=row.id,
                     new={"lot_number": row.lot_number, "expiry_date": row.expiry_date,
                          "serial": row.serial})
        write_entry(db, actor, Ledger(), LedgerEntry(0, row.id, location.id, LedgerKind.RECEIVED,
                                                Decimal(product.container_volume_ml),
                                                recorded_by_id=actor.user_id or 0), now=now)
        ids.append(row.id)
    return ids


# --- the ledger ---------------------------------------------------------------------------


#: The facts a witness's key signs (keyed.MANIFEST_FIELDS[STOCK_WITNESS]).
_WITNESSED = MANIFEST_FIELDS[STOCK_WITNESS]


def write_entry(db: Session, actor: Actor, ledger: Ledger, entry: LedgerEntry, *,
                now: datetime, session_id: int | None = None, manner: str | None = None,
                witness: tuple[int, str] | None = None,
                witness_key: UnlockedKey | None = None,
                counterpart_id: int | None = None) -> StockEntry:
    """Check ``entry`` against the container's books, then write it with its audit row.

    A witness's key signs the row before it is written: the row is never changed after.
    ``counterpart_id``: the TRANSFERRED_OUT entry a TRANSFERRED_IN receives.
    """
    ledger.check(entry)
    row = StockEntry(container_id=entry.container_id, location_id=entry.location_id,
                     kind=entry.kind, volume_ml=entry.volume_ml, session_id=session_id,
                     draw_id=entry.draw_id, reverses_id=entry.reverses_id, reason=entry.reason,
                     counterpart_id=counterpart_id,
                     waste_manner=manner, recorded_by_id=entry.recorded_by_id,
                     witness_id=witness[0] if witness else None,
                     witness_name=witness[1] if witness else None, recorded_at_utc=now)
    if witness_key is not None:
        row.witness_key_id = witness_key.key_id
        row.witness_signature = witness_key.sign_row(
            STOCK_WITNESS, {column: getattr(row, column) for column in _WITNESSED})
    db.add(row)
    db.flush()
    patient_id = db.scalar(select(TreatmentSession.patient_id).where(
        TreatmentSession.id == session_id)) if session_id is not None else None
    append_audit(db, actor, f"stock_{entry.kind.value}", at=now, table_name="stock_entries",
                 row_id=row.id, patient_id=patient_id,
                 new={"container_id": row.container_id, "location_id": row.location_id,
                      "volume_ml": str(row.volume_ml), "session_id": session_id,
                      "draw_id": row.draw_id, "reverses_id": row.reverses_id,
                      **({"counterpart_id": counterpart_id} if counterpart_id else {}),
                      "reason": row.reason, "waste_manner": manner,
                      "witness": witness[1] if witness else None})
    return row


def locked_container(db: Session, container_id: int) -> StockContainer:
    """The container, its row locked until commit (PostgreSQL; SQLite's writes are serial)."""
    container = db.scalar(select(StockContainer).where(StockContainer.id == container_id)
                          .with_for_update())
    if container is None:
        raise NotFound(f"There is no container {container_id} in the books.")
    return container


def _session(db: Session, session_id: int, states: frozenset[SessionState],
             doing: str) -> TreatmentSession:
    session = db.get(TreatmentSession, session_id)
    if session is None:
        raise NotFound(f"There is no session {session_id}.")
    if session.state not in states:
        raise ValidationError.single(
            "session", f"Session {session_id} is {session.state.value.replace('_', ' ')}; "
                       f"a dose is {doing} only while the patient is in the chair.")
    return session


@use_case
def draw_for_session(db: Session, actor: Actor, *, session_id: int, container_id: int,
                     volume_ml: object, clock: Clock = system_clock) -> int:
    """Record a volume drawn from a container for a session; the draw's id.

    Refused for an expired or recalled container and for more than is left.
    """
    authorize(db, actor, Permission.DISPENSE_STOCK)
    now = clock()
    _session(db, session_id, DRAW_STATES, "drawn")
    volume = _volume(volume_ml, "The volume drawn")
    container = locked_container(db, container_id)
    recalled = bool(db.scalar(select(exists().where(
        StockLotRecall.product_id == container.product_id,
        StockLotRecall.lot_number == container.lot_number))))
    check_container_usable(expiry_date=container.expiry_date, recalled=recalled,
                           today=clinic_today(db, now))
    ledger = container_ledger(db, container_id)
    here = [where for (_c, where), left in ledger.balances().items() if left > 0]
    if not here:
        raise ValidationError.single("container", f"Container {container_id} (lot "
                                     f"{container.lot_number}) is empty.")
    row = write_entry(db, actor, ledger, LedgerEntry(0, container_id, here[0], LedgerKind.DRAWN,
                                                volume, recorded_by_id=actor.user_id or 0),
                 now=now, session_id=session_id)
    return row.id


def _draw(db: Session, draw_id: int) -> StockEntry:
    draw = db.get(StockEntry, draw_id)
    if draw is None or draw.kind is not LedgerKind.DRAWN:
        raise NotFound(f"There is no draw {draw_id} in the books.")
    return draw


def _settle(db: Session, actor: Actor, draw_id: int, kind: LedgerKind, volume_ml: object, *,
            now: datetime, manner: str | None = None, witness: tuple[int, str] | None = None,
            witness_key: UnlockedKey | None = None) -> StockEntry:
    draw = _draw(db, draw_id)
    assert draw.session_id is not None
    _session(db, draw.session_id, SETTLE_STATES, "accounted for")
    locked_container(db, draw.container_id)
    ledger = container_ledger(db, draw.container_id)
    label = {LedgerKind.ADMINISTERED: "The volume given", LedgerKind.WASTED: "The volume wasted",
             LedgerKind.RETURNED: "The volume returned"}[kind]
    entry = LedgerEntry(0, draw.container_id, draw.location_id, kind, _volume(volume_ml, label),
                        recorded_by_id=actor.user_id or 0, draw_id=draw.id,
                        witness_ids=(witness[0],) if witness else ())
    return write_entry(db, actor, ledger, entry, now=now, session_id=draw.session_id,
                  manner=manner, witness=witness, witness_key=witness_key)


@use_case
def record_administered(db: Session, actor: Actor, *, draw_id: int, volume_ml: object,
                        clock: Clock = system_clock) -> int:
    """Record the part of a draw the patient received; the entry's id."""
    authorize(db, actor, Permission.DISPENSE_STOCK)
    return _settle(db, actor, draw_id, LedgerKind.ADMINISTERED, volume_ml, now=clock()).id


@use_case
def return_to_stock(db: Session, actor: Actor, *, draw_id: int, volume_ml: object,
                    clock: Clock = system_clock) -> int:
    """Put an unused remainder back into its container (where the clinic allows it)."""
    authorize(db, actor, Permission.DISPENSE_STOCK)
    return _settle(db, actor, draw_id, LedgerKind.RETURNED, volume_ml, now=clock()).id


@use_case
def waste_remainder(db: Session, actor: Actor, *, draw_id: int, volume_ml: object,
                    manner: str, witness_proof: object, clock: Clock = system_clock) -> int:
    """Record a remainder wasted before a witness, who signs it with their own key.

    ``witness_proof`` comes from :func:`ketalog.services.accounts.prove_identity`
    with purpose WITNESS_WASTE: the witness typed their own password here.
    """
    authorize(db, actor, Permission.DISPENSE_STOCK)
    now = clock()
    witness_user, witness_actor, key = accept_keyed_proof(
        db, witness_proof, ProofPurpose.WITNESS_WASTE, person="the witness", signed_in=actor,
        clock=clock)
    authorize(db, witness_actor, Permission.WITNESS_STOCK)
    how = checked_text(manner, "manner", "How it was wasted", 200)
    row = _settle(db, actor, draw_id, LedgerKind.WASTED, volume_ml, now=now, manner=how,
                  witness=(witness_user.id, printed_name(witness_user.full_name,
                                                         witness_user.credentials)),
                  witness_key=key)
    return row.id


@use_case
def reverse_stock_entry(db: Session, actor: Actor, *, entry_id: int, reason: str,
                        clock: Clock = system_clock) -> int:
    """Undo an entry made in error by a reversing entry with a reason; the reversal's id.

    A transfer is undone whole: reversing either side of it reverses the other
    too (the receiving side first), so the container is never in both places
    nor in neither.
    """
    authorize(db, actor, Permission.CORRECT_STOCK)
    row = db.get(StockEntry, entry_id)
    if row is None:
        raise NotFound(f"There is no entry {entry_id} in the books.")
    now = clock()
    locked_container(db, row.container_id)
    ledger = container_ledger(db, row.container_id)
    why = (checked_text(reason, "reason", "The reason for the reversal")
           if (reason or "").strip() else None)
    other = _transfer_counterpart(db, row)
    if other is not None and other.id not in ledger.reversed_ids():
        pair = [other, row] if row.kind is LedgerKind.TRANSFERRED_OUT else [row, other]
        reversals = {}
        for side in pair:
            reversals[side.id] = write_entry(
                db, actor, ledger, LedgerEntry(0, side.container_id, side.location_id,
                                               LedgerKind.REVERSAL, Decimal(side.volume_ml),
                                               recorded_by_id=actor.user_id or 0,
                                               reverses_id=side.id, reason=why), now=now).id
            ledger = container_ledger(db, row.container_id)
        return reversals[row.id]
    entry = LedgerEntry(0, row.container_id, row.location_id, LedgerKind.REVERSAL,
                        Decimal(row.volume_ml), recorded_by_id=actor.user_id or 0,
                        reverses_id=row.id, reason=why)
    return write_entry(db, actor, ledger, entry, now=now, session_id=row.session_id).id


def _transfer_counterpart(db: Session, row: StockEntry) -> StockEntry | None:
    """The other side of a transfer entry (None for any other entry)."""
    if row.kind is LedgerKind.TRANSFERRED_IN and row.counterpart_id is not None:
        return db.get(StockEntry, row.counterpart_id)
    if row.kind is LedgerKind.TRANSFERRED_OUT:
        return db.scalar(select(StockEntry).where(StockEntry.counterpart_id == row.id))
    return None



@use_case
def recall_lot(db: Session, actor: Actor, *, product_id: int, lot_number: str, reason: str,
               clock: Clock = system_clock) -> int:
    """Record a manufacturer's recall of a lot: its containers may no longer be drawn from.

    They stay in the books (and in the counts) until returned or destroyed.
    """
    authorize(db, actor, Permission.MANAGE_STOCK)
    product = db.get(StockProduct, product_id)
    if product is None:
        raise NotFound(f"There is no product {product_id}.")
    lot = checked_text(lot_number, "lot_number", "The lot number", 60)
    if not db.scalar(select(exists().where(StockContainer.product_id == product_id,
                                           StockContainer.lot_number == lot))):
        raise ValidationError.single("lot_number", f'No container of "{product.name}" with '
                                                   f"lot {lot} was ever received.")
    now = clock()
    recall = StockLotRecall(product_id=product_id, lot_number=lot,
                            reason=checked_text(reason, "reason", "The reason for the recall"),
                            recorded_by_id=actor.user_id, recorded_at_utc=now)
    db.add(recall)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="stock_lot_recalls", row_id=recall.id,
                 new={"product": product.name, "lot_number": lot, "reason": recall.reason})
    return recall.id
