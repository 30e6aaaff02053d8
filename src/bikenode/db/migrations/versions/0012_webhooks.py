"""webhooks: subscriptions (secrets sealed) and deliveries

Revision ID: 0012_webhooks
Revises: 0002
Create Date: 2026-12-07

Riders are named by id only (no foreign key across domains).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0012_webhooks"
down_revision = "0002"
branch_labels = ("webhooks",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "webhooks_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secrets_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTC, nullable=True),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.Column("disabled_reason", sa.String(200), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks_subscriptions")),
    )
    op.create_index("ix_webhooks_subscriptions_owner_id", "webhooks_subscriptions", ["owner_id"])
    op.create_table(
        "webhooks_deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks_deliveries")),
    )
    op.create_index(
        "ix_webhooks_deliveries_subscription_event",
        "webhooks_deliveries",
        ["subscription_id", "event_id"],
        unique=True,
    )
    op.create_index(
        "ix_webhooks_deliveries_due", "webhooks_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhooks_deliveries_object",
        "webhooks_deliveries",
        ["subscription_id", "object_id", "event_id"],
    )


def downgrade() -> None:
    op.drop_table("webhooks_deliveries")
    op.drop_table("webhooks_subscriptions")
