"""segments' age and weight classes: accounts' birth year and share-for-boards flag

Revision ID: 0017_segments_board_classes
Revises: 0015_segments_heatmaps
Create Date: 2026-12-07

The accounts columns ride on the segments branch: boards are their only reader, and this
keeps the main line's head untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_segments_board_classes"
down_revision = "0015_segments_heatmaps"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode (as 0007_share_health_default): a batch copy of
# accounts_users on SQLite would cascade-delete every row that hangs off a user.


def upgrade() -> None:
    op.add_column("accounts_users", sa.Column("birth_year", sa.Integer(), nullable=True))
    op.add_column(
        "accounts_users",
        sa.Column("share_board_classes", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("accounts_users", "share_board_classes")
    op.drop_column("accounts_users", "birth_year")
