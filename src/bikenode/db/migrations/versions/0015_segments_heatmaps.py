"""segments: heatmap point store, riders' heatmap settings, weekly community releases

Revision ID: 0015_segments_heatmaps
Revises: 0013_segments
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0015_segments_heatmaps"
down_revision = "0013_segments"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments_heat_chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("ride_visibility", sa.String(16), nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("cell_x", sa.Integer(), nullable=False),
        sa.Column("cell_y", sa.Integer(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_heat_chunks")),
    )
    op.create_index(
        "ix_segments_heat_chunks_owner_cell",
        "segments_heat_chunks",
        ["owner_id", "level", "cell_x", "cell_y"],
    )
    op.create_index("ix_segments_heat_chunks_ride_id", "segments_heat_chunks", ["ride_id"])
    op.create_index("ix_segments_heat_chunks_started_at", "segments_heat_chunks", ["started_at"])
    op.create_table(
        "segments_heat_tiles",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("zoom", sa.SmallInteger(), nullable=False),
        sa.Column("tile_x", sa.Integer(), nullable=False),
        sa.Column("tile_y", sa.Integer(), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id", "zoom", "tile_x", "tile_y", name=op.f("pk_segments_heat_tiles")
        ),
    )
    op.create_table(
        "segments_heat_riders",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("community_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_segments_heat_riders")),
    )
    op.create_table(
        "segments_heat_releases",
        sa.Column("week_start", UTC, nullable=False),
        sa.Column("released_at", UTC, nullable=False),
        sa.Column("epsilon", sa.Double(), nullable=False),
        sa.Column("delta", sa.Double(), nullable=False),
        sa.Column("max_cells", sa.Integer(), nullable=False),
        sa.Column("min_riders", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week_start", name=op.f("pk_segments_heat_releases")),
    )
    op.create_table(
        "segments_heat_released",
        sa.Column("week_start", UTC, nullable=False),
        sa.Column("cell_x", sa.Integer(), nullable=False),
        sa.Column("cell_y", sa.Integer(), nullable=False),
        sa.Column("riders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "week_start", "cell_x", "cell_y", name=op.f("pk_segments_heat_released")
        ),
    )
    op.create_index(
        "ix_segments_heat_released_cell",
        "segments_heat_released",
        ["cell_x", "cell_y", "week_start"],
    )


def downgrade() -> None:
    op.drop_table("segments_heat_released")
    op.drop_table("segments_heat_releases")
    op.drop_table("segments_heat_riders")
    op.drop_table("segments_heat_tiles")
    op.drop_table("segments_heat_chunks")
