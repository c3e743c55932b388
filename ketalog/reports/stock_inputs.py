"""The plain data the controlled-substance documents are built from (issue 19).

The dispensing log, the perpetual balance, the inventory, the destruction record
(the facts of DEA Form 41) and the loss or theft record (the facts of DEA Form 106)
take these objects; the services gather them, the renderers and the CSV writer
never see a database. Only the domain is imported here, so the CSV writer and the
services load no reportlab through it.

Every mg figure is the volume times the product's strength (``mg_of``), printed
with :func:`format_mg` beside :func:`ketalog.domain.controlled_substances.format_ml`,
so paper, CSV and screen say the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.domain.stock_counts import BusinessTime, CountOccasion, InventoryKind, LossKind
from ketalog.reports.inputs import NOT_VALID_BANNER, Clinic

__all__ = ["BusinessTime", "CountOccasion", "InventoryKind", "LossKind"]

DISPENSING_LOG_TITLE = "Controlled-substance dispensing log"
BALANCE_TITLE = "Controlled-substance perpetual balance"
INVENTORY_TITLE = "Controlled-substance inventory"
DESTRUCTION_TITLE = "Controlled-substance destruction record"
LOSS_TITLE = "Controlled-substance loss or theft record"
COUNT_TITLE = "Controlled-substance count record"

_ZERO = Decimal(0)

#: How each ledger kind reads on paper.
KIND_LABELS: dict[LedgerKind, str] = {
    LedgerKind.RECEIVED: "Received",
    LedgerKind.TRANSFERRED_IN: "Transferred in",
    LedgerKind.TRANSFERRED_OUT: "Transferred out",
    LedgerKind.DRAWN: "Drawn",
    LedgerKind.ADMINISTERED: "Administered",
    LedgerKind.WASTED: "Wasted",
    LedgerKind.RETURNED: "Returned to stock",
    LedgerKind.DESTROYED: "Destroyed",
    LedgerKind.LOST: "Lost",
    LedgerKind.REVERSAL: "Reversal",
}


def mg_of(volume_ml: Decimal, strength_mg_per_ml: Decimal) -> Decimal:
    """The mg of substance in ``volume_ml`` of a product of this strength (exact)."""
    return volume_ml * strength_mg_per_ml


def format_mg(amount_mg: Decimal) -> str:
    """An amount as the books print it: "40 mg", "4.5 mg" (exact, no trailing zeros).

    The twin of ``format_ml``: the books are exact, so nothing is rounded.
    """
    if amount_mg == 0:
        return "0 mg"
    return f"{amount_mg.normalize():f} mg"


@dataclass(frozen=True)
class StockRegistrant:
    """The registered location whose books a document is (each location keeps its own)."""

    location_name: str
    dea_number: str
    address: str
    clinic_name: str


@dataclass(frozen=True)
class StockDocumentBase:
    """What every stock document carries besides its own facts."""

    clinic: Clinic
    tz: ZoneInfo
    registrant: StockRegistrant
    #: ``domain.retention.retention_statement``: printed at the foot of every stock document
    retention: str
    #: why a signature of the record does not hold (empty: every one does); printed on
    #: every page, and no signature it concerns prints as signed
    signature_problems: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def signature_warning(self) -> str:
        """"SIGNATURE NOT VALID: <reasons>" when a signature does not hold, else ""."""
        if not self.signature_problems:
            return ""
        return f"{NOT_VALID_BANNER}: " + "; ".join(self.signature_problems)


# --- the dispensing log ---------------------------------------------------------------


@dataclass(frozen=True)
class DispensingLogLine:
    """One ledger entry as the dispensing log prints it."""

    entry_id: int
    recorded_at_utc: datetime
    kind: LedgerKind
    product_name: str
    strength_mg_per_ml: Decimal
    lot_number: str
    container_id: int
    volume_ml: Decimal
    recorded_by: str
    container_serial: str | None = None
    #: the patient and session, for draws, administrations, wastes and returns
    patient_name: str | None = None
    mrn: str | None = None
    session_id: int | None = None
    witness: str | None = None
    #: a reversal: the entry it undoes and that entry's kind
    reverses_id: int | None = None
    reverses_kind: LedgerKind | None = None
    #: what else the record says: supplier and order, manner of waste, reason
    detail: str = ""

    @property
    def mg(self) -> Decimal:
        """The mg this entry moves (volume times strength)."""
        return mg_of(self.volume_ml, self.strength_mg_per_ml)

    @property
    def counted_kind(self) -> LedgerKind:
        """The kind this entry adds to in the totals (a reversal counts against its entry's)."""
        return self.reverses_kind if self.reverses_kind is not None else self.kind

    @property
    def counted_ml(self) -> Decimal:
        """The mL this entry adds to its kind's total (negative for a reversal)."""
        return -self.volume_ml if self.kind is LedgerKind.REVERSAL else self.volume_ml


@dataclass(frozen=True)
class LogTotal:
    """What one kind of entry adds up to for one product and lot, net of reversals."""

    product_name: str
    strength_mg_per_ml: Decimal
    lot_number: str
    kind: LedgerKind
    volume_ml: Decimal
    entries: int

    @property
    def mg(self) -> Decimal:
        """The total in mg."""
        return mg_of(self.volume_ml, self.strength_mg_per_ml)


@dataclass(frozen=True, kw_only=True)
class DispensingLog(StockDocumentBase):
    """Every ledger entry of one location in a period of clinic days, in date order."""

    start: date
    end: date
    lines: tuple[DispensingLogLine, ...] = ()

    def totals(self) -> tuple[LogTotal, ...]:
        """Totals per product, lot and kind (reversals subtracted from the kind they undo)."""
        return log_totals(self.lines)


def log_totals(lines: Iterable[DispensingLogLine]) -> tuple[LogTotal, ...]:
    """The log's totals, by product, lot and then the kinds in ledger order."""
    order = list(LedgerKind)
    sums: dict[tuple[str, str, LedgerKind], tuple[Decimal, Decimal, int]] = {}
    for line in lines:
        key = (line.product_name, line.lot_number, line.counted_kind)
        volume, _strength, count = sums.get(key, (_ZERO, line.strength_mg_per_ml, 0))
        sums[key] = (volume + line.counted_ml, line.strength_mg_per_ml, count + 1)
    return tuple(LogTotal(product, strength, lot, kind, volume, count)
                 for (product, lot, kind), (volume, strength, count)
                 in sorted(sums.items(), key=lambda item: (item[0][0], item[0][1],
                                                           order.index(item[0][2]))))


# --- the perpetual balance ------------------------------------------------------------


@dataclass(frozen=True)
class BalanceLine:
    """One product and lot at one location: where its volume went between two moments.

    ``closing_ml`` is what the location holds at the end, in its containers or
    drawn and not yet accounted for (``drawn_open_ml`` of it); a draw itself is
    not a column, because what was drawn is administered, wasted or returned.
    """

    product_name: str
    strength_mg_per_ml: Decimal
    lot_number: str
    opening_ml: Decimal = _ZERO
    received_ml: Decimal = _ZERO
    transferred_in_ml: Decimal = _ZERO
    transferred_out_ml: Decimal = _ZERO
    administered_ml: Decimal = _ZERO
    wasted_ml: Decimal = _ZERO
    destroyed_ml: Decimal = _ZERO
    lost_ml: Decimal = _ZERO
    #: of the closing volume, what is drawn for a patient and not yet accounted for
    drawn_open_ml: Decimal = _ZERO

    @property
    def closing_ml(self) -> Decimal:
        """Opening plus what came in less what went out."""
        return (self.opening_ml + self.received_ml + self.transferred_in_ml
                - self.transferred_out_ml - self.administered_ml - self.wasted_ml
                - self.destroyed_ml - self.lost_ml)

    @property
    def in_containers_ml(self) -> Decimal:
        """Of the closing volume, what is still in the containers."""
        return self.closing_ml - self.drawn_open_ml

    def mg(self, volume_ml: Decimal) -> Decimal:
        """A volume of this product in mg."""
        return mg_of(volume_ml, self.strength_mg_per_ml)


#: The balance's columns: (heading, attribute), in the order printed and exported.
BALANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Opening", "opening_ml"), ("Received", "received_ml"),
    ("Transferred in", "transferred_in_ml"), ("Transferred out", "transferred_out_ml"),
    ("Administered", "administered_ml"), ("Wasted", "wasted_ml"),
    ("Destroyed", "destroyed_ml"), ("Lost", "lost_ml"), ("Closing", "closing_ml"),
)


