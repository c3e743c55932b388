"""The database guards in one place: what must exist, whether it does, and its repair.

"Signed means immutable" holds against raw SQL only while the guard triggers
are there and switched on. Anyone who can write the database can drop or
disable them, so they are checked at start-up, by ``ketalog db check`` and
``ketalog db test``, and restored by ``ketalog db repair-guards``.

This module is the registry: the guards are declared as data (which tables,
which kind of guard) and their SQL is generated from it, so the checker, the
repair and migration 0007 agree, and a new guarded table is one line here.
Migrations 0003 and 0006 wrote their triggers with the same text; a test keeps
a freshly migrated database free of problems on both SQLite and PostgreSQL.

A guard is only required when its table is one of the ORM's tables, so a
branch whose models lack a table (say, before its migration is merged) does
not require that table's guards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Engine, inspect, text

from ketalog.store.engine import reading_engine
from ketalog.store.errors import DatabaseConfigError

SIGNED_MESSAGE = ("ketalog: this session is signed and cannot be changed; "
                  "write an addendum instead")
APPEND_ONLY_MESSAGE = "ketalog: rows of this table are never changed or deleted"

#: Rows only ever inserted: a replacement is a new row (the clinic's certificates, 0011).
INSERT_ONLY: tuple[str, ...] = ("clinic_certificates",)
#: Tables whose rows belong to one session (column naming it): nothing changes once signed.
SESSION_ROWS: dict[str, str] = {
    "dose_orders": "session_id",
    "infusion_events": "session_id",
    "vital_signs": "session_id",
    "scale_scores": "session_id",
    "event_flags": "session_id",
    "interventions": "session_id",
    "adverse_events": "session_id",
    "notes": "session_id",
}
#: The controlled-substance books (0018): what came in, each container, recalls and the
#: ledger; a mistake is a reversing entry. ``stock_locations`` and ``stock_products`` are
#: deliberately unguarded: the clinic's set-up, whose ``active`` flag and address change
#: through audited service edits (their rows are versioned).
STOCK_BOOKS: tuple[str, ...] = ("stock_receipts", "stock_containers", "stock_lot_recalls",
                                "stock_entries")
#: The records of counts, inventories, destruction witnesses and losses (0019): each signed
#: by its people's keys, only ever inserted; a discrepancy is closed by a resolution row.
STOCK_RECORDS: tuple[str, ...] = ("stock_entry_witnesses", "stock_counts", "stock_count_lines",
                                  "stock_discrepancies", "stock_discrepancy_resolutions",
                                  "stock_inventories", "stock_inventory_lines", "stock_losses",
                                  "stock_loss_lines")
#: Rows never changed or deleted by anyone (the record of what was done and said).
APPEND_ONLY: tuple[str, ...] = ("audit_log", "signatures", "addenda", *STOCK_BOOKS,
                                *STOCK_RECORDS)
#: Session records written once: no insert after signing, never changed or deleted (0006).
SESSION_RECORDS: tuple[str, ...] = ("scale_alerts", "alert_acknowledgments")
#: Tables with a session_id that are deliberately not locked by the signature, and why.
UNLOCKED_SESSION_TABLES: dict[str, str] = {
    "session_presence": "who has the session open now: housekeeping, not the record",
    "rems_filings": "the REMS form is filed up to 7 days after the session, once signed",
    "physician_orders": "a verbal order is co-signed by the physician after the session, "
                        "even once it is signed; its own guard keeps it write-once but for that",
    "stock_entries": "the stock ledger is corrected by a reversing entry even after the "
                     "session is signed; its own guard keeps every row unchanged",
}
#: Tables emptied by routine housekeeping; every other table refuses TRUNCATE (PostgreSQL).
TRUNCATE_ALLOWED: frozenset[str] = frozenset({"session_presence", "client_writes",
                                              "alembic_version"})

#: Written once by a migration (0009, 0013, 0014) and never again: no insert, update or delete.
WRITE_ONCE: tuple[str, ...] = ("legacy_signatures", "audit_reference_starts",
                               "legacy_keyless_rows")
#: Signing keys: never deleted; only retired once and re-encrypted on a password change (0009).
KEYS_TABLE = "user_keys"
KEY_MESSAGE = "ketalog: a signing key is never deleted and its public half never changes"

#: Write-once rows that still receive their audit reference once, empty -> value (0013):
#: every other column, listed so the SQLite guard can see that nothing else changes
#: (a test keeps each list equal to its model's columns).
REFERENCE_ONCE: dict[str, tuple[str, ...]] = {
    "signatures": ("id", "session_id", "signer_id", "kind", "meaning", "signed_at_utc",
                   "content_sha256", "signer_name", "content_json", "key_id", "signature",
                   "created_at_utc"),
    "addenda": ("id", "session_id", "author_id", "written_at_utc", "reason", "text",
                "created_at_utc", "author_name", "key_id", "signature"),
    "scale_alerts": ("id", "session_id", "scale_score_id", "code", "message",
                     "raised_at_utc", "created_at_utc"),
    "alert_acknowledgments": ("id", "session_id", "source_table", "source_id", "code",
                              "acknowledged_by_id", "acknowledged_at_utc", "comment",
                              "created_at_utc", "key_id", "signature"),
    # the controlled-substance books (0018)
    "stock_receipts": ("id", "location_id", "received_on", "supplier_name", "supplier_address",
                       "supplier_dea_number", "order_reference", "received_by_id",
                       "recorded_at_utc", "created_at_utc"),
    "stock_containers": ("id", "product_id", "receipt_id", "lot_number", "expiry_date",
                         "serial", "created_at_utc"),
    "stock_lot_recalls": ("id", "product_id", "lot_number", "reason", "recorded_by_id",
                          "recorded_at_utc", "created_at_utc"),
    "stock_entries": ("id", "container_id", "location_id", "kind", "volume_ml", "session_id",
                      "draw_id", "reverses_id", "counterpart_id", "reason", "waste_manner",
                      "recorded_by_id", "witness_id", "witness_name", "witness_key_id",
                      "witness_signature", "recorded_at_utc", "created_at_utc"),
    # counts, inventories, destruction witnesses and losses (0019)
    "stock_entry_witnesses": ("id", "entry_id", "position", "witness_id", "witness_name",
                              "key_id", "signature", "signed_at_utc", "created_at_utc"),
    "stock_counts": ("id", "location_id", "occasion", "counted_at_utc", "counted_by_id",
                     "counted_by_name", "key_id", "signature", "second_counter_id",
                     "second_counter_name", "second_counter_key_id",
                     "second_counter_signature", "note", "lines_sha256", "created_at_utc"),
    "stock_count_lines": ("id", "count_id", "container_id", "expected_ml", "found_ml",
                          "created_at_utc"),
    "stock_discrepancies": ("id", "count_line_id", "location_id", "container_id",
                            "expected_ml", "found_ml", "opened_at_utc", "created_at_utc"),
    "stock_discrepancy_resolutions": ("id", "discrepancy_id", "explanation", "resolved_by_id",
                                      "resolved_by_name", "key_id", "signature",
                                      "resolved_at_utc", "lost_entry_id", "loss_id",
                                      "created_at_utc"),
    "stock_inventories": ("id", "location_id", "kind", "taken_on", "business_time",
                          "taken_by_id", "taken_by_name", "key_id", "signature",
                          "lines_sha256", "recorded_at_utc", "created_at_utc"),
    "stock_inventory_lines": ("id", "inventory_id", "container_id", "sealed", "count_of_sealed",
                              "measured_volume_ml", "created_at_utc"),
    "stock_losses": ("id", "location_id", "discovered_on", "kind", "circumstances",
                     "police_notified", "police_reference", "reported_to_dea_on",
                     "recorded_by_id", "recorded_by_name", "key_id", "signature",
                     "recorded_at_utc", "created_at_utc"),
    "stock_loss_lines": ("id", "loss_id", "entry_id", "created_at_utc"),
}
#: From which id on each table's rows must carry an audit reference: written once by 0013.
REFERENCE_STARTS = "audit_reference_starts"

#: Physicians' orders (0016): written once, never deleted. Besides the audit reference
#: the one change allowed is a verbal order's co-signature, empty -> value, once.
ORDERS_TABLE = "physician_orders"
#: The columns the co-signature fills.
COSIGN_COLUMNS: tuple[str, ...] = ("cosigned_at_utc", "key_id", "signature")
#: Every other column of the orders table, listed so the SQLite guard can see that
#: nothing else changes (a test keeps the list equal to the model's columns).
ORDER_FIXED: tuple[str, ...] = (
    "id", "course_id", "patient_id", "session_id", "kind", "protocol_id", "protocol_code",
    "dosing_mode", "dose_mg_per_kg", "rate_mg_per_kg_per_h", "device_count", "duration_min",
    "weight_basis", "titration_ceiling", "physician_id", "physician_name", "ordered_at_utc",
    "received_by_id", "received_by_name", "read_back", "supersedes_id", "created_at_utc",
)

SIGNED_FUNCTION = "ketalog_guard_signed"
REFUSE_FUNCTION = "ketalog_refuse_change"
KEY_FUNCTION = "ketalog_guard_user_keys"
REFERENCE_FUNCTION = "ketalog_guard_reference_once"
COSIGN_FUNCTION = "ketalog_guard_order_once"

#: This connection's schema (tests give each database its own schema).
_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
# PostgreSQL pg_trigger.tgtype bits
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE = 1, 2, 4, 8, 16, 32

_SIGNED_BODY = f"""
DECLARE
    col text := TG_ARGV[0];
    ids bigint[] := '{{}}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        ids := ids || (to_jsonb(OLD) ->> col)::bigint;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        ids := ids || (to_jsonb(NEW) ->> col)::bigint;
    END IF;
    IF TG_TABLE_NAME = 'dose_verifications' THEN
        ids := ARRAY(SELECT o.session_id FROM dose_orders o WHERE o.id = ANY(ids));
    END IF;
    IF EXISTS (SELECT 1 FROM signatures s WHERE s.session_id = ANY(ids)
               AND s.kind = 'physician_signature') THEN
        RAISE EXCEPTION '{SIGNED_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END """
