"""live devices: trackers and tracking apps that send a rider's positions over HTTP

Revision ID: 0018_live_devices
Revises: 0007_live_sealed
Create Date: 2026-12-07

A device token is stored hashed. The rider is named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0018_live_devices"
down_revision = "0007_live_sealed"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "live_devices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("last_fix_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_devices_session_id_live_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_live_devices_token_hash")),
    )
    op.create_index("ix_live_devices_owner_id", "live_devices", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_live_devices_owner_id", table_name="live_devices")
    op.drop_table("live_devices")
