"""the physician's order: standing orders on courses, verbal orders, the order each dose followed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

A dose was "ordered" by the nurse at the chair; no physician order existed.
``physician_orders`` holds a course's standing orders (signed with the
physician's key when entered; a new one supersedes the one before, nothing is
edited or deleted) and verbal orders received at the chair for one session
(read back, co-signed with the physician's key later: the one change its
guard allows besides the audit reference). ``dose_orders.physician_order_id``
names the order a dose followed; it is NULL on every row written before, and
the signed canonical forms leave it out while NULL
(``services.keyed.ADDED_LATER_COLUMNS``), so sessions signed before still
verify. Courses that exist already were opened before orders were recorded:
``order_required = false``, as 0004 did for screenings.

Plain ADD COLUMN on both databases (no table rebuild), so no guard is dropped.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types
from ketalog.store.guards import COSIGN_FUNCTION, ORDERS_TABLE, function_sql, install_missing

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "fk_dose_orders_physician_order_id_physician_orders"


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        'physician_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('protocol_id', sa.Integer(), nullable=False),
        sa.Column('protocol_code', sa.String(length=60), nullable=False),
        sa.Column('dosing_mode', sa.String(length=20), nullable=False),
        sa.Column('dose_mg_per_kg', ketalog.store.types.ExactDecimal(), nullable=True),
        sa.Column('rate_mg_per_kg_per_h', ketalog.store.types.ExactDecimal(), nullable=True),
        sa.Column('device_count', sa.Integer(), nullable=True),
        sa.Column('duration_min', sa.Integer(), nullable=True),
        sa.Column('weight_basis', sa.String(length=20), nullable=True),
        sa.Column('titration_ceiling', ketalog.store.types.ExactDecimal(), nullable=True),
        sa.Column('physician_id', sa.Integer(), nullable=False),
        sa.Column('physician_name', sa.String(length=250), nullable=False),
        sa.Column('ordered_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('received_by_name', sa.String(length=250), nullable=True),
        sa.Column('read_back', sa.Boolean(), nullable=True),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('key_id', sa.Integer(), nullable=True),
        sa.Column('signature', sa.String(length=128), nullable=True),
        sa.Column('cosigned_at_utc', ketalog.store.types.UTCDateTime(), nullable=True),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=True),
        sa.Column('audit_sha256', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_physician_orders_course_id_courses')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_physician_orders_patient_id_patients')),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_sessions.id'],
                                name=op.f('fk_physician_orders_session_id_treatment_sessions')),
        sa.ForeignKeyConstraint(['protocol_id'], ['protocols.id'],
                                name=op.f('fk_physician_orders_protocol_id_protocols')),
        sa.ForeignKeyConstraint(['physician_id'], ['users.id'],
                                name=op.f('fk_physician_orders_physician_id_users')),
        sa.ForeignKeyConstraint(['received_by_id'], ['users.id'],
                                name=op.f('fk_physician_orders_received_by_id_users')),
        sa.ForeignKeyConstraint(['supersedes_id'], ['physician_orders.id'],
                                name=op.f('fk_physician_orders_supersedes_id_physician_orders')),
        sa.ForeignKeyConstraint(['key_id'], ['user_keys.id'],
                                name=op.f('fk_physician_orders_key_id_user_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_physician_orders')),
    )
    op.create_index('ix_physician_orders_course', 'physician_orders',
                    ['course_id', 'kind', 'id'])
    op.create_index('ix_physician_orders_session', 'physician_orders', ['session_id'])
    op.create_index('ix_physician_orders_physician', 'physician_orders',
                    ['physician_id', 'cosigned_at_utc'])
    # existing courses were opened before orders were recorded; new ones require one
    op.add_column('courses', sa.Column('order_required', sa.Boolean(),
                                       server_default=sa.false(), nullable=False))
    if bind.dialect.name == "sqlite":  # SQLite adds a reference only this way
        op.execute("ALTER TABLE dose_orders ADD COLUMN physician_order_id INTEGER "
                   f"CONSTRAINT {_FK} REFERENCES physician_orders (id)")
    else:
        op.add_column('dose_orders', sa.Column(
            'physician_order_id', sa.Integer(),
            sa.ForeignKey('physician_orders.id', name=_FK), nullable=True))
    if bind.dialect.name == "postgresql":
        op.execute(function_sql(COSIGN_FUNCTION))
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    """Drop what 0016 added; on SQLite run with foreign keys off, as ``migrate.upgrade`` does."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # the rebuilds below cannot rename under triggers
        for (name,) in bind.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ketalog_guard_%'").all():
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('dose_orders') as batch:
        if bind.dialect.name == "postgresql":  # SQLite rebuilds the table without it
            batch.drop_constraint(_FK, type_='foreignkey')
        batch.drop_column('physician_order_id')
    with op.batch_alter_table('courses') as batch:
        batch.drop_column('order_required')
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP TABLE {ORDERS_TABLE} CASCADE")
        op.execute(f"DROP FUNCTION IF EXISTS {COSIGN_FUNCTION}()")
    else:
        op.drop_table(ORDERS_TABLE)
    # a SQLite table rebuild drops its triggers: put the guards back
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))