@dataclass(frozen=True, kw_only=True)
class BalanceSheet(StockDocumentBase):
    """The perpetual balance of one location at the close of a clinic day.

    ``since`` None: from the first entry of the books (opening 0).
    """

    on: date
    since: date | None = None
    lines: tuple[BalanceLine, ...] = ()


# --- the inventory --------------------------------------------------------------------


#: How the inventory's kind and time of day read on paper.
INVENTORY_KIND_LABELS: dict[InventoryKind, str] = {
    InventoryKind.INITIAL: "Initial inventory", InventoryKind.BIENNIAL: "Biennial inventory",
    InventoryKind.OTHER: "Inventory (neither initial nor biennial)",
}
BUSINESS_TIME_LABELS: dict[BusinessTime, str] = {
    BusinessTime.OPENING: "opening of business", BusinessTime.CLOSE: "close of business",
}


@dataclass(frozen=True)
class InventoryLine:
    """One container found: sealed (counted whole) or open (its volume measured)."""

    product_name: str
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    lot_number: str
    container_id: int
    sealed: bool
    #: the volume measured in an open container; a sealed one holds its whole volume
    measured_ml: Decimal | None = None
    ndc: str | None = None
    expiry_date: date | None = None
    serial: str | None = None
    #: a sealed container is counted: 1 found, 0 not found (then it holds nothing here)
    count_of_sealed: int = 1

    @property
    def volume_ml(self) -> Decimal:
        """The volume the container holds as counted or measured."""
        if self.sealed or self.measured_ml is None:
            return self.container_volume_ml if self.count_of_sealed else _ZERO
        return self.measured_ml

    @property
    def mg(self) -> Decimal:
        """The mg it holds."""
        return mg_of(self.volume_ml, self.strength_mg_per_ml)


