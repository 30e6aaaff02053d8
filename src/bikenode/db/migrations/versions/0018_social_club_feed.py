"""social: a member may keep a club's posts out of their feed (social_club_members.feed_muted_at)

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


def downgrade() -> None:
    op.drop_column("social_club_members", "feed_muted_at")