_REFUSE_BODY = f"""
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END """
#: What a key row may never change: who it is, its public half, when and how it was issued.
_KEY_FIXED = ("id", "user_id", "public_key", "created_at_utc", "issued_after_admin_reset")
_KEY_BODY = f"""
BEGIN
    IF TG_OP = 'DELETE' OR {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _KEY_FIXED)}
       OR (OLD.retired_at_utc IS NOT NULL
           AND NEW.retired_at_utc IS DISTINCT FROM OLD.retired_at_utc) THEN
        RAISE EXCEPTION '{KEY_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END """
#: The one change a write-once row takes: its empty audit reference set (0013).
_REFERENCE_ONCE = """
    IF TG_OP = 'UPDATE' AND OLD.audit_id IS NULL AND OLD.audit_sha256 IS NULL
       AND NEW.audit_id IS NOT NULL AND NEW.audit_sha256 IS NOT NULL
       AND to_jsonb(NEW) - 'audit_id' - 'audit_sha256'
           = to_jsonb(OLD) - 'audit_id' - 'audit_sha256' THEN
        RETURN NEW;
    END IF;"""
#: Refuses every change except setting the audit reference of a row that has none (0013).
_REFERENCE_BODY = f"""
BEGIN{_REFERENCE_ONCE}
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END """
_WITHOUT_COSIGN = " - ".join(f"'{c}'" for c in COSIGN_COLUMNS)
#: Refuses every change of an order except its audit reference, once, and a verbal
#: order's co-signature, once (0016).
_COSIGN_BODY = f"""
BEGIN{_REFERENCE_ONCE}
    IF TG_OP = 'UPDATE' AND OLD.kind = 'verbal'
       AND {" AND ".join(f"OLD.{c} IS NULL AND NEW.{c} IS NOT NULL" for c in COSIGN_COLUMNS)}
       AND to_jsonb(NEW) - {_WITHOUT_COSIGN} = to_jsonb(OLD) - {_WITHOUT_COSIGN} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END """
