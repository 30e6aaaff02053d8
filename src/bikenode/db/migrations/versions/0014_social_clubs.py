"""social: clubs, memberships, invite links, posts, club rides and RSVPs

Revision ID: 0014_social_clubs
Revises: 0013_social
Create Date: 2026-12-07

Riders, rides and planner routes are named by id only (no foreign key across domains); a
club's rows go with it (ON DELETE CASCADE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bikenode.db.base

revision = "0014_social_clubs"
down_revision = "0013_social"
branch_labels = None
depends_on = None

UTC = bikenode.db.base.UTCDateTime(timezone=True)


def _club_fk(table: str, column: str = "club_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["social_clubs.id"],
        name=op.f(f"fk_{table}_{column}_social_clubs"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "social_clubs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sport", sa.String(30), nullable=False),
        sa.Column("place_name", sa.String(120), nullable=True),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_clubs")),
    )
    op.create_index("ix_social_clubs_name", "social_clubs", ["name"])
    op.create_table(
        "social_club_members",
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("joined_at", UTC, nullable=True),
        _club_fk("social_club_members"),
        sa.PrimaryKeyConstraint("club_id", "user_id", name=op.f("pk_social_club_members")),
    )
    op.create_index("ix_social_club_members_user", "social_club_members", ["user_id"])
    op.create_table(
        "social_club_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        _club_fk("social_club_invites"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_club_invites")),
    )
    op.create_index("ix_social_club_invites_club_id", "social_club_invites", ["club_id"])
    op.create_index("ix_social_club_invites_user_id", "social_club_invites", ["user_id"])
    op.create_table(
        "social_club_posts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _club_fk("social_club_posts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_club_posts")),
    )
    op.create_index("ix_social_club_posts_club", "social_club_posts", ["club_id", "created_at"])
    op.create_index("ix_social_club_posts_user_id", "social_club_posts", ["user_id"])
    op.create_table(
        "social_club_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("club_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("place_name", sa.String(120), nullable=True),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("route_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _club_fk("social_club_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_club_events")),
    )
    op.create_index("ix_social_club_events_club", "social_club_events", ["club_id", "starts_at"])
    op.create_index("ix_social_club_events_user_id", "social_club_events", ["user_id"])
    op.create_table(
        "social_club_rsvps",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(5), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["social_club_events.id"],
            name=op.f("fk_social_club_rsvps_event_id_social_club_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_social_club_rsvps")),
    )
    op.create_index("ix_social_club_rsvps_user", "social_club_rsvps", ["user_id"])


def downgrade() -> None:
    for table in (
        "social_club_rsvps",
        "social_club_events",
        "social_club_posts",
        "social_club_invites",
        "social_club_members",
        "social_clubs",
    ):
        op.drop_table(table)
