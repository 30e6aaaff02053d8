"""password-reset tokens (stored as SHA-256, single use, 30 minutes)

Revision ID: 0005_password_reset
Revises: 0004_mfa_sealed
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0005_password_reset"
down_revision = "0004_mfa_sealed"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts_password_reset_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts_users.id"],
            name=op.f("fk_accounts_password_reset_tokens_user_id_accounts_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_accounts_password_reset_tokens")),
    )
    op.create_index(
        op.f("ix_accounts_password_reset_tokens_user_id"),
        "accounts_password_reset_tokens",
        ["user_id"],
    )


def downgrade() -> None:
    op.drop_table("accounts_password_reset_tokens")
