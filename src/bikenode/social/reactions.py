"""Kudos and comments on rides the rider may see, and the feed built on them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.accounts import rider_profiles
from bikenode.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests
from bikenode.events import publish
from bikenode.social import repo
from bikenode.social.events import CommentAdded, KudosGiven, Mentioned
from bikenode.social.logic.rules import (
    CommentRejected,
    clean_comment,
    mention_key,
    parse_mentions,
    within_rate,
)
from bikenode.social.models import Comment, Kudos

MAX_LISTED = 500  # kudos or comments per ride in one answer
# Comments per rider in a sliding window: a person types fewer; a spam script more.
MAX_COMMENTS_PER_WINDOW, COMMENT_WINDOW = 30, timedelta(minutes=10)


@dataclass(frozen=True)
class CommentView:
    id: uuid.UUID
    ride_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime
    deletable: bool  # by this viewer: the author or the ride's owner
    hidden: bool  # by a moderator (then shown to its author only)


@dataclass(frozen=True)
class FeedItem:
    ride: rides.FeedRide
    kudos: int
    comments: int
    kudosed: bool  # whether the viewer gave kudos


def give_kudos(
    session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    """Give kudos on a ride the rider may see (once: again changes nothing); the count."""
    if owner_id == user_id:
        raise InvalidInput("expected someone else's ride, got your own")
    if session.get(Kudos, (ride_id, user_id)) is None:
        session.add(Kudos(ride_id=ride_id, user_id=user_id, ride_owner_id=owner_id))
        publish(session, KudosGiven(ride_id=ride_id, user_id=user_id, ride_owner_id=owner_id))
    session.flush()
    count = repo.kudos_counts(session, [ride_id]).get(ride_id, 0)
    session.commit()
    return count


def take_back_kudos(session: Session, *, ride_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Withdraw one's kudos (none given is no error)."""
    existing = session.get(Kudos, (ride_id, user_id))
    if existing is not None:
        session.delete(existing)
    session.commit()


