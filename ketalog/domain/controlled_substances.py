"""The controlled-substance books: every container of ketamine from receipt to patient or waste.

Ketamine and esketamine are US Schedule III. 21 CFR 1304 asks for a complete
record of every container received, every dose administered and every other
disposal, kept at least two years per registered location. The record here is
a ledger: rows are only ever added, and a mistake is undone by a reversing
entry with a reason, never by an edit.

A container's balance (mL left in it) moves with the entries that put volume
into or take it out of that container at a location:

- in:  RECEIVED, TRANSFERRED_IN, RETURNED (a drawn remainder put back, where allowed)
- out: DRAWN (into a syringe or bag for one session), TRANSFERRED_OUT, DESTROYED, LOST

A drawn volume then has to be accounted for at the chair: ADMINISTERED to the
patient, WASTED before a witness, or RETURNED. Those dispositions name the draw
they settle; until they add up to the drawn volume, the draw is unreconciled and
the session cannot be finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from ketalog.domain.errors import Problem, ValidationError


class Substance(StrEnum):
    """What a product contains (Schedule III both)."""

    KETAMINE = "ketamine"
    ESKETAMINE = "esketamine"


class LedgerKind(StrEnum):
    """What one ledger entry records."""

    RECEIVED = "received"
    TRANSFERRED_IN = "transferred_in"
    TRANSFERRED_OUT = "transferred_out"
    DRAWN = "drawn"
    ADMINISTERED = "administered"
    WASTED = "wasted"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    LOST = "lost"
    REVERSAL = "reversal"


#: Entries that put volume into the container at their location.
INTO_CONTAINER: frozenset[LedgerKind] = frozenset({
    LedgerKind.RECEIVED, LedgerKind.TRANSFERRED_IN, LedgerKind.RETURNED})
#: Entries that take volume out of the container at their location.
OUT_OF_CONTAINER: frozenset[LedgerKind] = frozenset({
    LedgerKind.DRAWN, LedgerKind.TRANSFERRED_OUT, LedgerKind.DESTROYED, LedgerKind.LOST})
#: Entries that settle part of a draw (RETURNED also goes back into the container).
DISPOSITIONS: frozenset[LedgerKind] = frozenset({
    LedgerKind.ADMINISTERED, LedgerKind.WASTED, LedgerKind.RETURNED})
#: Entries that need a written reason (the inspector asks why).
NEED_A_REASON: frozenset[LedgerKind] = frozenset({LedgerKind.LOST, LedgerKind.REVERSAL})
#: Witnesses each kind needs besides the person recording it: waste before one,
#: destruction before two (the facts of DEA Form 41).
WITNESSES_NEEDED: dict[LedgerKind, int] = {LedgerKind.WASTED: 1, LedgerKind.DESTROYED: 2}

_ZERO = Decimal(0)


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the books, as the rules need it (the store keeps more: times, signatures)."""

    entry_id: int
    container_id: int
    location_id: int
    kind: LedgerKind
    volume_ml: Decimal
    recorded_by_id: int
    draw_id: int | None = None
    reverses_id: int | None = None
    witness_ids: tuple[int, ...] = ()
    reason: str | None = None


def _refuse(message: str, field: str = "stock") -> ValidationError:
    return ValidationError([Problem(field, message)])


def format_ml(volume: Decimal) -> str:
    """A volume as the books print it: "0.8 mL", "10 mL" (no trailing zeros)."""
    return f"{volume.normalize():f} mL"


