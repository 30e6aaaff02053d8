"""health: daily metrics (values sealed) and alert episodes (explanations sealed)

Revision ID: 0011_health
Revises: 0002
Create Date: 2026-12-07

Riders are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0011_health"
down_revision = "0002"
branch_labels = ("health",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "health_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(24), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("value_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_metrics")),
    )
    op.create_index(
        "ix_health_metrics_owner_day_metric_source",
        "health_metrics",
        ["owner_id", "day", "metric", "source"],
        unique=True,
    )
    op.create_table(
        "health_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("explanation_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_alerts")),
    )
    op.create_index(
        "ix_health_alerts_owner_day_metric_kind",
        "health_alerts",
        ["owner_id", "day", "metric", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("health_alerts")
    op.drop_table("health_metrics")
