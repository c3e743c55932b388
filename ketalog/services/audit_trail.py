"""Reading the audit trail: verify its chain, filter, export (writing it: services.audit).

The chain (see :mod:`ketalog.services.audit`) makes every edit, deletion or
reordering of stored rows visible at the first row it touches. This module
walks it and answers the questions an auditor asks: "is the trail intact?",
"what did this user do last week?", "who touched this patient's chart?".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Result, Select, exists, func, or_, select, text
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError, ValidationError
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import GENESIS_HASH, AuditContent, chain_hash
from ketalog.services.context import Actor
from ketalog.services.errors import NotFound
from ketalog.services.settings import clinic_timezone
from ketalog.store.files import FileNotWritten, write_csv_atomically
from ketalog.store.models import AuditEntry, Patient, User

#: Rows read per round trip while walking the chain or writing a report.
FETCH_ROWS: Final = 1_000
#: Rows read per transaction by the long reads (the chain walk, a report, an export):
#: they stream, id after id, never holding a ten-year trail in memory. Called in a
#: reading session (services.database.make_reading_sessionmaker) they never make a
#: save wait; the transaction still ends between batches, so a read of minutes does
#: not pin one old snapshot: SQLite's checkpoints keep copying the saves made meanwhile
#: into the database file behind it (the write-ahead log file itself starts over only
#: once no read is running, so it grows while one does: about 95 MB a minute under
#: ten workstations saving every 150 ms, measured on the ten-year trail).
BATCH_ROWS: Final = 20_000

#: The actions services write, for filter lists (the trail may hold others).
KNOWN_ACTIONS: Final = (
    "login", "login_failed", "logout", "lock", "unlock", "account_locked",
    "account_unlocked", "view", "create", "update", "verify", "sign", "acknowledge",
    "addendum", "attest", "pdf_produced", "pdf_saved", "pdf_printed", "entered_in_error",
)


#: The joined select behind reports: the entry, the patient's MRN, family and
#: given names, the user's full name (None where the outer joins find nothing).
_Query = Select[AuditEntry, str, str, str, str]


class ExportFailed(DomainError):
    """The CSV file could not be written; nothing was left behind."""


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class ChainBreak:
    """The first row at which the stored trail stops being the one written."""

    row_id: int
    occurred_at_utc: datetime
    action: str
    problem: str

    @property
    def message(self) -> str:
        """E.g. ``row 57: its content does not match its hash (edited)``."""
        return f"row {self.row_id}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`.

    Attributes:
        ok: no row was found edited, deleted or moved.
        rows_checked: rows read (up to and including the first broken one).
        first_break: the first broken row, or None when ``ok``.
        last_row_id: the id of the last row checked (None for an empty trail).
        note: a hint that is not proof of tampering, e.g. ids handed out past the
            last row (PostgreSQL only): trailing rows deleted, or a save that was
            rolled back.
    """

    ok: bool
    rows_checked: int
    first_break: ChainBreak | None = None
    last_row_id: int | None = None
    note: str | None = None

    @property
    def message(self) -> str:
        """One line for a person: intact with the count, or the first broken row."""
        if self.first_break is None:
            return f"Audit trail intact: {self.rows_checked} rows."
        brk = self.first_break
        return (f"Audit trail BROKEN at {brk.message}. Recorded "
                f"{brk.occurred_at_utc.strftime('%Y-%m-%d %H:%M:%S')} UTC, action "
                f"'{brk.action}'. Rows before it are intact; keep this database as evidence.")


def _chain_columns() -> tuple[Any, ...]:
    return (AuditEntry.id, AuditEntry.occurred_at_utc, AuditEntry.user_id,
            AuditEntry.username, AuditEntry.workstation, AuditEntry.patient_id,
            AuditEntry.action, AuditEntry.table_name, AuditEntry.row_id, AuditEntry.field,
            AuditEntry.old_value, AuditEntry.new_value, AuditEntry.prev_hash,
            AuditEntry.row_hash)


def _batch(db: Session, after_id: int, limit: int) -> Result[Any]:
    stmt = (select(*_chain_columns()).where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id).limit(limit)
            .execution_options(yield_per=FETCH_ROWS))
    return db.execute(stmt)


def _ids_issued(db: Session) -> int | None:
    """The highest id PostgreSQL's sequence has handed out (None elsewhere)."""
    if db.get_bind().dialect.name != "postgresql":
        return None
    row = db.execute(text(
        "SELECT pg_sequence_last_value(pg_get_serial_sequence('audit_log', 'id')::regclass)"
    )).scalar()
    return int(row) if row is not None else None