@dataclass(frozen=True)
class Ledger:
    """The entries so far, and what they add up to; :meth:`add` refuses what breaks the books.

    Every rule is checked here, before a row is written, so the GUI, the CLI and
    the tests refuse the same things with the same words.
    """

    entries: tuple[LedgerEntry, ...] = ()

    # --- reading ----------------------------------------------------------------------

    @cached_property
    def _by_id(self) -> dict[int, LedgerEntry]:
        return {e.entry_id: e for e in self.entries}

    def entry(self, entry_id: int) -> LedgerEntry | None:
        """The entry with this id, if it is in the books."""
        return self._by_id.get(entry_id)

    @cached_property
    def _reversed(self) -> frozenset[int]:
        return frozenset(e.reverses_id for e in self.entries
                         if e.kind is LedgerKind.REVERSAL and e.reverses_id is not None)

    def reversed_ids(self) -> frozenset[int]:
        """Ids of the entries a reversal has undone."""
        return self._reversed

    def container_change_ml(self, entry: LedgerEntry) -> Decimal:
        """How much ``entry`` moves its container's balance (negative: taken out)."""
        if entry.kind is LedgerKind.REVERSAL:
            undone = self.entry(entry.reverses_id) if entry.reverses_id is not None else None
            return -self.container_change_ml(undone) if undone is not None else _ZERO
        if entry.kind in INTO_CONTAINER:
            return entry.volume_ml
        if entry.kind in OUT_OF_CONTAINER:
            return -entry.volume_ml
        return _ZERO

    @cached_property
    def _balances(self) -> dict[tuple[int, int], Decimal]:
        totals: dict[tuple[int, int], Decimal] = {}
        for e in self.entries:
            where = self._where(e)
            totals[where] = totals.get(where, _ZERO) + self.container_change_ml(e)
        return totals

    def balances(self) -> dict[tuple[int, int], Decimal]:
        """The mL in each (container, location) that has ever held any."""
        return dict(self._balances)

    def balance_ml(self, container_id: int, location_id: int) -> Decimal:
        """The mL left in the container at the location."""
        return self._balances.get((container_id, location_id), _ZERO)

    def settled_ml(self, draw_id: int) -> Decimal:
        """How much of a draw its dispositions (not reversed) account for."""
        gone = self.reversed_ids()
        return sum((e.volume_ml for e in self.entries
                    if e.draw_id == draw_id and e.kind in DISPOSITIONS
                    and e.entry_id not in gone), _ZERO)

    def unreconciled_ml(self, draw_id: int) -> Decimal:
        """The part of a draw not yet administered, wasted or returned (0 once reversed)."""
        draw = self.entry(draw_id)
        if draw is None or draw.kind is not LedgerKind.DRAWN or draw_id in self.reversed_ids():
            return _ZERO
        return draw.volume_ml - self.settled_ml(draw_id)

    def open_draws(self) -> tuple[LedgerEntry, ...]:
        """Draws with a remainder still to account for, oldest first."""
        return tuple(e for e in self.entries
                     if e.kind is LedgerKind.DRAWN and self.unreconciled_ml(e.entry_id) > 0)

    # --- writing ----------------------------------------------------------------------

    def add(self, entry: LedgerEntry) -> Ledger:
        """The books with ``entry`` added.

        Raises:
            ValidationError: the entry would break the books; nothing is added.
        """
        self.check(entry)
        return Ledger((*self.entries, entry))

    def check(self, entry: LedgerEntry) -> None:
        """Refuse an entry that would break the books (see :meth:`add`)."""
        if self.entry(entry.entry_id) is not None:
            raise _refuse(f"entry {entry.entry_id} is already in the books")
        if not entry.volume_ml.is_finite() or entry.volume_ml <= 0:
            raise _refuse("the volume must be more than 0 mL", "volume_ml")
        if entry.kind in NEED_A_REASON and not (entry.reason or "").strip():
            raise _refuse(f"a {entry.kind.value.replace('_', ' ')} entry needs a reason",
                          "reason")
        self._check_witnesses(entry)
        if entry.kind is LedgerKind.REVERSAL:
            self._check_reversal(entry)
        elif entry.kind in DISPOSITIONS:
            self._check_disposition(entry)
        elif entry.draw_id is not None or entry.reverses_id is not None:
            raise _refuse(f"a {entry.kind.value} entry names no draw and reverses nothing")
        change = self.container_change_ml(entry)
        if change < 0:
            where = self._where(entry)
            left = self.balance_ml(*where)
            if left + change < 0:
                raise _refuse(
                    f"container {where[0]} holds {format_ml(left)} here; "
                    f"{format_ml(-change)} cannot come out of it", "volume_ml")

    def _where(self, entry: LedgerEntry) -> tuple[int, int]:
        undone = self.entry(entry.reverses_id) if entry.reverses_id is not None else None
        return ((undone or entry).container_id, (undone or entry).location_id)

    @staticmethod
    def _check_witnesses(entry: LedgerEntry) -> None:
        needed = WITNESSES_NEEDED.get(entry.kind, 0)
        witnesses = set(entry.witness_ids)
        if len(witnesses) != len(entry.witness_ids):
            raise _refuse("the same person cannot witness twice", "witness")
        if entry.recorded_by_id in witnesses:
            raise _refuse("the person recording cannot also be the witness", "witness")
        if len(witnesses) < needed:
            people = "a witness" if needed == 1 else f"{needed} witnesses"
            raise _refuse(f"{entry.kind.value.capitalize()} needs {people} besides the "
                          "person recording it", "witness")

    def _check_disposition(self, entry: LedgerEntry) -> None:
        draw = self.entry(entry.draw_id) if entry.draw_id is not None else None
        if draw is None or draw.kind is not LedgerKind.DRAWN:
            raise _refuse(f"{entry.kind.value.capitalize()} must name the draw it settles")
        if draw.entry_id in self.reversed_ids():
            raise _refuse(f"draw {draw.entry_id} was reversed; it has nothing left to settle")
        if (entry.container_id, entry.location_id) != (draw.container_id, draw.location_id):
            raise _refuse(f"draw {draw.entry_id} came from container {draw.container_id}; "
                          "its remainder is settled against that container")
        left = self.unreconciled_ml(draw.entry_id)
        if entry.volume_ml > left:
            raise _refuse(f"only {format_ml(left)} of draw {draw.entry_id} is still to account "
                          f"for; {format_ml(entry.volume_ml)} is more than that", "volume_ml")

    def _check_reversal(self, entry: LedgerEntry) -> None:
        undone = self.entry(entry.reverses_id) if entry.reverses_id is not None else None
        if undone is None:
            raise _refuse("a reversal must name the entry it undoes")
        if undone.kind is LedgerKind.REVERSAL:
            raise _refuse(f"entry {undone.entry_id} is itself a reversal; record the "
                          "right entry again instead")
        if undone.entry_id in self.reversed_ids():
            raise _refuse(f"entry {undone.entry_id} was reversed already")
        if entry.volume_ml != undone.volume_ml:
            raise _refuse(f"a reversal undoes the whole entry: {format_ml(undone.volume_ml)}",
                          "volume_ml")
        if (entry.container_id, entry.location_id) != (undone.container_id,
                                                        undone.location_id):
            raise _refuse("a reversal names the same container and location as the entry")
        if undone.kind is LedgerKind.DRAWN and self.settled_ml(undone.entry_id) > 0:
            raise _refuse(f"draw {undone.entry_id} has entries that settle it; "
                          "reverse those first")


