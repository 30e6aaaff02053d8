"""bikes: the device serials of each ride on a bike, to learn which bike a serial is on

Revision ID: 0012_bikes_ride_devices
Revises: 0011_bikes_reminders
Create Date: 2026-12-07

Copied from rides.ride_devices, as the ride's figures are, so assignment never reads
rides' tables. Rows written before this have none until their ride changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_bikes_ride_devices"
down_revision = "0011_bikes_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bikes_ride_assignments") as batch:
        batch.add_column(sa.Column("devices", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("bikes_ride_assignments") as batch:
        batch.drop_column("devices")
