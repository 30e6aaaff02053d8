"""bikes: bikes, components, installation windows, ride assignments, the service log

Revision ID: 0010_bikes
Revises: 0002
Create Date: 2026-12-07

Riders and rides are named by id only (no foreign key across domains). Overlapping
installation windows are refused in bikes/service.py on both databases; no exclusion
constraint yet (docs/bikes.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0010_bikes"
down_revision = "0002"
branch_labels = ("bikes",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _names() -> list[sa.Column[str | None]]:
    return [sa.Column("brand", sa.String(100), nullable=True), sa.Column("model", sa.String(100))]


def upgrade() -> None:
    op.create_table(
        "bikes_bikes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        *_names(),
        sa.Column("frame_size", sa.String(20), nullable=True),
        sa.Column("weight_kg", sa.Double(), nullable=True),
        sa.Column("purchased_on", sa.Date(), nullable=True),
        sa.Column("price", sa.Double(), nullable=True),
        sa.Column("start_distance_m", sa.Double(), nullable=False),
        sa.Column("default_for_sports", sa.JSON(), nullable=False),
        sa.Column("retired_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikes_bikes")),
    )
    op.create_index(op.f("ix_bikes_bikes_owner_id"), "bikes_bikes", ["owner_id"])
    op.create_table(
        "bikes_components",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        *_names(),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("start_distance_m", sa.Double(), nullable=False),
        sa.Column("start_moving_s", sa.Double(), nullable=False),
        sa.Column("interval_distance_m", sa.Double(), nullable=True),
        sa.Column("interval_moving_s", sa.Double(), nullable=True),
        sa.Column("interval_days", sa.Double(), nullable=True),
        sa.Column("retired_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikes_components")),
    )
    op.create_index(op.f("ix_bikes_components_owner_id"), "bikes_components", ["owner_id"])
    op.create_table(
        "bikes_installations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("component_id", sa.Uuid(), nullable=False),
        sa.Column("bike_id", sa.Uuid(), nullable=True),
        sa.Column("parent_component_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.String(16), nullable=False),
        sa.Column("installed_at", UTC, nullable=False),
        sa.Column("removed_at", UTC, nullable=True),
        sa.CheckConstraint(
            "(bike_id IS NULL) <> (parent_component_id IS NULL)",
            name=op.f("ck_bikes_installations_one_holder"),
        ),
        sa.CheckConstraint(
            "removed_at IS NULL OR removed_at > installed_at",
            name=op.f("ck_bikes_installations_window_order"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["bikes_components.id"],
            name=op.f("fk_bikes_installations_component_id_bikes_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bike_id"],
            ["bikes_bikes.id"],
            name=op.f("fk_bikes_installations_bike_id_bikes_bikes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_component_id"],
            ["bikes_components.id"],
            name=op.f("fk_bikes_installations_parent_component_id_bikes_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikes_installations")),
    )
    for column in ("component_id", "bike_id", "parent_component_id"):
        op.create_index(op.f(f"ix_bikes_installations_{column}"), "bikes_installations", [column])
    op.create_table(
        "bikes_ride_assignments",
        sa.Column("ride_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("bike_id", sa.Uuid(), nullable=True),
        sa.Column("chosen_by_rider", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sport", sa.String(40), nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("moving_s", sa.Double(), nullable=False),
        sa.Column("elevation_gain_m", sa.Double(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["bike_id"],
            ["bikes_bikes.id"],
            name=op.f("fk_bikes_ride_assignments_bike_id_bikes_bikes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ride_id", name=op.f("pk_bikes_ride_assignments")),
    )
    op.create_index(
        op.f("ix_bikes_ride_assignments_owner_id"), "bikes_ride_assignments", ["owner_id"]
    )
    op.create_index(
        "ix_bikes_ride_assignments_bike_started",
        "bikes_ride_assignments",
        ["bike_id", "started_at"],
    )
    op.create_table(
        "bikes_service_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("component_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("done_at", UTC, nullable=False),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["bikes_components.id"],
            name=op.f("fk_bikes_service_log_component_id_bikes_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikes_service_log")),
    )
    op.create_index(op.f("ix_bikes_service_log_owner_id"), "bikes_service_log", ["owner_id"])
    op.create_index(
        op.f("ix_bikes_service_log_component_id"), "bikes_service_log", ["component_id"]
    )


def downgrade() -> None:
    op.drop_table("bikes_service_log")
    op.drop_table("bikes_ride_assignments")
    op.drop_table("bikes_installations")
    op.drop_table("bikes_components")
    op.drop_table("bikes_bikes")