def check_container_usable(*, expiry_date: date, recalled: bool, today: date) -> None:
    """Refuse drawing from an expired or recalled container.

    A container is usable through its expiry date (GS1 and the label give the
    last day of use).
    """
    if recalled:
        raise _refuse("this lot is recalled; do not use it, set it aside for return "
                      "or destruction", "container")
    if expiry_date < today:
        raise _refuse(f"this container expired on {expiry_date.isoformat()}; do not use it",
                      "container")


_DEA_NUMBER = re.compile(r"[A-Z][A-Z9][0-9]{7}")


def dea_number_problem(text: str) -> str | None:
    """Why ``text`` is not a DEA registration number, or None when it is one.

    Two letters (the registrant type, then the first letter of the registrant's
    name, or 9) and seven digits whose last is the check digit: the sum of the
    1st, 3rd and 5th digits plus twice the sum of the 2nd, 4th and 6th ends in it.
    """
    number = text.strip().upper()
    if not _DEA_NUMBER.fullmatch(number):
        return (f'"{text.strip()}" is not a DEA number: two letters and seven digits, '
                "e.g. AB1234563")
    d = [int(c) for c in number[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    if check != d[6]:
        return (f"DEA number {number} fails its check digit (the last digit would be "
                f"{check}); check it against the registration certificate")
    return None
