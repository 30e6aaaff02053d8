"""What members do in a club: club rides (events) with RSVPs, posts, the weekly leaderboard.

The leaderboard counts members' rides that others may see (public and followers-only, never
private ones), as rides' stored totals, in ISO weeks of UTC; every sport counts.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bikenode import live as live_domain
from bikenode import planner, rides
from bikenode.accounts import rider_profiles
from bikenode.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests
from bikenode.events import publish
from bikenode.social import repo as social_repo
from bikenode.social.clubs import repo
from bikenode.social.clubs.events import ClubEventCreated, ClubPostAdded
from bikenode.social.clubs.models import ClubEvent, ClubPost, ClubRsvp
from bikenode.social.clubs.service import ClubAccess
from bikenode.social.logic import clubs as rules
from bikenode.social.logic.rules import within_rate

MAX_EVENTS = 50  # per page of coming club rides
BOARD_ROWS = 50  # places shown; the viewer's own place is added when lower down
# Posts (all clubs) and club rides per rider in a sliding window: as for comments, a person
# writes fewer; a spam script more.
MAX_WRITES_PER_WINDOW, WRITE_WINDOW = 30, timedelta(minutes=10)
PAST_EVENTS = timedelta(days=1)  # a ride that started today still shows


@dataclass(frozen=True)
class EventView:
    """A club ride with its RSVP counts and the viewer's answer."""

    id: uuid.UUID
    club_id: uuid.UUID
    title: str
    starts_at: datetime
    place_name: str | None
    lat_deg: float | None
    lon_deg: float | None
    route_id: uuid.UUID | None
    created_by: uuid.UUID
    going: int
    maybe: int
    no: int
    rsvp: str | None
    members_only: bool = False
    live_group_id: uuid.UUID | None = None


def _event_views(
    session: Session, events: list[ClubEvent], viewer_id: uuid.UUID | None
) -> list[EventView]:
    ids = [e.id for e in events]
    counts = repo.rsvp_counts(session, ids) if ids else {}
    mine = repo.rsvps_of(session, viewer_id, ids) if viewer_id and ids else {}
    return [
        EventView(
            e.id, e.club_id, e.title, e.starts_at, e.place_name, e.lat_deg, e.lon_deg,
            e.route_id, e.user_id, counts[e.id].get("going", 0), counts[e.id].get("maybe", 0),
            counts[e.id].get("no", 0), mine.get(e.id), e.members_only, e.live_group_id,
        )
        for e in events
    ]  # fmt: skip


def list_events(session: Session, *, access: ClubAccess) -> list[EventView]:
    """The club's coming rides (and today's), soonest first; members-only ones for the
    club's active members alone."""
    found = repo.events_from(
        session,
        access.club.id,
        since=datetime.now(UTC) - PAST_EVENTS,
        limit=MAX_EVENTS,
        members=access.status == "active",
    )
    return _event_views(session, found, access.viewer_id)


def create_event(
    session: Session,
    *,
    access: ClubAccess,
    title: str,
    starts_at: datetime,
    place_name: str | None,
    lat_deg: float | None,
    lon_deg: float | None,
    route_id: uuid.UUID | None,
    live: bool = False,
    members_only: bool = False,
) -> EventView:
    """A new club ride by a member; its route must be one the member may open in the
    planner (NotFound otherwise, as for a missing route). With `live`, a live group ride
    opens with it, organised by the member: private (its members: those going) for a
    members-only ride or a private club's, else public like the club ride."""
    user_id = access.viewer_id
    if user_id is None:
        raise PermissionDenied("expected a signed-in member")
    try:
        event = ClubEvent(
            club_id=access.club.id,
            user_id=user_id,
            title=rules.clean_text(title, limit=rules.MAX_TITLE_CHARS, what="title"),
            starts_at=rules.check_start(starts_at),
            place_name=rules.clean_optional(
                place_name, limit=rules.MAX_PLACE_CHARS, what="place name"
            ),
        )
        point = rules.approximate(lat_deg, lon_deg)
    except rules.ClubRuleBroken as error:
        raise InvalidInput(str(error)) from None
    event.lat_deg, event.lon_deg = point if point else (None, None)
    _check_rate(session, repo.events_since, user_id, "club rides")
    if route_id is not None:
        planner.route_access(session, route_id=route_id, user_id=user_id)
        event.route_id = route_id
    event.members_only = members_only
    if live:
        event.live_group_id = live_domain.open_group_ride(
            session,
            owner_id=user_id,
            owner_name=_name(session, user_id),
            name=event.title,
            visibility="private" if members_only or access.club.private else "public",
        )
    session.add(event)
    session.flush()
    publish(
        session,
        ClubEventCreated(
            club_id=access.club.id, event_id=event.id, user_id=user_id, starts_at=event.starts_at
        ),
    )
    session.commit()
    return _event_views(session, [event], user_id)[0]


def _check_rate(
    session: Session,
    count: Callable[[Session, uuid.UUID, datetime], int],
    user_id: uuid.UUID,
    what: str,
) -> None:
    if not within_rate(
        count(session, user_id, datetime.now(UTC) - WRITE_WINDOW), limit=MAX_WRITES_PER_WINDOW
    ):
        raise TooManyRequests(
            f"expected at most {MAX_WRITES_PER_WINDOW} {what} in 10 minutes",
            retry_after_s=int(WRITE_WINDOW.total_seconds()),
        )


def club_event(session: Session, *, access: ClubAccess, event_id: uuid.UUID) -> ClubEvent:
    """The event if it belongs to this club; NotFound otherwise."""
    event = session.get(ClubEvent, event_id)
    if event is None or event.club_id != access.club.id:
        raise NotFound("no such club ride")
    return event


