"""notifications: notifications, preferences, quiet hours, delivery log

Revision ID: 0013_notifications
Revises: 0002
Create Date: 2026-12-07

Riders are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_notifications"
down_revision = "0002"
branch_labels = ("notifications",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_notifications")),
    )
    op.create_index(
        "ix_notifications_notifications_user_created",
        "notifications_notifications",
        ["user_id", "created_at"],
    )
    op.create_index(
        "ix_notifications_notifications_event",
        "notifications_notifications",
        ["user_id", "event_id", "type"],
        unique=True,
    )
    op.create_table(
        "notifications_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "type", "channel", name=op.f("pk_notifications_preferences")
        ),
    )
    op.create_table(
        "notifications_quiet_hours",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("start_min", sa.Integer(), nullable=False),
        sa.Column("end_min", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notifications_quiet_hours")),
    )
    op.create_table(
        "notifications_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_deliveries")),
    )
    op.create_index(
        "ix_notifications_deliveries_notification_channel",
        "notifications_deliveries",
        ["notification_id", "channel"],
        unique=True,
    )
    op.create_index(
        "ix_notifications_deliveries_due", "notifications_deliveries", ["state", "next_try_at"]
    )
    op.create_index("ix_notifications_deliveries_user_id", "notifications_deliveries", ["user_id"])


def downgrade() -> None:
    op.drop_table("notifications_deliveries")
    op.drop_table("notifications_quiet_hours")
    op.drop_table("notifications_preferences")
    op.drop_table("notifications_notifications")
