"""market: repair jobs, quotes, messages, payments, the ledger and idempotency keys

Revision ID: 0013_market
Revises: 0002
Create Date: 2026-12-07

People are named by id only (no foreign key across domains); jobs keep only an approximate
location. Ledger accounts are named by job, never by person.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0013_market"
down_revision = "0002"
branch_labels = ("market",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _jobs() -> None:
    op.create_table(
        "market_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("bike_id", sa.Uuid(), nullable=True),
        sa.Column("component_ids", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("accepted_quote_id", sa.Uuid(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_jobs")),
    )
    op.create_index("ix_market_jobs_owner_id", "market_jobs", ["owner_id"])
    op.create_index("ix_market_jobs_state_lat_lon", "market_jobs", ["state", "lat_deg", "lon_deg"])
    op.create_table(
        "market_quotes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("valid_until", UTC, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_market_quotes_price_positive")),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["market_jobs.id"],
            name=op.f("fk_market_quotes_job_id_market_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_quotes")),
        sa.UniqueConstraint("job_id", "owner_id", name="uq_market_quotes_job_mechanic"),
    )
    op.create_index("ix_market_quotes_job_id", "market_quotes", ["job_id"])
    op.create_index("ix_market_quotes_owner_id", "market_quotes", ["owner_id"])
    op.create_table(
        "market_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["market_quotes.id"],
            name=op.f("fk_market_messages_quote_id_market_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_messages")),
    )
    op.create_index("ix_market_messages_quote_id", "market_messages", ["quote_id"])
    op.create_index("ix_market_messages_user_id", "market_messages", ["user_id"])


def _money() -> None:
    op.create_table(
        "market_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("provider_ref", sa.String(100), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["market_jobs.id"], name=op.f("fk_market_payments_job_id_market_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_payments")),
    )
    op.create_index("ix_market_payments_job_id", "market_payments", ["job_id"])
    op.create_index("ix_market_payments_owner_id", "market_payments", ["owner_id"])
    op.create_table(
        "market_provider_events",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_provider_events")),
    )
    op.create_index(
        "ix_market_provider_events_payment_id", "market_provider_events", ["payment_id"]
    )
    op.create_table(
        "market_ledger_accounts",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("debits_pending", sa.BigInteger(), nullable=False),
        sa.Column("debits_posted", sa.BigInteger(), nullable=False),
        sa.Column("credits_pending", sa.BigInteger(), nullable=False),
        sa.Column("credits_posted", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_ledger_accounts")),
    )
    op.create_table(
        "market_transfers",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("debit_account", sa.String(80), nullable=False),
        sa.Column("credit_account", sa.String(80), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("pending_id", sa.String(100), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_market_transfers_amount_positive")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_market_transfers")),
        sa.UniqueConstraint("id", name=op.f("uq_market_transfers_id")),
        sa.UniqueConstraint("pending_id", name="uq_market_transfers_pending_id"),
    )
    op.create_index("ix_market_transfers_debit_account", "market_transfers", ["debit_account"])
    op.create_index("ix_market_transfers_credit_account", "market_transfers", ["credit_account"])
    op.create_index("ix_market_transfers_job_id", "market_transfers", ["job_id"])
    op.create_table(
        "market_idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_market_idempotency_keys")),
    )
    op.create_index(
        "ix_market_idempotency_keys_expires_at", "market_idempotency_keys", ["expires_at"]
    )


def upgrade() -> None:
    _jobs()
    _money()


def downgrade() -> None:
    for table in (
        "market_idempotency_keys",
        "market_transfers",
        "market_ledger_accounts",
        "market_provider_events",
        "market_payments",
        "market_messages",
        "market_quotes",
        "market_jobs",
    ):
        op.drop_table(table)
