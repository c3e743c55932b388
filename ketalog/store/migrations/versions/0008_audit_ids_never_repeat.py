"""the audit trail's ids never repeat on SQLite (AUTOINCREMENT)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A plain SQLite ``INTEGER PRIMARY KEY`` hands the next row ``max(id) + 1``, so
after the newest audit rows were deleted the next row took a deleted row's id,
and the trail read as if nothing had been there. With AUTOINCREMENT SQLite
remembers the highest id ever given (``sqlite_sequence``) and never reuses it,
so an anchor naming a deleted row can never be met by a newer one. SQLite can
only set AUTOINCREMENT by rebuilding the table; dropping the old table drops
its guard triggers, which are re-created from the registry in
:mod:`ketalog.store.guards`. PostgreSQL's sequence never reuses an id: nothing
changes there.
"""
from collections.abc import Sequence

from alembic import op

from ketalog.store.guards import install_missing

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with op.batch_alter_table("audit_log", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    install_missing(bind, frozenset({"audit_log"}))


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
