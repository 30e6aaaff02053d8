"""bikes: reminders, each threshold crossing of a component's interval recorded once

Revision ID: 0011_bikes_reminders
Revises: 0010_bikes
Create Date: 2026-12-07

The unique constraint (component, threshold, interval start) is what makes a crossing
announced once, even when two recomputes run at the same time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0011_bikes_reminders"
down_revision = "0010_bikes"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bikes_reminders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("component_id", sa.Uuid(), nullable=False),
        sa.Column("threshold", sa.String(8), nullable=False),
        sa.Column("fraction", sa.Double(), nullable=False),
        sa.Column("limit", sa.String(16), nullable=False),
        sa.Column("interval_start", UTC, nullable=False),
        sa.Column("crossed_at", UTC, nullable=False),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("moving_s", sa.Double(), nullable=False),
        sa.Column("rides", sa.Integer(), nullable=False),
        sa.Column("snoozed_until", UTC, nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["bikes_components.id"],
            name=op.f("fk_bikes_reminders_component_id_bikes_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikes_reminders")),
        sa.UniqueConstraint(
            "component_id",
            "threshold",
            "interval_start",
            name=op.f("uq_bikes_reminders_crossing"),
        ),
    )
    op.create_index(op.f("ix_bikes_reminders_owner_id"), "bikes_reminders", ["owner_id"])
    op.create_index(op.f("ix_bikes_reminders_component_id"), "bikes_reminders", ["component_id"])


def downgrade() -> None:
    op.drop_table("bikes_reminders")
