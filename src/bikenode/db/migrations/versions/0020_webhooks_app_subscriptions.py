"""webhooks: subscriptions owned by an OAuth app, deliveries naming their rider

Revision ID: 0020_webhooks_app_subscriptions
Revises: 0012_webhooks
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_webhooks_app_subscriptions"
down_revision = "0012_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks_subscriptions") as batch:
        batch.add_column(sa.Column("app_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_webhooks_subscriptions_app_id", ["app_id"], unique=True)
    with op.batch_alter_table("webhooks_deliveries") as batch:
        batch.add_column(sa.Column("rider_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("needs_scope", sa.String(40), nullable=True))
        batch.create_index("ix_webhooks_deliveries_rider_id", ["rider_id"])


def downgrade() -> None:
    with op.batch_alter_table("webhooks_deliveries") as batch:
        batch.drop_index("ix_webhooks_deliveries_rider_id")
        batch.drop_column("needs_scope")
        batch.drop_column("rider_id")
    with op.batch_alter_table("webhooks_subscriptions") as batch:
        batch.drop_index("ix_webhooks_subscriptions_app_id")
        batch.drop_column("app_id")
