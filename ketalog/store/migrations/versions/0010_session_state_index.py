"""an index on the session state, for the lists of sessions still open

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

The physician's lists (alerts waiting, sessions waiting for a signature) and
the toolbar's alert count ask every few seconds for the few sessions not yet
signed or cancelled. Without an index that is a scan of every session the
clinic ever held (about 50 ms at ten years, on every workstation, every 5 s);
with one it is a few index pages.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_treatment_sessions_state", "treatment_sessions",
                    ["state", "scheduled_at_utc"])


def downgrade() -> None:
    op.drop_index("ix_treatment_sessions_state", table_name="treatment_sessions")
