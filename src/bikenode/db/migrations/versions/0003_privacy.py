"""privacy zones, public ride views, encrypted health streams, erasure aggregates

Revision ID: 0003_privacy
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0003_privacy"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("rides_streams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health_data", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("health_key_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_rides_streams_health_key_id"), ["health_key_id"], unique=False
        )
    op.create_table(
        "rides_privacy_zones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("radius_m", sa.Double(), nullable=False),
        sa.Column("offset_m", sa.Double(), nullable=False),
        sa.Column("offset_bearing_deg", sa.Double(), nullable=False),
        sa.Column("extra_radius_m", sa.Double(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rides_privacy_zones")),
    )
    with op.batch_alter_table("rides_privacy_zones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rides_privacy_zones_owner_id"), ["owner_id"], unique=False
        )
    op.create_table(
        "rides_public_views",
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=True),
        sa.Column("moving_time_s", sa.Double(), nullable=True),
        sa.Column("elapsed_time_s", sa.Double(), nullable=True),
        sa.Column("elevation_gain_m", sa.Double(), nullable=True),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("has_position", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ride_id"],
            ["rides.id"],
            name=op.f("fk_rides_public_views_ride_id_rides"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ride_id", name=op.f("pk_rides_public_views")),
    )
    op.create_table(
        "governance_erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("erased_at", UTC, nullable=False),
        sa.Column("rides", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("moving_time_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_erasures")),
    )


def downgrade() -> None:
    op.drop_table("governance_erasures")
    op.drop_table("rides_public_views")
    with op.batch_alter_table("rides_privacy_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rides_privacy_zones_owner_id"))
    op.drop_table("rides_privacy_zones")
    with op.batch_alter_table("rides_streams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rides_streams_health_key_id"))
        batch_op.drop_column("health_key_id")
        batch_op.drop_column("health_data")
