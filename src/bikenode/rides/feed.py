"""The rides a rider's feed shows: those of the riders they follow that they may see, and
their own (all of them, with their whole figures: as Strava shows one's own activities, and
as the feed already shows one's own club posts).

Fan-out on read: a new ride writes nothing for its followers; a feed page is one keyset query
over the rides of the followed riders (covered by ix_rides_owner_started), so posting costs the
same for a rider with 5 followers or 5,000 (bench/feed.py measures both sides).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Subquery, select, tuple_, union_all
from sqlalchemy.orm import Session, defer

from bikenode.accounts import rider_profiles
from bikenode.errors import InvalidInput
from bikenode.rides.audience import FOLLOWER_VISIBILITIES, current_audience, may_view
from bikenode.rides.logic.display import BadCursor, decode_cursor, encode_cursor
from bikenode.rides.models import Ride
from bikenode.rides.privacy import figures_seen_by_others, own_figures
from bikenode.rides.service import get_visible_ride

MAX_FEED_LIMIT = 50
# Untimed rides sort after every timed one (as in the rider's own list).
_UNTIMED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedRide:
    """A ride as a feed shows it: figures cut by the owner's privacy zones, except to the owner."""

    id: uuid.UUID
    owner_id: uuid.UUID
    owner_name: str
    name: str
    sport: str
    visibility: str
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elevation_gain_m: float | None
    # The feed's order: the stored start (untimed rides last), never cut by privacy zones;
    # social merges club posts by it and resumes from feed_cursor(ride). Not for display.
    listed_at: datetime = field(default=_UNTIMED, repr=False, compare=False)


def feed_cursor(ride: FeedRide) -> str:
    """The cursor of the feed page that starts just after this ride."""
    return encode_cursor(ride.listed_at.isoformat(), str(ride.id))


def feed_rides(
    session: Session, *, viewer_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[FeedRide], str | None]:
    """A page of the followed riders' rides the viewer may see and of the viewer's own, newest
    first, with the cursor of the next page (None at the end). A constant number of queries
    whatever the page size or the number of followed riders; InvalidInput for a limit out of
    1..50 or a bad cursor."""
    followed = Ride.owner_id.in_(current_audience().followed_by(viewer_id))
    # The own rides as a source of their own: in one IN with the followed riders they would
    # keep PostgreSQL from probing the follows' primary key ride by ride.
    sources: list[list[Any]] = [
        [followed, Ride.visibility.in_(FOLLOWER_VISIBILITIES)],
        [Ride.owner_id == viewer_id],
    ]
    return _page(session, sources, limit, cursor, owner_id=viewer_id)


def rider_rides(
    session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[FeedRide], str | None]:
    """A page of one rider's rides as the viewer may see them, newest first (their profile):
    public ones, and followers-only ones for an approved follower and for the rider (who sees
    their profile as followers do: figures cut, private rides left out). None for a rider
    blocked either way."""
    if viewer_id == owner_id:
        relation = "follower"
    else:
        relation = current_audience().relation(session, owner_id=owner_id, viewer_id=viewer_id)
    if relation == "blocked":
        return [], None
    shown = FOLLOWER_VISIBILITIES if relation == "follower" else ("public",)
    source = [Ride.owner_id == owner_id, Ride.visibility.in_(shown)]
    return _page(session, [source], limit, cursor)


def _page(
    session: Session,
    sources: list[list[Any]],
    limit: int,
    cursor: str | None,
    *,
    owner_id: uuid.UUID | None = None,
) -> tuple[list[FeedRide], str | None]:
    """The page of the rides each source's conditions select; rides of `owner_id` keep their
    whole figures (the owner reading their feed)."""
    if not 1 <= limit <= MAX_FEED_LIMIT:
        raise InvalidInput(f"expected a limit from 1 to {MAX_FEED_LIMIT}, got {limit}")
    ids = _page_ids(session, sources, limit + 1, _decode(cursor) if cursor else None)
    loaded = session.scalars(
        select(Ride).where(Ride.id.in_(ids)).options(defer(Ride.summary), defer(Ride.import_notes))
    )
    by_id = {ride.id: ride for ride in loaded}
    rows = [by_id[ride_id] for ride_id in ids if ride_id in by_id]
    page, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = encode_cursor((last.started_at or _UNTIMED).isoformat(), str(last.id))
    return _as_seen(session, page, owner_id), next_cursor


