"""live sessions, position batches, share links and group rides

Revision ID: 0003_live
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0003_live"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "live_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("split_distance_m", sa.Double(), nullable=False),
        sa.Column("stale_after_s", sa.Double(), nullable=False),
        sa.Column("route", sa.Text(), nullable=True),
        sa.Column("cluster_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_groups")),
    )
    op.create_table(
        "live_group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("joined_at", UTC, nullable=False),
        sa.Column("last_lat", sa.Double(), nullable=True),
        sa.Column("last_lon", sa.Double(), nullable=True),
        sa.Column("last_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_speed_mps", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["live_groups.id"],
            name=op.f("fk_live_group_members_group_id_live_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_live_group_members")),
    )
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("ride_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["live_groups.id"],
            name=op.f("fk_live_sessions_group_id_live_groups"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_live_sessions_owner_status", ["owner_id", "status"], unique=False)
    op.create_table(
        "live_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("first_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_batches_session_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_batches")),
        sa.UniqueConstraint("session_id", "batch_no", name="uq_live_batches_batch"),
    )
    op.create_table(
        "live_shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_shares_session_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_live_shares_token_hash")),
    )
    with op.batch_alter_table("live_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_shares_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_table("live_shares")
    op.drop_table("live_batches")
    op.drop_table("live_sessions")
    op.drop_table("live_group_members")
    op.drop_table("live_groups")
