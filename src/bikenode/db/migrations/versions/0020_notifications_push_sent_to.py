"""notifications: the push subscriptions a delivery already reached

Revision ID: 0020_notifications_push_sent_to
Revises: 0019_notifications_digests
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_notifications_push_sent_to"
down_revision = "0019_notifications_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications_deliveries") as batch:
        batch.add_column(sa.Column("sent_to", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications_deliveries") as batch:
        batch.drop_column("sent_to")
