"""Tables of clubs: clubs, memberships, invite links, posts, events (club rides) and RSVPs.
Riders, rides and routes are named by id only (no foreign key across domains)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Double, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class Club(Base):
    """A club; its place is approximate (rounded to ~1 km), never a rider's precise point."""

    __tablename__ = "social_clubs"
    __table_args__ = (Index("ix_social_clubs_name", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    sport: Mapped[str] = mapped_column(String(30))
    place_name: Mapped[str | None] = mapped_column(String(120))
    lat_deg: Mapped[float | None] = mapped_column(Double())
    lon_deg: Mapped[float | None] = mapped_column(Double())
    # Private: members, posts, events and the leaderboard for members only; join by request.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When the avatar (social_club_avatars) last changed: lists show it without reading it.
    avatar_at: Mapped[datetime | None]


class ClubAvatar(Base):
    """A club's avatar: a square PNG re-encoded from the upload (no metadata), and which
    admin (user_id) set it."""

    __tablename__ = "social_club_avatars"

    club_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("social_clubs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ClubMember(Base):
    """A rider in a club: role owner, admin or member; status "pending" (a request to join
    a private club) until approved, then "active"."""

    __tablename__ = "social_club_members"
    __table_args__ = (Index("ix_social_club_members_user", "user_id"),)

    club_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("social_clubs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    # Set when the member keeps the club's posts out of their feed (the club page still shows them).
    feed_muted_at: Mapped[datetime | None]


class ClubInvite(Base):
    """An invite link made by an admin (user_id): its token is signed with the node's secret
    and names this row, so revoking it here ends the link before it expires."""

    __tablename__ = "social_club_invites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    club_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("social_clubs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ClubPost(Base):
    """A member's post (plain text) in the club's feed."""

    __tablename__ = "social_club_posts"
    __table_args__ = (Index("ix_social_club_posts_club", "club_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    club_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_clubs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the author
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClubEvent(Base):
    """A club ride planned by a member (user_id): start, approximate meeting point and
    optionally a planner route the creator could open when planning it."""

    __tablename__ = "social_club_events"
    __table_args__ = (Index("ix_social_club_events_club", "club_id", "starts_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    club_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("social_clubs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # who planned it
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime]
    place_name: Mapped[str | None] = mapped_column(String(120))
    lat_deg: Mapped[float | None] = mapped_column(Double())
    lon_deg: Mapped[float | None] = mapped_column(Double())
    route_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The live group ride opened with it (live's, by id); riders going join it.
    live_group_id: Mapped[uuid.UUID | None]
    # Shown to the club's active members only, even in a public club.
    members_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ClubRsvp(Base):
    """A member's answer to a club ride: going, maybe or no."""

    __tablename__ = "social_club_rsvps"
    __table_args__ = (Index("ix_social_club_rsvps_user", "user_id"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("social_club_events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    answer: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
