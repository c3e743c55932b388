"""the controlled-substance books: locations, products, receipts, containers, recalls, ledger

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

Ketamine and esketamine are Schedule III: 21 CFR 1304 asks for a record of
every container received and every dose administered or otherwise disposed
of, per registered location (issue 19). Six new tables, nothing else touched:
``stock_locations`` and ``stock_products`` (the clinic's set-up, edited through
audited services, unguarded), and the books proper, only ever inserted into
(``guards.STOCK_BOOKS``): ``stock_receipts``, ``stock_containers`` (one row per
container received), ``stock_lot_recalls`` and ``stock_entries``, the ledger
whose mistakes are undone by a reversing entry. Their guards, like those of the
other write-once rows, let the audit reference be set once (0013); on
PostgreSQL every new table refuses TRUNCATE.
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import ketalog.store.types
from ketalog.store.guards import install_missing

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new tables, in the order they are dropped (entries refer to all the others).
TABLES = ("stock_entries", "stock_lot_recalls", "stock_containers", "stock_receipts",
          "stock_products", "stock_locations")


def _positive(column: str) -> str:
    # SQLite stores an exact decimal as text: compare it as a number
    return f"CAST({column} AS NUMERIC) > 0"


def _audit_reference() -> list[sa.Column[Any]]:
    return [sa.Column('audit_id', sa.Integer(), nullable=True),
            sa.Column('audit_sha256', sa.String(length=64), nullable=True)]


def upgrade() -> None:
    exact = ketalog.store.types.ExactDecimal
    utc = ketalog.store.types.UTCDateTime
    op.create_table(
        'stock_locations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('dea_number', sa.String(length=20), nullable=False),
        sa.Column('address', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_locations')),
        sa.UniqueConstraint('name', name=op.f('uq_stock_locations_name')),
    )
    op.create_table(
        'stock_products',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('substance', sa.String(length=20), nullable=False),  # domain Substance
        sa.Column('strength_mg_per_ml', exact(), nullable=False),
        sa.Column('container_volume_ml', exact(), nullable=False),
        sa.Column('ndc', sa.String(length=20), nullable=True),
        sa.Column('gtin', sa.String(length=14), nullable=True),
        sa.Column('schedule', sa.String(length=10), server_default='CIII', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.CheckConstraint(_positive('strength_mg_per_ml'),
                           name=op.f('ck_stock_products_strength_positive')),
        sa.CheckConstraint(_positive('container_volume_ml'),
                           name=op.f('ck_stock_products_container_volume_positive')),
        sa.CheckConstraint(
            "gtin IS NULL OR (length(gtin) = 14 AND trim(gtin, '0123456789') = '')",
            name=op.f('ck_stock_products_gtin_14_digits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_products')),
        sa.UniqueConstraint('gtin', name=op.f('uq_stock_products_gtin')),
    )
    op.create_table(
        'stock_receipts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('supplier_name', sa.String(length=200), nullable=False),
        sa.Column('supplier_address', sa.Text(), nullable=False),
        sa.Column('supplier_dea_number', sa.String(length=20), nullable=False),
        sa.Column('order_reference', sa.String(length=60), nullable=False),
        sa.Column('received_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at_utc', utc(), nullable=False),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'],
                                name=op.f('fk_stock_receipts_location_id_stock_locations')),
        sa.ForeignKeyConstraint(['received_by_id'], ['users.id'],
                                name=op.f('fk_stock_receipts_received_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_receipts')),
    )
    op.create_index('ix_stock_receipts_location', 'stock_receipts',
                    ['location_id', 'received_on'])
    op.create_table(
        'stock_containers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('receipt_id', sa.Integer(), nullable=False),
        sa.Column('lot_number', sa.String(length=60), nullable=False),
        sa.Column('expiry_date', sa.Date(), nullable=False),
        sa.Column('serial', sa.String(length=60), nullable=True),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.ForeignKeyConstraint(['product_id'], ['stock_products.id'],
                                name=op.f('fk_stock_containers_product_id_stock_products')),
        sa.ForeignKeyConstraint(['receipt_id'], ['stock_receipts.id'],
                                name=op.f('fk_stock_containers_receipt_id_stock_receipts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_containers')),
    )
    op.create_index('ix_stock_containers_receipt', 'stock_containers', ['receipt_id'])
    op.create_index('ix_stock_containers_lot', 'stock_containers', ['product_id', 'lot_number'])
    op.create_index('ix_stock_containers_serial', 'stock_containers',
                    ['product_id', 'lot_number', 'serial'], unique=True,
                    sqlite_where=sa.text("serial IS NOT NULL"),
                    postgresql_where=sa.text("serial IS NOT NULL"))
    op.create_table(
        'stock_lot_recalls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('lot_number', sa.String(length=60), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at_utc', utc(), nullable=False),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.ForeignKeyConstraint(['product_id'], ['stock_products.id'],
                                name=op.f('fk_stock_lot_recalls_product_id_stock_products')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_stock_lot_recalls_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lot_recalls')),
    )
    op.create_index('ix_stock_lot_recalls_lot', 'stock_lot_recalls',
                    ['product_id', 'lot_number'])
    op.create_table(
        'stock_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('container_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),  # domain LedgerKind
        sa.Column('volume_ml', exact(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('draw_id', sa.Integer(), nullable=True),
        sa.Column('reverses_id', sa.Integer(), nullable=True),
        sa.Column('counterpart_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('waste_manner', sa.String(length=200), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('witness_id', sa.Integer(), nullable=True),
        sa.Column('witness_name', sa.String(length=250), nullable=True),
        sa.Column('witness_key_id', sa.Integer(), nullable=True),
        sa.Column('witness_signature', sa.String(length=128), nullable=True),
        sa.Column('recorded_at_utc', utc(), nullable=False),
        sa.Column('created_at_utc', utc(), nullable=False),
        *_audit_reference(),
        sa.CheckConstraint(_positive('volume_ml'),
                           name=op.f('ck_stock_entries_volume_positive')),
        sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)",
                           name=op.f('ck_stock_entries_reversal_names_its_entry')),
        sa.CheckConstraint("draw_id IS NULL OR kind IN ('administered', 'wasted', 'returned')",
                           name=op.f('ck_stock_entries_only_dispositions_name_a_draw')),
        sa.CheckConstraint("counterpart_id IS NULL OR kind = 'transferred_in'",
                           name=op.f('ck_stock_entries_only_transfer_in_names_its_out')),
        sa.CheckConstraint("witness_id IS NULL OR witness_id <> recorded_by_id",
                           name=op.f('ck_stock_entries_witness_is_another_person')),
        sa.CheckConstraint("(witness_key_id IS NULL) = (witness_signature IS NULL) "
                           "AND (witness_signature IS NULL OR witness_id IS NOT NULL)",
                           name=op.f('ck_stock_entries_witness_signature_whole')),
        sa.ForeignKeyConstraint(['container_id'], ['stock_containers.id'],
                                name=op.f('fk_stock_entries_container_id_stock_containers')),
        sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'],
                                name=op.f('fk_stock_entries_location_id_stock_locations')),
        sa.ForeignKeyConstraint(['session_id'], ['treatment_sessions.id'],
                                name=op.f('fk_stock_entries_session_id_treatment_sessions')),
        sa.ForeignKeyConstraint(['draw_id'], ['stock_entries.id'],
                                name=op.f('fk_stock_entries_draw_id_stock_entries')),
        sa.ForeignKeyConstraint(['reverses_id'], ['stock_entries.id'],
                                name=op.f('fk_stock_entries_reverses_id_stock_entries')),
        sa.ForeignKeyConstraint(['counterpart_id'], ['stock_entries.id'],
                                name=op.f('fk_stock_entries_counterpart_id_stock_entries')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_stock_entries_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['witness_id'], ['users.id'],
                                name=op.f('fk_stock_entries_witness_id_users')),
        sa.ForeignKeyConstraint(['witness_key_id'], ['user_keys.id'],
                                name=op.f('fk_stock_entries_witness_key_id_user_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_entries')),
        sa.UniqueConstraint('reverses_id', name=op.f('uq_stock_entries_reverses_id')),
        sa.UniqueConstraint('counterpart_id', name=op.f('uq_stock_entries_counterpart_id')),
    )
    op.create_index('ix_stock_entries_container', 'stock_entries', ['container_id', 'id'])
    op.create_index('ix_stock_entries_location', 'stock_entries',
                    ['location_id', 'recorded_at_utc'])
    op.create_index('ix_stock_entries_session', 'stock_entries', ['session_id'])
    op.create_index('ix_stock_entries_draw', 'stock_entries', ['draw_id'])
    bind = op.get_bind()
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    """Drop the six tables; their guard triggers go with them (the functions stay: shared)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TABLE {table} CASCADE")
        else:  # the indexes and triggers go with the table
            op.drop_table(table)
