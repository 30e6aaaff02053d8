"""Follows and blocks: the use cases, each one transaction committed here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.accounts import get_rider_profile, rider_profiles
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.events import publish
from bikenode.social import repo
from bikenode.social.events import FollowAccepted, FollowRequested
from bikenode.social.logic.rules import follow_status
from bikenode.social.models import Block, Follow, Mute, SocialProfile

MAX_LIST = 200  # riders per follower / following / request list


@dataclass(frozen=True)
class RiderCard:
    """A rider as others see them in a list: id and display name."""

    id: uuid.UUID
    display_name: str


@dataclass(frozen=True)
class Profile:
    """A rider's public profile as one viewer sees it."""

    id: uuid.UUID
    display_name: str
    approve_followers: bool
    followers: int
    following: int
    follow_status: str | None  # the viewer's follow of this rider: pending, accepted or None
    lists_visible: bool  # whether the viewer may read the follower and following lists


def _now() -> datetime:
    return datetime.now(UTC)


def _existing_rider(session: Session, user_id: uuid.UUID) -> str:
    profile = get_rider_profile(session, user_id)
    if profile is None:
        raise NotFound("no such rider")
    return profile.display_name


def known_rider(session: Session, *, user_id: uuid.UUID) -> None:
    """Nothing if the rider exists; NotFound otherwise."""
    _existing_rider(session, user_id)


def visible_rider(session: Session, *, user_id: uuid.UUID, viewer_id: uuid.UUID | None) -> str:
    """The rider's display name if the viewer may see them (not blocked either way, not
    suspended); NotFound otherwise, as for a missing rider."""
    name = _existing_rider(session, user_id)
    if viewer_id is not None and repo.blocked_either_way(session, user_id, viewer_id):
        raise NotFound("no such rider")
    if viewer_id != user_id and repo.suspended_among(session, [user_id], _now()):
        raise NotFound("no such rider")  # suspended: the profile is hidden, not deleted
    return name


def get_profile(session: Session, *, user_id: uuid.UUID, viewer_id: uuid.UUID | None) -> Profile:
    """The rider's profile for this viewer; NotFound if either blocks the other."""
    name = visible_rider(session, user_id=user_id, viewer_id=viewer_id)
    followers, following = repo.follow_counts(session, user_id)
    follow = repo.get_follow(session, viewer_id, user_id) if viewer_id else None
    approve = repo.approves_followers(session, user_id)
    return Profile(
        id=user_id,
        display_name=name,
        approve_followers=approve,
        followers=followers,
        following=following,
        follow_status=follow.status if follow else None,
        lists_visible=_lists_visible(approve, user_id, viewer_id, follow),
    )


def _lists_visible(
    approve: bool, user_id: uuid.UUID, viewer_id: uuid.UUID | None, follow: Follow | None
) -> bool:
    """A rider who approves followers shows their lists to themselves and approved followers."""
    if not approve or viewer_id == user_id:
        return True
    return follow is not None and follow.status == "accepted"


def set_approve_followers(session: Session, *, user_id: uuid.UUID, approve: bool) -> bool:
    """Turn approval of new followers on or off; turning it off approves every waiting one."""
    profile = session.get(SocialProfile, user_id) or SocialProfile(user_id=user_id)
    profile.approve_followers = approve
    session.add(profile)
    if not approve:
        for follow in repo.follows_page(
            session, column="followee", user_id=user_id, status="pending", limit=10_000
        ):
            _accept(session, follow, by_followee=True)
    session.commit()
    return approve


def follow(session: Session, *, follower_id: uuid.UUID, followee_id: uuid.UUID) -> str:
    """Follow a rider: "accepted" at once, or "pending" if they approve followers. Following
    again changes nothing. NotFound for a missing rider or one blocking either way."""
    if follower_id == followee_id:
        raise InvalidInput("expected another rider's id, got your own")
    visible_rider(session, user_id=followee_id, viewer_id=follower_id)
    existing = repo.get_follow(session, follower_id, followee_id)
    if existing is not None:
        return existing.status
    status = follow_status(approve_followers=repo.approves_followers(session, followee_id))
    row = Follow(user_id=follower_id, followee_id=followee_id, status="pending")
    session.add(row)
    session.flush()
    if status == "accepted":
        _accept(session, row)
    else:
        publish(session, FollowRequested(follower_id=follower_id, followee_id=followee_id))
    session.commit()
    return status


def _accept(session: Session, row: Follow, *, by_followee: bool = False) -> None:
    row.status, row.accepted_at = "accepted", _now()
    accepted = FollowAccepted(
        follower_id=row.user_id, followee_id=row.followee_id, by_followee=by_followee
    )
    publish(session, accepted)


def unfollow(session: Session, *, follower_id: uuid.UUID, followee_id: uuid.UUID) -> None:
    """Stop following (or withdraw a request); nothing to undo is no error."""
    existing = repo.get_follow(session, follower_id, followee_id)
    if existing is not None:
        session.delete(existing)
    session.commit()


