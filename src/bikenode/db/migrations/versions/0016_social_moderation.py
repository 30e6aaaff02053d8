"""social moderation: mutes, moderation actions and appeals; accounts' moderator flag and
suspension columns (written only by moderation)

Revision ID: 0016_social_moderation
Revises: 0014_social_clubs
Create Date: 2026-12-07

The accounts columns ride on the social branch: moderation is their only writer, and this
keeps the main line's head untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0016_social_moderation"
down_revision = "0014_social_clubs"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


# Plain ALTER TABLE, not batch mode (as 0007_share_health_default): a batch copy of
# accounts_users on SQLite would cascade-delete every row that hangs off a user.


def upgrade() -> None:
    op.add_column(
        "accounts_users",
        sa.Column("moderator", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("accounts_users", sa.Column("suspended_at", UTC, nullable=True))
    op.add_column("accounts_users", sa.Column("suspended_until", UTC, nullable=True))
    op.create_table(
        "social_mutes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("muted_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "muted_id", name=op.f("pk_social_mutes")),
    )
    op.create_index("ix_social_mutes_muted", "social_mutes", ["muted_id"])
    op.create_table(
        "social_moderation_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("object_kind", sa.String(10), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("moderator_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.Column("appeal_text", sa.Text(), nullable=True),
        sa.Column("appealed_at", UTC, nullable=True),
        sa.Column("appeal_status", sa.String(10), nullable=True),
        sa.Column("appeal_decided_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_moderation_actions")),
    )
    table = "social_moderation_actions"
    op.create_index(f"ix_{table}_user_id", table, ["user_id"])
    op.create_index(f"ix_{table}_moderator_id", table, ["moderator_id"])
    op.create_index(f"ix_{table}_object", table, ["object_kind", "object_id"])
    op.create_index(f"ix_{table}_appeal", table, ["appeal_status", "appealed_at"])


def downgrade() -> None:
    op.drop_table("social_moderation_actions")
    op.drop_table("social_mutes")
    for column in ("suspended_until", "suspended_at", "moderator"):
        op.drop_column("accounts_users", column)
