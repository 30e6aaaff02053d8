"""Tables owned by the social domain: profiles' follow setting, follows, blocks, kudos and
comments. Riders and rides are named by id only (no foreign key across domains)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class SocialProfile(Base):
    """A rider's social settings; a rider without a row approves every follower at once."""

    __tablename__ = "social_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # On: follows wait for the rider's approval, and only approved followers see the lists.
    approve_followers: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Follow(Base):
    """user_id follows followee_id: "pending" until approved, then "accepted"."""

    __tablename__ = "social_follows"
    __table_args__ = (Index("ix_social_follows_followee", "followee_id", "status"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the follower
    followee_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]


class Block(Base):
    """user_id blocks blocked_id: neither sees nor reaches the other any more."""

    __tablename__ = "social_blocks"
    __table_args__ = (Index("ix_social_blocks_blocked", "blocked_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    blocked_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Kudos(Base):
    """One rider's kudos on one ride (at most one each)."""

    __tablename__ = "social_kudos"
    __table_args__ = (Index("ix_social_kudos_user", "user_id"),)

    ride_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Kept so the owner's erasure finds the kudos on their rides without asking rides.
    ride_owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment on a ride, by its author (user_id), as plain text; a moderator may hide it
    (hidden_at): kept, shown to its author only."""

    __tablename__ = "social_comments"
    __table_args__ = (Index("ix_social_comments_ride", "ride_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ride_id: Mapped[uuid.UUID]
    ride_owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the author
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None]


class Report(Base):
    """A rider's report of a user, a ride or a comment, for the moderators' queue."""

    __tablename__ = "social_reports"
    __table_args__ = (
        Index("ix_social_reports_status", "status", "created_at"),
        Index("ix_social_reports_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the reporter
    subject_kind: Mapped[str] = mapped_column(String(10))  # user, ride, comment
    subject_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open dismissed actioned
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class Mute(Base):
    """user_id mutes muted_id: the muted rider's rides leave the muter's feed, nothing else
    (they still may follow, comment and so on, and are not told)."""

    __tablename__ = "social_mutes"
    __table_args__ = (Index("ix_social_mutes_muted", "muted_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    muted_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationAction(Base):
    """A moderator's action: dismiss (a report), hide (a ride or comment), warn, suspend.

    Active until lifted (lifted_at); a suspension also ends by itself at `until` (None: for
    good). The affected rider (user_id; None for a dismissal) may appeal once: the appeal's
    text and its decision live on the same row.
    """

    __tablename__ = "social_moderation_actions"
    __table_args__ = (
        Index("ix_social_moderation_actions_object", "object_kind", "object_id"),
        Index("ix_social_moderation_actions_appeal", "appeal_status", "appealed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(10))  # dismiss hide warn suspend
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the affected rider
    object_kind: Mapped[str] = mapped_column(String(10))  # user ride comment
    object_id: Mapped[uuid.UUID]
    report_id: Mapped[uuid.UUID | None]
    moderator_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None once erased
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[datetime | None]
    appeal_status: Mapped[str | None] = mapped_column(String(10))  # pending upheld overturned
    appeal_decided_at: Mapped[datetime | None]
