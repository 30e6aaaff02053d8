"""apps: OAuth2 clients, riders' grants, codes, tokens and personal tokens

Revision ID: 0017_apps
Revises: 0001
Create Date: 2026-12-07

Riders are named by id only (no foreign key across domains). Secrets are stored hashed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0017_apps"
down_revision = "0001"
branch_labels = ("apps",)
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "apps_apps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_apps_apps_client_id")),
    )
    op.create_index("ix_apps_apps_owner_id", "apps_apps", ["owner_id"])
    op.create_table(
        "apps_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(400), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps_grants")),
    )
    op.create_index("ix_apps_grants_user_id", "apps_grants", ["user_id"])
    op.create_table(
        "apps_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(2048), nullable=False),
        sa.Column("scope", sa.String(400), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(8), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_apps_codes")),
    )
    op.create_table(
        "apps_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("access_hash", sa.String(64), nullable=False),
        sa.Column("refresh_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(400), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("access_expires_at", UTC, nullable=False),
        sa.Column("rotated_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps_tokens")),
    )
    op.create_index("ix_apps_tokens_access_hash", "apps_tokens", ["access_hash"], unique=True)
    op.create_index("ix_apps_tokens_refresh_hash", "apps_tokens", ["refresh_hash"], unique=True)
    op.create_index("ix_apps_tokens_grant_id", "apps_tokens", ["grant_id"])
    op.create_table(
        "apps_personal_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(400), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps_personal_tokens")),
    )
    op.create_index("ix_apps_personal_tokens_user_id", "apps_personal_tokens", ["user_id"])
    op.create_index(
        "ix_apps_personal_tokens_token_hash", "apps_personal_tokens", ["token_hash"], unique=True
    )


def downgrade() -> None:
    op.drop_table("apps_personal_tokens")
    op.drop_table("apps_tokens")
    op.drop_table("apps_codes")
    op.drop_table("apps_grants")
    op.drop_table("apps_apps")