def answer_request(
    session: Session, *, user_id: uuid.UUID, follower_id: uuid.UUID, approve: bool
) -> None:
    """Approve or decline a waiting follow request; NotFound if there is none."""
    existing = repo.get_follow(session, follower_id, user_id)
    if existing is None or existing.status != "pending":
        raise NotFound("no such follow request")
    if approve:
        _accept(session, existing, by_followee=True)
    else:
        session.delete(existing)
    session.commit()


def remove_follower(session: Session, *, user_id: uuid.UUID, follower_id: uuid.UUID) -> None:
    """Remove a follower (or a request); NotFound if they do not follow."""
    existing = repo.get_follow(session, follower_id, user_id)
    if existing is None:
        raise NotFound("no such follower")
    session.delete(existing)
    session.commit()


def block(session: Session, *, user_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
    """Block a rider: follows both ways end, and neither sees or reaches the other again."""
    if user_id == blocked_id:
        raise InvalidInput("expected another rider's id, got your own")
    _existing_rider(session, blocked_id)
    repo.delete_follows_between(session, user_id, blocked_id)
    if session.get(Block, (user_id, blocked_id)) is None:
        session.add(Block(user_id=user_id, blocked_id=blocked_id))
    session.commit()


def unblock(session: Session, *, user_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
    """Lift a block (follows it ended stay ended)."""
    existing = session.get(Block, (user_id, blocked_id))
    if existing is None:
        raise NotFound("no such block")
    session.delete(existing)
    session.commit()


def list_blocks(session: Session, *, user_id: uuid.UUID) -> list[RiderCard]:
    """The riders the user blocks, newest first."""
    rows = session.scalars(
        select(Block.blocked_id)
        .where(Block.user_id == user_id)
        .order_by(Block.created_at.desc())
        .limit(MAX_LIST)
    ).all()
    return _cards(session, list(rows))


def follow_requests(session: Session, *, user_id: uuid.UUID) -> list[RiderCard]:
    """Riders waiting for the user's approval, newest first."""
    rows = repo.follows_page(
        session, column="followee", user_id=user_id, status="pending", limit=MAX_LIST
    )
    return _cards(session, [row.user_id for row in rows])


def list_followers(
    session: Session, *, user_id: uuid.UUID, viewer_id: uuid.UUID | None, following: bool
) -> list[RiderCard]:
    """The rider's approved followers (or the riders they follow) the viewer may see: none
    blocked either way by the viewer. NotFound when the profile or its lists are hidden."""
    profile = get_profile(session, user_id=user_id, viewer_id=viewer_id)
    if not profile.lists_visible:
        raise NotFound("no such rider")
    column = "follower" if following else "followee"
    rows = repo.follows_page(
        session, column=column, user_id=user_id, status="accepted", limit=MAX_LIST
    )
    ids = [row.followee_id if following else row.user_id for row in rows]
    hidden = repo.blocked_ids(session, viewer_id) if viewer_id else set()
    return _cards(session, [i for i in ids if i not in hidden])


def _cards(session: Session, ids: list[uuid.UUID]) -> list[RiderCard]:
    names = rider_profiles(session, ids) if ids else {}
    return [RiderCard(i, names[i].display_name) for i in ids if i in names]


def ensure_not_blocked(session: Session, *, a: uuid.UUID, b: uuid.UUID) -> None:
    """Conflict if either rider blocks the other."""
    if repo.blocked_either_way(session, a, b):
        raise Conflict("this rider is not reachable")


def mute(session: Session, *, user_id: uuid.UUID, muted_id: uuid.UUID) -> None:
    """Mute a rider the user may see: their rides leave the user's feed; nothing else
    changes and they are not told. Again changes nothing."""
    if user_id == muted_id:
        raise InvalidInput("expected another rider's id, got your own")
    visible_rider(session, user_id=muted_id, viewer_id=user_id)
    if session.get(Mute, (user_id, muted_id)) is None:
        session.add(Mute(user_id=user_id, muted_id=muted_id))
    session.commit()


def unmute(session: Session, *, user_id: uuid.UUID, muted_id: uuid.UUID) -> None:
    """Lift a mute; NotFound if there is none."""
    existing = session.get(Mute, (user_id, muted_id))
    if existing is None:
        raise NotFound("no such mute")
    session.delete(existing)
    session.commit()


def list_mutes(session: Session, *, user_id: uuid.UUID) -> list[RiderCard]:
    """The riders the user mutes, newest first."""
    rows = session.scalars(
        select(Mute.muted_id)
        .where(Mute.user_id == user_id)
        .order_by(Mute.created_at.desc())
        .limit(MAX_LIST)
    ).all()
    return _cards(session, list(rows))


def blocked_either_way(session: Session, *, user_id: uuid.UUID, other_id: uuid.UUID) -> bool:
    """True when either rider blocks the other (notifications then tell neither of the other)."""
    return repo.blocked_either_way(session, user_id, other_id)


def blockers_among(
    session: Session, *, blocked_id: uuid.UUID, user_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of these riders who block blocked_id (one way: the block they chose), one query."""
    if not user_ids:
        return set()
    rows = session.scalars(
        select(Block.user_id).where(Block.blocked_id == blocked_id, Block.user_id.in_(user_ids))
    )
    return set(rows)
