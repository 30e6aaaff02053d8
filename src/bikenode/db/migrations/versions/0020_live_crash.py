"""live crash detection: a rider's opt-in, their emergency contacts, and each suspected crash

Revision ID: 0020_live_crash
Revises: 0019_live_device_mqtt
Create Date: 2026-12-07

Off by default: a rider without a settings row has crash detection off. Contacts name a user
by id only (no foreign key across domains); an address's opt-out token is stored hashed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0020_live_crash"
down_revision = "0019_live_device_mqtt"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "live_crash_settings",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("still_s", sa.Double(), nullable=False),
        sa.Column("cancel_s", sa.Double(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_live_crash_settings")),
    )
    op.create_table(
        "live_crash_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("optout_hash", sa.String(length=64), nullable=True),
        sa.Column("told_at", UTC, nullable=True),
        sa.Column("opted_out_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_crash_contacts")),
        sa.UniqueConstraint("optout_hash", name=op.f("uq_live_crash_contacts_optout_hash")),
    )
    op.create_index("ix_live_crash_contacts_owner_id", "live_crash_contacts", ["owner_id"])
    op.create_index("ix_live_crash_contacts_user_id", "live_crash_contacts", ["user_id"])
    op.create_table(
        "live_crash_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("stopped_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancel_by", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_crash_alerts_session_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_crash_alerts")),
        sa.UniqueConstraint("session_id", "stopped_at_ms", name="uq_live_crash_stop"),
    )
    op.create_index("ix_live_crash_alerts_session_id", "live_crash_alerts", ["session_id"])
    op.create_index("ix_live_crash_alerts_owner_id", "live_crash_alerts", ["owner_id"])


def downgrade() -> None:
    op.drop_table("live_crash_alerts")
    op.drop_table("live_crash_contacts")
    op.drop_table("live_crash_settings")
