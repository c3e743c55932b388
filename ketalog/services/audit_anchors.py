"""Checking the audit trail against its anchors, and taking new ones.

:func:`ketalog.services.audit_trail.verify_chain` proves the rows of the trail
follow one another; it cannot see rows cut off at the end, a trail emptied,
or one recomputed from some row on. The anchors (see
:mod:`ketalog.store.anchors`) can: every anchor names a row id, its hash and
the number of rows then, and the live trail must still hold them.

What is checked, for every anchor in the file:

- the anchored row is still there with the anchored hash (a missing row: the
  trail was shortened or emptied; another hash: the chain was recomputed from
  that row or before it);
- exactly the anchored number of rows have ids up to the anchored one (fewer:
  rows deleted; more: rows inserted behind the anchor);
- no row after the newest anchor is dated well before that anchor was taken
  (a forged row appended later but backdated into the anchored past).

And, with or without anchors: a database holding patients or sessions whose
trail is empty was emptied (every write adds an audit row); and every clinical
row still names an audit row that is there with the hash it had
(:mod:`ketalog.services.audit_references`), which shows rows cut off or a chain
recomputed even where no anchor reaches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ketalog.services.access import Permission, authorize
from ketalog.services.audit_references import check_references
from ketalog.services.audit_trail import ChainReport, verify_chain
from ketalog.services.context import Actor
from ketalog.services.database import make_reading_sessionmaker
from ketalog.store.anchors import (
    Anchor,
    AnchorFileDamaged,
    AnchorReason,
    anchor_file_path,
    anchor_trail,
    latest_anchor,
    read_anchors,
)
from ketalog.store.models import AuditEntry, Patient, TreatmentSession

#: A row written this long before an anchor yet after its last row is not a late
#: commit or a workstation's clock drift: it was added afterwards and backdated.
BACKDATED_AFTER: Final = timedelta(minutes=10)
#: The daily anchor is due when the newest one is older than this.
DAILY_ANCHOR_AGE: Final = timedelta(days=1)


@dataclass(frozen=True)
class AnchoredReport:
    """The chain's verdict, the anchors' verdict, and the anchor written if all held.

    Attributes:
        chain: what :func:`verify_chain` found.
        problems: what the anchors (or an empty trail beside records) show; one
            sentence each.
        anchors_checked: anchors checked (those since the last restore from a backup).
        anchor_file: the file (None for an in-memory database).
        new_anchor: the anchor appended after a clean check (None otherwise).
        anchor_note: why no anchor was written although all held (e.g. the
            file could not be written).
    """

    chain: ChainReport
    problems: tuple[str, ...]
    anchors_checked: int
    anchor_file: Path | None
    new_anchor: Anchor | None = None
    anchor_note: str | None = None

    @property
    def ok(self) -> bool:
        """True when the chain is intact and no anchor or emptiness problem was found."""
        return self.chain.ok and not self.problems

    def lines(self) -> list[str]:
        """What ``ketalog audit verify`` prints, verdict first."""
        if self.ok:
            held = {0: "", 1: " It holds its anchor."}.get(
                self.anchors_checked, f" It holds all {self.anchors_checked} anchors.")
            out = [self.chain.message + held]
        else:
            out = [self.chain.message] if not self.chain.ok else [
                "Audit trail NOT intact: the rows form an unbroken chain, but the trail is not "
                "the one that was recorded. Keep this database and the anchor file as evidence."]
            out += [f"- {p}" for p in self.problems]
        if self.chain.note:
            out.append(f"Note: {self.chain.note}")
        if self.new_anchor is not None and self.anchor_file is not None:
            out.append(f"Anchored at row {self.new_anchor.last_row_id or 0} "
                       f"({self.new_anchor.row_count} rows) in {self.anchor_file}.")
        if self.anchor_note:
            out.append(f"Note: {self.anchor_note}")
        return out


def _own_file(db: Session) -> Path | None:
    """The anchor file of the database ``db`` is bound to."""
    return anchor_file_path(db.get_bind().engine.url)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _records_without_trail(db: Session) -> str | None:
    patients = db.scalar(select(func.count()).select_from(Patient)) or 0
    sessions = db.scalar(select(func.count()).select_from(TreatmentSession)) or 0
    if not patients and not sessions:
        return None
    return (f"the audit trail is empty, but the database holds {patients} patients and "
            f"{sessions} sessions, each of which wrote audit rows: the trail was emptied")


def check_anchors(db: Session, anchors: list[Anchor]) -> list[str]:
    """Every way the live trail fails to hold ``anchors``; empty when it holds them all."""
    problems: list[str] = []
    total = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    if total == 0:
        emptied = _records_without_trail(db)
        if emptied is not None:
            problems.append(emptied)
    # anchors in id order; the rows up to each are counted range by range, so ten
    # years of daily anchors cost one pass over the id index, not one per anchor
    counted, counted_to = 0, 0
    for anchor in sorted((a for a in anchors if a.last_row_id is not None),
                         key=lambda a: a.last_row_id or 0):
        last_id = anchor.last_row_id or 0
        when = _when(anchor.anchored_at_utc)
        stored = db.scalar(select(AuditEntry.row_hash).where(AuditEntry.id == last_id))
        if stored is None:
            problems.append(
                f"row {last_id}, anchored on {when} ({anchor.reason}) as the last of "
                f"{anchor.row_count} rows, is gone; the trail now has {total} rows: it was "
                "shortened or emptied")
            continue
        if stored != anchor.last_row_hash:
            problems.append(
                f"row {last_id} no longer has the hash anchored on {when} "
                f"({anchor.short_hash}...): the chain was recomputed from that row or one "
                "before it")
            continue
        if last_id > counted_to:
            counted += db.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.id > counted_to, AuditEntry.id <= last_id)) or 0
            counted_to = last_id
        if counted != anchor.row_count:
            fewer = counted < anchor.row_count
            problems.append(
                f"{counted} rows have ids up to {last_id}, but {anchor.row_count} did "
                f"when anchored on {when}: rows were "
                + ("deleted" if fewer else "inserted behind the anchor"))
    newest = max((a for a in anchors if a.last_row_id is not None),
                 key=lambda a: a.last_row_id or 0, default=None)
    if newest is not None:
        limit = newest.anchored_at_utc - BACKDATED_AFTER
        early = db.execute(
            select(AuditEntry.id, AuditEntry.occurred_at_utc)
            .where(AuditEntry.id > (newest.last_row_id or 0),
                   AuditEntry.occurred_at_utc < limit)
            .order_by(AuditEntry.id).limit(1)).first()
        if early is not None:
            problems.append(
                f"row {early.id} is dated {_when(early.occurred_at_utc)}, before the anchor "
                f"of {_when(newest.anchored_at_utc)} that ended at row {newest.last_row_id}: "
                "it was added afterwards (a forged or backdated row)")
    db.rollback()  # read-only: end the transaction (a writing session's lock with it)
    return problems


def _held_anchors(db: Session, target: Path | None) -> tuple[list[str], list[Anchor]]:
    """What is wrong with the trail against the anchors in ``target``, and those anchors."""
    problems: list[str] = []
    anchors: list[Anchor] = []
    if target is not None:
        try:
            anchors = read_anchors(target)
        except AnchorFileDamaged as exc:
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"the audit anchor file {target} cannot be read: {exc.strerror}")
    restored = [i for i, a in enumerate(anchors) if a.reason == AnchorReason.RESTORE]
    if restored:
        anchors = anchors[restored[-1]:]  # earlier ones describe the database replaced
    return check_anchors(db, anchors) + problems, anchors


@dataclass(frozen=True)
class AnchorCheck:
    """Whether the live trail still holds its anchors.

    No walk along the chain: quick enough for ``db check`` and ``db test`` on a
    trail of any length.
    """

    problems: tuple[str, ...]
    anchor_count: int

    @property
    def ok(self) -> bool:
        """Every anchor holds, and the trail was not emptied."""
        return not self.problems

    @property
    def summary(self) -> str:
        """One sentence for the check commands."""
        if self.problems:
            return "The audit trail does not hold its anchors: " + "; ".join(self.problems) + "."
        plural = "" if self.anchor_count == 1 else "s"
        return f"the audit trail holds its {self.anchor_count} anchor{plural}"


def check_own_anchors(db: Session) -> AnchorCheck:
    """The trail of the database ``db`` is bound to, against its own anchor file."""
    problems, anchors = _held_anchors(db, _own_file(db))
    return AnchorCheck(tuple(problems), len(anchors))


def verify_anchored(db: Session, *, now: datetime, path: Path | None = None,
                    reason: str = AnchorReason.VERIFY, record: bool = True) -> AnchoredReport:
    """Verify the chain and every anchor; when all hold, append a new anchor.

    ``path`` defaults to the database's own anchor file. A tampered trail is
    never anchored: the next check would otherwise take the tampering for the
    record. ``record=False`` (a database checked read-only, as evidence) only
    checks: the anchor file beside the evidence is left as it was.
    """
    chain = verify_chain(db)
    target = path if path is not None else _own_file(db)
    problems, anchors = _held_anchors(db, target)
    problems += check_references(db).lines()
    report = AnchoredReport(chain, tuple(problems), len(anchors), target)
    if not report.ok or target is None or not record:
        return report
    try:
        anchor = anchor_trail(db.connection(), target, at=now, reason=reason)
    except OSError as exc:
        db.rollback()
        return AnchoredReport(chain, (), len(anchors), target, anchor_note=(
            f"the trail holds, but no new anchor could be written to {target}: "
            f"{exc.strerror or exc}"))
    db.rollback()
    return AnchoredReport(chain, (), len(anchors), target, new_anchor=anchor)


def verify_anchored_for(db: Session, actor: Actor, *, now: datetime) -> AnchoredReport:
    """:func:`verify_anchored` for an administrator in the app (others are refused)."""
    authorize(db, actor, Permission.VIEW_AUDIT)
    return verify_anchored(db, now=now)


def anchor_now(db: Session, *, now: datetime, reason: str,
               path: Path | None = None) -> Anchor | None:
    """Append the trail's end to the anchor file without verifying (at a backup).

    Returns the anchor, or None for an in-memory database. Raises OSError when
    the file cannot be written.
    """
    target = path if path is not None else _own_file(db)
    if target is None:
        return None
    anchor = anchor_trail(db.connection(), target, at=now, reason=reason)
    db.rollback()
    return anchor


def anchor_if_due(db: Session, *, now: datetime, path: Path | None = None) -> Anchor | None:
    """The daily anchor: appended when the newest is older than a day (or there is none).

    Cheap when not due (one small file read). Never raises for a file that
    cannot be written: a missing anchor must not stop the app; ``audit verify``
    takes one anyway.
    """
    target = path if path is not None else _own_file(db)
    if target is None:
        return None
    newest = latest_anchor(target)
    if newest is not None and now - newest.anchored_at_utc < DAILY_ANCHOR_AGE:
        return None
    try:
        return anchor_now(db, now=now, reason=AnchorReason.DAILY, path=target)
    except OSError:
        return None


def start_daily_anchor(engine: Engine, *, now: datetime) -> threading.Thread | None:
    """Run :func:`anchor_if_due` off the GUI thread in a session of its own.

    Returns the thread, or None when no anchor is due (one small file read, no
    database access). Never raises: the trail is anchored again at the next
    backup or ``audit verify``.
    """
    target = anchor_file_path(engine.url)
    if target is None:
        return None
    newest = latest_anchor(target)
    if newest is not None and now - newest.anchored_at_utc < DAILY_ANCHOR_AGE:
        return None

    def work() -> None:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with make_reading_sessionmaker(engine)() as db:  # reads the trail's end only
                anchor_if_due(db, now=now, path=target)
        except SQLAlchemyError:
            pass  # the database is unreachable now; the next start or backup anchors it

    worker = threading.Thread(target=work, name="ketalog-daily-anchor", daemon=True)
    try:
        worker.start()
    except RuntimeError:
        return None
    return worker
