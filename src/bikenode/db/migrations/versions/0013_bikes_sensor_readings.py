"""bikes: sensors' battery readings per ride, for the battery status of each sensor

Revision ID: 0013_bikes_sensor_readings
Revises: 0012_bikes_ride_devices
Create Date: 2026-12-07

Copied from rides.ride_devices as the serials are; rides imported before this have none
until the ride changes (and files imported before it carry no readings).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_bikes_sensor_readings"
down_revision = "0012_bikes_ride_devices"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bikes_sensor_readings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("read_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("voltage_v", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_bikes_sensor_readings_owner_read_at",
        "bikes_sensor_readings",
        ["owner_id", "read_at"],
    )
    op.create_index("ix_bikes_sensor_readings_ride_id", "bikes_sensor_readings", ["ride_id"])


def downgrade() -> None:
    op.drop_index("ix_bikes_sensor_readings_ride_id", table_name="bikes_sensor_readings")
    op.drop_index("ix_bikes_sensor_readings_owner_read_at", table_name="bikes_sensor_readings")
    op.drop_table("bikes_sensor_readings")
