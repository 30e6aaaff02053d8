"""market: mechanic profiles and reviews with replies

Revision ID: 0017_market_mechanics
Revises: 0013_market
Create Date: 2026-12-07

A profile keeps only an approximate place (a ~1.1 km cell's centre), like a job.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0017_market_mechanics"
down_revision = "0013_market"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_mechanic_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("radius_km", sa.Integer(), nullable=False),
        sa.Column("hours", sa.String(200), nullable=False),
        sa.Column("accepting", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "radius_km > 0", name=op.f("ck_market_mechanic_profiles_radius_positive")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_market_mechanic_profiles")),
    )
    op.create_index(
        "ix_market_mechanic_profiles_accepting_lat_lon",
        "market_mechanic_profiles",
        ["accepting", "lat_deg", "lon_deg"],
    )
    op.create_table(
        "market_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("mechanic_id", sa.Uuid(), nullable=True),
        sa.Column("rider_id", sa.Uuid(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("edited_at", UTC, nullable=True),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_market_reviews_stars_range")),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["market_jobs.id"],
            name=op.f("fk_market_reviews_job_id_market_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_reviews")),
        sa.UniqueConstraint("job_id", name="uq_market_reviews_job"),
    )
    op.create_index(
        "ix_market_reviews_mechanic_created", "market_reviews", ["mechanic_id", "created_at"]
    )
    op.create_index("ix_market_reviews_rider_id", "market_reviews", ["rider_id"])


def downgrade() -> None:
    op.drop_table("market_reviews")
    op.drop_table("market_mechanic_profiles")