#: PostgreSQL guard functions and their bodies (0003; the key guard 0009; references 0013;
#: orders 0016).
FUNCTIONS: dict[str, str] = {SIGNED_FUNCTION: _SIGNED_BODY, REFUSE_FUNCTION: _REFUSE_BODY,
                             KEY_FUNCTION: _KEY_BODY, REFERENCE_FUNCTION: _REFERENCE_BODY,
                             COSIGN_FUNCTION: _COSIGN_BODY}


def function_sql(name: str) -> str:
    """The CREATE OR REPLACE statement of one PostgreSQL guard function."""
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger\n"
            f"LANGUAGE plpgsql AS $${FUNCTIONS[name]}$$")


@dataclass(frozen=True)
class Guard:
    """One guard trigger: its name, table and the statement that creates it.

    ``tgtype``, ``function`` and ``argument`` describe a PostgreSQL trigger as
    ``pg_trigger`` stores it, so a trigger replaced by a harmless one of the
    same name is caught; SQLite triggers are compared by their SQL text.
    """

    name: str
    table: str
    create_sql: str
    tgtype: int = 0
    function: str = ""
    argument: str | None = None


def _signed(expr: str) -> str:
    return ("EXISTS (SELECT 1 FROM signatures s WHERE s.session_id = "
            f"{expr} AND s.kind = 'physician_signature')")


