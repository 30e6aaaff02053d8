"""live devices over MQTT: the broker's hash of each device token

Revision ID: 0019_live_device_mqtt
Revises: 0018_live_devices
Create Date: 2026-12-07

mosquitto checks a device's password (its token) against a PBKDF2-SHA512 hash in its password
file; BikeNode keeps only the token's SHA-256, so that hash is made once, when the token is.
Devices made before have none: they keep the HTTP ingest, a new device gets MQTT too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_live_device_mqtt"
down_revision = "0018_live_devices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_devices") as batch:
        batch.add_column(sa.Column("mqtt_password_hash", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("live_devices") as batch:
        batch.drop_column("mqtt_password_hash")
