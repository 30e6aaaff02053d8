"""a ride's commute flag (as Strava and Garmin have it)

Revision ID: 0008_ride_commute
Revises: 0007_ride_health_sharing
Create Date: 2026-12-07

Existing rides are not commutes; a rider marks them on the ride page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_ride_commute"
down_revision = "0007_ride_health_sharing"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not batch mode: a batch copy of rides on SQLite would drop the table,
# and with foreign_keys=ON that deletes every stream, original and cached view of a ride.


def upgrade() -> None:
    op.add_column(
        "rides", sa.Column("commute", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("rides", "commute")