def verify_chain(db: Session) -> ChainReport:
    """Walk the whole audit trail in id order and check every row's hash.

    Each row's hash is recomputed from its stored content and its stored
    ``prev_hash``; that ``prev_hash`` must equal the ``row_hash`` of the row
    before it (the genesis hash for the first). An edited field fails the first
    check; a deleted row, or rows swapped or reordered, fail the second at the
    first row out of place.

    What a chain cannot show: deleting the *last* rows (the trail simply looks
    shorter) or replacing the whole trail with a freshly computed one; the
    anchors outside the database catch those (see
    :mod:`ketalog.services.audit_anchors`, which ``audit verify`` runs). On
    PostgreSQL, ids handed out beyond the last row are reported in ``note`` as
    a hint (a rolled-back save leaves the same trace), never as a break.

    The walk streams (``yield_per``) in batches of :data:`BATCH_ROWS`, ending the
    session's read transaction between batches; call it in a session of its own,
    a reading one (``make_reading_sessionmaker``) so that no save waits for it.
    """
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    checked = 0
    while True:
        seen = 0
        result = _batch(db, previous_id or 0, BATCH_ROWS)
        for row in result:
            seen += 1
            checked += 1
            content = AuditContent(
                occurred_at_utc=row.occurred_at_utc, user_id=row.user_id,
                username=row.username, workstation=row.workstation,
                patient_id=row.patient_id, action=row.action, table_name=row.table_name,
                row_id=row.row_id, field=row.field, old_value=row.old_value,
                new_value=row.new_value,
            )
            problem: str | None = None
            if chain_hash(row.prev_hash, content) != row.row_hash:
                problem = "its content does not match its hash (edited)"
            elif row.prev_hash != expected_prev:
                problem = (f"it does not follow row {previous_id} (a row before it was "
                           "deleted, or rows were reordered)" if previous_id is not None
                           else "it is not the first row of the trail (earlier rows were "
                           "deleted, or rows were reordered)")
            if problem is not None:
                result.close()
                db.rollback()
                return ChainReport(
                    ok=False, rows_checked=checked, last_row_id=row.id,
                    first_break=ChainBreak(row.id, row.occurred_at_utc, row.action, problem),
                )
            expected_prev = row.row_hash
            previous_id = row.id
        db.rollback()  # read-only: end the transaction (see BATCH_ROWS)
        if seen < BATCH_ROWS:
            break
    note = None
    issued = _ids_issued(db)
    db.rollback()
    if issued is not None and issued > (previous_id or 0):
        note = (f"Ids up to {issued} were handed out but the last row is "
                f"{previous_id or 'none'}: either the newest rows were deleted or a save "
                "was rolled back. A hash chain cannot tell these apart.")
    return ChainReport(ok=True, rows_checked=checked, last_row_id=previous_id, note=note)


def verify_chain_for(db: Session, actor: Actor) -> ChainReport:
    """:func:`verify_chain` for an administrator in the app (others are refused)."""
    authorize(db, actor, Permission.VIEW_AUDIT)
    return verify_chain(db)


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class AuditRow:
    """One audit row as read for a person: names and MRN beside the ids."""

    id: int
    occurred_at_utc: datetime
    username: str
    user_full_name: str | None
    workstation: str
    patient_id: int | None
    patient_mrn: str | None
    patient_name: str | None
    action: str
    table_name: str | None
    row_id: int | None
    field: str | None
    old_value: str | None
    new_value: str | None

    @property
    def target(self) -> str:
        """``table/row/field`` as far as known, e.g. ``vital_signs/12/systolic_mmhg``."""
        parts = [self.table_name or "", "" if self.row_id is None else str(self.row_id),
                 self.field or ""]
        return "/".join(parts).strip("/")

    @property
    def change(self) -> str:
        """``old -> new`` for updates, the new value alone for creations, else empty."""
        if self.old_value is None and self.new_value is None:
            return ""
        if self.old_value is None:
            return self.new_value or ""
        return f"{self.old_value} -> {'' if self.new_value is None else self.new_value}"


@dataclass(frozen=True)
class AuditFilters:
    """What to show; every filter is optional (days are clinic-local, inclusive)."""

    date_from: date | None = None
    date_to: date | None = None
    username: str | None = None
    patient_mrn: str | None = None
    action: str | None = None


class AuditSortKey(StrEnum):
    """Columns the audit list can be sorted by (in the query, with id breaking ties)."""

    TIME = "time"
    USER = "user"
    WORKSTATION = "workstation"
    PATIENT = "patient"
    ACTION = "action"
    TARGET = "target"


