"""What clubs announce (through the outbox). Each event's `user` is the rider who acted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bikenode.events import Event


@dataclass(frozen=True)
class ClubJoinRequested(Event):
    """A rider asked to join a private club; its admins may approve or decline."""

    type = "social.club_join_requested"
    aggregate = "club_id"
    user = "user_id"

    club_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True)
class ClubMemberJoined(Event):
    """A rider became a member (joined a public club, was approved, or used an invite)."""

    type = "social.club_member_joined"
    aggregate = "club_id"
    user = "user_id"

    club_id: uuid.UUID
    user_id: uuid.UUID
    via: str  # "join", "approval" or "invite"


@dataclass(frozen=True)
class ClubEventCreated(Event):
    """A member planned a club ride."""

    type = "social.club_event_created"
    aggregate = "club_id"
    user = "user_id"

    club_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    starts_at: datetime


@dataclass(frozen=True)
class ClubPostAdded(Event):
    """A member posted in the club's feed."""

    type = "social.club_post_added"
    aggregate = "club_id"
    user = "user_id"

    club_id: uuid.UUID
    post_id: uuid.UUID
    user_id: uuid.UUID
