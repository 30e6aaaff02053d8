"""TOTP secrets sealed with the data key ring (AES-256-GCM) instead of plain text

Revision ID: 0004_mfa_sealed
Revises: 0003_security
Create Date: 2026-11-24

Existing plain secrets are sealed here, under the key ring the app uses: the one the running
process installed (`serve`, `db upgrade` and the CLI install it before upgrading), else the
one from the settings (BIKENODE_DATA_KEYS, or DATA_DIR/data.keys, created if missing).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from bikenode.encryption import KeyRing

revision = "0004_mfa_sealed"
down_revision = "0003_security"
branch_labels = None
depends_on = None

# The same associated data as bikenode.accounts.sealing.totp_context (frozen here on purpose).
_CONTEXT_PREFIX = b"accounts_mfa_factors.secret:"

_factors = sa.table(
    "accounts_mfa_factors",
    sa.column("user_id", sa.Uuid()),
    sa.column("secret", sa.String(64)),
    sa.column("secret_sealed", sa.LargeBinary()),
    sa.column("key_id", sa.String(40)),
)


def _key_ring() -> KeyRing:
    from bikenode.config import load_settings
    from bikenode.encryption import current_key_ring, key_ring_from_settings

    try:
        return current_key_ring()
    except RuntimeError:  # run outside the app and the CLI (alembic's own command)
        return key_ring_from_settings(load_settings())


def _context(user_id: uuid.UUID) -> bytes:
    return _CONTEXT_PREFIX + user_id.bytes


def upgrade() -> None:
    with op.batch_alter_table("accounts_mfa_factors") as batch_op:
        batch_op.add_column(sa.Column("secret_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_factors.c.user_id, _factors.c.secret)).all()
    if rows:  # an empty table needs no key (and creates no key file)
        ring = _key_ring()
        for user_id, secret in rows:
            sealed = ring.encrypt(secret.encode("ascii"), context=_context(user_id))
            connection.execute(
                _factors.update()
                .where(_factors.c.user_id == user_id)
                .values(secret_sealed=sealed, key_id=ring.current_key_id)
            )
    with op.batch_alter_table("accounts_mfa_factors") as batch_op:
        batch_op.alter_column("secret_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("key_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_column("secret")
        batch_op.create_index(batch_op.f("ix_accounts_mfa_factors_key_id"), ["key_id"])


def downgrade() -> None:
    with op.batch_alter_table("accounts_mfa_factors") as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_factors.c.user_id, _factors.c.secret_sealed)).all()
    if rows:
        ring = _key_ring()
        for user_id, sealed in rows:
            secret = ring.decrypt(sealed, context=_context(user_id)).decode("ascii")
            connection.execute(
                _factors.update().where(_factors.c.user_id == user_id).values(secret=secret)
            )
    with op.batch_alter_table("accounts_mfa_factors") as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_mfa_factors_key_id"))
        batch_op.drop_column("key_id")
        batch_op.drop_column("secret_sealed")
        batch_op.alter_column("secret", existing_type=sa.String(length=64), nullable=False)
