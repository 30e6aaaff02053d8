"""Queries on the club tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from bikenode.social.clubs.models import (
    Club,
    ClubEvent,
    ClubInvite,
    ClubMember,
    ClubPost,
    ClubRsvp,
)


def membership(session: Session, club_id: uuid.UUID, user_id: uuid.UUID) -> ClubMember | None:
    return session.get(ClubMember, (club_id, user_id))


def coming_rsvps(
    session: Session, club_id: uuid.UUID, user_id: uuid.UUID, since: datetime
) -> list[tuple[ClubRsvp, uuid.UUID | None]]:
    """The rider's answers to the club's rides starting from `since`, with each ride's live
    group ride (if it opened one)."""
    rows = session.execute(
        select(ClubRsvp, ClubEvent.live_group_id)
        .join(ClubEvent, ClubEvent.id == ClubRsvp.event_id)
        .where(
            ClubEvent.club_id == club_id, ClubEvent.starts_at >= since, ClubRsvp.user_id == user_id
        )
    )
    return [(rsvp, group_id) for rsvp, group_id in rows]


def owner_id(session: Session, club_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(
        select(ClubMember.user_id).where(ClubMember.club_id == club_id, ClubMember.role == "owner")
    )


def owners_of(session: Session, club_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = session.execute(
        select(ClubMember.club_id, ClubMember.user_id).where(
            ClubMember.club_id.in_(club_ids), ClubMember.role == "owner"
        )
    )
    return {club_id: user_id for club_id, user_id in rows}


def member_counts(session: Session, club_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(ClubMember.club_id, func.count())
        .where(ClubMember.club_id.in_(club_ids), ClubMember.status == "active")
        .group_by(ClubMember.club_id)
    )
    return {club_id: count for club_id, count in rows}


def memberships_of(
    session: Session, user_id: uuid.UUID, club_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ClubMember]:
    rows = session.scalars(
        select(ClubMember).where(ClubMember.user_id == user_id, ClubMember.club_id.in_(club_ids))
    )
    return {row.club_id: row for row in rows}


def clubs_page(
    session: Session, *, viewer_id: uuid.UUID | None, query: str | None, limit: int
) -> list[Club]:
    """Public clubs and the viewer's own (any status), by name; `query` matches names."""
    mine = select(ClubMember.club_id).where(ClubMember.user_id == viewer_id)
    shown = or_(Club.private.is_(False), Club.id.in_(mine)) if viewer_id else ~Club.private
    statement = select(Club).where(shown)
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Club.name).like(f"%{escaped}%", escape="\\"))
    return list(session.scalars(statement.order_by(Club.name, Club.id).limit(limit)))


def members(session: Session, club_id: uuid.UUID, *, status: str, limit: int) -> list[ClubMember]:
    """The club's members of this status, owner and admins first, then longest-standing."""
    order = func.coalesce(ClubMember.joined_at, ClubMember.created_at)
    rank = (ClubMember.role != "owner", ClubMember.role != "admin")
    return list(
        session.scalars(
            select(ClubMember)
            .where(ClubMember.club_id == club_id, ClubMember.status == status)
            .order_by(*rank, order, ClubMember.user_id)
            .limit(limit)
        )
    )


