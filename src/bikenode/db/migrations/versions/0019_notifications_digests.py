"""notifications: digest choices and schedules

Revision ID: 0019_notifications_digests
Revises: 0018_notifications_push
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0019_notifications_digests"
down_revision = "0018_notifications_push"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications_digest_choices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "type", name=op.f("pk_notifications_digest_choices")),
    )
    op.create_table(
        "notifications_digest_schedules",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notifications_digest_schedules")),
    )


def downgrade() -> None:
    op.drop_table("notifications_digest_schedules")
    op.drop_table("notifications_digest_choices")
