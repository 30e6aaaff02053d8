"""rides: an index of every rider's rides newest first, for feeds that follow many riders

Revision ID: 0020_rides_feed_started
Revises: 0013_rides_feed_index
Create Date: 2026-12-07

A feed following 1,000 riders sorted all their rides (some 9,000) for each page; PostgreSQL
now walks this index newest first and stops when the page is full (bench/feed.py).
"""

from __future__ import annotations

from alembic import op

revision = "0020_rides_feed_started"
down_revision = "0013_rides_feed_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rides_started", "rides", ["started_at", "id", "owner_id", "visibility"])


def downgrade() -> None:
    op.drop_index("ix_rides_started", table_name="rides")