def _reference_only(table: str, columns: frozenset[str] | None = None) -> str:
    """SQLite: this UPDATE only sets the audit reference of a row that had none.

    ``columns``: the table's columns in the database, when a migration puts the
    guard back at a revision that lacks some listed here (SQLite refuses every
    UPDATE of a table whose trigger names a column it does not have).
    """
    fixed = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in REFERENCE_ONCE[table]
                         if columns is None or c in columns)
    return ("OLD.audit_id IS NULL AND OLD.audit_sha256 IS NULL AND NEW.audit_id IS NOT NULL "
            f"AND NEW.audit_sha256 IS NOT NULL AND {fixed}")


def _cosign_only() -> str:
    """SQLite: this UPDATE only sets a verbal order's audit reference or co-signature, once."""
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in ORDER_FIXED)
    reference = ("OLD.audit_id IS NULL AND OLD.audit_sha256 IS NULL AND NEW.audit_id IS NOT "
                 "NULL AND NEW.audit_sha256 IS NOT NULL AND "
                 + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in COSIGN_COLUMNS))
    cosign = ("OLD.kind = 'verbal' AND "
              + " AND ".join(f"OLD.{c} IS NULL AND NEW.{c} IS NOT NULL" for c in COSIGN_COLUMNS)
              + " AND NEW.audit_id IS OLD.audit_id AND NEW.audit_sha256 IS OLD.audit_sha256")
    return f"{same} AND (({reference}) OR ({cosign}))"


