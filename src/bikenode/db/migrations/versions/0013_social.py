"""social: follow settings, follows, blocks, kudos, comments and reports

Revision ID: 0013_social
Revises: 0002
Create Date: 2026-12-07

Riders and rides are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_social"
down_revision = "0002"
branch_labels = ("social",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "social_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("approve_followers", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_social_profiles")),
    )
    op.create_table(
        "social_follows",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("followee_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("accepted_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("user_id", "followee_id", name=op.f("pk_social_follows")),
    )
    op.create_index("ix_social_follows_followee", "social_follows", ["followee_id", "status"])
    op.create_table(
        "social_blocks",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("blocked_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "blocked_id", name=op.f("pk_social_blocks")),
    )
    op.create_index("ix_social_blocks_blocked", "social_blocks", ["blocked_id"])
    op.create_table(
        "social_kudos",
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("ride_owner_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("ride_id", "user_id", name=op.f("pk_social_kudos")),
    )
    op.create_index("ix_social_kudos_user", "social_kudos", ["user_id"])
    op.create_index("ix_social_kudos_ride_owner_id", "social_kudos", ["ride_owner_id"])
    op.create_table(
        "social_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("ride_owner_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("hidden_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_comments")),
    )
    op.create_index("ix_social_comments_ride", "social_comments", ["ride_id", "created_at"])
    op.create_index("ix_social_comments_ride_owner_id", "social_comments", ["ride_owner_id"])
    op.create_index("ix_social_comments_user_id", "social_comments", ["user_id"])
    op.create_table(
        "social_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_reports")),
    )
    op.create_index("ix_social_reports_user_id", "social_reports", ["user_id"])
    op.create_index("ix_social_reports_status", "social_reports", ["status", "created_at"])
    op.create_index("ix_social_reports_subject", "social_reports", ["subject_kind", "subject_id"])


def downgrade() -> None:
    for table in (
        "social_reports",
        "social_comments",
        "social_kudos",
        "social_blocks",
        "social_follows",
        "social_profiles",
    ):
        op.drop_table(table)
