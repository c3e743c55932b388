"""counts, discrepancies, inventories, destruction witnesses and losses of controlled substances

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

Issue 19, items 3 and 4: the two-person count of a location's stock with the
lines counted, a discrepancy for each mismatch and the signed resolution that
alone closes it; the initial and biennial inventory (21 CFR 1304.11) with a line
per container, sealed counted and opened measured; the two witnesses of a
destruction (DEA Form 41), each signing with their own key; and the record of a
loss or theft (DEA Form 106) with the LOST ledger entries it wrote. Nine new
tables, nothing else touched; every one is only ever inserted into
(``guards.STOCK_RECORDS``), its audit reference set once, TRUNCATE refused on
PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types
from ketalog.store.guards import install_missing

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The new tables, in the order they are dropped (later ones are named by earlier ones).
TABLES = (
    "stock_discrepancy_resolutions",
    "stock_loss_lines",
    "stock_losses",
    "stock_entry_witnesses",
    "stock_discrepancies",
    "stock_count_lines",
    "stock_counts",
    "stock_inventory_lines",
    "stock_inventories",
)


def upgrade() -> None:
    exact = ketalog.store.types.ExactDecimal
    utc = ketalog.store.types.UTCDateTime
    op.create_table(
        "stock_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(length=20), nullable=False),
        sa.Column("counted_at_utc", utc(), nullable=False),
        sa.Column("counted_by_id", sa.Integer(), nullable=False),
        sa.Column("counted_by_name", sa.String(length=250), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("second_counter_id", sa.Integer(), nullable=False),
        sa.Column("second_counter_name", sa.String(length=250), nullable=False),
        sa.Column("second_counter_key_id", sa.Integer(), nullable=False),
        sa.Column("second_counter_signature", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("lines_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "second_counter_id <> counted_by_id",
            name=op.f("ck_stock_counts_second_counter_is_another"),
        ),
        sa.ForeignKeyConstraint(
            ["counted_by_id"], ["users.id"], name=op.f("fk_stock_counts_counted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["user_keys.id"], name=op.f("fk_stock_counts_key_id_user_keys")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_counts_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["second_counter_id"],
            ["users.id"],
            name=op.f("fk_stock_counts_second_counter_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["second_counter_key_id"],
            ["user_keys.id"],
            name=op.f("fk_stock_counts_second_counter_key_id_user_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_counts")),
    )
    op.create_index("ix_stock_counts_location", "stock_counts", ["location_id", "counted_at_utc"])

    op.create_table(
        "stock_inventories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("business_time", sa.String(length=20), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=False),
        sa.Column("taken_by_name", sa.String(length=250), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("lines_sha256", sa.String(length=64), nullable=False),
        sa.Column("recorded_at_utc", utc(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_id"], ["user_keys.id"], name=op.f("fk_stock_inventories_key_id_user_keys")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_inventories_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"], ["users.id"], name=op.f("fk_stock_inventories_taken_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_inventories")),
    )
    op.create_index(
        "ix_stock_inventories_location", "stock_inventories", ["location_id", "taken_on"]
    )

    op.create_table(
        "stock_losses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("discovered_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("circumstances", sa.Text(), nullable=False),
        sa.Column("police_notified", sa.Boolean(), nullable=False),
        sa.Column("police_reference", sa.String(length=120), nullable=True),
        sa.Column("reported_to_dea_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=250), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("recorded_at_utc", utc(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "police_reference IS NULL OR police_notified",
            name=op.f("ck_stock_losses_police_reference_only_when_notified"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["user_keys.id"], name=op.f("fk_stock_losses_key_id_user_keys")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_losses_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_stock_losses_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_losses")),
    )
    op.create_index("ix_stock_losses_location", "stock_losses", ["location_id", "discovered_on"])

    op.create_table(
        "stock_count_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("expected_ml", exact(), nullable=False),
        sa.Column("found_ml", exact(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "CAST(expected_ml AS NUMERIC) >= 0",
            name=op.f("ck_stock_count_lines_expected_not_negative"),
        ),
        sa.CheckConstraint(
            "CAST(found_ml AS NUMERIC) >= 0", name=op.f("ck_stock_count_lines_found_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["stock_containers.id"],
            name=op.f("fk_stock_count_lines_container_id_stock_containers"),
        ),
        sa.ForeignKeyConstraint(
            ["count_id"],
            ["stock_counts.id"],
            name=op.f("fk_stock_count_lines_count_id_stock_counts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_count_lines")),
        sa.UniqueConstraint(
            "count_id", "container_id", name=op.f("uq_stock_count_lines_count_id_container_id")
        ),
    )
    op.create_table(
        "stock_inventory_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("count_of_sealed", sa.Integer(), nullable=True),
        sa.Column("measured_volume_ml", exact(), nullable=True),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(sealed AND count_of_sealed IN (0, 1) AND measured_volume_ml IS NULL) "
            "OR (NOT sealed AND count_of_sealed IS NULL "
            "AND CAST(measured_volume_ml AS NUMERIC) >= 0)",
            name=op.f("ck_stock_inventory_lines_sealed_counted_opened_measured"),
        ),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["stock_containers.id"],
            name=op.f("fk_stock_inventory_lines_container_id_stock_containers"),
        ),
        sa.ForeignKeyConstraint(
            ["inventory_id"],
            ["stock_inventories.id"],
            name=op.f("fk_stock_inventory_lines_inventory_id_stock_inventories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_inventory_lines")),
        sa.UniqueConstraint(
            "inventory_id",
            "container_id",
            name=op.f("uq_stock_inventory_lines_inventory_id_container_id"),
        ),
    )
    op.create_table(
        "stock_discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_line_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.Integer(), nullable=False),
        sa.Column("expected_ml", exact(), nullable=False),
        sa.Column("found_ml", exact(), nullable=False),
        sa.Column("opened_at_utc", utc(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "CAST(expected_ml AS NUMERIC) <> CAST(found_ml AS NUMERIC)",
            name=op.f("ck_stock_discrepancies_a_real_difference"),
        ),
        sa.ForeignKeyConstraint(
            ["container_id"],
            ["stock_containers.id"],
            name=op.f("fk_stock_discrepancies_container_id_stock_containers"),
        ),
        sa.ForeignKeyConstraint(
            ["count_line_id"],
            ["stock_count_lines.id"],
            name=op.f("fk_stock_discrepancies_count_line_id_stock_count_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_stock_discrepancies_location_id_stock_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_discrepancies")),
        sa.UniqueConstraint("count_line_id", name=op.f("uq_stock_discrepancies_count_line_id")),
    )
    op.create_index("ix_stock_discrepancies_location", "stock_discrepancies", ["location_id"])

    op.create_table(
        "stock_entry_witnesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("witness_name", sa.String(length=250), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("signed_at_utc", utc(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "position IN (1, 2)", name=op.f("ck_stock_entry_witnesses_position_1_or_2")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["stock_entries.id"],
            name=op.f("fk_stock_entry_witnesses_entry_id_stock_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["user_keys.id"], name=op.f("fk_stock_entry_witnesses_key_id_user_keys")
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"], ["users.id"], name=op.f("fk_stock_entry_witnesses_witness_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_entry_witnesses")),
        sa.UniqueConstraint(
            "entry_id", "position", name=op.f("uq_stock_entry_witnesses_entry_id_position")
        ),
        sa.UniqueConstraint(
            "entry_id", "witness_id", name=op.f("uq_stock_entry_witnesses_entry_id_witness_id")
        ),
    )
    op.create_table(
        "stock_loss_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loss_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["stock_entries.id"],
            name=op.f("fk_stock_loss_lines_entry_id_stock_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["loss_id"], ["stock_losses.id"], name=op.f("fk_stock_loss_lines_loss_id_stock_losses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_loss_lines")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_stock_loss_lines_entry_id")),
    )
    op.create_table(
        "stock_discrepancy_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discrepancy_id", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=False),
        sa.Column("resolved_by_name", sa.String(length=250), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("resolved_at_utc", utc(), nullable=False),
        sa.Column("lost_entry_id", sa.Integer(), nullable=True),
        sa.Column("loss_id", sa.Integer(), nullable=True),
        sa.Column("created_at_utc", utc(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("audit_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "length(trim(explanation)) > 0",
            name=op.f("ck_stock_discrepancy_resolutions_explanation_given"),
        ),
        sa.ForeignKeyConstraint(
            ["discrepancy_id"],
            ["stock_discrepancies.id"],
            name=op.f("fk_stock_discrepancy_resolutions_discrepancy_id_stock_discrepancies"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["user_keys.id"],
            name=op.f("fk_stock_discrepancy_resolutions_key_id_user_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["loss_id"],
            ["stock_losses.id"],
            name=op.f("fk_stock_discrepancy_resolutions_loss_id_stock_losses"),
        ),
        sa.ForeignKeyConstraint(
            ["lost_entry_id"],
            ["stock_entries.id"],
            name=op.f("fk_stock_discrepancy_resolutions_lost_entry_id_stock_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_stock_discrepancy_resolutions_resolved_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_discrepancy_resolutions")),
        sa.UniqueConstraint(
            "discrepancy_id", name=op.f("uq_stock_discrepancy_resolutions_discrepancy_id")
        ),
        sa.UniqueConstraint(
            "lost_entry_id", name=op.f("uq_stock_discrepancy_resolutions_lost_entry_id")
        ),
    )
    bind = op.get_bind()
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    """Drop the nine tables; their guard triggers go with them (the functions stay: shared)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TABLE {table} CASCADE")
        else:  # the indexes and triggers go with the table
            op.drop_table(table)
