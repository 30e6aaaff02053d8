"""Queries on the social tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from bikenode.social.models import (
    Block,
    Comment,
    Follow,
    Kudos,
    ModerationAction,
    Mute,
    SocialProfile,
)


def approves_followers(session: Session, user_id: uuid.UUID) -> bool:
    profile = session.get(SocialProfile, user_id)
    return profile is not None and profile.approve_followers


def get_follow(session: Session, follower_id: uuid.UUID, followee_id: uuid.UUID) -> Follow | None:
    return session.get(Follow, (follower_id, followee_id))


def blocked_either_way(session: Session, a: uuid.UUID, b: uuid.UUID) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    or_(
                        and_(Block.user_id == a, Block.blocked_id == b),
                        and_(Block.user_id == b, Block.blocked_id == a),
                    )
                )
            )
        )
    )


def relation(session: Session, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> str:
    """ "blocked", "follower" or "none", from one query."""
    blocked = (
        select(Block.user_id)
        .where(
            or_(
                and_(Block.user_id == owner_id, Block.blocked_id == viewer_id),
                and_(Block.user_id == viewer_id, Block.blocked_id == owner_id),
            )
        )
        .exists()
    )
    follows = (
        select(Follow.user_id)
        .where(
            Follow.user_id == viewer_id,
            Follow.followee_id == owner_id,
            Follow.status == "accepted",
        )
        .exists()
    )
    row = session.execute(select(blocked, follows)).one()
    return "blocked" if row[0] else "follower" if row[1] else "none"


def followed_ids(viewer_id: uuid.UUID) -> Select[uuid.UUID]:
    """The riders whose rides fill the viewer's feed: followed (approved; a block removes
    follows both ways), less those the viewer mutes."""
    muted = select(Mute.muted_id).where(Mute.user_id == viewer_id)
    return select(Follow.followee_id).where(
        Follow.user_id == viewer_id, Follow.status == "accepted", Follow.followee_id.not_in(muted)
    )


def suspended_ids_select(now: datetime) -> Select[uuid.UUID]:
    """The riders suspended at `now`: a suspension not lifted whose end (if any) lies ahead."""
    return select(ModerationAction.user_id).where(  # type: ignore[return-value]
        ModerationAction.kind == "suspend",
        ModerationAction.user_id.is_not(None),  # a NULL would make NOT IN match nothing
        ModerationAction.lifted_at.is_(None),
        or_(ModerationAction.until.is_(None), ModerationAction.until > now),
    )


def hidden_rides_select() -> Select[uuid.UUID]:
    """The rides a moderator hid (not lifted)."""
    return select(ModerationAction.object_id).where(
        ModerationAction.kind == "hide",
        ModerationAction.object_kind == "ride",
        ModerationAction.lifted_at.is_(None),
    )


def ride_withheld(session: Session, ride_id: uuid.UUID, owner_id: uuid.UUID, now: datetime) -> bool:
    """True when the ride is hidden or its owner suspended: one query."""
    hidden = hidden_rides_select().where(ModerationAction.object_id == ride_id).exists()
    suspended = suspended_ids_select(now).where(ModerationAction.user_id == owner_id).exists()
    return bool(session.scalar(select(or_(hidden, suspended))))


def suspended_among(session: Session, ids: Collection[uuid.UUID], now: datetime) -> set[uuid.UUID]:
    """Which of these riders are suspended at `now`."""
    if not ids:
        return set()
    found = session.scalars(suspended_ids_select(now).where(ModerationAction.user_id.in_(ids)))
    return {i for i in found if i is not None}


def blocked_ids(session: Session, user_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone the user blocks or is blocked by."""
    rows = session.execute(
        select(Block.user_id, Block.blocked_id).where(
            or_(Block.user_id == user_id, Block.blocked_id == user_id)
        )
    )
    return {a if b == user_id else b for a, b in rows}


def blocked_ids_select(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A select of everyone the user blocks or is blocked by (for a sub-query)."""
    return (
        select(Block.blocked_id)
        .where(Block.user_id == user_id)
        .union(  # type: ignore[return-value]
            select(Block.user_id).where(Block.blocked_id == user_id)
        )
    )


def muted_ids_select(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """A select of the riders the user mutes."""
    return select(Mute.muted_id).where(Mute.user_id == user_id)


def delete_follows_between(session: Session, a: uuid.UUID, b: uuid.UUID) -> None:
    session.execute(
        delete(Follow).where(
            or_(
                and_(Follow.user_id == a, Follow.followee_id == b),
                and_(Follow.user_id == b, Follow.followee_id == a),
            )
        )
    )


def follows_page(
    session: Session, *, column: str, user_id: uuid.UUID, status: str, limit: int
) -> list[Follow]:
    """Follows of (or by) the user with this status, newest first."""
    where = Follow.followee_id == user_id if column == "followee" else Follow.user_id == user_id
    return list(
        session.scalars(
            select(Follow)
            .where(where, Follow.status == status)
            .order_by(Follow.created_at.desc())
            .limit(limit)
        )
    )


def follow_counts(session: Session, user_id: uuid.UUID) -> tuple[int, int]:
    """(followers, following), approved only."""
    followers = select(func.count()).where(
        Follow.followee_id == user_id, Follow.status == "accepted"
    )
    following = select(func.count()).where(Follow.user_id == user_id, Follow.status == "accepted")
    row = session.execute(select(followers.scalar_subquery(), following.scalar_subquery())).one()
    return int(row[0]), int(row[1])


def kudos_counts(session: Session, ride_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Kudos per ride, without those of riders suspended now (kept, shown to nobody)."""
    suspended = suspended_ids_select(datetime.now(UTC))
    rows = session.execute(
        select(Kudos.ride_id, func.count())
        .where(Kudos.ride_id.in_(ride_ids), Kudos.user_id.not_in(suspended))
        .group_by(Kudos.ride_id)
    )
    return {ride_id: int(n) for ride_id, n in rows}


def comments_since(session: Session, user_id: uuid.UUID, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.user_id == user_id, Comment.created_at > since)
        )
        or 0
    )


def comment_counts(session: Session, ride_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Comments per ride that anyone may read (not hidden by a moderator, not by a rider
    suspended now)."""
    suspended = suspended_ids_select(datetime.now(UTC))
    rows = session.execute(
        select(Comment.ride_id, func.count())
        .where(
            Comment.ride_id.in_(ride_ids),
            Comment.hidden_at.is_(None),
            Comment.user_id.not_in(suspended),
        )
        .group_by(Comment.ride_id)
    )
    return {ride_id: int(n) for ride_id, n in rows}


def kudosed_by(
    session: Session, user_id: uuid.UUID, ride_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(Kudos.ride_id).where(Kudos.user_id == user_id, Kudos.ride_id.in_(ride_ids))
        )
    )


def kudos_of_ride(session: Session, ride_id: uuid.UUID, limit: int) -> list[Kudos]:
    return list(
        session.scalars(
            select(Kudos).where(Kudos.ride_id == ride_id).order_by(Kudos.created_at).limit(limit)
        )
    )


def comments_of_ride(session: Session, ride_id: uuid.UUID, limit: int) -> list[Comment]:
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.ride_id == ride_id)
            .order_by(Comment.created_at, Comment.id)
            .limit(limit)
        )
    )


def delete_ride_reactions(session: Session, ride_id: uuid.UUID) -> None:
    session.execute(delete(Kudos).where(Kudos.ride_id == ride_id))
    session.execute(delete(Comment).where(Comment.ride_id == ride_id))
