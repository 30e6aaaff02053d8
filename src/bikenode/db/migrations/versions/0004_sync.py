"""offline sync: owners' change counters, devices, applied mutations, records, conflicts

Revision ID: 0004_sync
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0004_sync"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_owners",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_sync_owners")),
    )
    op.create_table(
        "sync_clients",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("last_counter", sa.BigInteger(), nullable=False),
        sa.Column("last_hlc", sa.String(length=100), nullable=True),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "client_id", name=op.f("pk_sync_clients")),
    )
    op.create_table(
        "sync_mutations",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("counter", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("applied_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "client_id", "counter", name=op.f("pk_sync_mutations")),
    )
    op.create_table(
        "sync_records",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id", "record_type", "record_id", name=op.f("pk_sync_records")
        ),
    )
    op.create_index("ix_sync_records_owner_seq", "sync_records", ["owner_id", "seq"])
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("base", sa.Text(), nullable=True),
        sa.Column("kept", sa.Text(), nullable=False),
        sa.Column("kept_hlc", sa.String(length=100), nullable=False),
        sa.Column("other", sa.Text(), nullable=False),
        sa.Column("other_hlc", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index("ix_sync_conflicts_owner_status", "sync_conflicts", ["owner_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_sync_conflicts_owner_status", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    op.drop_index("ix_sync_records_owner_seq", table_name="sync_records")
    op.drop_table("sync_records")
    op.drop_table("sync_mutations")
    op.drop_table("sync_clients")
    op.drop_table("sync_owners")
