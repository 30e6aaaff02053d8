"""the rider's default for showing heart rate and power of public rides to others

Revision ID: 0007_share_health_default
Revises: 0006_body_metrics
Create Date: 2026-12-07

Every existing rider starts with false: heart rate is health data, shown only by choice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_share_health_default"
down_revision = "0006_body_metrics"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not batch mode, for the reason 0006_body_metrics gives: a batch copy of
# accounts_users on SQLite would cascade-delete every row that hangs off a user.


def upgrade() -> None:
    op.add_column(
        "accounts_users",
        sa.Column(
            "share_health_by_default", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    op.drop_column("accounts_users", "share_health_by_default")
