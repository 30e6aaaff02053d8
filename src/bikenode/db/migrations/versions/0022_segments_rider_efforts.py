"""segments: efforts indexed by (segment, rider, time), for a rider's next-best effort

Revision ID: 0022_segments_rider_efforts
Revises: 0021_segments_club_heat
Create Date: 2026-12-07

A board whose rider's best sits on a ride a moderator hid looks up that rider's fastest
effort others may see; without this index the look-up walks every effort on the segment.
"""

from __future__ import annotations

from alembic import op

revision = "0022_segments_rider_efforts"
down_revision = "0021_segments_club_heat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_segments_efforts_segment_owner_elapsed",
        "segments_efforts",
        ["segment_id", "owner_id", "elapsed_s"],
    )


def downgrade() -> None:
    op.drop_index("ix_segments_efforts_segment_owner_elapsed", table_name="segments_efforts")
