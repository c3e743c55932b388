"""Filling in the audit references of rows written before they existed (schema 0013).

Every clinical row names the audit row written with it (``audit_id``,
``audit_sha256``; see :class:`ketalog.store.models.AuditReferenced`). Rows
written before 0013 get the earliest audit row naming them (``table_name``,
``row_id``) where the trail has one; ``audit_reference_starts`` records each
table's next id at that moment, so ``audit verify`` knows from where on a row
without a reference is a problem rather than history.

The statements are plain SQL that SQLite (3.33 on, for ``UPDATE ... FROM``)
and PostgreSQL both run, so the migration and the benchmark's bulk generator
share them. They change only the two reference columns of rows that have none;
the caller sets the guards aside (rows of signed sessions are frozen).
"""

from __future__ import annotations

from collections.abc import Iterable

_FIRST = "ketalog_first_audit"


def backfill_statements(tables: Iterable[str]) -> list[str]:
    """The statements that give every row without a reference its earliest audit row."""
    names = sorted(tables)
    listed = ", ".join(f"'{t}'" for t in names)
    statements = [
        f"CREATE TEMP TABLE {_FIRST} AS SELECT table_name, row_id, MIN(id) AS audit_id "
        f"FROM audit_log WHERE row_id IS NOT NULL AND table_name IN ({listed}) "
        "GROUP BY table_name, row_id",
        f"CREATE INDEX ix_{_FIRST} ON {_FIRST} (table_name, row_id)",
    ]
    statements += [
        f"UPDATE {t} SET audit_id = f.audit_id, audit_sha256 = a.row_hash "
        f"FROM {_FIRST} f JOIN audit_log a ON a.id = f.audit_id "
        f"WHERE f.table_name = '{t}' AND f.row_id = {t}.id AND {t}.audit_id IS NULL"
        for t in names
    ]
    statements.append(f"DROP TABLE {_FIRST}")
    return statements


def start_statements(tables: Iterable[str]) -> list[str]:
    """The statements recording each table's next id: rows from it on must carry a reference."""
    return [f"INSERT INTO audit_reference_starts (table_name, first_row_id) "
            f"SELECT '{t}', COALESCE(MAX(id), 0) + 1 FROM {t}" for t in sorted(tables)]