def _name(session: Session, user_id: uuid.UUID) -> str:
    profile = rider_profiles(session, [user_id]).get(user_id)
    return profile.display_name if profile else ""


def rsvp(session: Session, *, access: ClubAccess, event: ClubEvent, answer: str) -> EventView:
    """Answer a club ride (going, maybe, no); answering again replaces the answer."""
    user_id = access.viewer_id
    if user_id is None:
        raise PermissionDenied("expected a signed-in member")
    row = session.get(ClubRsvp, (event.id, user_id))
    if row is None:
        session.add(ClubRsvp(event_id=event.id, user_id=user_id, answer=answer))
    else:
        row.answer = answer
    if event.live_group_id is not None and answer == "going":
        live_domain.join_group_ride(
            session,
            group_id=event.live_group_id,
            user_id=user_id,
            display_name=_name(session, user_id),
        )
    elif event.live_group_id is not None:  # no longer going: out of the live ride too
        live_domain.leave_group_ride(session, group_id=event.live_group_id, user_id=user_id)
    session.commit()
    return _event_views(session, [event], user_id)[0]


@dataclass(frozen=True)
class PostView:
    """A club post with its author's name."""

    id: uuid.UUID
    club_id: uuid.UUID
    user_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


def add_post(session: Session, *, access: ClubAccess, body: str) -> PostView:
    """A member's new post in the club feed."""
    user_id = access.viewer_id
    if user_id is None:
        raise PermissionDenied("expected a signed-in member")
    try:
        text = rules.clean_text(body, limit=rules.MAX_POST_CHARS, what="post")
    except rules.ClubRuleBroken as error:
        raise InvalidInput(str(error)) from None
    _check_rate(session, repo.posts_since, user_id, "posts")
    post = ClubPost(club_id=access.club.id, user_id=user_id, body=text)
    session.add(post)
    session.flush()
    publish(session, ClubPostAdded(club_id=access.club.id, post_id=post.id, user_id=user_id))
    session.commit()
    return _post_views(session, [post])[0]


def _post_views(session: Session, posts: list[ClubPost]) -> list[PostView]:
    names = rider_profiles(session, [p.user_id for p in posts]) if posts else {}
    return [
        PostView(p.id, p.club_id, p.user_id, names[p.user_id].display_name, p.body, p.created_at)
        for p in posts
        if p.user_id in names
    ]


def _cursor(post: ClubPost) -> str:
    raw = f"{post.created_at.isoformat()}|{post.id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, post_hex = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(hex=post_hex)
    except ValueError:
        raise InvalidInput("expected a cursor from a previous page, got another value") from None


def club_feed(
    session: Session, *, access: ClubAccess, limit: int, cursor: str | None
) -> tuple[list[PostView], str | None]:
    """A page of the club's posts, newest first, without those of riders blocked either way
    by the viewer; the next page's cursor (None at the end)."""
    hidden = social_repo.blocked_ids(session, access.viewer_id) if access.viewer_id else set()
    before = _read_cursor(cursor) if cursor else None
    found = repo.posts_page(session, access.club.id, hidden=hidden, before=before, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return _post_views(session, found), (_cursor(found[-1]) if more else None)


def delete_post(session: Session, *, access: ClubAccess, post_id: uuid.UUID) -> None:
    """Delete a post: its author, or the club's owner or an admin."""
    post = session.get(ClubPost, post_id)
    if post is None or post.club_id != access.club.id:
        raise NotFound("no such post")
    if post.user_id != access.viewer_id and not rules.can_manage(access.role):
        raise PermissionDenied("expected the post's author or the club's owner or an admin")
    session.delete(post)
    session.commit()


@dataclass(frozen=True)
class LeaderRow:
    """One place on the board (1 the first): the member and their week's figures."""

    place: int
    user_id: uuid.UUID
    display_name: str
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


@dataclass(frozen=True)
class Leaderboard:
    """The club's week: its totals and the members ranked by the board's figure."""

    week: str
    starts_at: datetime
    board: str
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float
    rows: list[LeaderRow]


def leaderboard(
    session: Session, *, access: ClubAccess, week: str | None, board: rules.Board
) -> Leaderboard:
    """The club's leaderboard for the ISO week (this week when None): the first BOARD_ROWS
    places and the viewer's own; InvalidInput for a malformed week. Riders blocked either way
    by the viewer are left off the rows, not the totals."""
    try:
        since, until, label = rules.iso_week(week, today=datetime.now(UTC).date())
    except rules.ClubRuleBroken as error:
        raise InvalidInput(str(error)) from None
    members = repo.active_member_ids(access.club.id)
    figures = rides.riders_totals(session, owners=members, since=since, until=until)
    weeks = [
        rules.RiderWeek(f.owner_id, f.rides, f.distance_m, f.moving_time_s, f.elevation_gain_m)
        for f in figures
    ]
    count, distance, moving, climbed = rules.totals(weeks)
    hidden = social_repo.blocked_ids(session, access.viewer_id) if access.viewer_id else set()
    ranked = [w for w in rules.rank(weeks, by=board) if w.user_id not in hidden]
    shown = [
        (place, w)
        for place, w in enumerate(ranked, start=1)
        if place <= BOARD_ROWS or w.user_id == access.viewer_id
    ]
    names = rider_profiles(session, [w.user_id for _, w in shown]) if shown else {}
    rows = [
        LeaderRow(place, w.user_id, names[w.user_id].display_name, w.rides, w.distance_m,
                  w.moving_time_s, w.elevation_gain_m)
        for place, w in shown
        if w.user_id in names
    ]  # fmt: skip
    return Leaderboard(label, since, board, count, distance, moving, climbed, rows)
