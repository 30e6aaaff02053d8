"""fitness: the stream figures a ride's stress is computed from, kept with its figures

Revision ID: 0014_fitness_ride_inputs
Revises: 0009_fitness
Create Date: 2026-12-07

A threshold change then recomputes stress from these columns instead of decoding every ride's
streams again. power_recorded_s NULL marks a row from before them (recomputed from streams).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_fitness_ride_inputs"
down_revision = "0009_fitness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fitness_ride_figures") as batch:
        batch.add_column(sa.Column("power_recorded_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("weighted_power_w", sa.Double(), nullable=True))
        batch.add_column(sa.Column("avg_hr_bpm", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fitness_ride_figures") as batch:
        batch.drop_column("avg_hr_bpm")
        batch.drop_column("weighted_power_w")
        batch.drop_column("power_recorded_s")
