"""corrections that stay visible: who marked an entry "entered in error", and what replaced it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

Readings, scores, interventions, adverse events and notes had ``voided_at_utc``
and ``void_reason`` from the start, but nothing voided them. Before the
physician signs, the entry's author or a physician may now mark one "entered
in error": it stays in the record, struck through, with who (``voided_by_id``)
when and why, and a corrected value is a new row naming the one it replaces
(``replaces_id``). Event flags and weights get the void columns too.

Signed records: the new columns are NULL on every row written before, and the
canonical session record leaves them out while they are NULL (see
``services.keyed.ADDED_LATER_COLUMNS``), so sessions signed before still
verify. Voiding happens only before signing.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketalog.store.guards import install_missing
from ketalog.store.types import UTCDateTime

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables that could be voided from 0001 on: they get who voided and the replacement link.
VOIDABLE = ("vital_signs", "scale_scores", "interventions", "adverse_events", "notes")
#: Tables that get the void columns themselves as well.
NEWLY_VOIDABLE = ("event_flags", "patient_weights")


def _add_reference(table: str, column: str, target: str) -> None:
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a reference only this way
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(),
                                       sa.ForeignKey(f'{target}.id', name=name),
                                       nullable=True))


def upgrade() -> None:
    # plain ADD COLUMN on both databases: no table rebuild, the guards stay in place
    for table in NEWLY_VOIDABLE:
        op.add_column(table, sa.Column('voided_at_utc', UTCDateTime(timezone=True),
                                       nullable=True))
        op.add_column(table, sa.Column('void_reason', sa.String(), nullable=True))
    for table in (*VOIDABLE, *NEWLY_VOIDABLE):
        _add_reference(table, 'voided_by_id', 'users')
        _add_reference(table, 'replaces_id', table)


def downgrade() -> None:
    """Drop what 0017 added; on SQLite run with foreign keys off, as ``migrate.upgrade`` does.

    SQLite drops a column that holds a reference only by rebuilding the table,
    and a rebuild drops the table's triggers: the guards are put back after.
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # the rebuilds below cannot rename under triggers
        for (name,) in bind.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ketalog_guard_%'").all():
            op.execute(f"DROP TRIGGER {name}")
    for table in (*VOIDABLE, *NEWLY_VOIDABLE):
        with op.batch_alter_table(table) as batch:
            if bind.dialect.name == "postgresql":  # SQLite rebuilds the table without them
                batch.drop_constraint(f"fk_{table}_replaces_id_{table}", type_='foreignkey')
                batch.drop_constraint(f"fk_{table}_voided_by_id_users", type_='foreignkey')
            batch.drop_column('replaces_id')
            batch.drop_column('voided_by_id')
            if table in NEWLY_VOIDABLE:
                batch.drop_column('void_reason')
                batch.drop_column('voided_at_utc')
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))
