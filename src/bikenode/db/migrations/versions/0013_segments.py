"""segments: segments with their candidate grid cells, matched efforts, riders' bests

Revision ID: 0013_segments
Revises: 0002
Create Date: 2026-12-07

Riders and rides are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_segments"
down_revision = "0002"
branch_labels = ("segments",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sport", sa.String(40), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("source_ride_id", sa.Uuid(), nullable=True),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("elevation_gain_m", sa.Double(), nullable=True),
        sa.Column("avg_grade_pct", sa.Double(), nullable=True),
        sa.Column("start_lat", sa.Double(), nullable=False),
        sa.Column("start_lon", sa.Double(), nullable=False),
        sa.Column("end_lat", sa.Double(), nullable=False),
        sa.Column("end_lon", sa.Double(), nullable=False),
        sa.Column("start_cell", sa.BigInteger(), nullable=False),
        sa.Column("end_cell", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index("ix_segments_owner_id", "segments", ["owner_id"])
    op.create_index("ix_segments_start_cell", "segments", ["start_cell"])
    op.create_index("ix_segments_start_lat_start_lon", "segments", ["start_lat", "start_lon"])
    op.create_table(
        "segments_efforts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("ride_visibility", sa.String(16), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("elapsed_s", sa.Double(), nullable=False),
        sa.Column("moving_s", sa.Double(), nullable=False),
        sa.Column("avg_power_w", sa.Double(), nullable=True),
        sa.Column("avg_hr_bpm", sa.Double(), nullable=True),
        sa.Column("start_index", sa.Integer(), nullable=False),
        sa.Column("end_index", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments_efforts")),
    )
    op.create_index(
        "ix_segments_efforts_segment_id_elapsed_s", "segments_efforts", ["segment_id", "elapsed_s"]
    )
    op.create_index("ix_segments_efforts_ride_id", "segments_efforts", ["ride_id"])
    op.create_index("ix_segments_efforts_owner_id", "segments_efforts", ["owner_id"])
    op.create_table(
        "segments_bests",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("period", sa.String(12), nullable=False),
        sa.Column("effort_id", sa.Uuid(), nullable=False),
        sa.Column("elapsed_s", sa.Double(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint(
            "segment_id", "owner_id", "scope", "period", name=op.f("pk_segments_bests")
        ),
    )
    op.create_index(
        "ix_segments_bests_board",
        "segments_bests",
        ["segment_id", "scope", "period", "elapsed_s", "started_at", "effort_id"],
    )
    op.create_index("ix_segments_bests_owner_id", "segments_bests", ["owner_id"])


def downgrade() -> None:
    op.drop_table("segments_bests")
    op.drop_table("segments_efforts")
    op.drop_table("segments")