@dataclass(frozen=True)
class StockSignature:
    """A person who signed a stock record, and when (their key signed it in ketalog)."""

    name: str
    signed_at_utc: datetime | None = None
    #: the signing key's fingerprint, when the signature is a keyed one
    key_fingerprint: str | None = None
    #: why this signature does not hold: then it never prints as signed
    not_valid: tuple[str, ...] = ()
    #: who recorded without a keyed signature: when (printed instead of "not signed")
    recorded_at_utc: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Inventory(StockDocumentBase):
    """An initial or biennial inventory of one location."""

    kind: InventoryKind
    taken_on: date
    taken_at: BusinessTime
    lines: tuple[InventoryLine, ...] = ()
    taken_by: StockSignature | None = None
    second_counter: StockSignature | None = None


# --- destruction (DEA Form 41) and loss or theft (DEA Form 106) ---------------------------


@dataclass(frozen=True)
class DisposedContainer:
    """One container (or what was left in it) destroyed or lost."""

    product_name: str
    strength_mg_per_ml: Decimal
    lot_number: str
    container_id: int
    volume_ml: Decimal
    ndc: str | None = None
    container_volume_ml: Decimal | None = None
    serial: str | None = None
    #: a later reversing entry undid this one (entered in error): not in the totals
    reversed: bool = False

    @property
    def mg(self) -> Decimal:
        """The mg destroyed or lost."""
        return mg_of(self.volume_ml, self.strength_mg_per_ml)


