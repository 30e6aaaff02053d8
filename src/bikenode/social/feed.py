"""The feed: followed riders' rides and the posts of the viewer's clubs, merged newest first.

Both streams are read on demand (fan-out on read, as rides/feed.py explains) and merged by
time: a ride by its stored start, a post by when it was written. The cursor carries each
stream's own position, so a page never skips or repeats an item of either. Club posts follow
the feed's rules at read time: only clubs the viewer is an active member of and has not
muted; none by a rider blocked either way, muted or suspended; none of a club whose owner
is blocked either way (its page is a 404 to them too).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.accounts import rider_profiles
from bikenode.errors import InvalidInput
from bikenode.social import repo
from bikenode.social.clubs import repo as clubs_repo
from bikenode.social.clubs.models import ClubPost
from bikenode.social.reactions import FeedItem, with_reactions


@dataclass(frozen=True)
class ClubPostItem:
    """A club post as the feed shows it."""

    id: uuid.UUID
    club_id: uuid.UUID
    club_name: str
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class _Position:
    """Where each stream resumes: its cursor (None: from the top) and whether it is spent."""

    rides: str | None = None
    rides_done: bool = False
    posts: tuple[datetime, uuid.UUID] | None = None
    posts_done: bool = False


def _encode(position: _Position) -> str:
    posts = [position.posts[0].isoformat(), position.posts[1].hex] if position.posts else None
    raw = {"r": position.rides, "rd": position.rides_done, "p": posts, "pd": position.posts_done}
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def _decode(cursor: str) -> _Position:
    try:
        raw: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        posts = raw["p"]
        at = datetime.fromisoformat(posts[0]) if posts else None
        if at is not None and at.tzinfo is None:
            raise ValueError("naive")
        return _Position(
            rides=raw["r"] if isinstance(raw["r"], str) else None,
            rides_done=raw["rd"] is True,
            posts=(at, uuid.UUID(hex=posts[1])) if at is not None else None,
            posts_done=raw["pd"] is True,
        )
    except (ValueError, TypeError, KeyError, IndexError):
        raise InvalidInput(
            "expected a cursor from a previous feed page, got something else"
        ) from None


def feed(
    session: Session, *, viewer_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[FeedItem | ClubPostItem], str | None]:
    """A page of the feed, newest first: rides (with kudos and comment counts) and club posts;
    the next page's cursor (None at the end). A constant number of queries whatever the page,
    follows or clubs; InvalidInput for a bad cursor or a limit out of 1..50."""
    at = _decode(cursor) if cursor else _Position()
    ride_page: list[rides.FeedRide] = []
    rides_next: str | None = None
    if not at.rides_done:
        ride_page, rides_next = rides.feed_rides(
            session, viewer_id=viewer_id, limit=limit, cursor=at.rides
        )
    posts = [] if at.posts_done else _posts(session, viewer_id, at.posts, limit + 1)
    merged = sorted(
        [((r.listed_at, r.id.hex), r) for r in ride_page]
        + [((p.created_at, p.id.hex), (p, name)) for p, name in posts],
        key=lambda pair: pair[0],
        reverse=True,
    )[:limit]
    shown_rides = [item for _, item in merged if isinstance(item, rides.FeedRide)]
    shown_posts = [item for _, item in merged if isinstance(item, tuple)]
    position = _Position(
        rides=rides.feed_cursor(shown_rides[-1]) if shown_rides else at.rides,
        rides_done=at.rides_done or (len(shown_rides) == len(ride_page) and rides_next is None),
        posts=(shown_posts[-1][0].created_at, shown_posts[-1][0].id) if shown_posts else at.posts,
        posts_done=at.posts_done or len(shown_posts) == len(posts),
    )
    items = _items(session, merged, viewer_id)
    done = position.rides_done and position.posts_done
    return items, None if done else _encode(position)


def _posts(
    session: Session, viewer_id: uuid.UUID, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[tuple[ClubPost, str]]:
    unseen = [repo.muted_ids_select(viewer_id), repo.suspended_ids_select(datetime.now(UTC))]
    return clubs_repo.feed_posts(
        session,
        viewer_id=viewer_id,
        unseen_authors=unseen,
        blocked=repo.blocked_ids_select(viewer_id),
        before=before,
        limit=limit,
    )


def _items(
    session: Session, merged: list[tuple[Any, Any]], viewer_id: uuid.UUID
) -> list[FeedItem | ClubPostItem]:
    ride_items = iter(
        with_reactions(
            session,
            [item for _, item in merged if isinstance(item, rides.FeedRide)],
            viewer_id,
        )
    )
    authors = {item[0].user_id for _, item in merged if isinstance(item, tuple)}
    names = rider_profiles(session, authors) if authors else {}
    items: list[FeedItem | ClubPostItem] = []
    for _, item in merged:
        if isinstance(item, rides.FeedRide):
            items.append(next(ride_items))
        elif item[0].user_id in names:  # an author erased since: nothing to show
            post, club_name = item
            items.append(
                ClubPostItem(
                    post.id, post.club_id, club_name, post.user_id,
                    names[post.user_id].display_name, post.body, post.created_at,
                )
            )  # fmt: skip
    return items
