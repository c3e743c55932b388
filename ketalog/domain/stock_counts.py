"""Counts, discrepancies, inventories and losses of controlled substances (issue 19).

21 CFR 1304.11 asks for an inventory of every controlled substance on hand when
a registrant starts and at least every two years after, dated, taken at the
opening or the close of business, sealed containers counted exactly and opened
ones measured or estimated. Clinics also count their stock at shift or day end
with two people: what the books expect per container against what is found.
A mismatch opens a discrepancy that only a signed explanation closes; a real
shortfall is written off as a LOST entry in the ledger. A theft or loss is
recorded with the facts DEA Form 106 asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.errors import Problem, ValidationError


class CountOccasion(StrEnum):
    """When a count is taken."""

    SHIFT_END = "shift_end"
    DAY_END = "day_end"
    SPOT = "spot"


class InventoryKind(StrEnum):
    """Which inventory 21 CFR 1304.11 this is."""

    INITIAL = "initial"
    BIENNIAL = "biennial"
    OTHER = "other"


class BusinessTime(StrEnum):
    """An inventory is taken at the opening or at the close of business (1304.11(a))."""

    OPENING = "opening"
    CLOSE = "close"


class LossKind(StrEnum):
    """What a loss record reports (the choices DEA Form 106 gives)."""

    LOSS = "loss"
    THEFT = "theft"
    IN_TRANSIT = "in_transit"
    OTHER = "other"


#: An explanation closes a discrepancy only when it says something: at least this many words.
MIN_EXPLANATION_WORDS = 3
#: The longest explanation, circumstances or note the records keep.
MAX_RECORD_TEXT = 2000
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Mismatch:
    """A container whose found volume is not what the books expect there."""

    container_id: int
    expected_ml: Decimal
    found_ml: Decimal

    @property
    def difference_ml(self) -> Decimal:
        """Found minus expected: negative for a shortfall, positive for a surplus."""
        return self.found_ml - self.expected_ml

    @property
    def shortfall_ml(self) -> Decimal:
        """How much is missing (0 for a surplus)."""
        return max(self.expected_ml - self.found_ml, _ZERO)

    @property
    def is_surplus(self) -> bool:
        """More was found than the books hold."""
        return self.found_ml > self.expected_ml


def _volume_problem(container_id: int, volume: Decimal, size_ml: Decimal | None,
                    field: str) -> Problem | None:
    if not volume.is_finite() or volume < 0:
        return Problem(field, f"Container {container_id}: the volume found cannot be below "
                              "0 mL.")
    if volume.normalize().as_tuple().exponent < -2:  # type: ignore[operator]
        return Problem(field, f"Container {container_id}: a volume is measured to 0.01 mL "
                              "at most.")
    if size_ml is not None and volume > size_ml:
        return Problem(field, f"Container {container_id} holds {format_ml(size_ml)}; "
                              f"{format_ml(volume)} cannot be in it.")
    return None


def count_mismatches(expected: Mapping[int, Decimal], found: Mapping[int, Decimal], *,
                     container_volume_ml: Mapping[int, Decimal] | None = None
                     ) -> list[Mismatch]:
    """The containers whose found volume differs from the expected one, by container id.

    Every container expected at the location must be counted: a count that
    leaves one out is refused, not read as "found empty" (an empty container
    is counted as 0). A container found that the books do not place there is
    a mismatch too (expected 0). A found volume below 0 or above the
    container's size (``container_volume_ml``, where known) is refused.

    Raises:
        ValidationError: every problem at once; nothing is compared.
    """
    sizes = container_volume_ml or {}
    problems: list[Problem] = []
    missing = sorted(set(expected) - set(found))
    if missing:
        names = ", ".join(str(c) for c in missing)
        problems.append(Problem("found", f"Count every container expected here; not counted: "
                                         f"container{'s' if len(missing) > 1 else ''} {names}. "
                                         "Enter 0 mL for one that is empty or not found."))
    for container_id in sorted(found):
        problem = _volume_problem(container_id, found[container_id],
                                  sizes.get(container_id), "found")
        if problem is not None:
            problems.append(problem)
    if problems:
        raise ValidationError(problems)
    return [Mismatch(c, expected.get(c, _ZERO), found[c]) for c in sorted(found)
            if found[c] != expected.get(c, _ZERO)]


def check_explanation(text: str | None, field: str = "explanation") -> str:
    """The explanation that closes a discrepancy, stripped; refused when it says nothing.

    "ok" or "fine" explains nothing an inspector can check: at least
    :data:`MIN_EXPLANATION_WORDS` words, e.g. "drawn for session 12, not charted".
    """
    words = (text or "").split()
    if len(words) < MIN_EXPLANATION_WORDS:
        raise ValidationError.single(
            field, f"Explain the difference in at least {MIN_EXPLANATION_WORDS} words: what "
                   "was found and why (e.g. \"vial broken while drawing, Tuesday 9 am\").")
    cleaned = " ".join(words)
    if len(cleaned) > MAX_RECORD_TEXT:
        raise ValidationError.single(field, f"The explanation is {len(cleaned)} characters "
                                            f"long; shorten it to {MAX_RECORD_TEXT} at most.")
    return (text or "").strip()


def write_off_ml(mismatch: Mismatch, write_off_as_lost: bool) -> Decimal | None:
    """The volume a resolution writes off as LOST, or None when it only explains.

    A shortfall resolved as missing is written off in full (the books then hold
    what was found); a surplus can only be explained: volume that the books do
    not hold cannot be written off, and is never added to them by a resolution.
    """
    if not write_off_as_lost:
        return None
    if mismatch.is_surplus:
        raise ValidationError.single(
            "write_off_as_lost", f"More was found than the books hold "
            f"({format_ml(mismatch.difference_ml)} over); a surplus can only be explained, "
            "not written off.")
    return mismatch.shortfall_ml


@dataclass(frozen=True)
class InventoryEntry:
    """One container as an inventory records it: a sealed one counted, an opened one measured."""

    container_id: int
    sealed: bool
    count_of_sealed: int | None
    measured_volume_ml: Decimal | None


def inventory_entries(on_hand: Mapping[int, tuple[bool, Decimal]],
                      lines: Mapping[int, Decimal]) -> list[InventoryEntry]:
    """The inventory's lines from what was entered, container by container.

    ``on_hand`` maps each container the books place at the location to
    (sealed, container size in mL). 21 CFR 1304.11(e): a sealed container is
    counted exactly (1 present, 0 not found); an opened one of a Schedule III
    liquid is measured or estimated (0 to its size). Every container on hand
    must appear, and none that is not.

    Raises:
        ValidationError: every problem at once.
    """
    problems: list[Problem] = []
    missing = sorted(set(on_hand) - set(lines))
    if missing:
        problems.append(Problem("lines", "Every container on hand must be in the inventory; "
                                         "missing: " + ", ".join(map(str, missing)) + "."))
    unknown = sorted(set(lines) - set(on_hand))
    if unknown:
        problems.append(Problem("lines", "The books hold no such container here: "
                                         + ", ".join(map(str, unknown)) + "."))
    entries: list[InventoryEntry] = []
    for container_id in sorted(set(lines) & set(on_hand)):
        sealed, size = on_hand[container_id]
        value = lines[container_id]
        if sealed:
            if value not in (0, 1):
                problems.append(Problem("lines", f"Container {container_id} is sealed: count "
                                                 "it as 1 (present) or 0 (not found)."))
                continue
            entries.append(InventoryEntry(container_id, True, int(value), None))
        else:
            problem = _volume_problem(container_id, value, size, "lines")
            if problem is not None:
                problems.append(problem)
                continue
            entries.append(InventoryEntry(container_id, False, None, value))
    if problems:
        raise ValidationError(problems)
    return entries


def inventory_differences(expected_ml: Mapping[int, Decimal], sizes_ml: Mapping[int, Decimal],
                          entries: Sequence[InventoryEntry]) -> list[int]:
    """The containers whose inventory line disagrees with the books, in order.

    A sealed container counted 1 holds its size, 0 holds nothing; an opened one
    holds what was measured. An inventory records what was found whatever the
    books say, so a difference does not refuse it: it is for a count, which
    opens a discrepancy that only a signed explanation closes.
    """
    differing: list[int] = []
    for entry in entries:
        if entry.sealed:
            held = sizes_ml[entry.container_id] * (entry.count_of_sealed or 0)
        else:
            held = entry.measured_volume_ml or Decimal(0)
        if held != expected_ml[entry.container_id]:
            differing.append(entry.container_id)
    return differing


def biennial_due_on(last_taken_on: date) -> date:
    """When the next inventory is due: two years after the last (29 February: 28 February)."""
    try:
        return last_taken_on.replace(year=last_taken_on.year + 2)
    except ValueError:
        return last_taken_on.replace(year=last_taken_on.year + 2, day=28)


def loss_problems(*, circumstances: str | None, police_notified: bool,
                  police_reference: str | None) -> list[Problem]:
    """What a loss record lacks (empty: complete), as DEA Form 106 asks its facts."""
    problems: list[Problem] = []
    if len((circumstances or "").split()) < MIN_EXPLANATION_WORDS:
        problems.append(Problem("circumstances", "Describe how the loss or theft was found, "
                                                 f"in at least {MIN_EXPLANATION_WORDS} words."))
    elif len(circumstances or "") > MAX_RECORD_TEXT:
        problems.append(Problem("circumstances", "The circumstances are longer than "
                                                 f"{MAX_RECORD_TEXT} characters; shorten them."))
    if (police_reference or "").strip() and not police_notified:
        problems.append(Problem("police_reference", "A police report number is given but the "
                                                    "police are not marked as notified."))
    return problems
