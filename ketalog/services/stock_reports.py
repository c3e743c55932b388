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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import retention_years_from
from ketalog.domain.controlled_substances import Ledger, LedgerKind
from ketalog.domain.errors import ValidationError
from ketalog.domain.retention import retention_statement
from ketalog.domain.values import printed_name
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
    DispensingLog,
    DispensingLogLine,
    StockRegistrant,
)
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.board import day_bounds_utc
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.documents import clinic
from ketalog.services.errors import NotFound
from ketalog.services.settings import clinic_timezone, get_setting
from ketalog.services.stock import as_ledger_entry
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


def _location(db: Session, location_id: int) -> StockLocation:
    location = db.get(StockLocation, location_id)
    if location is None:
        raise NotFound(f"There is no stock location {location_id}.")
    return location


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
    return facts


def _detail(row: StockEntry, facts: _Facts) -> str:
    """What the record adds to the entry: supplier and order, manner, reason."""
    parts: list[str] = []
    if row.kind is LedgerKind.RECEIVED:
        receipt = facts.receipts.get(facts.containers[row.container_id].receipt_id)
        if receipt is not None:
            parts.append(f"from {receipt.supplier_name} (DEA {receipt.supplier_dea_number}), "
                         f"order {receipt.order_reference}")
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
    location = _location(db, location_id)
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
    location = _location(db, location_id)
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
