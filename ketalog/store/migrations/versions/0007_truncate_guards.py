"""every table of clinical data refuses TRUNCATE (PostgreSQL)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

0003 put statement-level TRUNCATE guards on the audit trail, signatures and
addenda only; a TRUNCATE skips row triggers, so ``TRUNCATE vital_signs``
emptied a signed session's vitals. Every table except routine housekeeping
(presence, write ids) now refuses it. The guards come from the registry in
:mod:`ketalog.store.guards`, which the start-up check uses too. SQLite has no
TRUNCATE (a DELETE fires the row triggers), so nothing changes there.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketalog.store.guards import install_missing

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    kept = {f"ketalog_guard_{t}_no_truncate" for t in ("audit_log", "signatures", "addenda")}
    for table in sa.inspect(bind).get_table_names():
        name = f"ketalog_guard_{table}_no_truncate"
        if name not in kept:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
