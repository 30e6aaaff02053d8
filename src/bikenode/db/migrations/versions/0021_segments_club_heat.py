"""segments: weekly releases of each club's community heatmap

Revision ID: 0021_segments_club_heat
Revises: 0017_segments_board_classes
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0021_segments_club_heat"
down_revision = "0017_segments_board_classes"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments_heat_club_releases",
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", UTC, nullable=False),
        sa.Column("released_at", UTC, nullable=False),
        sa.Column("epsilon", sa.Double(), nullable=False),
        sa.Column("delta", sa.Double(), nullable=False),
        sa.Column("max_cells", sa.Integer(), nullable=False),
        sa.Column("min_riders", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "club_id", "week_start", name=op.f("pk_segments_heat_club_releases")
        ),
    )
    op.create_table(
        "segments_heat_club_released",
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", UTC, nullable=False),
        sa.Column("cell_x", sa.Integer(), nullable=False),
        sa.Column("cell_y", sa.Integer(), nullable=False),
        sa.Column("riders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "club_id",
            "week_start",
            "cell_x",
            "cell_y",
            name=op.f("pk_segments_heat_club_released"),
        ),
    )
    op.create_index(
        "ix_segments_heat_club_released_cell",
        "segments_heat_club_released",
        ["club_id", "cell_x", "cell_y", "week_start"],
    )


def downgrade() -> None:
    op.drop_table("segments_heat_club_released")
    op.drop_table("segments_heat_club_releases")
