"""security: MFA factors, recovery codes, login throttles, rate plans, the audit log

Revision ID: 0003_security
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0003_security"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["accounts_users.id"],
        name=op.f(f"fk_{table}_user_id_accounts_users"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "accounts_mfa_factors",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("confirmed_at", UTC(timezone=True), nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=False),
        _user_fk("accounts_mfa_factors"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_accounts_mfa_factors")),
    )
    op.create_table(
        "accounts_recovery_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        _user_fk("accounts_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_accounts_recovery_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_accounts_recovery_codes_user_id"), "accounts_recovery_codes", ["user_id"]
    )
    op.create_table(
        "accounts_login_throttles",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_accounts_login_throttles")),
    )
    op.create_table(
        "accounts_rate_plans",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        _user_fk("accounts_rate_plans"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_accounts_rate_plans")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTC(timezone=True), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events_seq")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_events_entry_hash")),
    )
    op.create_index(op.f("ix_audit_events_event_type"), "audit_events", ["event_type"])
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor_id"])
    op.create_index(op.f("ix_audit_events_subject_id"), "audit_events", ["subject_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("accounts_rate_plans")
    op.drop_table("accounts_login_throttles")
    op.drop_table("accounts_recovery_codes")
    op.drop_table("accounts_mfa_factors")
