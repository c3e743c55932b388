"""alerts that follow through: scale alerts and physicians' acknowledgments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Two new tables, no table rebuild. Both are guarded like 0003's session rows:
nothing is added to a signed session, and (being a record of what was said and
who acknowledged it) no row is ever changed or deleted. SQLite triggers are
named ``ketalog_guard_*``; on PostgreSQL they call 0003's
``ketalog_guard_signed()`` and ``ketalog_refuse_change()``.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNED_MESSAGE = ("ketalog: this session is signed and cannot be changed; "
                  "write an addendum instead")
APPEND_ONLY_MESSAGE = "ketalog: rows of this table are never changed or deleted"
TABLES = ("scale_alerts", "alert_acknowledgments")


def _signed(expr: str) -> str:
    return ("EXISTS (SELECT 1 FROM signatures s WHERE s.session_id = "
            f"{expr} AND s.kind = 'physician_signature')")


def _sqlite_triggers() -> list[str]:
    sql = []
    for table in TABLES:
        sql += [
            f"CREATE TRIGGER ketalog_guard_{table}_insert BEFORE INSERT ON {table} "
            f"WHEN {_signed('NEW.session_id')} "
            f"BEGIN SELECT RAISE(ABORT, '{SIGNED_MESSAGE}'); END",
            f"CREATE TRIGGER ketalog_guard_{table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
            f"CREATE TRIGGER ketalog_guard_{table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        ]
    return sql


def _postgresql_triggers() -> list[str]:
    sql = []
    for table in TABLES:
        sql += [
            f"CREATE TRIGGER ketalog_guard_{table} BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ketalog_guard_signed('session_id')",
            f"CREATE TRIGGER ketalog_guard_{table}_append_only BEFORE UPDATE OR DELETE ON "
            f"{table} FOR EACH ROW EXECUTE FUNCTION ketalog_refuse_change()",
        ]
    return sql


def upgrade() -> None:
    op.create_table(
        'scale_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('scale_score_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('raised_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['scale_score_id'], ['scale_scores.id'],
                                name=op.f('fk_scale_alerts_scale_score_id_scale_scores')),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_sessions.id'],
                                name=op.f('fk_scale_alerts_session_id_treatment_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scale_alerts')),
    )
    op.create_index('ix_scale_alerts_session', 'scale_alerts', ['session_id'], unique=False)
    op.create_table(
        'alert_acknowledgments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('source_table', sa.String(length=40), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'],
                                name=op.f('fk_alert_acknowledgments_acknowledged_by_id_users')),
        sa.ForeignKeyConstraint(
            ['session_id'], ['treatment_sessions.id'],
            name=op.f('fk_alert_acknowledgments_session_id_treatment_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_acknowledgments')),
        sa.UniqueConstraint('source_table', 'source_id', 'code',
                            name=op.f('uq_alert_acknowledgments_source_table_source_id_code')),
    )
    op.create_index('ix_alert_acknowledgments_session', 'alert_acknowledgments',
                    ['session_id'], unique=False)
    dialect = op.get_bind().dialect.name
    statements = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_append_only ON {table}")
        else:
            for suffix in ("insert", "no_update", "no_delete"):
                op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_{suffix}")
    op.drop_index('ix_alert_acknowledgments_session', table_name='alert_acknowledgments')
    op.drop_table('alert_acknowledgments')
    op.drop_index('ix_scale_alerts_session', table_name='scale_alerts')
    op.drop_table('scale_alerts')