@dataclass(frozen=True, kw_only=True)
class DestructionRecord(StockDocumentBase):
    """The facts DEA Form 41 asks: when, where, how, what, and two witnesses."""

    destroyed_at_utc: datetime
    place: str
    manner: str
    reason: str = ""
    containers: tuple[DisposedContainer, ...] = ()
    recorded_by: StockSignature | None = None
    witnesses: tuple[StockSignature, ...] = ()


LOSS_KIND_LABELS: dict[LossKind, str] = {
    LossKind.LOSS: "Loss", LossKind.THEFT: "Theft", LossKind.IN_TRANSIT: "Lost in transit",
    LossKind.OTHER: "Other",
}


@dataclass(frozen=True, kw_only=True)
class LossRecord(StockDocumentBase):
    """The facts DEA Form 106 asks of a loss or theft, for the registrant to file."""

    discovered_on: date
    kind: LossKind
    circumstances: str
    police_notified: bool = False
    police_reference: str | None = None
    reported_to_dea_on: date | None = None
    containers: tuple[DisposedContainer, ...] = ()
    recorded_by: StockSignature | None = None
    #: what was done so it does not happen again, where recorded
    measures_taken: str = ""


@dataclass(frozen=True, kw_only=True)
class DestructionRecords(StockDocumentBase):
    """Every destruction at a location on clinic days ``start``..``end``, act by act."""

    start: date
    end: date
    acts: tuple[DestructionRecord, ...] = ()


def _counted(items: Iterable[DisposedContainer | InventoryLine]
             ) -> list[DisposedContainer | InventoryLine]:
    return [item for item in items if not getattr(item, "reversed", False)]


def total_ml(items: Iterable[DisposedContainer | InventoryLine]) -> Decimal:
    """The volumes added up (an entry reversed as made in error is left out)."""
    return sum((item.volume_ml for item in _counted(items)), _ZERO)


def total_mg(items: Iterable[DisposedContainer | InventoryLine]) -> Decimal:
    """The mg added up (each at its own product's strength; reversed entries left out)."""
    return sum((item.mg for item in _counted(items)), _ZERO)


# --- the count ----------------------------------------------------------------------------


COUNT_OCCASION_LABELS: dict[CountOccasion, str] = {
    CountOccasion.SHIFT_END: "Shift-end count", CountOccasion.DAY_END: "Day-end count",
    CountOccasion.SPOT: "Spot count",
}


@dataclass(frozen=True)
class CountResolution:
    """How a discrepancy was closed: the signed explanation, and what was written off."""

    explanation: str
    resolved_by: StockSignature
    #: the shortfall written off as LOST (None: explained only)
    written_off_ml: Decimal | None = None
    lost_entry_id: int | None = None


@dataclass(frozen=True)
class CountSheetLine:
    """One container counted: what the books expected, what was found, and any discrepancy."""

    product_name: str
    strength_mg_per_ml: Decimal
    container_volume_ml: Decimal
    lot_number: str
    container_id: int
    expected_ml: Decimal
    found_ml: Decimal
    serial: str | None = None
    discrepancy_id: int | None = None
    resolution: CountResolution | None = None

    @property
    def difference_ml(self) -> Decimal:
        """Found minus expected: negative for a shortfall."""
        return self.found_ml - self.expected_ml


@dataclass(frozen=True, kw_only=True)
class CountSheet(StockDocumentBase):
    """A count by two people: every container, each mismatch and how it was closed."""

    count_id: int
    occasion: CountOccasion
    counted_at_utc: datetime
    counted_by: StockSignature
    second_counter: StockSignature
    note: str = ""
    lines: tuple[CountSheetLine, ...] = ()