def _sqlite_guards(referenced: frozenset[str],
                   columns: dict[str, frozenset[str]] | None = None) -> list[Guard]:
    def _no_update_when(table: str) -> str:
        if table not in referenced:
            return ""
        return f"WHEN NOT ({_reference_only(table, (columns or {}).get(table))}) "

    raise_signed = f"BEGIN SELECT RAISE(ABORT, '{SIGNED_MESSAGE}'); END"
    raise_append = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    guards: list[Guard] = []

    def add(name: str, table: str, sql: str) -> None:
        guards.append(Guard(name, table, sql))

    for table, column in SESSION_ROWS.items():
        add(f"ketalog_guard_{table}_insert", table,
            f"CREATE TRIGGER ketalog_guard_{table}_insert BEFORE INSERT ON {table} "
            f"WHEN {_signed('NEW.' + column)} {raise_signed}")
        add(f"ketalog_guard_{table}_update", table,
            f"CREATE TRIGGER ketalog_guard_{table}_update BEFORE UPDATE ON {table} "
            f"WHEN {_signed('OLD.' + column)} OR {_signed('NEW.' + column)} {raise_signed}")
        add(f"ketalog_guard_{table}_delete", table,
            f"CREATE TRIGGER ketalog_guard_{table}_delete BEFORE DELETE ON {table} "
            f"WHEN {_signed('OLD.' + column)} {raise_signed}")
    order_session = "(SELECT o.session_id FROM dose_orders o WHERE o.id = {}.dose_order_id)"
    for event, row in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")):
        add(f"ketalog_guard_dose_verifications_{event}", "dose_verifications",
            f"CREATE TRIGGER ketalog_guard_dose_verifications_{event} BEFORE {event.upper()} ON "
            f"dose_verifications WHEN {_signed(order_session.format(row))} {raise_signed}")
    for event in ("update", "delete"):
        add(f"ketalog_guard_treatment_sessions_{event}", "treatment_sessions",
            f"CREATE TRIGGER ketalog_guard_treatment_sessions_{event} BEFORE {event.upper()} ON "
            f"treatment_sessions WHEN {_signed('OLD.id')} {raise_signed}")
    add("ketalog_guard_signatures_insert", "signatures",
        "CREATE TRIGGER ketalog_guard_signatures_insert BEFORE INSERT ON signatures "
        f"WHEN {_signed('NEW.session_id')} {raise_signed}")
    for table in (*APPEND_ONLY, *INSERT_ONLY):
        for event in ("update", "delete"):
            when = _no_update_when(table) if event == "update" else ""
            add(f"ketalog_guard_{table}_no_{event}", table,
                f"CREATE TRIGGER ketalog_guard_{table}_no_{event} BEFORE {event.upper()} ON "
                f"{table} {when}{raise_append}")
    for table in SESSION_RECORDS:
        add(f"ketalog_guard_{table}_insert", table,
            f"CREATE TRIGGER ketalog_guard_{table}_insert BEFORE INSERT ON {table} "
            f"WHEN {_signed('NEW.session_id')} {raise_signed}")
        for event in ("update", "delete"):
            when = _no_update_when(table) if event == "update" else ""
            add(f"ketalog_guard_{table}_no_{event}", table,
                f"CREATE TRIGGER ketalog_guard_{table}_no_{event} BEFORE {event.upper()} ON "
                f"{table} {when}{raise_append}")
    for table in WRITE_ONCE:
        for event in ("insert", "update", "delete"):
            add(f"ketalog_guard_{table}_no_{event}", table,
                f"CREATE TRIGGER ketalog_guard_{table}_no_{event} BEFORE {event.upper()} ON "
                f"{table} {raise_append}")
    add(f"ketalog_guard_{ORDERS_TABLE}_no_update", ORDERS_TABLE,
        f"CREATE TRIGGER ketalog_guard_{ORDERS_TABLE}_no_update BEFORE UPDATE ON "
        f"{ORDERS_TABLE} WHEN NOT ({_cosign_only()}) {raise_append}")
    add(f"ketalog_guard_{ORDERS_TABLE}_no_delete", ORDERS_TABLE,
        f"CREATE TRIGGER ketalog_guard_{ORDERS_TABLE}_no_delete BEFORE DELETE ON "
        f"{ORDERS_TABLE} {raise_append}")
    key_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _KEY_FIXED)
    raise_key = f"BEGIN SELECT RAISE(ABORT, '{KEY_MESSAGE}'); END"
    add(f"ketalog_guard_{KEYS_TABLE}_update", KEYS_TABLE,
        f"CREATE TRIGGER ketalog_guard_{KEYS_TABLE}_update BEFORE UPDATE ON {KEYS_TABLE} "
        f"WHEN {key_changed} OR (OLD.retired_at_utc IS NOT NULL "
        f"AND NEW.retired_at_utc IS NOT OLD.retired_at_utc) {raise_key}")
    add(f"ketalog_guard_{KEYS_TABLE}_no_delete", KEYS_TABLE,
        f"CREATE TRIGGER ketalog_guard_{KEYS_TABLE}_no_delete BEFORE DELETE ON {KEYS_TABLE} "
        f"{raise_key}")
    return guards


def _pg_trigger(name: str, table: str, events: int, function: str,
                argument: str | None, *, row: bool = True) -> Guard:
    words = [w for bit, w in ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE"),
                              (_TRUNCATE, "TRUNCATE")) if events & bit]
    call = f"{function}('{argument}')" if argument is not None else f"{function}()"
    level = "ROW" if row else "STATEMENT"
    sql = (f"CREATE TRIGGER {name} BEFORE {' OR '.join(words)} ON {table} "
           f"FOR EACH {level} EXECUTE FUNCTION {call}")
    return Guard(name, table, sql, tgtype=events | _BEFORE | (_ROW if row else 0),
                 function=function, argument=argument)


