"""planner: routes, collaborators, each route's Yjs update log

Revision ID: 0004_planner
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0004_planner"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _route_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["route_id"],
        ["planner_routes.id"],
        name=op.f(f"fk_{table}_route_id_planner_routes"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "planner_routes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planner_routes")),
    )
    with op.batch_alter_table("planner_routes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_planner_routes_owner_updated", ["owner_id", "updated_at"], unique=False
        )
    op.create_table(
        "planner_collaborators",
        sa.Column("route_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        _route_fk("planner_collaborators"),
        sa.PrimaryKeyConstraint("route_id", "user_id", name=op.f("pk_planner_collaborators")),
    )
    with op.batch_alter_table("planner_collaborators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planner_collaborators_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "planner_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("route_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _route_fk("planner_updates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planner_updates")),
        sa.UniqueConstraint("route_id", "seq", name="uq_planner_updates_seq"),
    )


def downgrade() -> None:
    op.drop_table("planner_updates")
    op.drop_table("planner_collaborators")
    op.drop_table("planner_routes")
