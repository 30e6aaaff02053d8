"""a ride's choice of showing heart rate and power to others (null: the rider's default)

Revision ID: 0007_ride_health_sharing
Revises: 0003_privacy
Create Date: 2026-12-07

Existing rides get null, so they follow their rider's default, which starts as false.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_ride_health_sharing"
down_revision = "0003_privacy"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not batch mode: a batch copy of rides on SQLite would drop the table,
# and with foreign_keys=ON that deletes every stream, original and cached view of a ride.


def upgrade() -> None:
    op.add_column("rides", sa.Column("share_health", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("rides", "share_health")
