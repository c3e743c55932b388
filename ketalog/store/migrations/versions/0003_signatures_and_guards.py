"""signatures keep their content; database guards for signed sessions and the audit trail

The database itself refuses (1) any change to a session, or to a row that
belongs to it, once a physician signature exists, and (2) any UPDATE or
DELETE of audit rows, signatures and addenda. The services refuse first with
a friendlier message; these guards hold against raw SQL and other programs.

SQLite triggers are named ``ketalog_guard_*``; the PostgreSQL triggers call
``ketalog_guard_signed()`` and ``ketalog_refuse_change()``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 14:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNED_MESSAGE = ("ketalog: this session is signed and cannot be changed; "
                  "write an addendum instead")
APPEND_ONLY_MESSAGE = "ketalog: rows of this table are never changed or deleted"

#: Tables whose rows belong to one session, with the column naming it.
SESSION_ROWS = (
    ("dose_orders", "session_id"),
    ("infusion_events", "session_id"),
    ("vital_signs", "session_id"),
    ("scale_scores", "session_id"),
    ("event_flags", "session_id"),
    ("interventions", "session_id"),
    ("adverse_events", "session_id"),
    ("notes", "session_id"),
)
APPEND_ONLY = ("audit_log", "signatures", "addenda")


def _signed(expr: str) -> str:
    return ("EXISTS (SELECT 1 FROM signatures s WHERE s.session_id = "
            f"{expr} AND s.kind = 'physician_signature')")


def _sqlite_triggers() -> list[str]:
    raise_signed = f"BEGIN SELECT RAISE(ABORT, '{SIGNED_MESSAGE}'); END"
    raise_append = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    sql = []
    for table, column in SESSION_ROWS:
        sql += [
            f"CREATE TRIGGER ketalog_guard_{table}_insert BEFORE INSERT ON {table} "
            f"WHEN {_signed('NEW.' + column)} {raise_signed}",
            f"CREATE TRIGGER ketalog_guard_{table}_update BEFORE UPDATE ON {table} "
            f"WHEN {_signed('OLD.' + column)} OR {_signed('NEW.' + column)} {raise_signed}",
            f"CREATE TRIGGER ketalog_guard_{table}_delete BEFORE DELETE ON {table} "
            f"WHEN {_signed('OLD.' + column)} {raise_signed}",
        ]
    order_session = "(SELECT o.session_id FROM dose_orders o WHERE o.id = {}.dose_order_id)"
    sql += [
        "CREATE TRIGGER ketalog_guard_dose_verifications_insert BEFORE INSERT ON "
        f"dose_verifications WHEN {_signed(order_session.format('NEW'))} {raise_signed}",
        "CREATE TRIGGER ketalog_guard_dose_verifications_update BEFORE UPDATE ON "
        f"dose_verifications WHEN {_signed(order_session.format('OLD'))} {raise_signed}",
        "CREATE TRIGGER ketalog_guard_dose_verifications_delete BEFORE DELETE ON "
        f"dose_verifications WHEN {_signed(order_session.format('OLD'))} {raise_signed}",
        "CREATE TRIGGER ketalog_guard_treatment_sessions_update BEFORE UPDATE ON "
        f"treatment_sessions WHEN {_signed('OLD.id')} {raise_signed}",
        "CREATE TRIGGER ketalog_guard_treatment_sessions_delete BEFORE DELETE ON "
        f"treatment_sessions WHEN {_signed('OLD.id')} {raise_signed}",
        "CREATE TRIGGER ketalog_guard_signatures_insert BEFORE INSERT ON signatures "
        f"WHEN {_signed('NEW.session_id')} {raise_signed}",
    ]
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER ketalog_guard_{table}_no_update BEFORE UPDATE ON {table} "
            f"{raise_append}",
            f"CREATE TRIGGER ketalog_guard_{table}_no_delete BEFORE DELETE ON {table} "
            f"{raise_append}",
        ]
    return sql


def _postgresql_triggers() -> list[str]:
    sql = [
        f"""
CREATE OR REPLACE FUNCTION ketalog_guard_signed() RETURNS trigger
LANGUAGE plpgsql AS $$
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
END $$""",
        f"""
CREATE OR REPLACE FUNCTION ketalog_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END $$""",
    ]
    for table, column in (*SESSION_ROWS, ("dose_verifications", "dose_order_id")):
        sql.append(
            f"CREATE TRIGGER ketalog_guard_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ketalog_guard_signed('{column}')"
        )
    sql += [
        "CREATE TRIGGER ketalog_guard_treatment_sessions BEFORE UPDATE OR DELETE ON "
        "treatment_sessions FOR EACH ROW EXECUTE FUNCTION ketalog_guard_signed('id')",
        "CREATE TRIGGER ketalog_guard_signatures_insert BEFORE INSERT ON signatures "
        "FOR EACH ROW EXECUTE FUNCTION ketalog_guard_signed('session_id')",
    ]
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER ketalog_guard_{table}_append_only BEFORE UPDATE OR DELETE ON "
            f"{table} FOR EACH ROW EXECUTE FUNCTION ketalog_refuse_change()",
            f"CREATE TRIGGER ketalog_guard_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ketalog_refuse_change()",
        ]
    return sql


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_login_at_utc',
                                      ketalog.store.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_name', sa.String(length=250), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('content_json', sa.Text(), nullable=True))
    dialect = op.get_bind().dialect.name
    statements = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, _column in (*SESSION_ROWS, ("dose_verifications", "")):
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS ketalog_guard_treatment_sessions ON treatment_sessions")
        op.execute("DROP TRIGGER IF EXISTS ketalog_guard_signatures_insert ON signatures")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS ketalog_guard_{table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ketalog_guard_signed()")
        op.execute("DROP FUNCTION IF EXISTS ketalog_refuse_change()")
    else:
        names = bind.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'ketalog_guard_%'"
        ).scalars().all()
        for name in names:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('content_json')
        batch_op.drop_column('signer_name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_failed_login_at_utc')
