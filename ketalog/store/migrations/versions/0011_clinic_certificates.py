"""clinic certificates: the CA and document certificate that sign the chart PDFs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

The signed session summary carries a PDF (PAdES) signature by the clinic's
document certificate, issued from a clinic CA. Both live in the database so
every workstation of a shared PostgreSQL signs with the same certificate.
Rows are insert-only (a new certificate is a new row); the guards come from
:mod:`ketalog.store.guards`.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types
from ketalog.store.guards import install_missing

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'clinic_certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('serial_hex', sa.String(length=64), nullable=False),
        sa.Column('fingerprint_sha256', sa.String(length=64), nullable=False),
        sa.Column('not_before_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('not_after_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.Column('certificate_pem', sa.Text(), nullable=False),
        sa.Column('private_key', sa.Text(), nullable=True),
        sa.Column('kdf', sa.String(length=80), nullable=True),
        sa.Column('kdf_salt', sa.String(length=64), nullable=True),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_clinic_certificates_created_by_id_users')),
        sa.ForeignKeyConstraint(
            ['issued_by_id'], ['clinic_certificates.id'],
            name=op.f('fk_clinic_certificates_issued_by_id_clinic_certificates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_certificates')),
    )
    op.create_index('ix_clinic_certificates_kind', 'clinic_certificates', ['kind', 'id'],
                    unique=False)
    bind = op.get_bind()
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TABLE clinic_certificates CASCADE")
    else:
        for (name,) in bind.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'clinic_certificates'").all():
            op.execute(f"DROP TRIGGER {name}")
        op.drop_index('ix_clinic_certificates_kind', table_name='clinic_certificates')
        op.drop_table('clinic_certificates')
