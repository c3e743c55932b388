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

from enum import StrEnum


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
