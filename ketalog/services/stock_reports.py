"""The controlled-substance books as documents: the dispensing log and the perpetual balance.

The gathering reads the ledger of schema 0018 for one registered location and
hands the reports plain data (:mod:`ketalog.reports.stock_inputs`); periods are
clinic days (the clinic's time zone). :func:`save_stock_document` is the one
user action that writes either as PDF or CSV, with an audit row saying who
saved which books where: these documents are of a location and a period, not of
a session or a day, so they stay out of the chart documents' registry
(:mod:`ketalog.services.document_kinds`, keyed by one id or one date).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import retention_years_from
from ketalog.domain.controlled_substances import Ledger, LedgerKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.retention import retention_statement
from ketalog.domain.values import printed_name
from ketalog.reports.inputs import Clinic
from ketalog.reports.stock_csv import (
    StockCsvError,
    balance_records,
    check_target,
    dispensing_log_records,
    write_stock_csv,
)
from ketalog.reports.stock_inputs import (
    BalanceLine,
    BalanceSheet,
    CountResolution,
    CountSheet,
    CountSheetLine,
    DestructionRecord,
    DestructionRecords,
    DispensingLog,
    DispensingLogLine,
    DisposedContainer,
    Inventory,
    InventoryLine,
    LossKind,
    LossRecord,
    StockRegistrant,
    StockSignature,
)
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.board import day_bounds_utc
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.documents import clinic
from ketalog.services.errors import NotFound
from ketalog.services.settings import clinic_timezone, get_setting
from ketalog.services.stock import as_ledger_entry
from ketalog.services.stock_counts import (
    ContainerFacts,
    count_record,
    destruction_entries,
    inventory_record,
    last_inventory,
    loss_record,
)
from ketalog.services.stock_counts import DestructionRecord as DestroyedEntry
from ketalog.services.stock_movements import location as stock_location
from ketalog.services.unit_of_work import use_case
from ketalog.store.models import (
    Patient,
    StockContainer,
    StockEntry,
    StockLocation,
    StockProduct,
    StockReceipt,
    TreatmentSession,
    User,
)

RETENTION_SETTING = "record_retention_years"
_ZERO = Decimal(0)

#: The balance column each kind of entry adds to (a draw and a return move no column:
#: what is drawn stays the location's until administered, wasted or returned).
_BALANCE_COLUMN: dict[LedgerKind, str] = {
    LedgerKind.RECEIVED: "received_ml", LedgerKind.TRANSFERRED_IN: "transferred_in_ml",
    LedgerKind.TRANSFERRED_OUT: "transferred_out_ml",
    LedgerKind.ADMINISTERED: "administered_ml", LedgerKind.WASTED: "wasted_ml",
    LedgerKind.DESTROYED: "destroyed_ml", LedgerKind.LOST: "lost_ml",
}


class StockDocument(StrEnum):
    """The books a user can save (the command line's names)."""

    DISPENSING_LOG = "log"
    BALANCE = "balance"


class FileFormat(StrEnum):
    """How they are saved."""

    PDF = "pdf"
    CSV = "csv"


@dataclass(frozen=True)
class LocationRow:
    """A registered location as a list shows it."""

    location_id: int
    name: str
    dea_number: str
    address: str
    active: bool


@dataclass(frozen=True)
class ProductRow:
    """A product as a list shows it."""

    product_id: int
    name: str
    substance: str
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    ndc: str | None
    gtin: str | None
    active: bool


def stock_locations(db: Session, actor: Actor) -> list[LocationRow]:
    """Every registered location, by name (the ids the other commands take)."""
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    return [LocationRow(loc.id, loc.name, loc.dea_number, loc.address, loc.active)
            for loc in db.scalars(select(StockLocation).order_by(StockLocation.name))]


def stock_products(db: Session, actor: Actor) -> list[ProductRow]:
    """Every product, by name."""
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    return [ProductRow(p.id, p.name, p.substance.value, Decimal(p.strength_mg_per_ml),
                       Decimal(p.container_volume_ml), p.ndc, p.gtin, p.active)
            for p in db.scalars(select(StockProduct).order_by(StockProduct.name,
                                                              StockProduct.id))]


def registrant(db: Session, location: StockLocation) -> StockRegistrant:
    """The registered location as the documents print it."""
    return StockRegistrant(location.name, location.dea_number, location.address,
                           clinic(db).name)


def retention_text(db: Session) -> str:
    """The clinic's retention statement, for the foot of every stock document."""
    return retention_statement(retention_years_from(get_setting(db, RETENTION_SETTING)))


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError.single("end", f"The period ends ({end.isoformat()}) before it "
                                            f"starts ({start.isoformat()}).")


@dataclass
class _Facts:
    """What the log needs about the rows an entry names, read in a few queries."""

    containers: dict[int, StockContainer] = field(default_factory=dict)
    products: dict[int, StockProduct] = field(default_factory=dict)
    receipts: dict[int, StockReceipt] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    patients: dict[int, tuple[str, str]] = field(default_factory=dict)  # session -> name, MRN
    kinds: dict[int, LedgerKind] = field(default_factory=dict)  # entry id -> kind
    #: a transfer's entry id -> the other location's name (where it came from or went to)
    transfers: dict[int, str] = field(default_factory=dict)


def _facts(db: Session, rows: Iterable[StockEntry]) -> _Facts:
    rows = list(rows)
    facts = _Facts()
    container_ids = {r.container_id for r in rows}
    if container_ids:
        facts.containers = {c.id: c for c in db.scalars(
            select(StockContainer).where(StockContainer.id.in_(container_ids)))}
    facts.products = {p.id: p for p in db.scalars(select(StockProduct))}
    receipt_ids = {c.receipt_id for c in facts.containers.values()}
    if receipt_ids:
        facts.receipts = {r.id: r for r in db.scalars(
            select(StockReceipt).where(StockReceipt.id.in_(receipt_ids)))}
    user_ids = {r.recorded_by_id for r in rows}
    if user_ids:
        facts.people = {u.id: printed_name(u.full_name, u.credentials) for u in db.scalars(
            select(User).where(User.id.in_(user_ids)))}
    session_ids = {r.session_id for r in rows if r.session_id is not None}
    if session_ids:
        facts.patients = {sid: (f"{family}, {given}", mrn) for sid, family, given, mrn in
                          db.execute(select(TreatmentSession.id, Patient.family_name,
                                            Patient.given_name, Patient.mrn)
                                     .join(Patient, Patient.id == TreatmentSession.patient_id)
                                     .where(TreatmentSession.id.in_(session_ids)))}
    undone = {r.reverses_id for r in rows if r.reverses_id is not None}
    if undone:
        facts.kinds = {entry_id: kind for entry_id, kind in db.execute(
            select(StockEntry.id, StockEntry.kind).where(StockEntry.id.in_(undone)))}
    facts.transfers = _transfer_partners(db, rows)
    return facts


def _transfer_partners(db: Session, rows: list[StockEntry]) -> dict[int, str]:
    """For each transfer entry, the other location's name (its counterpart entry's)."""
    ins = {r.id: r.counterpart_id for r in rows
           if r.kind is LedgerKind.TRANSFERRED_IN and r.counterpart_id is not None}
    outs = [r.id for r in rows if r.kind is LedgerKind.TRANSFERRED_OUT]
    if not ins and not outs:
        return {}
    names = {loc_id: name for loc_id, name in db.execute(
        select(StockLocation.id, StockLocation.name))}
    partners: dict[int, str] = {}
    if ins:
        for out_id, where in db.execute(select(StockEntry.id, StockEntry.location_id)
                                        .where(StockEntry.id.in_(set(ins.values())))):
            for in_id, counterpart in ins.items():
                if counterpart == out_id:
                    partners[in_id] = names.get(where, "")
    if outs:
        for sent_id, where in db.execute(select(StockEntry.counterpart_id,
                                                StockEntry.location_id)
                                         .where(StockEntry.counterpart_id.in_(outs))):
            if sent_id is not None:
                partners[sent_id] = names.get(where, "")
    return partners


def _detail(row: StockEntry, facts: _Facts) -> str:
    """What the record adds to the entry: supplier and order, manner, reason."""
    parts: list[str] = []
    if row.kind is LedgerKind.RECEIVED:
        receipt = facts.receipts.get(facts.containers[row.container_id].receipt_id)
        if receipt is not None:
            parts.append(f"from {receipt.supplier_name} (DEA {receipt.supplier_dea_number}), "
                         f"order {receipt.order_reference}")
    partner = facts.transfers.get(row.id)
    if partner:
        parts.append(f"{'from' if row.kind is LedgerKind.TRANSFERRED_IN else 'to'} {partner}")
    if row.waste_manner:
        parts.append(row.waste_manner)
    if row.reason:
        parts.append(row.reason)
    return "; ".join(parts)


def _log_line(row: StockEntry, facts: _Facts) -> DispensingLogLine:
    container = facts.containers[row.container_id]
    product = facts.products[container.product_id]
    patient = facts.patients.get(row.session_id) if row.session_id is not None else None
    return DispensingLogLine(
        entry_id=row.id, recorded_at_utc=row.recorded_at_utc, kind=row.kind,
        product_name=product.name, strength_mg_per_ml=Decimal(product.strength_mg_per_ml),
        lot_number=container.lot_number, container_id=container.id,
        volume_ml=Decimal(row.volume_ml), recorded_by=facts.people.get(row.recorded_by_id, ""),
        container_serial=container.serial,
        patient_name=patient[0] if patient else None, mrn=patient[1] if patient else None,
        session_id=row.session_id, witness=row.witness_name, reverses_id=row.reverses_id,
        reverses_kind=facts.kinds.get(row.reverses_id) if row.reverses_id else None,
        detail=_detail(row, facts))


def dispensing_log_input(db: Session, actor: Actor, *, location_id: int, start: date,
                         end: date) -> DispensingLog:
    """Every entry of a location's books on clinic days ``start``..``end``, in time order.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such location.
        ValidationError: the period ends before it starts.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    location = stock_location(db, location_id)
    _check_period(start, end)
    tz = clinic_timezone(db)
    low, _ = day_bounds_utc(start, tz)
    _, high = day_bounds_utc(end, tz)
    rows = list(db.scalars(select(StockEntry).where(
        StockEntry.location_id == location_id, StockEntry.recorded_at_utc >= low,
        StockEntry.recorded_at_utc < high).order_by(StockEntry.recorded_at_utc, StockEntry.id)))
    facts = _facts(db, rows)
    return DispensingLog(clinic=clinic(db), tz=tz, registrant=registrant(db, location),
                         retention=retention_text(db), start=start, end=end,
                         lines=tuple(_log_line(row, facts) for row in rows))


def _held_ml(ledger: Ledger) -> dict[int, tuple[Decimal, Decimal]]:
    """Per container: what the location holds of it (in it, and drawn not yet accounted)."""
    held: dict[int, tuple[Decimal, Decimal]] = {}
    for (container_id, _where), left in ledger.balances().items():
        held[container_id] = (left, _ZERO)
    for draw in ledger.open_draws():
        inside, drawn = held.get(draw.container_id, (_ZERO, _ZERO))
        held[draw.container_id] = (inside, drawn + ledger.unreconciled_ml(draw.entry_id))
    return held


def balance_input(db: Session, actor: Actor, *, location_id: int, on: date,
                  since: date | None = None) -> BalanceSheet:
    """A location's balance per product and lot at the close of clinic day ``on``.

    ``since`` None: from the first entry (opening 0); else the opening is what the
    location held when that clinic day began.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such location.
        ValidationError: ``since`` is after ``on``.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    location = stock_location(db, location_id)
    if since is not None:
        _check_period(since, on)
    tz = clinic_timezone(db)
    _, close = day_bounds_utc(on, tz)
    opens = day_bounds_utc(since, tz)[0] if since is not None else None
    rows = list(db.scalars(select(StockEntry).where(
        StockEntry.location_id == location_id, StockEntry.recorded_at_utc < close)
        .order_by(StockEntry.id)))
    facts = _facts(db, rows)
    kinds = {row.id: row.kind for row in rows}

    def key(container_id: int) -> tuple[str, str]:
        container = facts.containers[container_id]
        return facts.products[container.product_id].name, container.lot_number

    strengths: dict[tuple[str, str], Decimal] = {}
    columns: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in rows:
        lot = key(row.container_id)
        product = facts.products[facts.containers[row.container_id].product_id]
        strengths[lot] = Decimal(product.strength_mg_per_ml)
        sums = columns.setdefault(lot, {})
        if opens is not None and row.recorded_at_utc < opens:
            continue
        kind, sign = row.kind, Decimal(1)
        if kind is LedgerKind.REVERSAL and row.reverses_id is not None:
            kind, sign = kinds.get(row.reverses_id, kind), Decimal(-1)
        column = _BALANCE_COLUMN.get(kind)
        if column is not None:
            sums[column] = sums.get(column, _ZERO) + sign * Decimal(row.volume_ml)

    def held(before: datetime | None) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        ledger = Ledger(tuple(as_ledger_entry(r) for r in rows
                              if before is None or r.recorded_at_utc < before))
        out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        for container_id, (inside, drawn) in _held_ml(ledger).items():
            was = out.get(key(container_id), (_ZERO, _ZERO))
            out[key(container_id)] = (was[0] + inside, was[1] + drawn)
        return out

    opening = held(opens) if opens is not None else {}
    closing = held(None)
    lines: list[BalanceLine] = []
    for lot in sorted(columns):
        start_inside, start_drawn = opening.get(lot, (_ZERO, _ZERO))
        line = BalanceLine(lot[0], strengths[lot], lot[1],
                           opening_ml=start_inside + start_drawn,
                           drawn_open_ml=closing.get(lot, (_ZERO, _ZERO))[1], **columns[lot])
        if line.opening_ml or line.closing_ml or any(columns[lot].values()):
            lines.append(line)
    return BalanceSheet(clinic=clinic(db), tz=tz, registrant=registrant(db, location),
                        retention=retention_text(db), on=on, since=since, lines=tuple(lines))


def _pdf(document: StockDocument, data: DispensingLog | BalanceSheet) -> bytes:
    # start-up: reportlab (about 0.5 s) loads at the first stock PDF, not with the services
    if isinstance(data, DispensingLog):
        from ketalog.reports.stock_dispensing_log import build_dispensing_log

        return build_dispensing_log(data)
    from ketalog.reports.stock_balance import build_balance  # start-up: as above

    return build_balance(data)


def _write_pdf(path: Path, data: bytes) -> None:
    from ketalog.reports.base import ReportError, write_pdf_atomic  # start-up: reportlab

    try:
        write_pdf_atomic(path, data)
    except ReportError as exc:
        raise ValidationError.single("path", str(exc)) from exc


@use_case
def save_stock_document(db: Session, actor: Actor, *, document: StockDocument | str,
                        file_format: FileFormat | str, location_id: int, path: Path | str,
                        start: date | None = None, end: date, clock: Clock = system_clock,
                        ) -> Path:
    """Save a location's dispensing log (``start``..``end``) or balance (at close of ``end``).

    The file is written completely or not at all, never over a folder or a link;
    an audit row records who saved which books, of which period, where.

    Raises:
        PermissionDenied, NotFound, ValidationError: as the gathering; a file that
            cannot be written is a ValidationError on ``path`` saying why.
    """
    kind, fmt = StockDocument(document), FileFormat(file_format)
    data: DispensingLog | BalanceSheet
    if kind is StockDocument.DISPENSING_LOG:
        data = dispensing_log_input(db, actor, location_id=location_id,
                                    start=start if start is not None else end, end=end)
    else:
        data = balance_input(db, actor, location_id=location_id, on=end, since=start)
    try:
        target = check_target(path)
        if fmt is FileFormat.CSV:
            records = (dispensing_log_records(data) if isinstance(data, DispensingLog)
                       else balance_records(data))
            write_stock_csv(records, target)
        else:
            _write_pdf(target, _pdf(kind, data))
    except StockCsvError as exc:
        raise ValidationError.single("path", str(exc)) from exc
    period = (f"{start.isoformat()}..{end.isoformat()}" if start is not None
              else end.isoformat())
    append_audit(db, actor, f"stock_{kind.value}_saved", at=clock(),
                 table_name="stock_locations", row_id=location_id, field=fmt.value,
                 new=f"{period} -> {target.resolve()}")
    return target


# --- the signed records: inventory, destruction, loss, count ---------------------------------


#: How the readers begin the reason a record's signed lines changed (stock_counts).
LINES_PROBLEM = "the lines of the "


class StockRecord(StrEnum):
    """The signed records a user can print (the command line's names); PDF only."""

    INVENTORY = "inventory"
    DESTRUCTION = "destruction"
    LOSS = "loss"
    COUNT = "count"


def _signed(name: str, at: datetime | None, problems: Sequence[str],
            signers: Sequence[str], *, signed_all: bool = True) -> StockSignature:
    """One signer of a record, not valid where a reason names them or names no one.

    The readers' reasons name the act and its maker ("the count by Nora Reyes, RN
    at ..."); a reason that names none of the record's signers (its signed lines
    changed, a witness missing) concerns everyone who signed the whole record, so
    none of them prints as signed. ``signed_all`` False: this signer signed only
    their own act, as a resolver signs a resolution and not the count's lines, so
    only a reason about the signed lines passes them by; any other reason naming
    no signer still marks them (were the readers' wording to change, a signature
    would be marked not valid, never the reverse).
    """
    def names(reason: str, who: str) -> bool:
        return f" by {who} at " in reason

    mine = [p for p in problems if names(p, name)]
    loose = [p for p in problems if not any(names(p, who) for who in signers)
             and (signed_all or not p.startswith(LINES_PROBLEM))]
    return StockSignature(name, at, not_valid=tuple(mine + loose))


class _Header(TypedDict):
    """What every stock document carries besides its own facts (StockDocumentBase)."""

    clinic: Clinic
    tz: ZoneInfo
    registrant: StockRegistrant
    retention: str


def _header(db: Session, location_id: int) -> _Header:
    return {"clinic": clinic(db), "tz": clinic_timezone(db),
            "registrant": registrant(db, stock_location(db, location_id)),
            "retention": retention_text(db)}


def inventory_input(db: Session, actor: Actor, *, location_id: int,
                    inventory_id: int | None = None) -> Inventory:
    """An inventory of the location as printed; ``inventory_id`` None: its last one.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such location or inventory, or the location has none yet.
        ValidationError: the inventory is of another location.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    place = stock_location(db, location_id)
    if inventory_id is None:
        last = last_inventory(db, location_id)
        if last is None:
            raise NotFound(f'"{place.name}" has no inventory yet.')
        inventory_id = last.inventory_id
    record = inventory_record(db, inventory_id)
    if record.location.location_id != location_id:
        raise ValidationError.single("inventory", f"Inventory {inventory_id} is of "
                                                  f'"{record.location.name}", not of '
                                                  f'"{place.name}".')
    problems = record.signature_problems
    lines = tuple(InventoryLine(
        line.container.product_name, line.container.strength_mg_per_ml,
        line.container.container_volume_ml, line.container.lot_number,
        line.container.container_id,
        sealed=line.sealed, measured_ml=line.measured_volume_ml, ndc=line.container.ndc,
        expiry_date=line.container.expiry_date, serial=line.container.serial,
        count_of_sealed=line.count_of_sealed if line.count_of_sealed is not None else 1)
        for line in record.lines)
    return Inventory(**_header(db, location_id),
                     signature_problems=problems, kind=record.kind, taken_on=record.taken_on,
                     taken_at=record.business_time, lines=lines,
                     taken_by=_signed(record.taken_by_name, record.recorded_at_utc, problems,
                                      [record.taken_by_name]))


def _disposed(container: ContainerFacts, volume_ml: Decimal, reversed_: bool
              ) -> DisposedContainer:
    return DisposedContainer(container.product_name, container.strength_mg_per_ml,
                             container.lot_number, container.container_id, volume_ml,
                             ndc=container.ndc,
                             container_volume_ml=container.container_volume_ml,
                             serial=container.serial, reversed=reversed_)


def destruction_acts(entries: Sequence[DestroyedEntry]) -> list[list[DestroyedEntry]]:
    """The entries grouped into acts: recorded together, by one person, the same witnesses.

    One call of ``destroy_containers`` writes its entries at one moment, in one
    manner, before the same two witnesses; entries that differ in any of these
    were destroyed apart and print as separate destructions.
    """
    acts: dict[tuple[object, ...], list[DestroyedEntry]] = {}
    for entry in entries:
        key = (entry.recorded_at_utc, entry.recorded_by_name, entry.manner,
               tuple(w.name for w in entry.witnesses))
        acts.setdefault(key, []).append(entry)
    return list(acts.values())


def _destruction(base: _Header, act: list[DestroyedEntry]
                 ) -> DestructionRecord:
    first = act[0]
    problems = tuple(dict.fromkeys(p for e in act for p in e.signature_problems))
    signers = [first.recorded_by_name] + [w.name for w in first.witnesses]
    place = first.location
    return DestructionRecord(
        **base, signature_problems=problems,
        destroyed_at_utc=first.recorded_at_utc,
        place=f"{place.name}, {place.address} (the registered location; no other place "
              "was recorded)", manner=first.manner,
        containers=tuple(_disposed(e.container, e.volume_ml, e.reversed) for e in act),
        recorded_by=StockSignature(first.recorded_by_name,
                                   recorded_at_utc=first.recorded_at_utc),
        witnesses=tuple(_signed(w.name, w.signed_at_utc, problems, signers)
                        for w in first.witnesses))


def destruction_input(db: Session, actor: Actor, *, location_id: int, start: date,
                      end: date) -> DestructionRecords:
    """Every destruction at the location on clinic days ``start``..``end``, act by act.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such location.
        ValidationError: the period ends before it starts.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    stock_location(db, location_id)
    _check_period(start, end)
    base = _header(db, location_id)
    acts = tuple(_destruction(base, act) for act in
                 destruction_acts(destruction_entries(db, location_id, start, end)))
    problems = tuple(dict.fromkeys(p for act in acts for p in act.signature_problems))
    return DestructionRecords(**base, signature_problems=problems,
                              start=start, end=end, acts=acts)


def destruction_act_input(db: Session, actor: Actor, *, entry_id: int) -> DestructionRecord:
    """The one destruction act a DESTROYED entry belongs to, as its record prints it.

    What a screen prints right after the destruction, or from one line of the log.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such entry, or it is not a destruction.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    entry = db.get(StockEntry, entry_id)
    if entry is None or entry.kind is not LedgerKind.DESTROYED:
        raise NotFound(f"Entry {entry_id} is not a destruction.")
    day = entry.recorded_at_utc.astimezone(clinic_timezone(db)).date()
    acts = destruction_acts(destruction_entries(db, entry.location_id, day, day))
    act = next(act for act in acts if any(e.entry_id == entry_id for e in act))
    return _destruction(_header(db, entry.location_id), act)


def loss_input(db: Session, actor: Actor, *, loss_id: int) -> LossRecord:
    """A loss or theft record as printed (the facts of DEA Form 106).

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such loss record.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    record = loss_record(db, loss_id)
    problems = record.signature_problems
    return LossRecord(
        **_header(db, record.location.location_id),
        signature_problems=problems, discovered_on=record.discovered_on,
        kind=LossKind(record.kind), circumstances=record.circumstances,
        police_notified=record.police_notified, police_reference=record.police_reference,
        reported_to_dea_on=record.reported_to_dea_on,
        containers=tuple(_disposed(line.container, line.volume_ml, line.reversed)
                         for line in record.lines),
        recorded_by=_signed(record.recorded_by_name, record.recorded_at_utc, problems,
                            [record.recorded_by_name]))


def count_input(db: Session, actor: Actor, *, count_id: int) -> CountSheet:
    """A count as printed: every container, each discrepancy and its signed resolution.

    Raises:
        PermissionDenied: the actor may not print the books.
        NotFound: no such count.
    """
    authorize_admin_work(db, actor, Permission.VIEW_STOCK_RECORDS)
    record = count_record(db, count_id)
    problems = record.signature_problems
    signers = [record.counted_by_name, record.second_counter_name] + [
        line.resolution.resolved_by_name for line in record.lines if line.resolution]
    lines: list[CountSheetLine] = []
    for line in record.lines:
        done = line.resolution
        resolution = None if done is None else CountResolution(
            done.explanation, _signed(done.resolved_by_name, done.resolved_at_utc, problems,
                                      signers, signed_all=False),
            written_off_ml=done.written_off_ml, lost_entry_id=done.lost_entry_id)
        lines.append(CountSheetLine(
            line.container.product_name, line.container.strength_mg_per_ml,
            line.container.container_volume_ml, line.container.lot_number,
            line.container.container_id,
            expected_ml=line.expected_ml, found_ml=line.found_ml, serial=line.container.serial,
            discrepancy_id=line.discrepancy_id, resolution=resolution))
    return CountSheet(
        **_header(db, record.location.location_id),
        signature_problems=problems, count_id=record.count_id, occasion=record.occasion,
        counted_at_utc=record.counted_at_utc, note=record.note, lines=tuple(lines),
        counted_by=_signed(record.counted_by_name, record.counted_at_utc, problems, signers),
        second_counter=_signed(record.second_counter_name, record.counted_at_utc, problems,
                               signers))


_RecordData = Inventory | DestructionRecords | LossRecord | CountSheet

_RECORD_TABLES: dict[StockRecord, str] = {
    StockRecord.INVENTORY: "stock_inventories", StockRecord.DESTRUCTION: "stock_locations",
    StockRecord.LOSS: "stock_losses", StockRecord.COUNT: "stock_counts",
}


def _record_pdf(data: _RecordData) -> bytes:
    # start-up: reportlab (about 0.5 s) loads at the first stock PDF, not with the services
    if isinstance(data, Inventory):
        from ketalog.reports.stock_inventory import build_inventory

        return build_inventory(data)
    if isinstance(data, DestructionRecords):
        from ketalog.reports.stock_destruction import build_destructions  # start-up: above

        return build_destructions(data)
    if isinstance(data, LossRecord):
        from ketalog.reports.stock_loss import build_loss  # start-up: as above

        return build_loss(data)
    from ketalog.reports.stock_count import build_count  # start-up: as above

    return build_count(data)


def _gather_record(db: Session, actor: Actor, kind: StockRecord, location_id: int | None,
                   record_id: int | None, start: date | None, end: date | None
                   ) -> tuple[_RecordData, int, str]:
    """The record's data, the row its audit row names, and what it is in words."""
    if kind in (StockRecord.LOSS, StockRecord.COUNT):
        if record_id is None:
            raise ValidationError.single("id", f"Name the {kind.value} record to print by its "
                                               "number.")
        if kind is StockRecord.LOSS:
            return loss_input(db, actor, loss_id=record_id), record_id, f"loss {record_id}"
        return count_input(db, actor, count_id=record_id), record_id, f"count {record_id}"
    if location_id is None:
        raise ValidationError.single("location", f"Name the location whose {kind.value} "
                                                 "record to print.")
    if kind is StockRecord.INVENTORY:
        data = inventory_input(db, actor, location_id=location_id, inventory_id=record_id)
        chosen = record_id if record_id is not None else last_inventory_id(db, location_id)
        return data, chosen or 0, f"inventory {chosen}"
    if start is None or end is None:
        raise ValidationError.single("period", "Give the first and last clinic day of the "
                                               "destructions to print.")
    return (destruction_input(db, actor, location_id=location_id, start=start, end=end),
            location_id, f"destructions {start.isoformat()}..{end.isoformat()}")


@use_case
def save_stock_record(db: Session, actor: Actor, *, record: StockRecord | str,
                      path: Path | str, location_id: int | None = None,
                      record_id: int | None = None, start: date | None = None,
                      end: date | None = None, clock: Clock = system_clock) -> Path:
    """Save a signed record as PDF: an inventory, the destructions of a period, a loss, a count.

    An inventory needs ``location_id`` (and ``record_id``, else the location's
    last); the destructions ``location_id``, ``start`` and ``end``; a loss or a
    count ``record_id``. A record whose signatures do not hold prints "SIGNATURE
    NOT VALID" with the reasons, never as signed, and the audit row says so.

    Raises:
        PermissionDenied, NotFound, ValidationError: as the gathering; a file that
            cannot be written is a ValidationError on ``path`` saying why.
    """
    kind = StockRecord(record)
    data, row_id, what = _gather_record(db, actor, kind, location_id, record_id, start, end)
    try:
        target = check_target(path)
    except StockCsvError as exc:
        raise ValidationError.single("path", str(exc)) from exc
    _write_pdf(target, _record_pdf(data))
    valid = " (SIGNATURE NOT VALID)" if data.signature_problems else ""
    append_audit(db, actor, f"stock_{kind.value}_saved", at=clock(),
                 table_name=_RECORD_TABLES[kind], row_id=row_id, field="pdf",
                 new=f"{what}{valid} -> {target.resolve()}")
    return target


def last_inventory_id(db: Session, location_id: int) -> int | None:
    """The id of the location's last inventory (None: it has none)."""
    last = last_inventory(db, location_id)
    return last.inventory_id if last is not None else None
