"""fitness: a rider's grants of read access to their fitness and health data to a coach

Revision ID: 0015_fitness_coach_grants
Revises: 0014_fitness_ride_inputs
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0015_fitness_coach_grants"
down_revision = "0014_fitness_ride_inputs"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fitness_coach_grants",
        sa.Column("athlete_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("athlete_id", "coach_id", name=op.f("pk_fitness_coach_grants")),
    )
    op.create_index("ix_fitness_coach_grants_coach", "fitness_coach_grants", ["coach_id"])


def downgrade() -> None:
    op.drop_index("ix_fitness_coach_grants_coach", table_name="fitness_coach_grants")
    op.drop_table("fitness_coach_grants")