def _page_ids(
    session: Session,
    sources: list[list[Any]],
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[uuid.UUID]:
    """The ids of the page's rides in the feed's order: timed rides newest first, then the
    untimed ones (last ids first); `after` is where the previous page ended.

    One statement of two parts per source, each walking an index in its own order, never a
    sort of every followed rider's rides: with many followed riders PostgreSQL walks
    ix_rides_started newest first until the page is full, with few it reads each rider's
    newest from ix_rides_owner_started (an ORDER BY on coalesce(started_at, ...) could use
    neither, bench/feed.py)."""
    audience = current_audience()
    # Moderators' hides and suspensions: few rows, so two small anti-joins at read time.
    withheld = [
        Ride.id.not_in(audience.withheld_rides()),
        Ride.owner_id.not_in(audience.withheld_riders()),
    ]
    parts = [
        part for where in sources for part in _ordered_parts([*where, *withheld], limit, after)
    ]
    statement = union_all(*(select(part.c.id, part.c.started_at) for part in parts))
    rows = sorted(
        {(row[0], row[1]) for row in session.execute(statement)},
        key=lambda row: (row[1] is not None, row[1] or _UNTIMED, row[0]),
        reverse=True,
    )
    return [ride_id for ride_id, _ in rows[:limit]]


def _ordered_parts(
    where: list[Any], limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Subquery]:
    """The first `limit` timed rides after `after` and the first untimed ones, in order."""
    parts = []
    if after is None or after[0] != _UNTIMED:
        timed = select(Ride.id, Ride.started_at).where(*where, Ride.started_at.is_not(None))
        if after is not None:
            timed = timed.where(tuple_(Ride.started_at, Ride.id) < tuple_(*after))
        order = (Ride.started_at.desc(), Ride.id.desc())
        parts.append(timed.order_by(*order).limit(limit).subquery())
    untimed = select(Ride.id, Ride.started_at).where(*where, Ride.started_at.is_(None))
    if after is not None and after[0] == _UNTIMED:
        untimed = untimed.where(Ride.id < after[1])
    parts.append(untimed.order_by(Ride.id.desc()).limit(limit).subquery())
    return parts


def _as_seen(session: Session, rides: list[Ride], owner_id: uuid.UUID | None) -> list[FeedRide]:
    others = [ride for ride in rides if ride.owner_id != owner_id]
    cut = iter(figures_seen_by_others(session, rides=others, with_summary=False))
    seen = [
        own_figures(ride, with_summary=False) if ride.owner_id == owner_id else next(cut)
        for ride in rides
    ]
    names = rider_profiles(session, {ride.owner_id for ride in rides}) if rides else {}
    return [
        FeedRide(
            id=ride.id,
            owner_id=ride.owner_id,
            owner_name=names[ride.owner_id].display_name if ride.owner_id in names else "",
            name=ride.name,
            sport=ride.sport,
            visibility=ride.visibility,
            started_at=figures.started_at,
            distance_m=figures.distance_m,
            moving_time_s=figures.moving_time_s,
            elevation_gain_m=figures.elevation_gain_m,
            listed_at=ride.started_at or _UNTIMED,
        )
        for ride, figures in zip(rides, seen, strict=True)
    ]


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw_at, raw_id = decode_cursor(cursor)
        at = datetime.fromisoformat(raw_at)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, uuid.UUID(raw_id)
    except (BadCursor, ValueError, TypeError):
        raise InvalidInput(
            "expected a cursor from a previous feed page, got something else"
        ) from None


def visible_ride_owner(
    session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> uuid.UUID:
    """The owner of the ride if the viewer may see it; NotFound otherwise (as for a missing
    ride). What social asks before a kudos or a comment."""
    return get_visible_ride(session, ride_id=ride_id, viewer_id=viewer_id).owner_id


def is_private_ride(session: Session, *, ride_id: uuid.UUID) -> bool:
    """True if the ride exists and only its owner may see it."""
    return session.scalar(select(Ride.visibility).where(Ride.id == ride_id)) == "private"


def ride_visible_to(session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID) -> bool:
    """True when this viewer may see the ride (whom a mention may tell of it)."""
    ride = session.get(Ride, ride_id)
    return ride is not None and may_view(session, ride=ride, viewer_id=viewer_id)