@dataclass(frozen=True)
class AuditSort:
    """A sort order for :func:`audit_entries`."""

    key: AuditSortKey = AuditSortKey.TIME
    descending: bool = True


def day_bounds_utc(date_from: date, date_to: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering clinic-local days ``date_from``..``date_to``."""
    start = datetime.combine(date_from, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _base_query(db: Session, filters: AuditFilters, tz: ZoneInfo) -> _Query:
    """The joined, filtered select; refuses unknown users/MRNs and reversed dates."""
    stmt = (
        select(AuditEntry, Patient.mrn, Patient.family_name, Patient.given_name,
               User.full_name)
        .outerjoin(Patient, Patient.id == AuditEntry.patient_id)
        .outerjoin(User, User.id == AuditEntry.user_id)
    )
    if filters.date_from is not None and filters.date_to is not None \
            and filters.date_from > filters.date_to:
        raise ValidationError.single(
            "date_to", f"The period ends ({filters.date_to.isoformat()}) before it starts "
            f"({filters.date_from.isoformat()}); swap the dates.")
    if filters.date_from is not None:
        stmt = stmt.where(AuditEntry.occurred_at_utc
                          >= day_bounds_utc(filters.date_from, filters.date_from, tz)[0])
    if filters.date_to is not None:
        stmt = stmt.where(AuditEntry.occurred_at_utc
                          < day_bounds_utc(filters.date_to, filters.date_to, tz)[1])
    username = (filters.username or "").strip()
    if username:
        known = db.scalar(select(or_(
            exists().where(User.username == username),
            exists().where(AuditEntry.username == username),
        )))
        if not known:
            raise NotFound(f"There is no user '{username}'; check the spelling (give the "
                           "log-in name, not the full name).")
        stmt = stmt.where(AuditEntry.username == username)
    mrn = (filters.patient_mrn or "").strip()
    if mrn:
        patient_id = db.scalar(select(Patient.id).where(Patient.mrn == mrn))
        if patient_id is None:
            raise NotFound(f"No patient has the MRN '{mrn}'; check the number on the chart.")
        stmt = stmt.where(AuditEntry.patient_id == patient_id)
    action = (filters.action or "").strip()
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return stmt


def _row(entry: AuditEntry, mrn: str | None, family: str | None, given: str | None,
         full_name: str | None) -> AuditRow:
    return AuditRow(
        id=entry.id, occurred_at_utc=entry.occurred_at_utc, username=entry.username,
        user_full_name=full_name, workstation=entry.workstation,
        patient_id=entry.patient_id, patient_mrn=mrn,
        patient_name=None if family is None else f"{family}, {given}",
        action=entry.action, table_name=entry.table_name, row_id=entry.row_id,
        field=entry.field, old_value=entry.old_value, new_value=entry.new_value,
    )


def _rows(db: Session, stmt: _Query) -> list[AuditRow]:
    return [_row(*r) for r in db.execute(stmt.execution_options(yield_per=FETCH_ROWS))]


def _stream_by_id(db: Session, stmt: _Query) -> Iterator[AuditRow]:
    """The rows of ``stmt`` in id order, :data:`BATCH_ROWS` per read transaction."""
    after = 0
    while True:
        seen = 0
        batch = (stmt.where(AuditEntry.id > after).order_by(AuditEntry.id).limit(BATCH_ROWS)
                 .execution_options(yield_per=FETCH_ROWS))
        for found in db.execute(batch):
            seen += 1
            row = _row(*found)
            after = row.id
            yield row
        db.rollback()  # read-only: end the transaction (see BATCH_ROWS)
        if seen < BATCH_ROWS:
            return


def audit_report_rows(
    db: Session,
    *,
    date_from: date,
    date_to: date,
    username: str | None = None,
    patient_mrn: str | None = None,
    tz: ZoneInfo,
) -> Iterator[AuditRow]:
    """Every audit row of clinic-local days ``date_from``..``date_to``, streamed.

    Rows come in the order they were recorded (id order), so an entry written
    with an earlier time than its neighbours stands out where it was written.
    The filters are checked at once; the rows are then read :data:`BATCH_ROWS`
    at a time as they are consumed (a report over ten years never sits in
    memory), the read transaction ending between batches. Consume them in a
    reading session (``make_reading_sessionmaker``) so that no save waits.

    Raises:
        ValidationError: the period ends before it starts.
        NotFound: no user by that name, or no patient with that MRN.
    """
    filters = AuditFilters(date_from=date_from, date_to=date_to, username=username,
                           patient_mrn=patient_mrn)
    return _stream_by_id(db, _base_query(db, filters, tz))


def audit_report(
    db: Session,
    *,
    date_from: date,
    date_to: date,
    username: str | None = None,
    patient_mrn: str | None = None,
    tz: ZoneInfo,
) -> list[AuditRow]:
    """:func:`audit_report_rows` as a list, for a period small enough to show."""
    return list(audit_report_rows(db, date_from=date_from, date_to=date_to, username=username,
                                  patient_mrn=patient_mrn, tz=tz))


def _order(sort: AuditSort) -> list[Any]:
    columns: dict[AuditSortKey, list[Any]] = {
        AuditSortKey.TIME: [AuditEntry.occurred_at_utc],
        AuditSortKey.USER: [AuditEntry.username],
        AuditSortKey.WORKSTATION: [AuditEntry.workstation],
        AuditSortKey.PATIENT: [func.coalesce(Patient.mrn, "")],
        AuditSortKey.ACTION: [AuditEntry.action],
        AuditSortKey.TARGET: [func.coalesce(AuditEntry.table_name, ""),
                              func.coalesce(AuditEntry.row_id, 0),
                              func.coalesce(AuditEntry.field, "")],
    }
    order = [*columns[sort.key], AuditEntry.id]
    return [c.desc() for c in order] if sort.descending else [c.asc() for c in order]


def audit_entries(
    db: Session,
    actor: Actor,
    filters: AuditFilters,
    *,
    sort: AuditSort = AuditSort(),  # frozen, so a shared default is safe
    limit: int = 1_000,
) -> list[AuditRow]:
    """The audit list for the administrator's screen: filtered, sorted, at most ``limit``.

    Raises:
        PermissionDenied: the actor is not an active administrator.
        ValidationError, NotFound: as for :func:`audit_report`.
    """
    authorize(db, actor, Permission.VIEW_AUDIT)
    if limit < 1:
        raise ValidationError.single("limit", "Show at least one row.")
    stmt = _base_query(db, filters, clinic_timezone(db)).order_by(*_order(sort)).limit(limit)
    return _rows(db, stmt)


def known_usernames(db: Session, actor: Actor) -> list[str]:
    """User names for the filter list: every account, sorted (administrators only)."""
    authorize(db, actor, Permission.VIEW_AUDIT)
    return list(db.scalars(select(User.username).order_by(User.username)))


# --------------------------------------------------------------------------- CSV

CSV_HEADER: Final = (
    "id", "occurred_at_utc", "occurred_at_local", "username", "user_full_name",
    "workstation", "patient_mrn", "patient_name", "action", "table_name", "row_id",
    "field", "old_value", "new_value",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text for one CSV cell; text a spreadsheet would run as a formula is quoted.

    Free text (a note, a name) starting with ``=`` or ``@`` would be executed by
    Excel or LibreOffice on opening; a leading apostrophe makes it plain text.
    Numbers such as ``-0.5`` are left alone.
    """
    if value is None:
        return ""
    text_value = str(value)
    if text_value.startswith(_FORMULA_START):
        try:
            float(text_value)
        except ValueError:
            return "'" + text_value
    return text_value


def csv_records(rows: Iterable[AuditRow], tz: ZoneInfo | None = None) -> Iterator[list[str]]:
    """The CSV lines (header first) for ``rows``."""
    yield list(CSV_HEADER)
    for r in rows:
        local = r.occurred_at_utc.astimezone(tz).isoformat() if tz is not None else ""
        yield [_cell(v) for v in (
            r.id, r.occurred_at_utc.isoformat(), local, r.username, r.user_full_name,
            r.workstation, r.patient_mrn, r.patient_name, r.action, r.table_name, r.row_id,
            r.field, r.old_value, r.new_value,
        )]


@dataclass(frozen=True)
class WrittenCsv:
    """Where an export went, and how many audit rows it holds."""

    path: Path
    rows: int


def write_audit_csv(rows: Iterable[AuditRow], path: Path | str, *,
                    tz: ZoneInfo | None = None) -> WrittenCsv:
    """Write ``rows`` as CSV (UTF-8 with BOM, for spreadsheets) completely or not at all.

    ``rows`` may be a stream (:func:`audit_report_rows`): each row is written as
    it is read. Written to a temporary file in the same folder, flushed to disk,
    then renamed over ``path``; a failure (of the disk or of the read) removes
    the temporary file.

    Raises:
        ExportFailed: the folder is missing or not writable, the path is a
            folder, or the disk is full.
    """
    count = 0

    def counted() -> Iterator[AuditRow]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    try:
        target = write_csv_atomically(path, csv_records(counted(), tz))
    except FileNotWritten as exc:
        raise ExportFailed(str(exc)) from exc
    return WrittenCsv(target, count)