def _postgresql_guards(tables: frozenset[str], referenced: frozenset[str]) -> list[Guard]:
    guards: list[Guard] = []
    for table, column in (*SESSION_ROWS.items(), ("dose_verifications", "dose_order_id")):
        guards.append(_pg_trigger(f"ketalog_guard_{table}", table,
                                  _INSERT | _UPDATE | _DELETE, SIGNED_FUNCTION, column))
    guards += [
        _pg_trigger("ketalog_guard_treatment_sessions", "treatment_sessions",
                    _UPDATE | _DELETE, SIGNED_FUNCTION, "id"),
        _pg_trigger("ketalog_guard_signatures_insert", "signatures", _INSERT,
                    SIGNED_FUNCTION, "session_id"),
    ]
    for table in (*APPEND_ONLY, *SESSION_RECORDS, *INSERT_ONLY):
        if table in SESSION_RECORDS:
            guards.append(_pg_trigger(f"ketalog_guard_{table}", table, _INSERT,
                                      SIGNED_FUNCTION, "session_id"))
        function = REFERENCE_FUNCTION if table in referenced else REFUSE_FUNCTION
        guards.append(_pg_trigger(f"ketalog_guard_{table}_append_only", table,
                                  _UPDATE | _DELETE, function, None))
    for table in WRITE_ONCE:
        guards.append(_pg_trigger(f"ketalog_guard_{table}_write_once", table,
                                  _INSERT | _UPDATE | _DELETE, REFUSE_FUNCTION, None))
    guards.append(_pg_trigger(f"ketalog_guard_{KEYS_TABLE}", KEYS_TABLE, _UPDATE | _DELETE,
                              KEY_FUNCTION, None))
    guards.append(_pg_trigger(f"ketalog_guard_{ORDERS_TABLE}_write_once", ORDERS_TABLE,
                              _UPDATE | _DELETE, COSIGN_FUNCTION, None))
    for table in sorted(tables - TRUNCATE_ALLOWED):
        guards.append(_pg_trigger(f"ketalog_guard_{table}_no_truncate", table, _TRUNCATE,
                                  REFUSE_FUNCTION, None, row=False))
    return guards


def model_tables() -> frozenset[str]:
    """The tables of this version's ORM models: the guards of other tables are not required."""
    # start-up: the ORM models cost about 2 s here (vs 1.7 s for all of guards); the
    # connection test and the CLI check guards without them
    from ketalog.store.models import Base

    return frozenset(Base.metadata.tables)


def expected_guards(dialect: str, tables: frozenset[str] | None = None,
                    referenced: frozenset[str] | None = None,
                    columns: dict[str, frozenset[str]] | None = None) -> list[Guard]:
    """Every guard trigger a database of ``dialect`` must have, for ``tables``.

    ``referenced``: the write-once tables that already hold audit references
    (0013); by default all of them. Migrations below 0013 pass the few that do,
    so a guard they put back never names a column the table does not have yet;
    ``columns`` (the columns of those tables in the database) does the same for
    columns added after 0013 (0014's keys).
    """
    present = model_tables() if tables is None else tables
    held = frozenset(REFERENCE_ONCE) if referenced is None else referenced
    every = (_postgresql_guards(present, held) if dialect == "postgresql"
             else _sqlite_guards(held, columns))
    return [g for g in every if g.table in present]


class ProblemKind(StrEnum):
    """What is wrong with one guard."""

    MISSING = "missing"
    DISABLED = "disabled"
    ALTERED = "altered"


@dataclass(frozen=True)
class GuardProblem:
    """One guard (trigger or PostgreSQL function) that does not protect as it should."""

    name: str
    table: str | None  # None for a PostgreSQL function
    kind: ProblemKind

    def describe(self) -> str:
        """One phrase naming the guard and what is wrong with it."""
        what = (f"guard trigger {self.name} on {self.table}" if self.table
                else f"guard function {self.name}()")
        return f"{what} is {self.kind.value}"


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def check_guards(conn: Connection) -> list[GuardProblem]:
    """Every guard that is missing, disabled or altered; empty when all protect."""
    if conn.dialect.name == "postgresql":
        return _check_postgresql(conn)
    found = {str(name): str(sql) for name, sql in conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()}
    problems = []
    for guard in expected_guards("sqlite"):
        sql = found.get(guard.name)
        if sql is None:
            problems.append(GuardProblem(guard.name, guard.table, ProblemKind.MISSING))
        elif _normal(sql) != _normal(guard.create_sql):
            problems.append(GuardProblem(guard.name, guard.table, ProblemKind.ALTERED))
    return problems


