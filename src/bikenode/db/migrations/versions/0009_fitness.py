"""fitness: dated thresholds, each ride's training stress and power curve, load settings

Revision ID: 0009_fitness
Revises: 0002
Create Date: 2026-12-07

Ride figures point at rides (deleted with them); everything else names its rider by id only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0009_fitness"
down_revision = "0002"
branch_labels = ("fitness",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fitness_thresholds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fitness_thresholds")),
    )
    op.create_index(
        "ix_fitness_thresholds_owner_kind_from",
        "fitness_thresholds",
        ["owner_id", "kind", "valid_from"],
        unique=True,
    )
    op.create_table(
        "fitness_ride_figures",
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sport", sa.String(40), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("stress", sa.Double(), nullable=True),
        sa.Column("stress_source", sa.String(16), nullable=False),
        sa.Column("stress_reason", sa.Text(), nullable=True),
        sa.Column("stress_override", sa.Double(), nullable=True),
        sa.Column("power_curve", sa.LargeBinary(), nullable=True),
        sa.Column("computed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["ride_id"],
            ["rides.id"],
            name=op.f("fk_fitness_ride_figures_ride_id_rides"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ride_id", name=op.f("pk_fitness_ride_figures")),
    )
    op.create_index(
        "ix_fitness_ride_figures_owner_day", "fitness_ride_figures", ["owner_id", "day"]
    )
    op.create_table(
        "fitness_profiles",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("fitness_days", sa.Integer(), nullable=False),
        sa.Column("fatigue_days", sa.Integer(), nullable=False),
        sa.Column("form_same_day", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("seed_fitness", sa.Double(), nullable=False),
        sa.Column("seed_fatigue", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_fitness_profiles")),
    )
    op.create_table(
        "fitness_recomputes",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_fitness_recomputes")),
        sa.UniqueConstraint("request_id", name=op.f("uq_fitness_recomputes_request_id")),
    )


def downgrade() -> None:
    op.drop_table("fitness_recomputes")
    op.drop_table("fitness_profiles")
    op.drop_index("ix_fitness_ride_figures_owner_day", table_name="fitness_ride_figures")
    op.drop_table("fitness_ride_figures")
    op.drop_index("ix_fitness_thresholds_owner_kind_from", table_name="fitness_thresholds")
    op.drop_table("fitness_thresholds")
