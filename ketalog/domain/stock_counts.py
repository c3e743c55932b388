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

from enum import StrEnum


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
