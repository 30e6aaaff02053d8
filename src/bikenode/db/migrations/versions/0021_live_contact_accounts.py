"""live's crash alerts reach contacts who ride here: accounts' e-mail verified time

Revision ID: 0021_live_contact_accounts
Revises: 0020_live_crash
Create Date: 2026-12-07

The accounts column rides on the live branch: crash alerts are its only reader (a contact
is told in the app only when their account's address was proven), and this keeps the main
line's head untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0021_live_contact_accounts"
down_revision = "0020_live_crash"
branch_labels = None
depends_on = None
UTC = bikenode.db.base.UTCDateTime(timezone=True)


# Plain ALTER TABLE, not batch mode (as 0007_share_health_default): a batch copy of
# accounts_users on SQLite would cascade-delete every row that hangs off a user.


def upgrade() -> None:
    op.add_column("accounts_users", sa.Column("email_verified_at", UTC, nullable=True))


def downgrade() -> None:
    op.drop_column("accounts_users", "email_verified_at")
