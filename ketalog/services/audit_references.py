"""Checking that every clinical row still has the audit row written with it.

Each clinical row, signature and addendum keeps the id and hash of its audit
row (schema 0013, see :mod:`ketalog.services.audit`). The chain alone cannot
show audit rows cut off at its end, or deleted with the chain recomputed after
them; the references can. For every referencing table this finds:

- rows whose audit row is gone (``vital_signs 42: its audit row 1234 is missing``);
- rows whose audit row has another hash than when it was written (the row was
  rewritten, or the chain recomputed from it or before it);
- rows written since 0013 without a reference (written behind the app's back,
  or the reference removed).

Each table is read as an indexed anti-join against the trail's primary key, in
id ranges of :data:`BATCH_IDS`, the read transaction ending between ranges (in a
writing session, chair-side saves on SQLite wait at most one range; in a reading
one, as ``audit verify`` runs it, they never wait); only the problem rows come
back from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ketalog.store.models import AuditEntry, AuditReferenceStart, Base, audit_referenced_tables

#: Row ids per read transaction: about 60 ms of SQLite work on the ten-year clinic (2 s for
#: every table, against 100 s for the chain walk, measured on a shared machine).
BATCH_IDS: Final = 50_000
#: Problem rows named per table; the rest are counted.
NAMED_PER_TABLE: Final = 10


@dataclass(frozen=True)
class ReferenceProblem:
    """One clinical row whose audit row is missing, rewritten, or was never named."""

    table: str
    row_id: int
    audit_id: int | None
    audit_row_found: bool

    @property
    def message(self) -> str:
        """E.g. ``vital_signs 42: its audit row 1234 is missing``."""
        where = f"{self.table} {self.row_id}"
        if self.audit_id is None:
            return (f"{where}: it names no audit row, although every row written since "
                    "references began does (written behind the app's back, or its "
                    "reference was removed)")
        if not self.audit_row_found:
            return f"{where}: its audit row {self.audit_id} is missing"
        return (f"{where}: its audit row {self.audit_id} has another hash than when it was "
                "written (that row was rewritten, or the chain recomputed from it)")


@dataclass(frozen=True)
class ReferenceReport:
    """The outcome of :func:`check_references`.

    Attributes:
        named: the first problem rows of each table (at most :data:`NAMED_PER_TABLE`).
        counts: every table with problems, and how many rows it has.
        tables_checked: referencing tables read.
    """

    named: tuple[ReferenceProblem, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    tables_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when every row that should name its audit row names one that holds."""
        return not self.counts

    def lines(self) -> list[str]:
        """One sentence per problem row named, and one per table with more."""
        out = [p.message for p in self.named]
        for table, count in self.counts.items():
            shown = sum(1 for p in self.named if p.table == table)
            if count > shown:
                out.append(f"{table}: {count - shown} more rows whose audit row is missing or "
                           "rewritten, or that name none")
        return out


def check_references(db: Session) -> ReferenceReport:
    """Every clinical row whose audit reference does not hold; read-only.

    Call it in a session of its own: the read transaction ends between ranges.
    """
    audit = AuditEntry.__table__
    starts = {str(t): int(first) for t, first in db.execute(
        select(AuditReferenceStart.table_name, AuditReferenceStart.first_row_id))}
    named: list[ReferenceProblem] = []
    counts: dict[str, int] = {}
    tables = audit_referenced_tables()
    for name in tables:
        table = Base.metadata.tables[name]
        top = db.scalar(select(func.max(table.c.id))) or 0
        db.rollback()
        start = starts.get(name, 1)
        low = 0
        while low < top:
            high = low + BATCH_IDS
            rows = db.execute(
                select(table.c.id, table.c.audit_id, audit.c.id.label("found"))
                .select_from(table.outerjoin(audit, audit.c.id == table.c.audit_id))
                .where(table.c.id > low, table.c.id <= high, or_(
                    and_(table.c.audit_id.is_(None), table.c.id >= start),
                    and_(table.c.audit_id.is_not(None),
                         audit.c.row_hash.is_distinct_from(table.c.audit_sha256))))
                .order_by(table.c.id)).all()
            db.rollback()  # read-only: release the transaction (and SQLite's lock)
            for row in rows:
                counts[name] = counts.get(name, 0) + 1
                if counts[name] <= NAMED_PER_TABLE:
                    named.append(ReferenceProblem(name, int(row.id), row.audit_id,
                                                  row.found is not None))
            low = high
    return ReferenceReport(tuple(named), counts, len(tables))
