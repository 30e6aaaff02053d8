"""social: a member may keep a club's posts out of their feed (social_club_members.feed_muted_at);
club avatars (social_club_avatars, social_clubs.avatar_at); club rides linked to a live
group ride and members-only ones (social_club_events.live_group_id, members_only)

Revision ID: 0018_social_club_feed
Revises: 0016_social_moderation
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0018_social_club_feed"
down_revision = "0016_social_moderation"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


# Plain ADD/DROP COLUMN, not batch mode: both databases alter the table in place.


def upgrade() -> None:
    op.add_column("social_club_members", sa.Column("feed_muted_at", UTC, nullable=True))
    op.add_column("social_clubs", sa.Column("avatar_at", UTC, nullable=True))
    op.add_column("social_club_events", sa.Column("live_group_id", sa.Uuid(), nullable=True))
    op.add_column(
        "social_club_events",
        sa.Column("members_only", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "social_club_avatars",
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["social_clubs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("club_id"),
    )
    op.create_index("ix_social_club_avatars_user_id", "social_club_avatars", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_social_club_avatars_user_id", table_name="social_club_avatars")
    op.drop_table("social_club_avatars")
    op.drop_column("social_club_events", "members_only")
    op.drop_column("social_club_events", "live_group_id")
    op.drop_column("social_clubs", "avatar_at")
    op.drop_column("social_club_members", "feed_muted_at")
