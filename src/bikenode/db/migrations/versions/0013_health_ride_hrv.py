"""health: which ride gave which day's HRV (rides with FIT hrv messages)

Revision ID: 0013_health_ride_hrv
Revises: 0011_health
Create Date: 2026-12-07

Rides and riders are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_health_ride_hrv"
down_revision = "0011_health"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "health_ride_hrv",
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("ride_id", name=op.f("pk_health_ride_hrv")),
    )
    op.create_index("ix_health_ride_hrv_owner_day", "health_ride_hrv", ["owner_id", "day"])


def downgrade() -> None:
    op.drop_table("health_ride_hrv")
