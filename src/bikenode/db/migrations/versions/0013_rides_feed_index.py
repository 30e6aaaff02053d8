"""rides: the owner-and-start index also covers visibility and id (feed pages)

Revision ID: 0013_rides_feed_index
Revises: 0008_ride_commute
Create Date: 2026-12-07

A feed page picks the newest visible rides of up to thousands of followed riders; with
visibility and id in the index it sorts them without reading a row per ride (bench/feed.py).
"""

from __future__ import annotations

from alembic import op

revision = "0013_rides_feed_index"
down_revision = "0008_ride_commute"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_rides_owner_started", table_name="rides")
    op.create_index(
        "ix_rides_owner_started", "rides", ["owner_id", "started_at", "visibility", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_rides_owner_started", table_name="rides")
    op.create_index("ix_rides_owner_started", "rides", ["owner_id", "started_at"])