def _check_postgresql(conn: Connection) -> list[GuardProblem]:
    problems: list[GuardProblem] = []
    bodies = {str(n): str(b) for n, b in conn.execute(text(
        "SELECT p.proname, p.prosrc FROM pg_proc p "
        f"WHERE p.pronamespace = {_SCHEMA} AND p.proname = ANY(:names)"
    ), {"names": list(FUNCTIONS)}).all()}
    for name, body in FUNCTIONS.items():
        if name not in bodies:
            problems.append(GuardProblem(name, None, ProblemKind.MISSING))
        elif _normal(bodies[name]) != _normal(body):
            problems.append(GuardProblem(name, None, ProblemKind.ALTERED))
    rows = conn.execute(text(
        "SELECT t.tgname, c.relname, t.tgenabled, t.tgtype, p.proname, "
        f"       p.pronamespace = {_SCHEMA}, "
        "       encode(t.tgargs, 'escape') "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        f"WHERE c.relnamespace = {_SCHEMA} AND NOT t.tgisinternal"
    )).all()
    found = {(name, table): rest for name, table, *rest in rows}
    for guard in expected_guards("postgresql"):
        row = found.get((guard.name, guard.table))
        if row is None:
            problems.append(GuardProblem(guard.name, guard.table, ProblemKind.MISSING))
            continue
        enabled, tgtype, function, own_schema, args = row
        argument = str(args).split("\\000")[0] if args else None
        if (int(tgtype) != guard.tgtype or function != guard.function or not own_schema
                or argument != guard.argument):
            problems.append(GuardProblem(guard.name, guard.table, ProblemKind.ALTERED))
        elif str(enabled) not in {"O", "A"}:  # D: disabled; R: fires only on a replica
            problems.append(GuardProblem(guard.name, guard.table, ProblemKind.DISABLED))
    return problems


def describe_problems(problems: list[GuardProblem]) -> str:
    """One message naming every broken guard and what to do."""
    listed = "; ".join(p.describe() for p in problems[:6])
    more = f"; and {len(problems) - 6} more" if len(problems) > 6 else ""
    return (f"The database's protection of signed records is broken: {listed}{more}. "
            "Signed sessions and the audit trail could be changed without a trace, so "
            "ketalog will not use this database. An administrator must run "
            "'ketalog db repair-guards' (on PostgreSQL with the owner's login), then "
            "'ketalog verify' and 'ketalog audit verify' to see whether anything was changed.")


class GuardsBroken(DatabaseConfigError):
    """A guard is missing, disabled or altered: the database must not be used until repaired."""

    def __init__(self, problems: list[GuardProblem]) -> None:
        super().__init__(describe_problems(problems))
        self.problems = problems


def require_guards(engine: Engine) -> None:
    """Raise :class:`GuardsBroken` naming every broken guard; one catalogue query when all hold.

    Read-only (``reading_engine``): every command checks the guards as it starts, and
    must not make a chair-side save wait meanwhile.
    """
    with reading_engine(engine).connect() as conn:
        problems = check_guards(conn)
    if problems:
        raise GuardsBroken(problems)


def repair_guards(conn: Connection) -> list[GuardProblem]:
    """Re-create every broken guard inside the caller's transaction; return what was repaired.

    On PostgreSQL this needs the tables' owner (the app role cannot create triggers).
    """
    problems = check_guards(conn)
    if not problems:
        return []
    postgres = conn.dialect.name == "postgresql"
    broken = {p.name for p in problems}
    if postgres:
        for name in FUNCTIONS:
            if name in broken:
                conn.execute(text(function_sql(name)))
    for guard in expected_guards(conn.dialect.name):
        if guard.name not in broken:
            continue
        if postgres:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table}"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {guard.name}"))
        conn.execute(text(guard.create_sql))
    return problems


def install_missing(conn: Connection, tables: frozenset[str]) -> None:
    """Create the guards of ``tables`` that do not exist yet (for migrations)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        existing = set(conn.execute(text(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            f"WHERE c.relnamespace = {_SCHEMA}")).scalars())
    else:
        existing = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    inspector = inspect(conn)
    columns = {t: frozenset(c["name"] for c in inspector.get_columns(t))
               for t in REFERENCE_ONCE if t in tables}
    referenced = frozenset(t for t, names in columns.items() if "audit_id" in names)
    for guard in expected_guards(conn.dialect.name, tables, referenced, columns):
        if guard.name not in existing:
            conn.execute(text(guard.create_sql))
