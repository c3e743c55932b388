"""audit references: every clinical row names the audit row written with it

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03

A hash chain shows an edited or deleted audit row only while the rows after it
are left alone: cut off the tail, or delete a row and recompute the chain from
there, and the trail looks whole. From now on every clinical row, signature
and addendum keeps the id and hash of the audit row written with it, so those
cuts leave references that ``audit verify`` reports. Rows written before keep
the earliest audit row naming them where one exists; ``audit_reference_starts``
(write-once) records each table's next id, from which on a row must carry one.

The write-once tables (signatures, addenda, alerts, acknowledgments) accept one
change only: the reference of a row that has none; their guards are replaced.
The guards are set aside while the backfill runs (rows of signed sessions are
frozen) and come back from :mod:`ketalog.store.guards`.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketalog.store.audit_references import backfill_statements, start_statements
from ketalog.store.guards import REFERENCE_FUNCTION, function_sql, install_missing

revision: str = '0013'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables of clinical rows at this revision (frozen: later tables carry their own).
TABLES = (
    "addenda", "adverse_events", "alert_acknowledgments", "courses", "dose_orders",
    "dose_verifications", "event_flags", "infusion_events", "interventions", "notes",
    "patient_weights", "patients", "rems_filings", "scale_alerts", "scale_scores",
    "screenings", "signatures", "treatment_sessions", "vital_signs",
)
#: The write-once tables whose update guard now lets the reference be set once.
REFERENCE_ONCE = ("signatures", "addenda", "scale_alerts", "alert_acknowledgments")
_APPEND_ONLY = ("signatures", "addenda")


def _sqlite_guard_names(bind: sa.Connection) -> list[str]:
    return [str(n) for n in bind.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'ketalog_guard_%'").scalars()]


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # plain ADD COLUMN on both databases: no table rebuild
    for table in TABLES:
        op.add_column(table, sa.Column('audit_id', sa.Integer(), nullable=True))
        op.add_column(table, sa.Column('audit_sha256', sa.String(length=64), nullable=True))
    op.create_table(
        'audit_reference_starts',
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('first_row_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('table_name', name=op.f('pk_audit_reference_starts')),
    )
    if postgres:
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for name in _sqlite_guard_names(bind):
            op.execute(f"DROP TRIGGER {name}")
    for statement in backfill_statements(TABLES) + start_statements(TABLES):
        op.execute(statement)
    if postgres:
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        op.execute(function_sql(REFERENCE_FUNCTION))
        for table in REFERENCE_ONCE:  # re-created below on the new function
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_append_only ON {table}")
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def _old_sqlite_no_update(table: str) -> str:
    return (f"CREATE TRIGGER ketalog_guard_{table}_no_update BEFORE UPDATE ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'ketalog: rows of this table are never changed or "
            "deleted'); END")


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TABLE audit_reference_starts CASCADE")
        for table in REFERENCE_ONCE:
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_append_only ON {table}")
            op.execute(f"CREATE TRIGGER ketalog_guard_{table}_append_only BEFORE UPDATE OR "
                       f"DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION ketalog_refuse_change()")
        op.execute(f"DROP FUNCTION IF EXISTS {REFERENCE_FUNCTION}()")
    else:
        op.drop_table('audit_reference_starts')
        for table in REFERENCE_ONCE:  # they name the columns dropped below
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_no_update")
    for table in TABLES:
        # SQLite 3.35+ drops a column in place, so the other guards stay
        op.execute(f"ALTER TABLE {table} DROP COLUMN audit_sha256")
        op.execute(f"ALTER TABLE {table} DROP COLUMN audit_id")
    if not postgres:
        for table in REFERENCE_ONCE:
            op.execute(_old_sqlite_no_update(table))
