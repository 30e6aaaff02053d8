"""What social announces (through the outbox): the facts notifications will tell riders of.

Each event's `user` is the rider who acted, so their erasure deletes it (bikenode.events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bikenode.events import Event


@dataclass(frozen=True)
class FollowRequested(Event):
    """A rider asked to follow one who approves followers."""

    type = "social.follow_requested"
    aggregate = "followee_id"
    user = "follower_id"

    follower_id: uuid.UUID
    followee_id: uuid.UUID


@dataclass(frozen=True)
class FollowAccepted(Event):
    """A follow became approved (at once, or by the followed rider)."""

    type = "social.follow_accepted"
    aggregate = "followee_id"
    user = "follower_id"

    follower_id: uuid.UUID
    followee_id: uuid.UUID
    # True when the followed rider approved a request: then the follower is the one to tell.
    by_followee: bool = False


@dataclass(frozen=True)
class KudosGiven(Event):
    """A rider gave kudos on someone's ride."""

    type = "social.kudos_given"
    aggregate = "ride_id"
    user = "user_id"

    ride_id: uuid.UUID
    user_id: uuid.UUID
    ride_owner_id: uuid.UUID


@dataclass(frozen=True)
class CommentAdded(Event):
    """A rider commented on a ride."""

    type = "social.comment_added"
    aggregate = "ride_id"
    user = "user_id"

    comment_id: uuid.UUID
    ride_id: uuid.UUID
    user_id: uuid.UUID
    ride_owner_id: uuid.UUID


@dataclass(frozen=True)
class Mentioned(Event):
    """A comment named a rider who may see the ride (@name)."""

    type = "social.mentioned"
    aggregate = "ride_id"
    user = "user_id"

    comment_id: uuid.UUID
    ride_id: uuid.UUID
    user_id: uuid.UUID  # the comment's author
    mentioned_id: uuid.UUID


@dataclass(frozen=True)
class ModerationActionTaken(Event):
    """A moderator hid a rider's ride or comment, warned them or suspended them. It names
    neither the moderator nor any reporter, and carries no reason text: the rider reads
    the reason, and appeals, where their actions are listed."""

    type = "social.moderation_action_taken"
    aggregate = "user_id"
    user = "user_id"  # the rider acted on: their erasure deletes it, and names nobody else

    action_id: uuid.UUID
    user_id: uuid.UUID
    kind: str  # hide | warn | suspend
    object_kind: str  # user | ride | comment
    timed: bool = False  # a suspension with an end date
