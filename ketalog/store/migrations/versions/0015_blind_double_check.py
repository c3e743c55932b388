"""the second nurse's own figures on each dose check (a blind, independent double check)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

ISMP counts a double check as independent only when the second nurse works
the dose out without seeing the first nurse's figures. The check now stores
the total mg (and pump rate) the second nurse typed; only figures that agree
with the prepared dose are accepted. Checks made before 0015 were made
against the figures on screen and keep NULL here: the signed forms leave a
NULL in these columns out, so what was signed before reads the same.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ketalog.store.types import ExactDecimal

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("verifier_total_mg", "verifier_rate_ml_per_h")


def upgrade() -> None:
    # plain ADD COLUMN on both databases: no table rebuild, the guards stay in place
    for column in COLUMNS:
        op.add_column('dose_verifications',
                      sa.Column(column, ExactDecimal(precision=12, scale=4), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a plain column in place, so the guard triggers stay as well
    for column in COLUMNS:
        op.drop_column('dose_verifications', column)
