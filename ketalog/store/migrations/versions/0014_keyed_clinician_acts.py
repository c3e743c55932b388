"""every clinician act keyed: attestations, addenda, dose checks, overrides, acknowledgments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

0009 bound the physician's signature to the signer's own key. The other acts
of a session were still plain rows anyone who can write the database could
insert or rewrite: the nursing attestation, addenda, the second nurse's dose
check, the physician's dose-maximum override, the pre-dose blood pressure
acknowledgment and alert acknowledgments. Each now stores the key id and an
Ed25519 signature over its manifest (the addendum also its author's printed
name). Rows that exist now cannot be keyed after the fact: they are listed
once in ``legacy_keyless_rows`` (write-once), so verification can tell them
from a keyless row inserted later. A partial index on the audit rows of key
creation lets every verification check, in one indexed read, that a key was
issued by the app and not planted by SQL.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketalog.store.guards import install_missing

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, key id column, signature column) added by this revision.
KEYED = (
    ("treatment_sessions", "predose_bp_ack_key_id", "predose_bp_ack_signature"),
    ("dose_orders", "override_key_id", "override_signature"),
    ("dose_verifications", "key_id", "signature"),
    ("alert_acknowledgments", "key_id", "signature"),
    ("addenda", "key_id", "signature"),
)
#: The rows made before 0014 that may verify without a key, by table.
LEGACY = (
    "SELECT 'signatures', id FROM signatures WHERE kind = 'nursing_attestation' "
    "AND key_id IS NULL",
    "SELECT 'addenda', id FROM addenda",
    "SELECT 'dose_verifications', id FROM dose_verifications",
    "SELECT 'dose_orders', id FROM dose_orders WHERE override_by_id IS NOT NULL",
    "SELECT 'treatment_sessions', id FROM treatment_sessions "
    "WHERE predose_bp_ack_at_utc IS NOT NULL",
    "SELECT 'alert_acknowledgments', id FROM alert_acknowledgments",
)


def _add_key_column(table: str, column: str) -> None:
    name = f"fk_{table}_{column}_user_keys"
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a reference only this way
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES user_keys (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(),
                                       sa.ForeignKey('user_keys.id', name=name),
                                       nullable=True))


def upgrade() -> None:
    op.create_table(
        'legacy_keyless_rows',
        sa.Column('table_name', sa.String(length=40), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('table_name', 'row_id', name=op.f('pk_legacy_keyless_rows')),
    )
    # plain ADD COLUMN on both databases: no table rebuild, the guards stay in place
    for table, key_column, signature_column in KEYED:
        _add_key_column(table, key_column)
        op.add_column(table, sa.Column(signature_column, sa.String(length=128), nullable=True))
    op.add_column('addenda', sa.Column('author_name', sa.String(length=250), nullable=True))
    op.execute("INSERT INTO legacy_keyless_rows (table_name, row_id) "
               + " UNION ALL ".join(LEGACY))
    op.create_index('ix_audit_log_key_created', 'audit_log', ['row_id'],
                    sqlite_where=sa.text("action = 'key_created'"),
                    postgresql_where=sa.text("action = 'key_created'"))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # these guards list every column that must not change (0013): put them back with
        # the new ones (PostgreSQL compares whole rows and needs nothing)
        for table in ("addenda", "alert_acknowledgments"):
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_no_update")
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    """Drop what 0014 added; on SQLite run with foreign keys off, as ``migrate.upgrade`` does.

    SQLite drops a column that holds a reference only by rebuilding the table,
    and the rebuild drops a table other tables refer to.
    """
    bind = op.get_bind()
    op.drop_index('ix_audit_log_key_created', table_name='audit_log')
    if bind.dialect.name == "postgresql":
        op.execute("DROP TABLE legacy_keyless_rows CASCADE")
    else:
        op.drop_table('legacy_keyless_rows')
    if bind.dialect.name == "sqlite":  # the rebuilds below cannot rename under triggers
        for (name,) in bind.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ketalog_guard_%'").all():
            op.execute(f"DROP TRIGGER {name}")
    for table, key_column, signature_column in KEYED:
        with op.batch_alter_table(table) as batch:
            if bind.dialect.name == "postgresql":  # SQLite rebuilds the table without it
                batch.drop_constraint(f"fk_{table}_{key_column}_user_keys", type_='foreignkey')
            batch.drop_column(signature_column)
            batch.drop_column(key_column)
    with op.batch_alter_table('addenda') as batch:
        batch.drop_column('author_name')
    # a SQLite table rebuild drops its triggers: put the guards back
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))
