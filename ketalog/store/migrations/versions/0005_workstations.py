"""several workstations: presence, write ids, change notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

New tables only (no table rebuild), so no guard trigger is touched. On
PostgreSQL, statement-level triggers send ``NOTIFY ketalog_changes`` with
``<schema>:data`` after any audit row (every change writes one) and
``<schema>:presence`` after a presence change; the notification is delivered
when the writing transaction commits, and never for one that rolls back.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION ketalog_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ketalog_changes', current_schema() || ':' || TG_ARGV[0]);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'session_presence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('workstation', sa.String(length=120), nullable=False),
        sa.Column('opened_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('seen_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_sessions.id'],
                                name=op.f('fk_session_presence_session_id_treatment_sessions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_session_presence_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_presence')),
        sa.UniqueConstraint('user_id', 'workstation',
                            name=op.f('uq_session_presence_user_id_workstation')),
    )
    op.create_index('ix_session_presence_session', 'session_presence', ['session_id'],
                    unique=False)
    op.create_table(
        'client_writes',
        sa.Column('request_id', sa.String(length=36), nullable=False),
        sa.Column('written_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_client_writes')),
    )
    op.create_index('ix_client_writes_written', 'client_writes', ['written_at_utc'],
                    unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_NOTIFY_FUNCTION)
        op.execute("CREATE TRIGGER trg_audit_log_notify AFTER INSERT ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ketalog_notify_change('data')")
        op.execute("CREATE TRIGGER trg_session_presence_notify "
                   "AFTER INSERT OR UPDATE OR DELETE ON session_presence "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ketalog_notify_change('presence')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_session_presence_notify ON session_presence")
        op.execute("DROP TRIGGER IF EXISTS trg_audit_log_notify ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS ketalog_notify_change()")
    op.drop_index('ix_client_writes_written', table_name='client_writes')
    op.drop_table('client_writes')
    op.drop_index('ix_session_presence_session', table_name='session_presence')
    op.drop_table('session_presence')
