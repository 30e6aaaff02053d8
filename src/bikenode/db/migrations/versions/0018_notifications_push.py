"""notifications: web push subscriptions

Revision ID: 0018_notifications_push
Revises: 0013_notifications
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0018_notifications_push"
down_revision = "0013_notifications"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications_push_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(1000), nullable=False),
        sa.Column("p256dh", sa.String(100), nullable=False),
        sa.Column("auth", sa.String(32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_push_subscriptions")),
    )
    op.create_index(
        "ix_notifications_push_subscriptions_endpoint",
        "notifications_push_subscriptions",
        ["endpoint"],
        unique=True,
    )
    op.create_index(
        "ix_notifications_push_subscriptions_user_id",
        "notifications_push_subscriptions",
        ["user_id"],
    )


def downgrade() -> None:
    op.drop_table("notifications_push_subscriptions")