def active_member_ids(club_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(ClubMember.user_id).where(
        ClubMember.club_id == club_id, ClubMember.status == "active"
    )


def active_memberships(session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = session.execute(
        select(ClubMember.club_id, ClubMember.user_id)
        .where(ClubMember.status == "active")
        .order_by(ClubMember.joined_at, ClubMember.club_id, ClubMember.user_id)
    ).all()
    return [(club_id, user_id) for club_id, user_id in rows]


def owned_clubs(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(ClubMember.club_id).where(
                ClubMember.user_id == user_id, ClubMember.role == "owner"
            )
        )
    )


def invites(session: Session, club_id: uuid.UUID, *, now: datetime) -> list[ClubInvite]:
    """The club's live invites: not revoked, not expired, newest first."""
    return list(
        session.scalars(
            select(ClubInvite)
            .where(
                ClubInvite.club_id == club_id,
                ClubInvite.revoked_at.is_(None),
                ClubInvite.expires_at > now,
            )
            .order_by(ClubInvite.created_at.desc())
        )
    )


def posts_page(
    session: Session,
    club_id: uuid.UUID,
    *,
    hidden: Collection[uuid.UUID],
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ClubPost]:
    statement = select(ClubPost).where(ClubPost.club_id == club_id)
    if hidden:
        statement = statement.where(ClubPost.user_id.not_in(hidden))
    if before is not None:
        at, post_id = before
        statement = statement.where(
            or_(ClubPost.created_at < at, (ClubPost.created_at == at) & (ClubPost.id < post_id))
        )
    order = (ClubPost.created_at.desc(), ClubPost.id.desc())
    return list(session.scalars(statement.order_by(*order).limit(limit)))


def events_from(
    session: Session, club_id: uuid.UUID, *, since: datetime, limit: int, members: bool
) -> list[ClubEvent]:
    """The club's rides from `since`, soonest first; members-only ones when `members`."""
    statement = select(ClubEvent).where(ClubEvent.club_id == club_id, ClubEvent.starts_at >= since)
    if not members:
        statement = statement.where(ClubEvent.members_only.is_(False))
    return list(session.scalars(statement.order_by(ClubEvent.starts_at, ClubEvent.id).limit(limit)))


def rsvp_counts(
    session: Session, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    found: dict[uuid.UUID, dict[str, int]] = {i: {} for i in event_ids}
    rows = session.execute(
        select(ClubRsvp.event_id, ClubRsvp.answer, func.count())
        .where(ClubRsvp.event_id.in_(event_ids))
        .group_by(ClubRsvp.event_id, ClubRsvp.answer)
    )
    for event_id, answer, count in rows:
        found[event_id][answer] = count
    return found


def rsvps_of(
    session: Session, user_id: uuid.UUID, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(ClubRsvp.event_id, ClubRsvp.answer).where(
            ClubRsvp.user_id == user_id, ClubRsvp.event_id.in_(event_ids)
        )
    )
    return {event_id: answer for event_id, answer in rows}


def posts_since(session: Session, user_id: uuid.UUID, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(ClubPost.user_id == user_id, ClubPost.created_at >= since)
        )
        or 0
    )


def events_since(session: Session, user_id: uuid.UUID, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(ClubEvent.user_id == user_id, ClubEvent.created_at >= since)
        )
        or 0
    )


def feed_posts(
    session: Session,
    *,
    viewer_id: uuid.UUID,
    unseen_authors: Collection[Select[uuid.UUID]],
    blocked: Select[uuid.UUID],
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[ClubPost, str]]:
    """Posts (with their club's name) of the clubs the viewer is an active member of and has
    not muted, newest first; none by the authors the selects name, none by a rider
    `blocked` names and none of a club whose owner it names. One statement."""
    member = (
        (ClubMember.club_id == ClubPost.club_id)
        & (ClubMember.user_id == viewer_id)
        & (ClubMember.status == "active")
        & ClubMember.feed_muted_at.is_(None)
    )
    statement = (
        select(ClubPost, Club.name)
        .join(ClubMember, member)
        .join(Club, Club.id == ClubPost.club_id)
        .where(*(ClubPost.user_id.not_in(authors) for authors in unseen_authors))
    )
    owner = aliased(ClubMember)
    blocked_owner = select(owner.club_id).where(owner.role == "owner", owner.user_id.in_(blocked))
    statement = statement.where(
        ClubPost.user_id.not_in(blocked), ClubPost.club_id.not_in(blocked_owner)
    )
    if before is not None:
        at, post_id = before
        statement = statement.where(
            or_(ClubPost.created_at < at, (ClubPost.created_at == at) & (ClubPost.id < post_id))
        )
    order = (ClubPost.created_at.desc(), ClubPost.id.desc())
    return [(post, name) for post, name in session.execute(statement.order_by(*order).limit(limit))]
