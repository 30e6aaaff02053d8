"""weight and resting heart rate, sealed with the data key ring (AES-256-GCM), on the user row

Revision ID: 0006_body_metrics
Revises: 0005_password_reset
Create Date: 2026-11-25

New columns only: no value existed before, so nothing is sealed here and no key is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_body_metrics"
down_revision = "0005_password_reset"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not batch mode: on SQLite a batch copy drops and re-creates
# accounts_users, and with foreign_keys=ON that DROP deletes every row that cascades from a
# user (sessions, MFA factors, recovery codes...). SQLite adds and drops plain columns in
# place (3.35+).


def upgrade() -> None:
    op.add_column("accounts_users", sa.Column("body_metrics_sealed", sa.LargeBinary()))
    op.add_column("accounts_users", sa.Column("body_metrics_key_id", sa.String(length=40)))
    op.create_index(
        op.f("ix_accounts_users_body_metrics_key_id"), "accounts_users", ["body_metrics_key_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_accounts_users_body_metrics_key_id"), table_name="accounts_users")
    op.drop_column("accounts_users", "body_metrics_key_id")
    op.drop_column("accounts_users", "body_metrics_sealed")