def list_kudos(
    session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the riders who gave kudos, oldest first, without any blocked either way
    by the viewer."""
    givers = [k.user_id for k in repo.kudos_of_ride(session, ride_id, MAX_LISTED)]
    hidden = repo.blocked_ids(session, viewer_id) if viewer_id else set()
    hidden |= repo.suspended_among(session, set(givers) - {viewer_id}, datetime.now(UTC))
    names = rider_profiles(session, givers) if givers else {}
    return [(g, names[g].display_name) for g in givers if g in names and g not in hidden]


def add_comment(
    session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID, user_id: uuid.UUID, body: str
) -> CommentView:
    """Comment on a ride the rider may see; each @name of a rider who may see the ride (and
    is not blocked either way) is told (Mentioned). InvalidInput for empty or long text."""
    try:
        text = clean_comment(body)
    except CommentRejected as error:
        raise InvalidInput(str(error)) from None
    recent = repo.comments_since(session, user_id, datetime.now(UTC) - COMMENT_WINDOW)
    if not within_rate(recent, limit=MAX_COMMENTS_PER_WINDOW):
        raise TooManyRequests(
            f"expected at most {MAX_COMMENTS_PER_WINDOW} comments in 10 minutes",
            retry_after_s=int(COMMENT_WINDOW.total_seconds()),
        )
    comment = Comment(ride_id=ride_id, ride_owner_id=owner_id, user_id=user_id, body=text)
    session.add(comment)
    session.flush()
    publish(
        session,
        CommentAdded(
            comment_id=comment.id, ride_id=ride_id, user_id=user_id, ride_owner_id=owner_id
        ),
    )
    for mentioned_id in _mentioned(session, comment, owner_id):
        publish(
            session,
            Mentioned(
                comment_id=comment.id, ride_id=ride_id, user_id=user_id, mentioned_id=mentioned_id
            ),
        )
    view = _views(session, [comment], viewer_id=user_id, owner_id=owner_id)[0]
    session.commit()
    return view


def _mentioned(session: Session, comment: Comment, owner_id: uuid.UUID) -> list[uuid.UUID]:
    """The riders a comment's @names point at, among those near the ride: its owner, the
    riders the author follows or who follow the author, and those who commented on it."""
    keys = parse_mentions(comment.body)
    if not keys:
        return []
    near = {owner_id, *_neighbours(session, comment.user_id)}
    near |= {c.user_id for c in repo.comments_of_ride(session, comment.ride_id, MAX_LISTED)}
    near.discard(comment.user_id)
    names = rider_profiles(session, near)
    hidden = repo.blocked_ids(session, comment.user_id)
    found = []
    for key in keys:
        matches = [i for i, p in names.items() if mention_key(p.display_name) == key]
        if (
            len(matches) == 1  # an ambiguous name tells nobody
            and matches[0] not in hidden
            and rides.ride_visible_to(session, ride_id=comment.ride_id, viewer_id=matches[0])
        ):
            found.append(matches[0])
    return found


def _neighbours(session: Session, user_id: uuid.UUID) -> set[uuid.UUID]:
    following = repo.follows_page(
        session, column="follower", user_id=user_id, status="accepted", limit=MAX_LISTED
    )
    followers = repo.follows_page(
        session, column="followee", user_id=user_id, status="accepted", limit=MAX_LISTED
    )
    return {f.followee_id for f in following} | {f.user_id for f in followers}


def list_comments(
    session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> list[CommentView]:
    """The ride's comments, oldest first, without those of riders blocked either way by the
    viewer."""
    comments = repo.comments_of_ride(session, ride_id, MAX_LISTED)
    hidden = repo.blocked_ids(session, viewer_id) if viewer_id else set()
    # A suspended author's comments are kept, and shown to nobody else until it is lifted.
    authors = {c.user_id for c in comments} - {viewer_id}
    hidden |= repo.suspended_among(session, authors, datetime.now(UTC))
    shown = [
        c
        for c in comments
        if c.user_id not in hidden and (c.hidden_at is None or c.user_id == viewer_id)
    ]
    return _views(session, shown, viewer_id=viewer_id, owner_id=owner_id)


def _views(
    session: Session, comments: list[Comment], *, viewer_id: uuid.UUID | None, owner_id: uuid.UUID
) -> list[CommentView]:
    names = rider_profiles(session, {c.user_id for c in comments}) if comments else {}
    return [
        CommentView(
            id=c.id,
            ride_id=c.ride_id,
            author_id=c.user_id,
            author_name=names[c.user_id].display_name if c.user_id in names else "",
            body=c.body,
            created_at=c.created_at,
            deletable=viewer_id is not None and viewer_id in (c.user_id, owner_id),
            hidden=c.hidden_at is not None,
        )
        for c in comments
    ]


def visible_comment(session: Session, *, comment_id: uuid.UUID, viewer_id: uuid.UUID) -> Comment:
    """A comment on a ride the viewer may see, not by a rider blocked either way; NotFound
    otherwise."""
    comment = session.get(Comment, comment_id)
    if comment is None or repo.blocked_either_way(session, comment.user_id, viewer_id):
        raise NotFound("no such comment")
    if comment.user_id != viewer_id and (
        comment.hidden_at is not None  # hidden by a moderator: its author's alone
        or repo.suspended_among(session, [comment.user_id], datetime.now(UTC))
    ):
        raise NotFound("no such comment")
    rides.visible_ride_owner(session, ride_id=comment.ride_id, viewer_id=viewer_id)
    return comment


def delete_comment(session: Session, *, comment: Comment, viewer_id: uuid.UUID) -> None:
    """Delete a comment: its author or the ride's owner may; PermissionDenied for others."""
    if viewer_id not in (comment.user_id, comment.ride_owner_id):
        raise PermissionDenied("only the comment's author or the ride's owner may delete it")
    session.delete(comment)
    session.commit()


def rider_rides(
    session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[FeedItem], str | None]:
    """A page of a rider's rides as the viewer may see them, for their profile."""
    page, next_cursor = rides.rider_rides(
        session, owner_id=owner_id, viewer_id=viewer_id, limit=limit, cursor=cursor
    )
    return with_reactions(session, page, viewer_id), next_cursor


def with_reactions(
    session: Session, page: list[rides.FeedRide], viewer_id: uuid.UUID
) -> list[FeedItem]:
    """The rides with their kudos and comment counts and the viewer's own kudos."""
    ids = [ride.id for ride in page]
    kudos = repo.kudos_counts(session, ids) if ids else {}
    comments = repo.comment_counts(session, ids) if ids else {}
    mine = repo.kudosed_by(session, viewer_id, ids) if ids else set()
    return [FeedItem(r, kudos.get(r.id, 0), comments.get(r.id, 0), r.id in mine) for r in page]
