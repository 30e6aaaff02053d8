"""market: quote line items, invoices numbered per mechanic without gaps

Revision ID: 0018_market_invoices
Revises: 0017_market_mechanics
Create Date: 2026-12-07

A quote from before line items keeps `lines` NULL and reads as one line of its price.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0018_market_invoices"
down_revision = "0017_market_mechanics"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("market_quotes") as batch:
        batch.add_column(sa.Column("lines", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    op.create_table(
        "market_invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("rider_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_market_invoices_total_positive")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["market_jobs.id"], name=op.f("fk_market_invoices_job_id_market_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_invoices")),
        sa.UniqueConstraint("job_id", name="uq_market_invoices_job"),
        sa.UniqueConstraint("owner_id", "year", "seq", name="uq_market_invoices_owner_year_seq"),
    )
    op.create_index("ix_market_invoices_owner_id", "market_invoices", ["owner_id"])
    op.create_index("ix_market_invoices_rider_id", "market_invoices", ["rider_id"])
    op.create_table(
        "market_invoice_counters",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "year", name=op.f("pk_market_invoice_counters")),
    )


def downgrade() -> None:
    op.drop_table("market_invoice_counters")
    op.drop_index("ix_market_invoices_rider_id", table_name="market_invoices")
    op.drop_index("ix_market_invoices_owner_id", table_name="market_invoices")
    op.drop_table("market_invoices")
    with op.batch_alter_table("market_quotes") as batch:
        batch.drop_column("country")
        batch.drop_column("lines")
