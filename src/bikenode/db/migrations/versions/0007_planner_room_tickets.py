"""planner: single-use tickets into a route's room (so no access token travels in a URL)

Revision ID: 0007_planner_room_tickets
Revises: 0004_planner
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0007_planner_room_tickets"
down_revision = "0004_planner"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "planner_room_tickets",
        sa.Column("ticket_sha256", sa.String(length=64), nullable=False),
        sa.Column("route_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["planner_routes.id"],
            name=op.f("fk_planner_room_tickets_route_id_planner_routes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_sha256", name=op.f("pk_planner_room_tickets")),
    )
    op.create_index(op.f("ix_planner_room_tickets_route_id"), "planner_room_tickets", ["route_id"])
    op.create_index(op.f("ix_planner_room_tickets_user_id"), "planner_room_tickets", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_planner_room_tickets_user_id"), table_name="planner_room_tickets")
    op.drop_index(op.f("ix_planner_room_tickets_route_id"), table_name="planner_room_tickets")
    op.drop_table("planner_room_tickets")
