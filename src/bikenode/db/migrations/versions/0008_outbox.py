"""events: the outbox log, each subscriber's position, events held back for a subscriber

Revision ID: 0008_outbox
Revises: 0002
Create Date: 2026-12-07

On PostgreSQL each event records its transaction's id (pg_current_xact_id), by which the
dispatcher reads the log in an order no later commit can change (see bikenode.events.dispatch).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0008_outbox"
down_revision = "0002"
branch_labels = ("events",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    tx_id = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else sa.text("0")
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), server_default=tx_id, nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_events_position", "outbox_events", ["tx_id", "id"])
    op.create_index(op.f("ix_outbox_events_user_id"), "outbox_events", ["user_id"])
    op.create_table(
        "event_subscribers",
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("after_tx_id", sa.BigInteger(), nullable=False),
        sa.Column("after_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_subscribers")),
    )
    op.create_table(
        "event_held",
        sa.Column("subscriber", sa.String(80), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_id", sa.BigInteger(), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_event_held_event_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber", "event_id", name=op.f("pk_event_held")),
    )
    op.create_index("ix_event_held_due", "event_held", ["subscriber", "status", "next_attempt_at"])
    op.create_index("ix_event_held_event_id", "event_held", ["event_id"])


def downgrade() -> None:
    op.drop_table("event_held")
    op.drop_table("event_subscribers")
    op.drop_index("ix_outbox_events_position", table_name="outbox_events")
    op.drop_table("outbox_events")
