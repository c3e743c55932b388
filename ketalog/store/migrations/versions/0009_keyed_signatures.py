"""keyed signatures: each signer's Ed25519 key, signatures bound to it, forced password change

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

A signature was a SHA-256 stored beside the data, so anyone who could write
the database could forge one. From now on each signature carries the signer's
key id and an Ed25519 signature that only the signer's password unlocks.
Signatures that exist now cannot be keyed after the fact: their ids and hashes
are listed once in ``legacy_signatures`` (write-once), so ``verify`` can tell
such a signature from a keyless row inserted later. ``users.must_change_password``
makes the next log-in after an administrator's reset ask for a new password.
The guards come from :mod:`ketalog.store.guards`.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ketalog.store.types
from ketalog.store.guards import KEY_FUNCTION, function_sql, install_missing

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('encrypted_private_key', sa.String(length=200), nullable=False),
        sa.Column('kdf', sa.String(length=80), nullable=False),
        sa.Column('kdf_salt', sa.String(length=64), nullable=False),
        sa.Column('retired_at_utc', ketalog.store.types.UTCDateTime(), nullable=True),
        sa.Column('issued_after_admin_reset', sa.Boolean(), server_default=sa.false(),
                  nullable=False),
        sa.Column('created_at_utc', ketalog.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_keys_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_keys')),
    )
    op.create_index('ix_user_keys_user', 'user_keys', ['user_id'], unique=False)
    op.create_table(
        'legacy_signatures',
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'],
                                name=op.f('fk_legacy_signatures_signature_id_signatures')),
        sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_legacy_signatures')),
    )
    # plain ADD COLUMN on both databases: no table rebuild, the guards stay in place
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a reference only this way
        op.execute("ALTER TABLE signatures ADD COLUMN key_id INTEGER "
                   "CONSTRAINT fk_signatures_key_id_user_keys REFERENCES user_keys (id)")
    else:
        op.add_column('signatures', sa.Column(
            'key_id', sa.Integer(),
            sa.ForeignKey('user_keys.id', name=op.f('fk_signatures_key_id_user_keys')),
            nullable=True))
    op.add_column('signatures', sa.Column('signature', sa.String(length=128), nullable=True))
    op.execute("INSERT INTO legacy_signatures (signature_id, content_sha256) "
               "SELECT id, content_sha256 FROM signatures")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(function_sql(KEY_FUNCTION))
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TABLE legacy_signatures CASCADE")
    else:
        op.drop_table('legacy_signatures')
    if bind.dialect.name == "sqlite":  # the rebuild below cannot rename under triggers
        for (name,) in bind.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ketalog_guard_%'").all():
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('signatures') as batch:
        if bind.dialect.name == "postgresql":  # SQLite rebuilds the table without it
            batch.drop_constraint(op.f('fk_signatures_key_id_user_keys'), type_='foreignkey')
        batch.drop_column('signature')
        batch.drop_column('key_id')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('must_change_password')
    op.drop_index('ix_user_keys_user', table_name='user_keys')
    op.drop_table('user_keys')
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {KEY_FUNCTION}()")
    # a SQLite table rebuild drops its triggers: put the remaining tables' guards back
    install_missing(bind, frozenset(sa.inspect(bind).get_table_names()))
