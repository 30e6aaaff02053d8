"""sessions get an absolute lifetime: when their sign-in happened

Revision ID: 0008_session_lifetime
Revises: 0007_share_health_default
Create Date: 2026-12-07

Each refresh token carries its session's start, so that rotating it daily cannot keep a
session alive for ever. Existing tokens take the earliest issue time of their family.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bikenode.db.base import UTCDateTime

revision = "0008_session_lifetime"
down_revision = "0007_share_health_default"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts_refresh_tokens",
        sa.Column("session_started_at", UTCDateTime(timezone=True), nullable=True),
    )
    tokens = sa.table(
        "accounts_refresh_tokens",
        sa.column("family_id", sa.Uuid()),
        sa.column("issued_at", sa.DateTime()),
        sa.column("session_started_at", sa.DateTime()),
    )
    earlier = sa.alias(tokens, "earlier")
    earliest = (
        sa.select(sa.func.min(earlier.c.issued_at))
        .where(earlier.c.family_id == tokens.c.family_id)
        .scalar_subquery()
    )
    op.execute(tokens.update().values(session_started_at=earliest))
    # Batch mode is safe here (unlike accounts_users): no table refers to refresh tokens.
    with op.batch_alter_table("accounts_refresh_tokens") as batch:
        batch.alter_column(
            "session_started_at", existing_type=UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts_refresh_tokens") as batch:
        batch.drop_column("session_started_at")
